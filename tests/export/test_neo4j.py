"""Neo4j: the files are in neo4j-admin's import layout (no server runs here, so the files are
what is tested): every header parses, every relationship's ends are nodes of the node files,
the labels and types hold what node-link JSON of the same store holds, property by property
once the typed cells are parsed back; the same store gives the same bytes, a selection writes
less, and both scripts name exactly the files written."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from malgraph.core.kinds import GraphNodeKind
from malgraph.core.selection import Selection
from malgraph.export.neo4j import ARRAY_DELIMITER, COMMON_LABEL, cell, label, write_neo4j
from malgraph.export.node_link import write_node_link
from malgraph.export.summary import ExportSummary
from malgraph.store import Store
from tests.export.conftest import HOSTILE

TYPES = {"string", "long", "double", "boolean", "string[]"}
KIND_OF_LABEL = {label(kind): kind.value for kind in GraphNodeKind}


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file, strict=True))
    assert all(len(row) == len(header) for row in rows), path.name
    return header, rows


def _typed(header: list[str]) -> list[tuple[str, str]]:
    """The (name, type) of each property column; fails on a header neo4j-admin would not read."""
    columns = []
    for text in header:
        name, _, kind = text.partition(":")
        assert re.fullmatch(r"[a-z_]+", name) and kind in TYPES, text
        columns.append((name, kind))
    return columns


def _value(kind: str, cell: str) -> Any:
    if kind == "long":
        return int(cell)
    if kind == "double":
        return float(cell)
    if kind == "boolean":
        assert cell in ("true", "false")
        return cell == "true"
    if kind == "string[]":
        return cell.split(ARRAY_DELIMITER)
    return cell


def _properties(columns: list[tuple[str, str]], cells: list[str]) -> dict[str, Any]:
    """A row's properties as a loader sets them: empty cells are left unset."""
    props = {name: _value(kind, c) for (name, kind), c in zip(columns, cells, strict=True) if c}
    if isinstance(props.get("evidence"), str):
        props["evidence"] = json.loads(props["evidence"])  # JSON text
    return props


def _read(out: Path) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, dict[str, Any]]]]:
    """Every node by id (kind from its label) and every relationship, headers checked."""
    nodes: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob("nodes_*.csv")):
        header, rows = _rows(path)
        assert header[0] == "id:ID" and header[-1] == ":LABEL"
        columns = _typed(header[1:-1])
        for row in rows:
            assert row[-1] == path.stem.removeprefix("nodes_") and row[0] not in nodes
            nodes[row[0]] = {"kind": KIND_OF_LABEL[row[-1]], **_properties(columns, row[1:-1])}
    edges = []
    for path in sorted(out.glob("rels_*.csv")):
        header, rows = _rows(path)
        assert header[:2] == [":START_ID", ":END_ID"] and header[-1] == ":TYPE"
        columns = _typed(header[2:-1])
        for row in rows:
            assert row[-1] == path.stem.removeprefix("rels_")
            assert row[0] in nodes and row[1] in nodes, row[:2]  # both ends are nodes
            edges.append(
                (row[0], row[1], {"kind": row[-1].lower(), **_properties(columns, row[2:-1])})
            )
    return nodes, edges


def _node_link(store: Store, out: Path, selection: Selection) -> nx.MultiDiGraph:
    write_node_link(store.db, out, selection)
    graph = nx.node_link_graph(json.loads(out.read_bytes()))
    assert isinstance(graph, nx.MultiDiGraph)
    return graph


def _as_loaded(attrs: dict[str, Any]) -> dict[str, Any]:
    """Node-link attributes as Neo4j keeps them: no empty strings or lists."""
    return {k: v for k, v in attrs.items() if v not in ("", [])}


def _check_against_node_link(
    store: Store, tmp_path: Path, selection: Selection
) -> tuple[ExportSummary, dict[str, dict[str, Any]]]:
    summary = write_neo4j(store.db, tmp_path / "neo4j", selection)
    nodes, edges = _read(tmp_path / "neo4j")
    graph = _node_link(store, tmp_path / "graph.json", selection)
    assert nodes == {node: _as_loaded(attrs) for node, attrs in graph.nodes(data=True)}
    expected = Counter(
        (s, d, json.dumps(_as_loaded(a), sort_keys=True)) for s, d, a in graph.edges(data=True)
    )
    assert Counter((s, d, json.dumps(a, sort_keys=True)) for s, d, a in edges) == expected
    counts = Counter(f"nodes.{a['kind']}" for a in nodes.values())
    counts.update(f"edges.{a['kind']}" for _, _, a in edges)
    assert summary.counts == dict(sorted(counts.items()))
    return summary, nodes


