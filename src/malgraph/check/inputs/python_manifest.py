"""Python project manifests: `pyproject.toml` (PEP 621 `[project]` dependencies and
optional-dependencies, PEP 735 `[dependency-groups]`, Poetry's `[tool.poetry]` dependency
tables) and Pipenv's `Pipfile` (`[packages]`, `[dev-packages]`), read with `tomllib`.

A manifest gives ranges: a dependency keeps its range as `spec` and a None version, unless
the range pins one version (`==1.0`, or Poetry's bare `1.0`). The `python` entry of Poetry's
tables is the interpreter, not a package; a project naming itself (`app[dev]`) is skipped."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "PyPI"
Declared = tuple[str, str | None]  # (name, spec as written; None for "any version")


def parse_pyproject(file: str, data: bytes) -> list[Dependency]:
    doc = load_toml(data)
    return [_dependency(file, name, spec) for name, spec in pyproject_dependencies(doc)]


def parse_pipfile(file: str, data: bytes) -> list[Dependency]:
    doc = load_toml(data)
    found: list[Dependency] = []
    for table in ("packages", "dev-packages"):
        entries = doc.get(table)
        if isinstance(entries, dict):
            found.extend(_dependency(file, n, s) for n, s in _table_specs(entries, poetry=False))
    return found


def load_toml(data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UnreadableInput(f"not TOML: {error}") from error


def pyproject_dependencies(doc: dict[str, Any]) -> list[Declared]:
    """Every dependency a pyproject.toml declares, in the order written."""
    project = doc.get("project")
    project = project if isinstance(project, dict) else {}
    own_name = canonicalize_name(str(project.get("name") or doc_poetry(doc).get("name") or ""))
    lists: list[Any] = [project.get("dependencies")]
    for table in (project.get("optional-dependencies"), doc.get("dependency-groups")):
        if isinstance(table, dict):
            lists.extend(table.values())
    declared = [d for items in lists if isinstance(items, list) for d in _pep508(items)]
    declared.extend(_poetry(doc_poetry(doc)))
    return [(n, s) for n, s in declared if canonicalize_name(n) != own_name]


def doc_poetry(doc: dict[str, Any]) -> dict[str, Any]:
    tool = doc.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    return poetry if isinstance(poetry, dict) else {}


def _pep508(items: list[Any]) -> Iterator[Declared]:
    for item in items:
        if not isinstance(item, str):
            continue  # a PEP 735 {include-group = ...} names no package
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        yield requirement.name, requirement.url or str(requirement.specifier) or None


def _poetry(poetry: dict[str, Any]) -> Iterator[Declared]:
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    groups = poetry.get("group")
    if isinstance(groups, dict):
        tables.extend(g.get("dependencies") for g in groups.values() if isinstance(g, dict))
    for table in tables:
        if isinstance(table, dict):
            yield from _table_specs(table, poetry=True)


def _table_specs(table: dict[str, Any], poetry: bool) -> Iterator[Declared]:
    """Poetry's and Pipenv's tables: name = "spec", {version = "spec", ...}, {git = ...},
    or (Poetry) a list of such tables for different markers."""
    for name, value in table.items():
        if poetry and name == "python":
            continue
        for entry in value if isinstance(value, list) else [value]:
            yield name, _table_spec(entry, poetry)


def _table_spec(entry: Any, poetry: bool) -> str | None:
    if isinstance(entry, dict):
        for source in ("git", "path", "url", "file"):
            if isinstance(entry.get(source), str):
                return f"{source}: {entry[source]}"
        entry = entry.get("version")
    if not isinstance(entry, str) or entry.strip() in ("", "*"):
        return None
    if poetry and _is_version(entry.strip()):
        return f"=={entry.strip()}"  # Poetry reads a bare version as that exact version
    return entry.strip()


def _dependency(file: str, name: str, spec: str | None) -> Dependency:
    pinned = spec[2:].strip() if spec and spec.startswith("==") and "," not in spec else None
    if pinned and "*" not in pinned and _is_version(pinned.lstrip("=")):
        return Dependency(ECOSYSTEM, name, pinned.lstrip("="), file, direct=True)
    return Dependency(ECOSYSTEM, name, None, file, spec=spec, direct=True)


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True
