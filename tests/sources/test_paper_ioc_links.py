"""IoC-report.xlsx's package names become report-to-package links (never claims), with the
ecosystem and version of the paper's sample path beside each name, or the one ecosystem its
report's URL names; a name that cannot be linked is counted in a warning, its row kept."""

from __future__ import annotations

from pathlib import Path

from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.insights.tiny_store import campaigns_of
from tests.sources.test_paper import write_book

HEADER = ("URL", "Name", None, "IP ", "URL", "PowerShell")  # as the paper's sheet `url`
ROWS = [
    ("https://blog.example.com/a", "colourama", "pypi/Backstabber/colourama/0.1.6", "1.2.3.4"),
    (
        "https://blog.example.com/b",
        "okhsa\nklow",
        "npm/maloss/okhsa-0.1.1.tgz\nnpm/Backstabber/klow/0.7.29",
    ),
    ("https://blog.example.com/c", "coa-2.1.3", "npm/maloss/coa-2.1.3.tgz"),  # name with version
    ("https://blog.example.com/new-pypi-malware", "pyrologin", None),  # the URL says PyPI
    ("https://blog.example.com/npm-packages-used", " @dydxprotocol/solo, @dydxprotocol/perpetual"),
    ("https://blog.example.com/npm-and-pypi-flood", "aiohtp", None),  # two ecosystems: unlinked
    ("https://blog.example.com/d", "不是具体的包和ioc", None),  # a note ("not specific packages")
    ("https://blog.example.com/e", None, None, "5.6.7.8"),  # IoCs only
]


def test_ioc_report_names_are_links_of_their_rows_report(store: Store, tmp_path: Path) -> None:
    write_book(tmp_path / "IoC-report.xlsx", {"url": [HEADER, *ROWS]})
    report = ingest(store, "paper", [str(tmp_path / "IoC-report.xlsx")], workers=1)
    assert report.ok, report.rejected
    links = set(
        store.db.execute(
            "SELECT r.url_key, l.ecosystem, l.name, l.version FROM report_links l"
            " JOIN reports r ON r.id = l.report_id"
        )
    )
    site = "blog.example.com/"
    assert links == {
        (site + "a", "PyPI", "colourama", "0.1.6"),
        (site + "b", "npm", "okhsa", "0.1.1"),
        (site + "b", "npm", "klow", "0.7.29"),
        (site + "c", "npm", "coa", "2.1.3"),
        (site + "new-pypi-malware", "PyPI", "pyrologin", None),
        (site + "npm-packages-used", "npm", "@dydxprotocol/solo", None),
        (site + "npm-packages-used", "npm", "@dydxprotocol/perpetual", None),
    }
    assert store.db.execute("SELECT count(*) FROM reports").fetchone()[0] == len(ROWS)
    assert store.db.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    reasons = sorted(w.reason for w in report.warnings if w.reason.startswith("Name:"))
    assert reasons == [
        "Name: 1 names left unlinked, no ecosystem (no sample path, and the URL names none or"
        " several) (row: 7: 'aiohtp')",
        "Name: 1 names left unlinked, not a package name (a note) (row: 8: '不是具体的包和ioc')",
    ]


def test_ioc_links_join_claimed_packages_into_a_campaign_candidate(
    store: Store, tmp_path: Path
) -> None:
    write_book(tmp_path / "IoC-report.xlsx", {"url": [HEADER, *ROWS]})
    (tmp_path / "mine.csv").write_text("ecosystem,name,version\nnpm,okhsa,0.1.1\nnpm,klow,\n")
    assert ingest(store, "list", [str(tmp_path / "mine.csv")]).ok
    assert ingest(store, "paper", [str(tmp_path / "IoC-report.xlsx")], workers=1).ok
    [candidate] = campaigns_of(store.db)["candidates"]
    assert candidate["members"] == [
        {"ecosystem": "npm", "name": "klow"},
        {"ecosystem": "npm", "name": "okhsa"},
    ]
    assert candidate["evidence"]["reports"] == ["https://blog.example.com/b"]
