"""Hostile or odd paper files cost themselves (or one row, one member), never the run."""

from __future__ import annotations

import json
from pathlib import Path

from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.sources.paper_graph_shapes import END_HEADER, book, end_row, graph
from tests.sources.test_paper_shapes import write_book


def test_a_graph_whose_links_are_no_list_is_rejected_alone(store: Store, tmp_path: Path) -> None:
    kg = tmp_path / "KG" / "Duplicated_Edge"
    graph(kg / "npm_graph.json", [{"id": 1, "OSS": "NPM", "package_name": "a-1.0.0"}], [])
    bad = kg / "ruby_graph.json"
    bad.write_text(json.dumps({"directed": False, "nodes": [], "links": 5}))
    report = ingest(store, "paper", [str(tmp_path / "KG")])
    assert [Path(p.path).name for p in report.rejected] == ["ruby_graph.json"]
    assert report.outcomes["added"] == 1


def test_a_site_count_in_another_script_is_no_number(store: Store, tmp_path: Path) -> None:
    write_book(
        tmp_path / "report.xlsx",
        {
            "url": [("URL",), ("https://blog.example/a",)],
            "site_count": [("Site", "Count", "Categories"), ("blog.example", "²", "Blog")],
        },
    )
    report = ingest(store, "paper", [str(tmp_path / "report.xlsx")])
    assert report.ok
    sites = store.db.execute("SELECT site, category, reports FROM report_sites").fetchall()
    assert sites == [("blog.example", "Blog", None)]


def test_a_cluster_member_with_a_bidi_override_is_left_out_and_named(
    store: Store, tmp_path: Path
) -> None:
    book(
        tmp_path / "KG" / "Similar_Edge" / "npm_end.xlsx",
        [END_HEADER, end_row("good", "1.0.0", 0), end_row("pwn\u202egnp", "1.0.0", 0)],
    )
    report = ingest(store, "paper", [str(tmp_path / "KG")])
    assert len(report.rejected) == 1 and "U+202E" in report.rejected[0].reason
    members = store.db.execute("SELECT name FROM label_members").fetchall()
    assert members == [("good",)]
