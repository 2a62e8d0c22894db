"""Python lockfiles: Poetry's `poetry.lock` and uv's `uv.lock` (TOML, read with `tomllib`),
and Pipenv's `Pipfile.lock` (JSON).

Every entry pins a version. A package from git, a URL or a folder keeps its source as `spec`
and a None version (its version is no registry release). uv marks the project itself and its
workspace members with an editable or virtual source: they are not dependencies, but what
they depend on is direct. Poetry's lockfile does not say which entries are direct: the
`pyproject.toml` beside it does, when it exists. Both tell each package's dependencies, so
chains are given; Pipfile.lock tells neither."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from malgraph.check.inputs.chains import shortest_chains
from malgraph.check.inputs.problems import UnreadableInput, json_object
from malgraph.check.inputs.python_manifest import load_toml, pyproject_dependencies
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "PyPI"
_POETRY_LOCAL_SOURCES = ("git", "directory", "file", "url")
_UV_LOCAL_SOURCES = ("git", "url", "path", "directory")
_UV_PROJECT_SOURCES = ("editable", "virtual")


def parse_poetry_lock(file: str, data: bytes) -> list[Dependency]:
    packages = _packages(load_toml(data))
    entries: list[tuple[str, str | None, str | None]] = []
    edges: dict[str, list[str]] = {}
    for package in packages:
        name = str(package["name"])
        source = package.get("source")
        kind = source.get("type") if isinstance(source, dict) else None
        if kind in _POETRY_LOCAL_SOURCES and isinstance(source, dict):
            entries.append((name, None, f"{kind}: {source.get('url')}"))
        else:
            entries.append((name, _text(package.get("version")), None))
        children = package.get("dependencies")
        edges[canonicalize_name(name)] = [canonicalize_name(c) for c in children or {}]
    direct = _declared_beside(Path(file))
    return _dependencies(file, entries, edges, direct)


def parse_uv_lock(file: str, data: bytes) -> list[Dependency]:
    entries: list[tuple[str, str | None, str | None]] = []
    edges: dict[str, list[str]] = {}
    projects: set[str] = set()
    for package in _packages(load_toml(data)):
        name = str(package["name"])
        source = package.get("source")
        source = source if isinstance(source, dict) else {}
        edges[canonicalize_name(name)] = [canonicalize_name(c) for c in _uv_children(package)]
        local = next((kind for kind in _UV_LOCAL_SOURCES if kind in source), None)
        if any(kind in source for kind in _UV_PROJECT_SOURCES):
            projects.add(canonicalize_name(name))
        elif local is not None:
            entries.append((name, None, f"{local}: {source[local]}"))
        else:
            entries.append((name, _text(package.get("version")), None))
    direct = {child for project in projects for child in edges[project]} - projects
    return _dependencies(file, entries, edges, direct)


def parse_pipfile_lock(file: str, data: bytes) -> list[Dependency]:
    doc = json_object(data, "Pipfile.lock")
    if not any(k in doc for k in ("_meta", "default", "develop")):
        raise UnreadableInput("not a Pipfile.lock: no '_meta', 'default' or 'develop'")
    found: list[Dependency] = []
    for section in ("default", "develop"):
        entries = doc.get(section)
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            if not isinstance(entry, dict):
                continue
            version = entry.get("version")
            if isinstance(version, str) and version.startswith("=="):
                found.append(Dependency(ECOSYSTEM, name, version[2:], file))
                continue
            source = next((f"{k}: {entry[k]}" for k in ("git", "path", "file") if k in entry), None)
            found.append(Dependency(ECOSYSTEM, name, None, file, spec=source or _text(version)))
    return found


def _packages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise UnreadableInput("no [[package]] array")
    return [p for p in packages if isinstance(p, dict) and isinstance(p.get("name"), str)]


def _uv_children(package: dict[str, Any]) -> Iterable[str]:
    lists: list[Any] = [package.get("dependencies")]
    for table in ("optional-dependencies", "dev-dependencies"):
        groups = package.get(table)
        if isinstance(groups, dict):
            lists.extend(groups.values())
    for items in lists:
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield item["name"]


def _declared_beside(lockfile: Path) -> set[str] | None:
    manifest = lockfile.parent / "pyproject.toml"
    if not manifest.is_file():
        return None
    try:
        doc = load_toml(manifest.read_bytes())
    except (OSError, UnreadableInput):
        return None
    return {canonicalize_name(name) for name, _ in pyproject_dependencies(doc)}


def _dependencies(
    file: str,
    entries: list[tuple[str, str | None, str | None]],
    edges: dict[str, list[str]],
    direct: set[str] | None,
) -> list[Dependency]:
    """Dependencies with their chains; names are compared canonically, as pip does."""
    written: dict[str, str] = {canonicalize_name(name): name for name, _, _ in entries}
    chains = shortest_chains(sorted(direct or ()), edges, lambda key: written.get(key, key))
    found: list[Dependency] = []
    for name, version, spec in entries:
        chain = chains.get(canonicalize_name(name))
        is_direct = None if direct is None or chain is None else chain == ()
        found.append(
            Dependency(
                ECOSYSTEM, name, version, file, spec=spec, path=chain or (), direct=is_direct
            )
        )
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
