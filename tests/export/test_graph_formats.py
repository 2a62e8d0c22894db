"""GraphML and node-link JSON: networkx loads both, the counts of every node and edge kind
and a sample of attributes agree with the store, the same store gives the same bytes, the
selection limits what is written, and hostile text survives the round trip."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from malgraph.core.kinds import EdgeKind
from malgraph.core.selection import Selection
from malgraph.export.graphml import write_graphml
from malgraph.export.node_link import write_node_link
from malgraph.store import Store
from tests.export.conftest import HOSTILE


def _graphml(store: Store, out: Path, selection: Selection | None = None) -> nx.MultiDiGraph:
    summary = write_graphml(store.db, out, selection or Selection())
    assert summary.files == (out,)
    graph = nx.read_graphml(out, force_multigraph=True)
    assert isinstance(graph, nx.MultiDiGraph)
    return graph


def _node_link(store: Store, out: Path, selection: Selection | None = None) -> nx.MultiDiGraph:
    write_node_link(store.db, out, selection or Selection())
    graph = nx.node_link_graph(json.loads(out.read_bytes()))  # no arguments: the defaults
    assert isinstance(graph, nx.MultiDiGraph)
    return graph


def _kinds(graph: nx.MultiDiGraph) -> tuple[Counter[str], Counter[str]]:
    nodes = Counter(kind for _, kind in graph.nodes(data="kind"))
    edges = Counter(kind for _, _, kind in graph.edges(data="kind"))
    assert None not in nodes  # every edge's ends are nodes written with their attributes
    return nodes, edges


def _one(store: Store, query: str) -> int:
    [(count,)] = store.db.execute(query)
    return int(count)


def _expected(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    q = lambda sql: _one(store, sql)  # noqa: E731
    nodes = {
        "package": q("SELECT count(*) FROM packages"),
        "version": q("SELECT count(*) FROM package_versions"),
        "record": q("SELECT count(*) FROM records"),
        "source": q(
            "SELECT count(*) FROM sources WHERE id IN (SELECT source_id FROM records"
            " UNION SELECT source_id FROM campaigns)"
        ),
        "report": q("SELECT count(*) FROM reports"),
        "campaign": q("SELECT count(*) FROM campaigns"),
        "ioc": q("SELECT count(DISTINCT ioc_id) FROM ioc_sightings"),
        "family": q("SELECT count(*) FROM families"),
    }
    edges = {
        kind.value: q(f"SELECT count(*) FROM edges WHERE kind = '{kind}'") for kind in EdgeKind
    }
    edges |= {
        "claims": nodes["record"],
        "claims_version": q("SELECT count(*) FROM record_versions"),
        "part_of": q("SELECT count(*) FROM records WHERE parent_id IS NOT NULL"),
        "from_source": nodes["record"] + nodes["campaign"],
        "version_of": nodes["version"],
        "cites": q("SELECT count(*) FROM record_reports"),
        "mentions": q("SELECT count(*) FROM report_mentions"),
        "links": q("SELECT count(*) FROM report_link_packages"),
        "in_family": q("SELECT count(*) FROM family_members"),
        "in_campaign": q("SELECT count(*) FROM campaign_members"),
        "sighted": q("SELECT count(*) FROM ioc_sightings"),
    }
    return (
        {k: v for k, v in nodes.items() if v},
        {k: v for k, v in edges.items() if v},
    )


def _as_json(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """The graph's nodes with their attributes, lists and dicts as JSON text (as GraphML)."""

    def flat(attrs: dict[str, Any]) -> dict[str, Any]:
        return {
            k: json.dumps(v, sort_keys=True, separators=(",", ":"))
            if isinstance(v, list | dict)
            else v
            for k, v in attrs.items()
        }

    return {node: flat(attrs) for node, attrs in graph.nodes(data=True)}


