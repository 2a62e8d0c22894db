"""Yarn's `yarn.lock`: the classic format (Yarn 1, "# yarn lockfile v1") and Berry's YAML
(Yarn 2+, with `__metadata`).

Classic is not YAML; no maintained, permissively licensed Python parser exists for it (pyarn
is GPL-3.0, and malgraph is Apache-2.0), so `_classic_entries` reads its small grammar: a
top-level line of comma-separated descriptors ("name@range") ending in ":", two-space fields
("version", "resolved"...) and four-space maps ("dependencies:" then `name "range"`). Berry is
read with PyYAML's safe loader: keys are descriptors ("name@npm:range, ..."), `resolution`
names the package and version, and workspace entries declare the project's direct
dependencies. A classic lockfile does not say which entries are direct: the `package.json`
beside it does, when it exists.

Entries from git, files, links or URLs keep their spec and a None version; Berry's `patch:`
entries are the same package as the npm entry they patch, so they are not listed twice."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from malgraph.check.inputs.chains import shortest_chains
from malgraph.check.inputs.npm_manifest import declared_dependencies, load_manifest
from malgraph.check.inputs.problems import UnreadableInput, yaml_mapping
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "npm"
_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"]+)')
_DESCRIPTOR = re.compile(r'"((?:[^"\\]|\\.)*)"|([^",\s][^,]*)')
_DEPENDENCY_MAPS = ("dependencies", "optionalDependencies")


class _Entry:
    """One lockfile entry: the descriptors it answers, its package, version and children."""

    __slots__ = ("children", "descriptors", "name", "spec", "version")

    def __init__(self, descriptors: list[str], name: str, version: str | None, spec: str | None):
        self.descriptors = descriptors
        self.name = name
        self.version = version
        self.spec = spec
        self.children: list[str] = []  # descriptors of its dependencies


def parse_yarn_lock(file: str, data: bytes) -> list[Dependency]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableInput(f"not UTF-8 text: {error.reason}") from error
    direct: set[str] | None
    if _BERRY.search(text):
        entries, direct = _berry_entries(text)
    else:
        entries = _classic_entries(text)
        direct = _direct_from_manifest(Path(file).parent / "package.json")
    return _dependencies(file, entries, direct)


def _dependencies(file: str, entries: list[_Entry], direct: set[str] | None) -> list[Dependency]:
    by_descriptor = {d: index for index, entry in enumerate(entries) for d in entry.descriptors}
    edges = {
        index: [by_descriptor[c] for c in entry.children if c in by_descriptor]
        for index, entry in enumerate(entries)
    }
    roots = [by_descriptor[d] for d in sorted(direct or ()) if d in by_descriptor]
    chains = shortest_chains(roots, edges, lambda index: entries[index].name)
    found: list[Dependency] = []
    for index, entry in enumerate(entries):
        chain = chains.get(index)
        is_direct = None if direct is None or chain is None else chain == ()
        found.append(
            Dependency(
                ECOSYSTEM,
                entry.name,
                entry.version,
                file,
                spec=entry.spec,
                path=chain or (),
                direct=is_direct,
            )
        )
    return found


# -- classic ---------------------------------------------------------------------------------


def _classic_entries(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    descriptors: list[str] = []
    fields: dict[str, str] = {}
    children: list[str] = []
    in_map = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            _close_classic(entries, descriptors, fields, children)
            descriptors, fields, children = _classic_descriptors(line, number), {}, []
        elif not descriptors:
            raise UnreadableInput(f"not a yarn.lock: line {number} is indented outside an entry")
        elif indent == 2:
            tokens = _tokens(line)
            in_map = line.endswith(":") and tokens[0].rstrip(":") in _DEPENDENCY_MAPS
            if len(tokens) >= 2:
                fields[tokens[0]] = tokens[1]
        elif in_map:
            tokens = _tokens(line)
            if len(tokens) >= 2:
                children.append(f"{tokens[0]}@{tokens[1]}")
    _close_classic(entries, descriptors, fields, children)
    return entries


def _close_classic(
    entries: list[_Entry], descriptors: list[str], fields: dict[str, str], children: list[str]
) -> None:
    if not descriptors:
        return
    name, range_ = _split_descriptor(descriptors[0])
    if range_.startswith("npm:"):  # an alias: "x@npm:real@^1" installs `real`
        name, range_ = _split_descriptor(range_[4:])
    version = fields.get("version")
    if version is None or _is_non_registry(range_):
        entry = _Entry(descriptors, name, None, range_)
    else:
        entry = _Entry(descriptors, name, version, None)
    entry.children = children
    entries.append(entry)


def _classic_descriptors(line: str, number: int) -> list[str]:
    if not line.endswith(":"):
        raise UnreadableInput(f"not a yarn.lock: line {number} is no entry heading")
    found = [quoted or bare.strip() for quoted, bare in _DESCRIPTOR.findall(line[:-1])]
    if not found or any("@" not in d[1:] for d in found):
        raise UnreadableInput(f"not a yarn.lock: line {number} names no package@range")
    return found


def _tokens(line: str) -> list[str]:
    return [quoted or bare for quoted, bare in _TOKEN.findall(line.strip())]


def _direct_from_manifest(manifest: Path) -> set[str] | None:
    if not manifest.is_file():
        return None
    try:
        declared = declared_dependencies(load_manifest(manifest.read_bytes()))
    except (OSError, UnreadableInput):
        return None
    return {f"{name}@{spec}" for name, spec in declared.items()}


# -- berry -----------------------------------------------------------------------------------


def _berry_entries(text: str) -> tuple[list[_Entry], set[str]]:
    doc = yaml_mapping(text, "yarn.lock")
    entries: list[_Entry] = []
    workspaces: list[_Entry] = []
    patched: dict[str, list[str]] = {}  # resolution of a patched entry -> the patch's keys
    for key, value in doc.items():
        if key == "__metadata" or not isinstance(value, dict):
            continue
        resolution = value.get("resolution")
        if not isinstance(resolution, str) or "@" not in resolution[1:]:
            continue
        descriptors = [part.strip() for part in str(key).split(",")]
        entry = _berry_entry(descriptors, resolution, value)
        if entry.spec is not None and entry.spec.startswith("workspace:"):
            workspaces.append(entry)
        elif entry.spec is not None and entry.spec.startswith("patch:"):
            patched.setdefault(_patched_resolution(entry.spec), []).extend(descriptors)
        else:
            entries.append(entry)
    for entry in entries:
        entry.descriptors.extend(patched.get(f"{entry.name}@npm:{entry.version}", ()))
    workspace_names = {w.name for w in workspaces}
    direct = {
        c for w in workspaces for c in w.children if c.partition("@")[0] not in workspace_names
    }
    return entries, direct


def _berry_entry(descriptors: list[str], resolution: str, value: dict[str, Any]) -> _Entry:
    name, reference = _split_descriptor(resolution)
    if reference.startswith("npm:"):
        entry = _Entry(descriptors, name, reference[4:], None)
    else:
        entry = _Entry(descriptors, name, None, reference)
    dependencies = value.get("dependencies")
    if isinstance(dependencies, dict):
        for child, range_ in dependencies.items():
            range_ = str(range_)
            if ":" not in range_:
                range_ = f"npm:{range_}"  # Berry writes registry ranges with or without it
            entry.children.append(f"{child}@{range_}")
    return entry


def _patched_resolution(reference: str) -> str:
    """`patch:left-pad@npm%3A1.3.0#./fix.patch::...` patches the entry `left-pad@npm:1.3.0`."""
    return unquote(reference[len("patch:") :].partition("#")[0])


# -- shared ----------------------------------------------------------------------------------


def _split_descriptor(descriptor: str) -> tuple[str, str]:
    """ "@scope/name@^1.0" -> ("@scope/name", "^1.0"): the range follows the first @ that
    does not open a scope."""
    at = descriptor.find("@", 1)
    if at == -1:
        return descriptor, ""
    return descriptor[:at], descriptor[at + 1 :]


def _is_non_registry(range_: str) -> bool:
    return ":" in range_ or "/" in range_