def test_the_sample_graph_holds_what_node_link_json_holds(
    sample_store: Store, tmp_path: Path
) -> None:
    summary, nodes = _check_against_node_link(sample_store, tmp_path, Selection())
    assert {"nodes.package", "nodes.record", "edges.duplicated", "edges.sighted"} <= set(
        summary.counts
    )
    [(purl, count)] = sample_store.db.execute(
        "SELECT p.purl, (SELECT count(*) FROM packages) FROM packages p"
        " WHERE p.name = '@solana/web3.js'"
    )
    assert summary.counts["nodes.package"] == count
    assert nodes[f"package:{purl}"]["ecosystem_known"] is True
    assert any(len(a.get("versions", [])) > 1 for a in nodes.values())  # arrays parse back


def test_code_relations_families_and_hostile_text(code_store: Store, tmp_path: Path) -> None:
    summary, nodes = _check_against_node_link(code_store, tmp_path, Selection())
    assert summary.counts["nodes.family"] == 1 and summary.counts["edges.depends_on"] == 1
    [family] = [a for a in nodes.values() if a["kind"] == "family"]
    assert isinstance(family["size"], int) and family["ecosystems"] == ["PyPI"]
    assert any(a.get("summary") == HOSTILE for a in nodes.values())
    _, rows = _rows(tmp_path / "neo4j" / "rels_SIMILAR.csv")
    assert rows and all(0 < float(row[3]) <= 1 for row in rows)  # confidence:double
    assert not any(b"print(" in path.read_bytes() for path in (tmp_path / "neo4j").iterdir())


def test_the_same_store_gives_the_same_bytes(sample_store: Store, tmp_path: Path) -> None:
    calls: list[int] = []
    first = write_neo4j(sample_store.db, tmp_path / "a", Selection(), calls.append)
    second = write_neo4j(sample_store.db, tmp_path / "b", Selection())
    assert [p.name for p in first.files] == [p.name for p in second.files]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in first.files)
    for path in first.files:
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert calls[-1] == sum(first.counts.values()) and calls == sorted(calls)


def test_a_selection_writes_its_part_only(sample_store: Store, tmp_path: Path) -> None:
    everything = write_neo4j(sample_store.db, tmp_path / "all", Selection())
    pypi = Selection(ecosystems=frozenset({"PyPI"}))
    summary, nodes = _check_against_node_link(sample_store, tmp_path, pypi)
    assert {a["ecosystem"] for a in nodes.values() if "ecosystem" in a} == {"PyPI"}
    assert 0 < sum(summary.counts.values()) < sum(everything.counts.values())
    assert len(summary.files) <= len(everything.files)


def test_the_scripts_name_every_file_written(sample_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "neo4j"
    summary = write_neo4j(sample_store.db, out, Selection())
    csvs = sorted(p.name for p in summary.files if p.suffix == ".csv")
    script = (out / "import.sh").read_text()
    if shutil.which("sh"):
        subprocess.run(["sh", "-n", str(out / "import.sh")], check=True)
    command = script[script.index("neo4j-admin database") :].replace("\\\n", " ").split()
    assert command[:5] == ["neo4j-admin", "database", "import", "full", '"${1:-neo4j}"']
    assert "--multiline-fields=true" in command and "--array-delimiter=U+001F" in command
    named = [arg.rsplit("=", 1)[1] for arg in command if arg.startswith(("--nodes=", "--rel"))]
    assert named == csvs
    for name in csvs:
        if name.startswith("nodes_"):
            assert f"--nodes={COMMON_LABEL}:{name[6:-4]}={name}" in command
    cypher = (out / "load.cypher").read_text()
    assert re.findall(r"LOAD CSV WITH HEADERS FROM 'file:///([^']+)'", cypher) == csvs
    assert cypher.count("IN TRANSACTIONS OF") == len(csvs)
    assert cypher.count("CALL {") == cypher.count("} IN TRANSACTIONS") == len(csvs)
    assert "REQUIRE n.id IS UNIQUE" in cypher
    assert (out / "import.sh").stat().st_mode & 0o100


@pytest.mark.parametrize("text", ["a;b", "line\nbreak", 'say "hi", then \\" go'])
def test_awkward_text_survives_as_onecell(text: str, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerow(
            [cell("summary", text), cell("versions", [text, "2"]), cell("evidence", {"t": text})]
        )
    [[plain, array, evidence]] = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert plain == text and array.split(ARRAY_DELIMITER) == [text, "2"]
    assert json.loads(evidence) == {"t": text}
