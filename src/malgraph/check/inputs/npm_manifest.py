"""npm's `package.json`: the packages a project declares (dependencies, dev, optional and peer).

A manifest gives ranges, so a dependency keeps its range as `spec` and a None version; an
exact version ("1.2.3", "=1.2.3") is the one version the range allows, so it counts as that
version. An alias ("npm:real@^1") is reported under the real name."""

from __future__ import annotations

import re
from typing import Any

from malgraph.check.inputs.problems import json_object
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "npm"
DEPENDENCY_FIELDS = (
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
)
_EXACT = re.compile(r"=?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")
_ALIAS = "npm:"


def parse_package_json(file: str, data: bytes) -> list[Dependency]:
    found: list[Dependency] = []
    for name, spec in declared_dependencies(load_manifest(data)).items():
        real_name, range_ = resolve_alias(name, spec)
        version = exact_version(range_)
        found.append(
            Dependency(
                ECOSYSTEM,
                real_name,
                version,
                file,
                spec=None if version else spec,
                direct=True,
            )
        )
    return found


def load_manifest(data: bytes) -> dict[str, Any]:
    return json_object(data, "package.json")


def declared_dependencies(manifest: dict[str, Any]) -> dict[str, str]:
    """Every dependency name the manifest declares and its spec as written (the first field
    naming it wins, in DEPENDENCY_FIELDS order)."""
    declared: dict[str, str] = {}
    for field in DEPENDENCY_FIELDS:
        entries = manifest.get(field)
        if not isinstance(entries, dict):
            continue
        for name, spec in entries.items():
            if isinstance(spec, str) and name not in declared:
                declared[name] = spec
    return declared


def resolve_alias(name: str, spec: str) -> tuple[str, str]:
    """The real package name and its range: "x": "npm:y@^1" installs y in the range ^1."""
    if spec.startswith(_ALIAS):
        target = spec[len(_ALIAS) :]
        at = target.find("@", 1)
        if at == -1:
            return target, "*"
        return target[:at], target[at + 1 :]
    return name, spec


def exact_version(spec: str) -> str | None:
    """The version a spec pins exactly, or None for a range, tag, URL or path."""
    match = _EXACT.fullmatch(spec.strip())
    return match.group(1) if match else None
