"""A store to export beside the bundled sample's graph (tests/conftest.py): a small one with
code relations (similar edges, a family, a dependency) and hostile text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from malgraph.artifacts.cache import cache_for
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_dependencies, refresh_similar
from malgraph.store import Store
from tests.conftest import osv, write_json
from tests.inert_packages import tar_gz
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program
from tests.sources.test_paper import write_book

HOSTILE = "<script>alert('x')</script> & \"quoted\" ]]> <!-- -->"


def _sdist(name: str, code: str) -> bytes:
    return tar_gz({f"{name}-1.0/{name}/__init__.py": code.encode()})


def _dependency_book(folder: Path) -> None:
    """The paper's workbooks: loadyaml lists node-serialize among its dependencies."""
    header = ("Source", "name_version", "Status", "ID", "OSS")
    write_book(
        folder / "malware.xlsx",
        {"NPM": [header, ("Snyk.io", "loadyaml-1.0.0", "untracked", 1, "NPM")]},
    )
    dedup = ("name_version", "name", "version", "published_at", "dependencies")
    row = ("loadyaml-1.0.0", "loadyaml", "1.0.0", "2019-01-01T00:00:00Z", "node-serialize")
    write_book(folder / "malware_deduplicated.xlsx", {"NPM": [dedup, row]})


@pytest.fixture(scope="package")
def code_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """alpha and beta share their code (similar, one family), other does not; loadyaml
    depends on node-serialize; alpha's summary is hostile text."""
    root = tmp_path_factory.mktemp("code")
    feed, folder = root / "osv", root / "archives"
    folder.mkdir()
    seed = program(SEED_FUNCTIONS)
    for name, code in {"alpha": seed, "beta": seed, "other": program(OTHER_FUNCTIONS)}.items():
        extra = {"summary": HOSTILE} if name == "alpha" else {}
        record = osv(f"MAL-{name}", name, ecosystem="PyPI", versions=["1.0"], **extra)
        write_json(feed / f"{name}.json", record)
        (folder / f"{name}-1.0.tar.gz").write_bytes(_sdist(name, code))
    write_json(feed / "ns.json", osv("MAL-NS", "node-serialize", versions=None))
    _dependency_book(root / "paper")
    with Store(root / "code.db") as store:
        assert ingest(store, "osv", [str(feed)]).ok
        assert ingest(store, "paper", [str(root / "paper")]).ok
        register_local(store, cache_for(store.path), folder)
        analyze_stored(store, cache_for(store.path), jobs=1)
        refresh_similar(store)
        refresh_dependencies(store)
        yield store
