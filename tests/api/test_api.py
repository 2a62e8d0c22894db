"""The Python API: `malgraph.open` on a store built from the bundled sample, checked against
the store's own counts; the README's notebook example runs as it is written."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

import malgraph
from malgraph.cli.ingest import sample_inputs
from malgraph.core.errors import StoreError
from malgraph.core.kinds import EdgeKind, GraphNodeKind
from malgraph.core.selection import Selection
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_dependencies, refresh_similar
from malgraph.store import Store
from tests.conftest import REPO


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The graph `malgraph build` makes from the bundled sample, closed."""
    path = tmp_path_factory.mktemp("api") / "malgraph.db"
    with Store(path) as store:
        for kind, paths in sample_inputs():
            ingest(store, kind, paths)
        refresh_dependencies(store)
        refresh_similar(store)
    return path


@pytest.fixture
def graph(sample_db: Path) -> Iterator[malgraph.api.Graph]:
    with malgraph.open(sample_db) as opened:
        yield opened


def _count(path: Path, query: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(query).fetchone()[0])


def test_counts_match_the_store(graph: malgraph.api.Graph, sample_db: Path) -> None:
    assert sum(1 for _ in graph.packages()) == _count(sample_db, "SELECT count(*) FROM packages")
    claims = _count(sample_db, "SELECT count(*) FROM records WHERE role = 'claim'")
    assert claims > 0 and sum(1 for _ in graph.claims()) == claims
    edges = list(graph.edges())
    assert len(edges) == _count(sample_db, "SELECT count(*) FROM edges") > 0
    assert all(isinstance(edge.kind, EdgeKind) for edge in edges)
    assert all(node.kind == GraphNodeKind.FAMILY for node in graph.families())
    tables = graph.tables()
    assert len(tables["packages"]) == _count(sample_db, "SELECT count(*) FROM packages")
    assert len(tables["claims"]) == claims and len(tables["edges"]) == len(edges)
    assert set(tables) == {"packages", "claims", "edges", "families"}


def test_selection_filters(graph: malgraph.api.Graph, sample_db: Path) -> None:
    npm = list(graph.packages(Selection(ecosystems=frozenset({"npm"}))))
    assert npm and all(node.attrs["ecosystem"] == "npm" for node in npm)
    assert len(npm) < sum(1 for _ in graph.packages())


def _claimed(whole: nx.MultiDiGraph, record: str) -> str:
    return str(next(b for _, b, k in whole.out_edges(record, data="kind") if k == "claims"))


def test_neighbourhood_of_a_package(graph: malgraph.api.Graph) -> None:
    whole = graph.to_networkx()
    assert isinstance(whole, nx.MultiDiGraph)
    assert whole.number_of_nodes() == sum(1 for _ in graph.nodes())
    assert whole.number_of_edges() == sum(1 for _ in graph.links())
    edge = next(e for e in graph.edges() if e.kind == EdgeKind.DUPLICATED_PACKAGE)
    seed, other = _claimed(whole, edge.source), _claimed(whole, edge.target)
    claims_of_seed = {a for a, _, kind in whole.in_edges(seed, data="kind") if kind == "claims"}

    near = graph.to_networkx(packages=[whole.nodes[seed]["purl"]], kinds=["claims"])
    assert set(near.nodes) == {seed} | claims_of_seed
    assert near.number_of_edges() == len(claims_of_seed)

    kinds = ["claims", EdgeKind.DUPLICATED_PACKAGE]
    wider = graph.to_networkx(packages=[whole.nodes[seed]["name"]], kinds=kinds, depth=3)
    assert {seed, other, edge.source, edge.target} <= set(wider.nodes)
    assert {kind for _, _, kind in wider.edges(data="kind")} == {"claims", "duplicated_package"}
    assert wider.nodes[other]["kind"] == GraphNodeKind.PACKAGE
    with pytest.raises(KeyError):
        graph.to_networkx(packages=["no-such-package-anywhere"])


def test_readme_example_runs(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- notebook-example -->\n```python\n(.*?)```", readme, re.S)
    assert found is not None
    code = found.group(1)
    assert len(code.strip().splitlines()) == 5
    monkeypatch.chdir(sample_db.parent)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the README's own code
    near = namespace["near"]
    assert isinstance(near, nx.MultiDiGraph) and near.number_of_nodes() >= 1


def test_opening_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store there"):
        malgraph.open(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a malgraph store"):
        malgraph.open(other)
    text = tmp_path / "text.db"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not an SQLite file"):
        malgraph.open(text)


def test_the_handle_only_reads(sample_db: Path) -> None:
    before = sample_db.read_bytes()
    with malgraph.open(sample_db) as graph:
        list(graph.nodes())
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            graph._db.execute("DELETE FROM packages")
    assert sample_db.read_bytes() == before


SAFE_IN_JUPYTER = """
import multiprocessing, signal, sys, threading
before = signal.getsignal(signal.SIGINT), {s: signal.getsignal(s) for s in signal.valid_signals()}
nice = __import__("os").nice(0)
import malgraph
g = malgraph.open(sys.argv[1])
g.tables(); g.to_networkx(); list(g.claims())
after = signal.getsignal(signal.SIGINT), {s: signal.getsignal(s) for s in signal.valid_signals()}
assert before == after, (before, after)
assert not multiprocessing.active_children()
assert __import__("os").nice(0) == nice
print("ok", threading.active_count())
"""


def test_safe_in_jupyter(sample_db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SAFE_IN_JUPYTER, str(sample_db)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", "1"]
