"""RQ1 by the paper's rules on a small workbook in the published shape, every number worked
out by hand below from the rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from malgraph.core.provenance import Clusters, PaperRow
from malgraph.insights.paper_agreement import LABELLER
from malgraph.insights.paper_rules import paper_rules, reproduction
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.sources import paper_clusters, paper_rows
from tests.cli.test_cli import run
from tests.sources.test_paper import write_book

HEADER = ("Source", "name_version", "Status", "ID", "OSS")
BOOK = {
    "NPM": [
        HEADER,
        ("DataDog", "evil-1.0.0", "tracked", 1, "NPM"),
        ("Phylum", "evil-1.0.0", "untracked", 1, "NPM"),  # filled from DataDog
        ("Socket", "evil-1.0.0", "untracked", 1, "NPM"),  # filled from DataDog
        ("Phylum", "evil-2.0.0", "untracked", 2, "NPM"),  # held by two, tracked by none
        ("Socket", "evil-2.0.0", "untracked", 2, "NPM"),
        ("Phylum", "Evil-1.0.0", "tracked", 3, "NPM"),
    ],  # another text: its own record
    "PyPI": [
        HEADER,
        ("DataDog", "evil-1.0.0", "untracked", 2, "PyPI"),  # same text, other sheet
        ("Snyk.io", "my_pkg-0.1", "tracked", 1, "PyPI"),
        ("DataDog", "my_pkg-0.1", "untracked", 3, "PyPI"),  # filled from Snyk.io
        ("DataDog", "My-Pkg-0.1", "untracked", 4, "PyPI"),
    ],  # not the exact text
    "RubyGems": [HEADER, ("Snyk.io", "gem-1.0", "untracked", 2, "RubyGems")],
    "Other": [
        ("OSS", "Source", "name_version", "Status"),
        ("Snappy", "DataDog", "2048buntu", "tracked"),
        ("Snappy", "Phylum", "2048buntu", "untracked"),
    ],  # Other: never filled
}


def _counted(store: Store, tmp_path: Path) -> dict[str, Any]:
    write_book(tmp_path / "in/malware.xlsx", BOOK)
    ingest(store, "paper", [str(tmp_path / "in")])
    return paper_rules(paper_rows(store.db))


def _source(records: int, untracked: int, filled: int, sheets: dict[str, int]) -> dict[str, Any]:
    return {
        "records": records,
        "by_sheet": sheets,
        "tracked": records - untracked,
        "untracked": untracked,
        "filled": filled,
        "missing": round(untracked / records, 4),
        "missing_after_filling": round((untracked - filled) / records, 4),
    }


def test_counts_pairs_occurrence_and_missing_rates(store: Store, tmp_path: Path) -> None:
    counted = _counted(store, tmp_path)
    assert counted["records"] == 13  # every data row, none merged
    assert counted["by_sheet"] == {"NPM": 6, "Other": 2, "PyPI": 4, "RubyGems": 1}
    # sources named as the sheet labels them (DataDog, not malgraph's canonical datadog)
    assert counted["by_source"] == {
        # NPM evil tracked; PyPI evil, my_pkg (filled), My-Pkg untracked; Other tracked
        "DataDog": _source(5, 3, 1, {"NPM": 1, "Other": 1, "PyPI": 3}),
        # NPM evil-1 (filled), evil-2 untracked, Evil-1 tracked; Other untracked, not filled
        "Phylum": _source(4, 3, 1, {"NPM": 3, "Other": 1}),
        "Snyk.io": _source(2, 1, 0, {"PyPI": 1, "RubyGems": 1}),
        "Socket": _source(2, 2, 1, {"NPM": 2}),  # evil-1 filled, evil-2 not
    }
    assert counted["missing_rate"]["overall"] == _source(
        13, 9, 3, {"NPM": 6, "Other": 2, "PyPI": 4, "RubyGems": 1}
    )
    assert counted["missing_rate"]["overall"]["missing"] == 0.6923  # 9 / 13
    assert counted["missing_rate"]["overall"]["missing_after_filling"] == 0.4615  # 6 / 13
    # NPM evil-1.0.0 is held by three sources, evil-2.0.0 by two, PyPI my_pkg-0.1 by two
    assert counted["pairs"] == [
        {"a": "DataDog", "b": "Phylum", "shared": 1},
        {"a": "DataDog", "b": "Snyk.io", "shared": 1},
        {"a": "DataDog", "b": "Socket", "shared": 1},
        {"a": "Phylum", "b": "Socket", "shared": 2},
    ]
    # the eleven rows of the three main sheets: the three evil-1.0.0 rows by three sources;
    # evil-2.0.0 and my_pkg-0.1 rows by two; Evil-1.0.0, PyPI evil, My-Pkg and gem by one
    assert counted["occurrence"] == {"1": 4, "2": 4, "3": 3}


def test_ingesting_again_counts_the_same(store: Store, tmp_path: Path) -> None:
    first = _counted(store, tmp_path)
    ingest(store, "paper", [str(tmp_path / "in")])
    assert paper_rules(paper_rows(store.db)) == first


def test_no_paper_rows(store: Store) -> None:
    counted = paper_rules(paper_rows(store.db))
    assert (counted["records"], counted["pairs"], counted["occurrence"]) == (0, [], {})
    assert counted["missing_rate"]["overall"]["missing"] is None


def _ingested_by_the_cli(tmp_path: Path) -> Path:
    write_book(tmp_path / "in/malware.xlsx", BOOK)
    db = tmp_path / "m.db"
    assert run("ingest", "paper", str(tmp_path / "in"), db=db)[0] == 0
    return db


def test_stats_rules_paper(tmp_path: Path) -> None:
    db = _ingested_by_the_cli(tmp_path)
    code, text = run("stats", "--rules", "paper", "--format", "json", db=db)
    assert code == 0
    with Store(db) as store:
        assert json.loads(text) == paper_rules(paper_rows(store.db))
    code, text = run("stats", "--rules", "paper", db=db)
    assert code == 0
    text = " ".join(text.split())  # as printed, but for where lines wrap
    assert "missing rate overall: 69.23%, after filling 46.15%" in text
    assert "1 source(s): 4, 2 source(s): 4, 3 source(s): 3" in text
    # malgraph's own rules stay the default, and an unknown rule is a usage error
    assert "rules" not in json.loads(run("stats", "--format", "json", db=db)[1])
    assert run("stats", "--rules", "mine", db=db)[0] == 2


def test_reproduction_table(store: Store, tmp_path: Path) -> None:
    counted = _counted(store, tmp_path)
    rows = {r["quantity"]: r for r in reproduction(counted, stats(store.db))}
    # the paper's own figure, this workbook's by the paper's rules, and by malgraph's (the
    # label DataDog counts as the canonical source datadog there, with the same rows)
    assert rows["records of DataDog"] == {
        "quantity": "records of DataDog",
        "paper": 1387,
        "paper_rules": 5,
        "own_rules": 5,
        "why": "the paper's sheets and its text disagree",
    }
    assert rows["records"]["paper_rules"] == rows["records"]["own_rules"] == 13
    assert rows["records held by 3 source(s)"]["paper_rules"] == 3
    assert rows["missing rate after filling"]["paper_rules"] == 0.4615
    # distinct texts: NPM evil-1.0.0, evil-2.0.0, Evil-1.0.0; PyPI evil-1.0.0, my_pkg-0.1,
    # My-Pkg-0.1; RubyGems gem-1.0 (the Other sheet is left out)
    assert rows["package-versions without duplicates"]["paper_rules"] == 7
    assert "28 PyPI names" in rows["package-versions without duplicates"]["why"]


def test_report_rules_paper(tmp_path: Path) -> None:
    db = _ingested_by_the_cli(tmp_path)
    code, text = run("report", "--rules", "paper", "--format", "json", db=db)
    assert code == 0
    numbers = json.loads(text)["paper_rules"]
    assert numbers["counted"]["occurrence"] == {"1": 4, "2": 4, "3": 3}
    assert "paper_rules" not in json.loads(run("report", "--format", "json", db=db)[1])
    assert run("report", "--rules", "paper", str(tmp_path / "out"), db=db)[0] == 0
    page = (tmp_path / "out/index.html").read_text()
    assert "Reproduction of the paper&#x27;s RQ1" in page  # escaped as every text is
    assert "Phylum" in page and "46.15%" in page


def test_cluster_rows_only_with_the_papers_graph(store: Store) -> None:
    assert paper_clusters(store.db, LABELLER) == Clusters(0, 0, 0)  # no graph ingested: no rows
    empty = paper_rules([])
    assert not [
        r
        for r in reproduction(empty, {}, paper_clusters(store.db, LABELLER))
        if "cluster" in r["quantity"]
    ]
    # two clusters, five spellings that normalise to four package-versions
    rows = reproduction(empty, {}, Clusters(2, 5, 4))[-2:]
    assert [(r["quantity"], r["paper"], r["paper_rules"], r["own_rules"]) for r in rows] == [
        ("similar clusters", 489, 2, 2),
        ("packages in similar clusters", 7442, 5, 4),
    ]
    assert rows[1]["why"].startswith(
        "the paper's sheets and its text disagree; malgraph normalises names"
    )


def test_paper_rules_on_typed_rows() -> None:
    rows = [
        PaperRow("A", "NPM", "x-1", tracked=True),
        PaperRow("B", "NPM", "x-1", tracked=False),  # filled from A
        PaperRow("B", "PyPI", "x-1", tracked=False),  # same text, other sheet: not filled
        PaperRow("C", "Other", "y-1", tracked=True),
        PaperRow("B", "Other", "y-1", tracked=False),  # Other: never filled
    ]
    counted = paper_rules(rows)
    assert (counted["records"], counted["package_versions"]) == (5, 2)
    assert counted["by_sheet"] == {"NPM": 2, "Other": 2, "PyPI": 1}
    assert counted["pairs"] == [{"a": "A", "b": "B", "shared": 1}]  # Other's pair left out
    assert counted["occurrence"] == {"1": 1, "2": 2}
    assert counted["by_source"]["B"] == _source(3, 3, 1, {"NPM": 1, "Other": 1, "PyPI": 1})
    assert counted["missing_rate"]["overall"]["missing"] == 0.6  # 3 / 5
    assert counted["missing_rate"]["overall"]["missing_after_filling"] == 0.4  # 2 / 5
