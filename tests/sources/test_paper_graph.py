"""The MalGraph paper's own graph read as its labelling: every published shape, stored apart
from claims and edges, re-ingested idempotently, a changed file replacing its groups."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from malgraph.pipeline.ingest import ingest
from malgraph.sources.paper_graph import split_name_version
from malgraph.store import Store
from tests.sources.paper_graph_shapes import CAMPAIGN, book, graph, write_kg

Groups = dict[tuple[str, str], set[tuple[str, str, str | None, str]]]


def stored(store: Store) -> Groups:
    """(kind, key) -> members (ecosystem, name, version, role), over every stored group."""
    out: Groups = {}
    for kind, key, eco, name, version, role in store.db.execute(
        "SELECT g.kind, g.key, m.ecosystem, m.name, m.version, m.role FROM label_groups g"
        " JOIN label_members m ON m.group_id = g.id"
    ):
        out.setdefault((kind, key), set()).add((eco, name, version, role))
    return out


def count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_every_published_shape_becomes_the_papers_groups(store: Store, tmp_path: Path) -> None:
    report = ingest(store, "paper", [str(write_kg(tmp_path))], workers=1)
    assert report.ok, report.rejected
    assert report.outcomes["added"] == 10
    groups = stored(store)
    npm = lambda name, version: ("npm", name, version, "member")  # noqa: E731
    assert groups[("similar", "npm cluster 0")] == {
        npm("a", "1.0.0"),
        npm("b", "1.0.0"),
        npm("c", "2.0"),
    }
    assert groups[("similar", "npm cluster 1")] == {npm("d", "1.0.0"), npm("e", "1.0.0")}
    assert groups[("similar-run", "RubyGems run cluster 0")] == {
        ("RubyGems", "coming_soon", v, "member") for v in ("0.2.4", "0.2.3")
    }
    gems = "helpnetsecurity.com/2019/08/21/backdoored-ruby-gems"
    assert groups[("co-existing", gems)] == {
        ("RubyGems", n, None, "member") for n in ("coming-soon", "rest-client")
    }
    assert groups[("co-existing", "blog.example.com/evil-campaign")] == {
        npm("a", "1.0.0"),
        npm("b", "1.0.0"),
    }
    phylum = [k for kind, k in groups if kind == "co-existing" and "phylum" in k]
    assert len(phylum) == 1 and groups[("co-existing", phylum[0])] == {
        ("RubyGems", n, None, "member") for n in ("gunther", "iosthin")
    }
    assert groups[("duplicated", "component at node 1")] == {
        ("RubyGems", "coming_soon", "0.2.4", "member")
    }
    assert groups[("depends-on", "x-1.0.0 -> y-2.0.0")] == {
        ("RubyGems", "x", "1.0.0", "from"),
        ("RubyGems", "y", "2.0.0", "to"),
    }
    assert groups[("depends-on", "a-1.0.0 -> evil-dep")] == {
        ("npm", "a", "1.0.0", "from"),
        ("npm", "evil-dep", None, "to"),
    }
    assert groups[("dependency", "component at node a-1.0.0")] == {
        npm("a", "1.0.0"),
        npm("b", "1.0.0"),
        ("npm", "evil-dep", None, "member"),
    }
    # The whole graph and its subgraph file are two documents, each with its groups.
    rows = store.db.execute("SELECT kind, count(*) FROM label_groups GROUP BY kind")
    assert dict(rows) == {
        "similar": 2,
        "similar-run": 1,
        "co-existing": 4,
        "duplicated": 1,
        "dependency": 3,
        "depends-on": 5,
    }
    # The paper's labelling is no claim of anyone's: no record, package or edge comes of it.
    assert count(store, "records") == count(store, "packages") == count(store, "edges") == 0
    lonely = [w for w in report.warnings if "Duplicated_Edge" in w.path]
    assert [w.reason for w in lonely] == ["1 nodes without an edge are in no group"]


def test_a_reingest_is_a_no_op_and_a_changed_file_replaces_its_groups(
    store: Store, tmp_path: Path
) -> None:
    kg = write_kg(tmp_path)
    ingest(store, "paper", [str(kg)], workers=1)
    before = stored(store), count(store, "label_members"), count(store, "label_groups")
    again = ingest(store, "paper", [str(kg)], workers=1)
    assert again.ok and not again.outcomes["added"] and not again.outcomes["replaced"]
    assert (stored(store), count(store, "label_members"), count(store, "label_groups")) == before
    crawler = kg / "Co-existing_Edge" / "WebCrawler_report" / "npm" / "graph_0.json"
    doc = json.loads(crawler.read_text())
    doc["nodes"][1].update(name="z", version="9.9.9", name_version="z-9.9.9")
    crawler.write_text(json.dumps(doc))
    later = crawler.stat().st_mtime + 10  # a newer file is a newer version of the document
    os.utime(crawler, (later, later))
    changed = ingest(store, "paper", [str(kg)], workers=1)
    assert changed.outcomes["replaced"] == 1
    groups = stored(store)
    assert groups[("co-existing", "blog.example.com/evil-campaign")] == {
        ("npm", "a", "1.0.0", "member"),
        ("npm", "z", "9.9.9", "member"),
    }
    assert (count(store, "label_members"), count(store, "label_groups")) == before[1:]


def test_malformed_graph_files_are_rejected_alone(store: Store, tmp_path: Path) -> None:
    kg = tmp_path / "KG" / "Co-existing_Edge"
    (kg / "broken").mkdir(parents=True)
    (kg / "broken" / "graph_1.json").write_text('{"nodes": [')
    (kg / "broken" / "notes.json").write_text('{"hello": "world"}')
    book(
        kg / "npm_results.xlsx",
        [("url", "found_names"), ("not a url", "['x']"), (CAMPAIGN, "['a', 'b']")],
    )
    graph(
        kg / "npm" / "graph_2.json",
        [{"name": "a", "version": "1.0.0", "url": CAMPAIGN, "id": 1}],
        [{"source": 1, "target": 99, "report": CAMPAIGN}],
    )
    report = ingest(store, "paper", [str(tmp_path / "KG")], workers=1)
    reasons = sorted((Path(p.path).name, p.reason) for p in report.rejected)
    assert [name for name, _ in reasons] == ["graph_1.json", "graph_2.json", "npm_results.xlsx"]
    assert reasons[0][1].startswith("graph_1.json: not JSON")
    assert reasons[1][1] == "link 0: an end names no package node ('1', '99')"
    assert reasons[2][1] == "row 2: 'not a url' is not an http(s) URL"
    assert [w.reason for w in report.warnings if w.path.endswith("notes.json")] == [
        "neither a node-link graph nor clusters of the paper's (skipped)"
    ]
    # The good parts of a file with a bad one stay: the crawler's row, the graph's node.
    assert stored(store)[("co-existing", "blog.example.com/evil-campaign")] == {
        ("npm", "a", "1.0.0", "member"),
        ("npm", "a", None, "member"),
        ("npm", "b", None, "member"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eslint-config-eslint-5.0.2", ("eslint-config-eslint", "5.0.2")),
        ("foo-2-1.0.0", ("foo-2", "1.0.0")),
        ("a-1.0.0-beta.1", ("a", "1.0.0-beta.1")),
        ("@scope/name@1.0.1", ("@scope/name", "1.0.1")),
        ("2023-04-02-pyproxyx-v1.0", ("pyproxyx", "1.0")),
        ("1-as_identity_function", ("1-as_identity_function", None)),
        ("wixdev2022-1", ("wixdev2022-1", None)),
        ("aliyun-mns", ("aliyun-mns", None)),
    ],
)
def test_name_and_version_run_together_split_only_before_a_dotted_version(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert split_name_version(text) == expected


def test_workbooks_without_the_labels_columns_or_with_unreadable_names_are_rejected(
    store: Store, tmp_path: Path
) -> None:
    similar = tmp_path / "KG" / "Similar_Edge"
    book(
        similar / "pypi_end.xlsx",
        [("Source", "name_version", "name", "version"), ("Phylum", "x-1.0", "x", "1.0")],
    )
    book(similar / "ruby_results.xlsx", [("url", "found_names"), (CAMPAIGN, "['a', ")])
    report = ingest(store, "paper", [str(tmp_path / "KG")], workers=1)
    assert sorted(p.reason for p in report.rejected) == [
        "no usable group (row 2: found_names unreadable)",
        "pypi_end.xlsx sheet Sheet1: missing column 'cluster'",
    ]
    assert count(store, "label_groups") == 0


def test_crawler_results_are_report_links_too_never_claims(store: Store, tmp_path: Path) -> None:
    crawler = tmp_path / "KG" / "Co-existing_Edge" / "WebCrawler_report"
    book(
        crawler / "pypi_results.xlsx",
        [
            ("url", "found_names"),
            ("https://blog.example.org/monthly", "['https-rot', 'aio3']"),
            ("https://blog.example.org/monthly", "['aio3']"),  # a repeated row adds nothing
            ("https://blog.example.org/one", "botaa3"),
        ],
    )
    report = ingest(store, "paper", [str(tmp_path / "KG")], workers=1)
    assert report.ok, report.rejected
    links = set(
        store.db.execute(
            "SELECT r.url_key, l.ecosystem, l.name, l.version FROM report_links l"
            " JOIN reports r ON r.id = l.report_id"
        )
    )
    assert links == {
        ("blog.example.org/monthly", "PyPI", "https-rot", None),
        ("blog.example.org/monthly", "PyPI", "aio3", None),
        ("blog.example.org/one", "PyPI", "botaa3", None),
    }
    assert count(store, "records") == count(store, "packages") == 0
    # the paper's labelling is still there, beside the links
    assert stored(store)[("co-existing", "blog.example.org/monthly")] == {
        ("PyPI", "https-rot", None, "member"),
        ("PyPI", "aio3", None, "member"),
    }
