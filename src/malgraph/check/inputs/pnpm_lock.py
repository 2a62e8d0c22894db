"""pnpm's `pnpm-lock.yaml`, lockfile versions 5.x, 6 and 9, read with PyYAML's safe loader.

Package keys changed between versions: 5.x writes `/name/1.0.0` (peers after `_`), 6 writes
`/name@1.0.0` (peers in parentheses), 9 writes `name@1.0.0` and keeps each package's
dependencies in `snapshots` (peer variants as `name@1.0.0(react@18.0.0)`). Peer suffixes are
stripped: a peer variant is the same package version. Direct dependencies come from the
`importers` (one per workspace project) or, in single-project lockfiles before 9, from the
top-level `dependencies` maps. A dependency reference is a version ("1.0.0", maybe with a
peer suffix), a key (an alias or non-registry package), or a `link:` to a workspace folder."""

from __future__ import annotations

import re
from typing import Any

from malgraph.check.inputs.chains import shortest_chains
from malgraph.check.inputs.problems import UnreadableInput, yaml_mapping
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "npm"
_DEPENDENCY_MAPS = ("dependencies", "devDependencies", "optionalDependencies")
_PEER_SUFFIX = re.compile(r"\(.*$")
_SEMVER_START = re.compile(r"\d")

Node = tuple[str, str]  # (name, version as the key writes it, peers stripped)


def parse_pnpm_lock(file: str, data: bytes) -> list[Dependency]:
    doc = _load(data)
    slash_keys = _major(doc.get("lockfileVersion")) < 6
    packages = doc.get("packages") or {}
    snapshots = doc.get("snapshots") or packages
    if not isinstance(packages, dict) or not isinstance(snapshots, dict):
        raise UnreadableInput("not a pnpm lockfile: 'packages' is not a mapping")
    nodes: dict[Node, tuple[str, dict[str, Any]]] = {}
    edges: dict[Node, set[Node]] = {}
    for key, entry in {**packages, **snapshots}.items():
        node = _node(str(key), slash_keys)
        if node is None:
            continue
        info = packages.get(key) or packages.get(_strip_peers(str(key)))
        nodes.setdefault(node, (str(key), info if isinstance(info, dict) else {}))
        children = edges.setdefault(node, set())
        if isinstance(entry, dict):
            children.update(_references(entry, slash_keys))
    direct = sorted({ref for project in _projects(doc) for ref in _references(project, slash_keys)})
    chains = shortest_chains(direct, edges, lambda node: node[0])
    return [_dependency(file, node, *known, chains.get(node)) for node, known in nodes.items()]


def _load(data: bytes) -> dict[str, Any]:
    doc = yaml_mapping(data, "pnpm lockfile")
    if "lockfileVersion" not in doc:
        raise UnreadableInput("not a pnpm lockfile: no 'lockfileVersion'")
    return doc


def _major(version: Any) -> int:
    match = re.match(r"\d+", str(version))
    return int(match.group()) if match else 0


def _projects(doc: dict[str, Any]) -> list[dict[str, Any]]:
    importers = doc.get("importers")
    if isinstance(importers, dict):
        return [p for p in importers.values() if isinstance(p, dict)]
    return [doc]


def _references(entry: dict[str, Any], slash_keys: bool) -> set[Node]:
    """The packages an importer or package entry depends on."""
    found: set[Node] = set()
    for field in _DEPENDENCY_MAPS:
        declared = entry.get(field)
        if not isinstance(declared, dict):
            continue
        for name, ref in declared.items():
            if isinstance(ref, dict):  # lockfile 6+ importers: {specifier, version}
                ref = ref.get("version")
            node = _reference(str(name), str(ref), slash_keys) if ref is not None else None
            if node is not None:
                found.add(node)
    return found


def _reference(name: str, ref: str, slash_keys: bool) -> Node | None:
    if ref.startswith("link:"):
        return None  # a workspace folder, not a package
    if _SEMVER_START.match(ref):
        return name, _strip_peers(ref).split("_")[0] if slash_keys else _strip_peers(ref)
    if not slash_keys and (ref.find("@", 1) == -1 or ":" in ref.partition("@")[0]):
        return _node(f"{name}@{ref}", slash_keys)  # a URL: the key is name@URL
    return _node(ref, slash_keys)  # an alias or a non-registry package, written as its key


def _node(key: str, slash_keys: bool) -> Node | None:
    """(name, version) from a package key, or None for a key that names no package."""
    key = _strip_peers(key).lstrip("/")
    if slash_keys:
        name, _, version = key.rpartition("/")
        version = version.split("_")[0]
    else:
        at = key.find("@", 1)
        name, version = (key[:at], key[at + 1 :]) if at != -1 else ("", "")
    if not name or not version:
        return None
    return name, version


def _strip_peers(reference: str) -> str:
    return _PEER_SUFFIX.sub("", reference)


def _dependency(
    file: str, node: Node, key: str, info: dict[str, Any], chain: tuple[str, ...] | None
) -> Dependency:
    """A registry package keeps its version; a package from git, a tarball URL or a folder
    (its key is no `name@version`, and its entry names itself) keeps its key as the spec."""
    name, version = node
    direct = None if chain is None else chain == ()
    real_name = info.get("name")
    registry = _SEMVER_START.match(version) and "/" not in version and ":" not in version
    if isinstance(real_name, str) or not registry:
        name = real_name if isinstance(real_name, str) else name
        spec = _strip_peers(key).lstrip("/")
        return Dependency(ECOSYSTEM, name, None, file, spec=spec, path=chain or (), direct=direct)
    return Dependency(ECOSYSTEM, name, version, file, path=chain or (), direct=direct)
