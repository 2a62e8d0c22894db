"""Inputs shared by the test stores that hold every kind of node and edge (tests/export and
tests/web): an inert sdist, and the paper's workbooks naming a dependency."""

from __future__ import annotations

from pathlib import Path

from tests.inert_packages import tar_gz
from tests.sources.test_paper import write_book


def sdist(name: str, code: str) -> bytes:
    return tar_gz({f"{name}-1.0/{name}/__init__.py": code.encode()})


def dependency_book(folder: Path) -> None:
    """The paper's workbooks: loadyaml lists node-serialize among its dependencies."""
    header = ("Source", "name_version", "Status", "ID", "OSS")
    write_book(
        folder / "malware.xlsx",
        {"NPM": [header, ("Snyk.io", "loadyaml-1.0.0", "untracked", 1, "NPM")]},
    )
    dedup = ("name_version", "name", "version", "published_at", "dependencies")
    row = ("loadyaml-1.0.0", "loadyaml", "1.0.0", "2019-01-01T00:00:00Z", "node-serialize")
    write_book(folder / "malware_deduplicated.xlsx", {"NPM": [dedup, row]})
