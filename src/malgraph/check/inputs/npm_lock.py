"""npm's `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 to 3.

Versions 2 and 3 list installed packages under "packages", keyed by their folder
("node_modules/a/node_modules/b": b nested under a, so a pulls it in); version 1 nests them
under "dependencies". An alias ("node_modules/x" installing package "y") is reported under
the real name. Workspace links and packages from git, files or URLs carry no registry version:
they keep their spec and a None version."""

from __future__ import annotations

from typing import Any

from malgraph.check.inputs.problems import UnreadableInput, json_object
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "npm"
_MODULES = "node_modules/"
_ROOT_DEPENDENCY_FIELDS = (
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
)


def parse_package_lock(file: str, data: bytes) -> list[Dependency]:
    doc = json_object(data, "package-lock")
    packages = doc.get("packages")
    if isinstance(packages, dict):
        return _from_packages(file, packages)
    dependencies = doc.get("dependencies")
    if isinstance(dependencies, dict):
        return list(_from_v1(file, dependencies, ()))
    if "lockfileVersion" in doc:
        return []  # a lockfile of a project without dependencies
    raise UnreadableInput("not a package-lock: no 'packages', 'dependencies' or 'lockfileVersion'")


def _from_packages(file: str, packages: dict[str, Any]) -> list[Dependency]:
    root = packages.get("")
    direct = _root_dependency_names(root if isinstance(root, dict) else {})
    found: list[Dependency] = []
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict) or entry.get("link"):
            continue
        chain = tuple(part.strip("/") for part in key.split(_MODULES)[1:])
        if not chain:
            continue  # a workspace folder, not an installed package
        alias_of = entry.get("name")
        name = alias_of if isinstance(alias_of, str) else chain[-1]
        top_level = key.startswith(_MODULES) and len(chain) == 1
        found.append(
            _dependency(
                file, name, entry.get("version"), chain[:-1], top_level and chain[0] in direct
            )
        )
    return found


def _from_v1(file: str, dependencies: dict[str, Any], parents: tuple[str, ...]) -> list[Dependency]:
    found: list[Dependency] = []
    for name, entry in dependencies.items():
        if not isinstance(entry, dict):
            continue
        version = entry.get("version")
        real_name = name
        if isinstance(version, str) and version.startswith("npm:"):
            real_name, _, version = version[4:].rpartition("@")
        found.append(_dependency(file, real_name, version, parents, None))
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            found.extend(_from_v1(file, nested, (*parents, name)))
    return found


def _dependency(
    file: str, name: str, version: Any, parents: tuple[str, ...], direct: bool | None
) -> Dependency:
    version = version if isinstance(version, str) else None
    if version is not None and (":" in version or "/" in version):
        return Dependency(ECOSYSTEM, name, None, file, spec=version, path=parents, direct=direct)
    return Dependency(ECOSYSTEM, name, version, file, path=parents, direct=direct)


def _root_dependency_names(root: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for field in _ROOT_DEPENDENCY_FIELDS:
        declared = root.get(field)
        if isinstance(declared, dict):
            names.update(declared)
    return names
