"""Inputs shared by the test stores that hold every kind of node and edge (tests/export and
tests/web): an inert sdist, the paper's workbooks naming a dependency, and the steps that
make such a store from them."""

from __future__ import annotations

from pathlib import Path

from malgraph.artifacts.cache import cache_for
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_dependencies, refresh_similar
from malgraph.store import Store
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


def build_code_store(store: Store, feed: Path, archives: Path, paper: Path) -> None:
    """Ingest the OSV feed and the paper's workbooks, register and analyse the archives (one
    job), and relate their code (similar, dependency)."""
    dependency_book(paper)
    assert ingest(store, "osv", [str(feed)]).ok
    assert ingest(store, "paper", [str(paper)]).ok
    register_local(store, cache_for(store.path), archives)
    analyze_stored(store, cache_for(store.path), jobs=1)
    refresh_similar(store)
    refresh_dependencies(store)
