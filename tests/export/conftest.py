"""A store to export beside the bundled sample's graph (tests/conftest.py): a small one with
code relations (similar edges, a family, a dependency) and hostile text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from malgraph.store import Store
from tests.conftest import osv, write_json
from tests.graph_inputs import build_code_store, sdist
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program

HOSTILE = "<script>alert('x')</script> & \"quoted\" ]]> <!-- -->"


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
        (folder / f"{name}-1.0.tar.gz").write_bytes(sdist(name, code))
    write_json(feed / "ns.json", osv("MAL-NS", "node-serialize", versions=None))
    with Store(root / "code.db") as store:
        build_code_store(store, feed, folder, root / "paper")
        yield store
