"""The `paper` source on workbooks written here in the shapes the paper's artifact publishes:
summary sheets first or last, an `Other` sheet with its own column order and space-padded
values, repeated and space-padded headers, empty trailing columns, a source-report workbook per
ecosystem, the demo input, report.xlsx's site categories. Expected numbers are worked out here.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from malgraph.cli import app, main  # noqa: F401  (registers the commands)
from malgraph.cli import ingest as cli_ingest  # noqa: F401
from malgraph.pipeline.ingest import ingest
from malgraph.report.build import build_report
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.card import coreported, find_packages, read_card
from malgraph.store.read.graph import report_members
from tests.conftest import osv, write_json
from tests.sources.test_paper import claims, write_book

AUR = "Arch User Repository\uff08AUR\uff09"  # full-width parentheses, as the sheet writes it
HEADER = ("Source", "name_version", "Status", "ID", "OSS")
SUM = ("source", "tracked_npm", "tracked_pypi", "tracked_rubygems", "untrack_NPM", "untrack_Ruby")
DEDUP = (
    "Source",
    "Filepath",
    "path",
    "name_version",
    "name",
    "version",
    "published_at",
    "Status",
    "OSS",
    "description",
    "author",
    "maintainers",
    "repository_url",
    "dependencies",
    "ID",
)


def write_malware(folder: Path) -> None:
    """malware.xlsx and its sibling as published, with one malformed row (PyPI row 3)."""
    write_book(
        folder / "malware.xlsx",
        {
            "Sum": [SUM, ("Backstabber-Knife", 2, 1, 1, 0, 0), ("Maloss", 0, 0, 0, 0, 0)],
            "NPM": [
                HEADER,
                ("Backstabber-Knife", "evil-js-1.0.0", "tracked", 1, "NPM"),
                ("Snyk.io", "@bad/scope@2.0.1", "untracked", 2, "NPM"),
            ],
            "PyPI": [
                HEADER,
                ("Backstabber-Knife", "colourama-0.1.6", "tracked", 3, "PyPI"),
                (None, "requestz-1.0", "tracked", 4, "PyPI"),
            ],
            # Extra columns: one empty but for its header, then cells written blank.
            "RubyGems": [
                (*HEADER, None, "note"),
                ("Backstabber-Knife", "gunther-1.1.0", "tracked", 5, "RubyGems", None, "", " "),
            ],
            "Other": [
                ("OSS", "Source", "name_version", "Status"),
                ("Snappy ", "Maloss ", "2048buntu", "tracked "),
                (AUR, "Maloss ", "acroread", "tracked"),
                ("maven", "Backstabber-Knife", "com.evil:lib", "tracked"),
            ],
        },
    )
    write_book(
        folder / "malware_deduplicated.xlsx",
        {
            "NPM": [
                DEDUP,
                (
                    "Backstabber-Knife",
                    " /x.tgz",
                    " /x",
                    "evil-js-1.0.0",
                    "evil-js",
                    "1.0.0",
                    "2023-10-29T10:20:31.931Z",
                    "tracked",
                    "NPM",
                    "aDriv",
                    None,
                    "None",
                    None,
                    "os,fs",
                    1,
                ),
            ],
            "Sum": [(None, "tracked", "untracked", "Total"), ("NPM", 1, 0, 1)],
        },
    )


def test_malware_as_published(store: Store, tmp_path: Path) -> None:
    write_malware(tmp_path)
    report = ingest(store, "paper", [str(tmp_path)])
    # The malformed row alone is left out, with its file, sheet and row.
    assert [(Path(p.path).name, p.reason) for p in report.rejected] == [
        ("malware.xlsx", "sheet PyPI row 3: no Source")
    ]
    assert report.outcomes == {"added": 2}
    # One warning line per summary sheet, and the sibling's own.
    assert sorted(w.reason for w in report.warnings) == [
        "malware.xlsx sheet Sum: a summary or chart, with no Source or name_version column "
        "(skipped)",
        "malware_deduplicated.xlsx sheet Sum: a summary or chart, with no name_version or name "
        "or version column (skipped)",
        "name_version: 2 of 7 rows could not be split safely (kept as names without a version)",
        "read together with malware.xlsx (skipped)",
    ]
    got = claims(store)
    by_sheet = Counter(ident.split("/")[2] for ident in got)
    assert by_sheet == {"NPM": 2, "PyPI": 1, "RubyGems": 1, "Other": 3}  # the data rows, less one
    assert got["paper/Backstabber-Knife/NPM/1"][2:] == (
        "evil-js",
        ("1.0.0",),
        1,
        "2023-10-29T10:20:31Z",
        "aDriv",
        ("os", "fs"),
        None,
    )
    assert got["paper/Snyk.io/NPM/2"][2:5] == ("@bad/scope", ("2.0.1",), 0)
    assert got["paper/Backstabber-Knife/RubyGems/5"][1:4] == ("RubyGems", "gunther", ("1.1.0",))
    # Other: read by its own header; padded values trimmed; an unknown ecosystem kept as written.
    assert got["paper/Maloss/Other/row2"][:5] == ("Maloss", "Snappy", "2048buntu", (), 1)
    assert got["paper/Maloss/Other/row3"][:3] == ("Maloss", AUR, "acroread")
    assert got["paper/Backstabber-Knife/Other/row4"][1:4] == ("Maven", "com.evil:lib", ())
    again = ingest(store, "paper", [str(tmp_path)])  # idempotent: the bad row is reported again
    assert again.outcomes == {"unchanged": 2} and len(again.rejected) == 1
    assert len(claims(store)) == 7


SITE_COUNT = ("Site", "Count", "Categories", None, None, "Categories", "Count_all")


def test_report_workbook_with_site_categories(store: Store, tmp_path: Path) -> None:
    write_book(
        tmp_path / "report.xlsx",
        {
            "url": [
                ("URL",),
                ("https://blog.sonatype.com/a",),
                ("https://github.com/advisories/b",),
                ("https://blog.sonatype.com/c",),
            ],
            "site_count": [
                SITE_COUNT,
                ("blog.sonatype.com", 2, "Company Website", None, None, "Company Website", 2),
                ("github.com", 1, "Technical Community", None, None, "Technical Community", 1),
                (None, None, None, None, None, "News Website", 0),
            ],  # totals only
            # The category on the first row of each group; a number in the header, as published.
            "final": [
                ("Categories", "Site", "Count", "Count_all", 3),
                ("Company Website", "blog.sonatype.com", 2, 2),
                ("Technical Community", "github.com", 1, 1),
                (None, "nvd.nist.gov", 1, None),
            ],
            "chart": [("total",), (3,)],
        },
    )
    report = ingest(store, "paper", [str(tmp_path / "report.xlsx")])
    assert report.ok and report.outcomes == {"added": 1}
    assert [w.reason for w in report.warnings] == [
        "report.xlsx sheet chart: a summary or chart, with no Site or Categories column (skipped)"
    ]
    assert store.db.execute("SELECT count(*) FROM reports").fetchone() == (3,)
    sites = store.db.execute("SELECT site, category, reports FROM report_sites ORDER BY 1")
    assert sites.fetchall() == [
        ("blog.sonatype.com", "Company Website", 2),
        ("github.com", "Technical Community", 1),
        ("nvd.nist.gov", "Technical Community", 1),
    ]
    assert stats(store.db)["report_sites"] == {
        "Technical Community": {"sites": 2, "reports": 2},
        "Company Website": {"sites": 1, "reports": 2},
    }
    write_malware(tmp_path / "claims")  # a report needs some claims to count
    ingest(store, "paper", [str(tmp_path / "claims")])
    page = build_report(store.db, tmp_path / "out").read_text()
    assert "Report sites by category" in page
    assert '<td>Technical Community</td><td class="num">2</td><td class="num">2</td>' in page
    # A later version with a site left out replaces the categories; a site without any
    # category is rejected alone.
    write_book(
        tmp_path / "report.xlsx",
        {
            "url": [("URL",), ("https://blog.sonatype.com/a",)],
            "final": [("Site", "Categories"), ("x.example", None), ("blog.sonatype.com", "Other")],
        },
    )
    later = (tmp_path / "report.xlsx").stat().st_mtime + 60  # the newer version by its time
    os.utime(tmp_path / "report.xlsx", (later, later))
    again = ingest(store, "paper", [str(tmp_path / "report.xlsx")])
    assert [p.reason for p in again.rejected] == [
        "sheet final row 2: no Categories for 'x.example'"
    ]
    assert again.outcomes == {"replaced": 1}
    assert store.db.execute("SELECT site, category FROM report_sites").fetchall() == [
        ("blog.sonatype.com", "Other")
    ]


def test_ioc_report_with_repeated_and_padded_headers(store: Store, tmp_path: Path) -> None:
    write_book(
        tmp_path / "IoC-report.xlsx",
        {
            "url": [
                ("URL", "Name", None, "IP ", "URL", "PowerShell", None),
                (
                    "https://blog.phylum.io/rat",
                    "oscompatible",
                    "npm/Phylum/oscompatible/1.0",
                    "172.64.149.23",
                    "https://evil.example/payload",
                    None,
                    None,
                ),
                ("https://blog.phylum.io/other", None, None, None, None, None, None),
            ],
            "Sheet2": [("count",), (2,)],
        },
    )
    report = ingest(store, "paper", [str(tmp_path)])
    assert report.ok
    assert [w.reason for w in report.warnings] == [
        "IoC-report.xlsx sheet Sheet2: a summary or chart, with no URL column (skipped)"
    ]
    # The first URL column is the report's; the second one's URL is an IoC in its text.
    text = dict(store.db.execute("SELECT url_key, text FROM reports"))
    assert text == {
        "blog.phylum.io/rat": "oscompatible\nnpm/Phylum/oscompatible/1.0\n172.64.149.23\n"
        "https://evil.example/payload",
        "blog.phylum.io/other": None,
    }
    seen = store.db.execute(
        "SELECT i.kind, i.value FROM ioc_sightings s JOIN iocs i ON i.id = s.ioc_id"
    ).fetchall()
    assert ("ip", "172.64.149.23") in seen


NPM_REPORT = ("source", "Source", "name", "status", "error", "published_at", "ID")
PYPI_REPORT = ("source", "Source", "name", "version", "status", "published_at", "ID")
PHYLUM = "https://blog.phylum.io/campaign/"
TIANWEN = "https://tianwen.qianxin.com/blog/2023/pypi/"


def write_source_reports(folder: Path, pypi_rows: int = 3) -> None:
    write_book(
        folder / "npm_source_report.xlsx",
        {
            "Sheet1": [
                NPM_REPORT,
                (
                    PHYLUM,
                    "Phylum",
                    "@bad/scope@2.0.1",
                    "untraced",
                    "",
                    "2023-09-12T09:56:24.491Z",
                    1,
                ),
                (PHYLUM, "Phylum", "evil-js", "get", "404", "Not available", 2),
                ("not a url", "Phylum", "x@1.0.0", "get", None, None, 3),
            ]
        },
    )
    pypi = [
        (TIANWEN, "", "colourama@0.1.6", "", "get", "2023-04-21T15:45:01.204Z", 1),
        (TIANWEN, "", "aiohttp-proxies\xa0", "", "untraced", "Not available", 2),
        (PHYLUM, "", "Never_Claimed@1.0", "", "untraced", None, 3),
    ]
    write_book(folder / "pypi_source_report.xlsx", {"Sheet1": [PYPI_REPORT, *pypi[:pypi_rows]]})
    ruby = (PHYLUM, "", "gunther", "1.1.0", "untraced", "Not available", 1)
    write_book(folder / "ruby_source_report.xlsx", {"Sheet1": [PYPI_REPORT, ruby]})


def links(store: Store) -> list[tuple[str, str, str | None, str]]:
    return store.db.execute(
        "SELECT l.ecosystem, l.name, l.version, r.url FROM report_links l"
        " JOIN reports r ON r.id = l.report_id ORDER BY 1, 2"
    ).fetchall()


def test_source_reports_are_links_never_claims(store: Store, tmp_path: Path) -> None:
    write_malware(tmp_path / "malware")
    write_source_reports(tmp_path / "links")
    ingest(store, "paper", [str(tmp_path / "malware")])
    before = store.db.execute("SELECT count(*) FROM packages").fetchone()
    report = ingest(store, "paper", [str(tmp_path / "links")])
    assert [(Path(p.path).name, p.reason) for p in report.rejected] == [
        ("npm_source_report.xlsx", "sheet Sheet1 row 4: 'not a url' is not an http(s) URL")
    ]
    assert len(claims(store)) == 7  # the claims of malware.xlsx, and no more
    assert store.db.execute("SELECT count(*) FROM packages").fetchone() == before
    assert links(store) == [
        ("PyPI", "aiohttp-proxies", None, TIANWEN),
        ("PyPI", "colourama", "0.1.6", TIANWEN),
        ("PyPI", "never-claimed", "1.0", PHYLUM),  # canonical: it joins a later claim by name
        ("RubyGems", "gunther", "1.1.0", PHYLUM),
        ("npm", "@bad/scope", "2.0.1", PHYLUM),
        ("npm", "evil-js", None, PHYLUM),
    ]
    evidence = store.db.execute(
        "SELECT evidence FROM report_links WHERE name = 'evil-js'"
    ).fetchone()[0]
    assert json.loads(evidence) == {
        "Source": "Phylum",
        "status": "get",
        "error": "404",
        "ID": "2",
        "row": "Sheet1 row 3",
    }
    assert stats(store.db)["report_links"] == {
        "PyPI": {"links": 3, "to_claimed_packages": 1},
        "RubyGems": {"links": 1, "to_claimed_packages": 1},
        "npm": {"links": 2, "to_claimed_packages": 2},
    }
    # Co-existing: one Phylum report names packages of three ecosystems.
    (gunther,) = find_packages(store.db, "gunther", "RubyGems")
    together = {(p.ecosystem, p.name): p.reports for p in coreported(store.db, gunther)}
    assert together == {("npm", "@bad/scope"): (PHYLUM,), ("npm", "evil-js"): (PHYLUM,)}
    (phylum,) = store.db.execute("SELECT id FROM reports WHERE url = ?", (PHYLUM,)).fetchone()
    assert len(report_members(store.db)[phylum]) == 3
    card = read_card(store.db, gunther)
    assert [(r.url, r.via) for r in card.reports] == [(PHYLUM, "linked@1.1.0")]
    # A link waiting by name joins the package once a claim (of any source) names it.
    write_json(tmp_path / "osv/MAL-1.json", osv("MAL-1", "never.claimed", ecosystem="PyPI"))
    assert ingest(store, "osv", [str(tmp_path / "osv")]).outcomes == {"added": 1}
    (never,) = find_packages(store.db, "Never_Claimed", "PyPI")
    assert {p.name for p in coreported(store.db, never)} == {"@bad/scope", "evil-js", "gunther"}
    # A later version of a workbook replaces its links, and only its own.
    write_source_reports(tmp_path / "links", pypi_rows=1)
    later = (tmp_path / "links/pypi_source_report.xlsx").stat().st_mtime + 60
    os.utime(tmp_path / "links/pypi_source_report.xlsx", (later, later))
    again = ingest(store, "paper", [str(tmp_path / "links" / "pypi_source_report.xlsx")])
    assert again.ok and again.outcomes == {"replaced": 1}
    assert Counter(eco for eco, *_ in links(store)) == {"PyPI": 1, "RubyGems": 1, "npm": 2}


def test_files_that_hold_no_records(store: Store, tmp_path: Path) -> None:
    write_book(
        tmp_path / "demo.xlsx",
        {
            title: [("name", "version", "status"), (name, "1.0", None)]
            for title, name in (("npm", "bubble"), ("pypi", "requests"), ("rubygems", "json"))
        },
    )
    write_book(tmp_path / "notes.xlsx", {"Sheet1": [("anything",), (1,)]})
    report = ingest(store, "paper", [str(tmp_path)])
    assert report.ok and report.outcomes == {"added": 2}
    assert sorted((Path(w.path).name, w.reason) for w in report.warnings) == [
        (
            "demo.xlsx",
            "the demo input of the paper's mirror checks: legitimate packages, "
            "not claims (skipped)",
        ),
        ("notes.xlsx", "not a paper workbook (skipped)"),
    ]
    assert store.db.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_a_named_file_that_is_not_a_workbook_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "notadb").write_text("hello\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in/stray.xlsx").write_text("not a zip\n")
    for path, name in ((tmp_path / "notadb", "notadb"), (tmp_path / "in", "stray.xlsx")):
        result = CliRunner().invoke(
            app, ["--db", str(tmp_path / "m.db"), "ingest", "paper", str(path)]
        )
        assert result.exit_code == 1, result.output
        assert f"{name}: not an .xlsx workbook" in result.output