def test_both_formats_hold_every_kind_the_store_holds(sample_store: Store, tmp_path: Path) -> None:
    graphml = _graphml(sample_store, tmp_path / "g.graphml")
    node_link = _node_link(sample_store, tmp_path / "g.json")
    nodes, edges = _expected(sample_store)
    assert {"duplicated", "cites", "mentions", "links", "in_campaign", "sighted"} <= set(edges)
    for graph in (graphml, node_link):
        assert _kinds(graph) == (Counter(nodes), Counter(edges))
    assert _as_json(graphml) == _as_json(node_link)
    # a sample of attributes against the store
    [(eco, name, purl, version, vpurl)] = sample_store.db.execute(
        "SELECT p.ecosystem, p.name, p.purl, v.version, v.purl FROM packages p"
        " JOIN package_versions v ON v.package_id = p.id WHERE p.name = '@solana/web3.js'"
        " ORDER BY v.version LIMIT 1"
    )
    package = node_link.nodes[f"package:{purl}"]
    assert package | {"ecosystem_known": True} == {
        "kind": "package",
        "ecosystem": eco,
        "name": name,
        "purl": purl,
        "ecosystem_known": True,
    }
    assert node_link.nodes[f"version:{vpurl}"]["version"] == version
    assert node_link.has_edge(f"version:{vpurl}", f"package:{purl}")
    [(rid, source, sid, published, versions)] = sample_store.db.execute(
        "SELECT r.id, s.name, r.source_record_id, r.published, r.versions FROM records r"
        " JOIN sources s ON s.id = r.source_id WHERE r.role = 'claim' AND r.published"
        " IS NOT NULL ORDER BY r.id LIMIT 1"
    )
    record = node_link.nodes[f"record:{source}:{rid}"]
    assert (record["source"], record["source_record_id"]) == (source, sid)
    assert record["published"] == graphml.nodes[f"record:{source}:{rid}"]["published"] == published
    assert record.get("versions", []) == json.loads(versions)
    assert node_link.has_edge(f"record:{source}:{rid}", f"source:{source}")
    [(src, dst, evidence, confidence)] = sample_store.db.execute(
        "SELECT s.name || ':' || e.src_id, d.name || ':' || e.dst_id, e.evidence, e.confidence"
        " FROM edges e JOIN records rs ON rs.id = e.src_id JOIN sources s ON s.id = rs.source_id"
        " JOIN records rd ON rd.id = e.dst_id JOIN sources d ON d.id = rd.source_id"
        " WHERE e.kind = 'duplicated' ORDER BY e.id LIMIT 1"
    )
    [duplicated] = [
        d
        for d in node_link.get_edge_data(f"record:{src}", f"record:{dst}").values()
        if d["kind"] == "duplicated"
    ]
    assert duplicated == {
        "kind": "duplicated",
        "evidence": json.loads(evidence),
        "confidence": confidence,
        "step": duplicated["step"],
    }


def test_code_relations_families_and_hostile_text(code_store: Store, tmp_path: Path) -> None:
    graphml = _graphml(code_store, tmp_path / "c.graphml")
    node_link = _node_link(code_store, tmp_path / "c.json")
    nodes, edges = _expected(code_store)
    assert nodes["family"] == 1 and edges["similar"] >= 1 and edges["depends_on"] == 1
    for graph in (graphml, node_link):
        assert _kinds(graph) == (Counter(nodes), Counter(edges))
    [family] = [n for n, kind in node_link.nodes(data="kind") if kind == "family"]
    members = {node_link.nodes[v]["name"] for v, f in node_link.edges() if f == family}
    assert members == {"alpha", "beta"}
    [(src, dst, data)] = [
        (s, d, a) for s, d, a in graphml.edges(data=True) if a["kind"] == "depends_on"
    ]
    assert graphml.nodes[src]["name"] == "loadyaml" and dst == "package:pkg:npm/node-serialize"
    assert json.loads(data["evidence"])["evidence"][0]["via"] == "source"
    summaries = [
        graph.nodes[n]["summary"]
        for graph in (graphml, node_link)
        for n, kind in graph.nodes(data="kind")
        if kind == "record" and graph.nodes[n]["source_record_id"] == "MAL-alpha"
    ]
    assert summaries == [HOSTILE, HOSTILE]
    assert b"<script>" not in (tmp_path / "c.graphml").read_bytes()
    assert b"print(" not in (tmp_path / "c.graphml").read_bytes()  # no package code


@pytest.mark.parametrize("write", [write_graphml, write_node_link])
def test_the_same_store_gives_the_same_bytes(
    sample_store: Store, tmp_path: Path, write: Any
) -> None:
    write(sample_store.db, tmp_path / "a", Selection())
    write(sample_store.db, tmp_path / "b", Selection())
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_a_selection_keeps_its_part_and_edges_between_kept_nodes(
    sample_store: Store, tmp_path: Path
) -> None:
    everything = _node_link(sample_store, tmp_path / "all.json")
    pypi = _node_link(
        sample_store, tmp_path / "pypi.json", Selection(ecosystems=frozenset({"PyPI"}))
    )
    _kinds(pypi)
    ecosystems = {e for _, e in pypi.nodes(data="ecosystem") if e is not None}
    assert ecosystems == {"PyPI"}
    assert 0 < pypi.number_of_nodes() < everything.number_of_nodes()
    expected = _one(
        sample_store,
        "SELECT count(DISTINCT package_id) FROM records r JOIN packages"
        " p ON p.id = r.package_id WHERE p.ecosystem = 'PyPI' AND r.role = 'claim'"
        " AND r.withdrawn IS NULL",
    )
    assert _kinds(pypi)[0]["package"] == expected

    kam = _node_link(sample_store, tmp_path / "kam.json", Selection(sources=frozenset({"kam193"})))
    assert {s for n, s in kam.nodes(data="source") if n.startswith("record:")} == {"kam193"}

    since = _node_link(sample_store, tmp_path / "since.json", Selection(since="2024-06-01"))
    dates = [
        a.get("published", a.get("imported"))
        for _, a in since.nodes(data=True)
        if a["kind"] == "record"
    ]
    assert dates and all(d >= "2024-06-01" for d in dates)

    dup = Selection(kinds=frozenset({EdgeKind.DUPLICATED}))
    _, edges = _kinds(_graphml(sample_store, tmp_path / "dup.graphml", dup))
    assert edges["duplicated"] > 0 and "duplicated_package" not in edges
    assert edges["claims"] == _kinds(everything)[1]["claims"]  # links are no relation kind
