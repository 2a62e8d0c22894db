"""The `paper` source on the MalGraph paper's spreadsheet excerpt and on workbooks written here.

Expected numbers come from reading the sheets directly with openpyxl, not from the parser.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]

from malgraph.core.urls import url_key
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store

EXCERPT = "malgraph-paper-excerpt"
SIBLING = "malware_deduplicated.xlsx"
# the links read from npm_source_report.xlsx (IoC-report.xlsx's names are links too)
FROM_SOURCE_REPORT = (
    " WHERE report_links.document_sha256 IN"
    " (SELECT sha256 FROM documents WHERE doc_key = 'paper/npm_source_report')"
)


def sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows, header first, blank rows left out."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = {ws.title: [r for r in ws.iter_rows(values_only=True) if any(r)] for ws in book}
    book.close()
    return out


def dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def write_book(path: Path, content: dict[str, list[tuple[Any, ...]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in content.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def claims(store: Store) -> dict[str, tuple[Any, ...]]:
    """source_record_id -> (source label as given, ecosystem, name, versions, available,
    released, description, dependencies, details)."""
    rows = store.db.execute(
        "SELECT r.source_record_id, l.label, p.ecosystem, r.name_given, r.versions, r.available,"
        " r.released, r.description, r.dependencies, r.details FROM records r"
        " JOIN source_labels l ON l.id = r.label_id JOIN packages p ON p.id = r.package_id"
        " WHERE r.role = 'claim'"
    )
    return {
        ident: (
            src,
            eco,
            name,
            tuple(json.loads(versions)),
            available,
            released,
            description,
            tuple(json.loads(deps or "[]")),
            details,
        )
        for ident, src, eco, name, versions, available, released, description, deps, details in rows
    }


def test_the_excerpt(store: Store, shared_data: Path) -> None:
    folder = shared_data / EXCERPT
    report = ingest(store, "paper", [str(folder)])
    assert report.ok and report.outcomes == {"added": 5}
    malware, dedup = sheets(folder / "malware.xlsx"), sheets(folder / "malware_deduplicated.xlsx")
    traced = dicts(sheets(folder / "npm_source_report.xlsx")["Sheet1"])
    # One claim per row, under the row's Source as written (less "Maloss "'s trailing space).
    expected = Counter(str(r["Source"]).strip() for rows in malware.values() for r in dicts(rows))
    by_source = Counter(row[0] for row in claims(store).values())
    assert by_source == expected
    assert sum(expected.values()) == 120 + 266 + 25 + 3  # data rows of the four sheets
    assert by_source["Phylum"] == 126 and by_source["Maloss"] == 18
    # The source report's rows are links from a report to the package it named, not claims.
    assert store.db.execute(
        "SELECT count(*) FROM report_links" + FROM_SOURCE_REPORT
    ).fetchone() == (len(traced),)
    assert len(traced) == 86
    # Rows the deduplicated sheet does not hold: two Maven "group:artifact" (split on ':', no
    # version) and a docker image, whose only hyphen is followed by "kk": the one left unsplit.
    known = {(title, r["name_version"]) for title, rows in dedup.items() for r in dicts(rows)}
    outside = [
        r["name_version"]
        for title, rows in malware.items()
        for r in dicts(rows)
        if (title, r["name_version"]) not in known
    ]
    assert outside == [
        "com.github.codingandcoding:mail-watcher-plugin",
        "com.github.codingandcoding:servlet-api",
        "docker123321-kk",
    ]
    assert sorted((Path(w.path).name, w.reason) for w in report.warnings) == [
        # IoC-report.xlsx row 25 holds a note ("here"), not a package name: no link
        (
            "IoC-report.xlsx",
            "Name: 1 names left unlinked, not a package name (a note) (row: 25: '这里')",
        ),
        (
            "malware.xlsx",
            "name_version: 1 of 414 rows could not be split safely "
            "(kept as names without a version)",
        ),
        ("malware_deduplicated.xlsx", "read together with malware.xlsx (skipped)"),
    ]
    # The malware document's hash covers its sibling, whose names and dates it took.
    both = b"".join((folder / n).read_bytes() for n in ("malware.xlsx", SIBLING))
    assert store.db.execute(
        "SELECT 1 FROM documents WHERE doc_key = 'paper/malware' AND sha256 = ?",
        (hashlib.sha256(both).hexdigest(),),
    ).fetchone()


def test_rows_checked_by_hand(store: Store, shared_data: Path) -> None:
    ingest(store, "paper", [str(shared_data / EXCERPT)])
    got = claims(store)
    # malware.xlsx NPM row 2 (ID 21) and its malware_deduplicated.xlsx NPM row 78.
    assert got["paper/Backstabber-Knife/NPM/21"] == (
        "Backstabber-Knife",
        "npm",
        "advance-string-index",
        ("99.10.13",),
        1,
        "2022-03-27T22:34:39Z",
        "rukkaz package",
        (),
        None,
    )
    # A hyphen in the version too (NPM row 16; deduplicated row 56 has the dependencies).
    assert got["paper/Backstabber-Knife/NPM/952"][2:] == (
        "ember-views",
        ("0.9.1-zendesk",),
        1,
        "2021-08-13T07:08:45Z",
        None,
        ("crypto", "ip", "os", "request"),
        None,
    )
    # NPM rows 40-41: one package-version, tracked by Maloss, untracked by Tianwen.
    assert got["paper/Maloss/NPM/2243"][2:5] == ("deneuve-test-2", ("2.0.0",), 1)
    assert got["paper/Tianwen/NPM/5087"][2:5] == ("deneuve-test-2", ("2.0.0",), 0)
    # A scoped name; "Not available" as published_at is no date (deduplicated NPM row 6).
    assert got["paper/Tianwen/NPM/4321"][2:4] == ("@instapro/design-system", ("5.945.675",))
    assert got["paper/Snyk.io/NPM/4336"][2:6] == ("@ks-radar/radar", (), 0, None)
    # RubyGems row 11, four-part version; the deduplicated sheet lists three dependencies.
    assert got["paper/Backstabber-Knife/RubyGems/237"][1:] == (
        "RubyGems",
        "angular_file-upload-rails",
        ("1.6.1.2",),
        1,
        "2020-02-22T00:58:04Z",
        None,
        ("bundler", "rails", "railties"),
        None,
    )
    # PyPI: DataDog's "v1.0.0" is "1.0.0" in the deduplicated sheet (row 5).
    assert got["paper/DataDog/PyPI/7040"][2:4] == ("arangodb-driver", ("1.0.0",))
    # The Other sheet has no ID column: the row number stands in.
    assert got["paper/Backstabber-Knife/Other/row2"][1:5] == (
        "Maven",
        "com.github.codingandcoding:mail-watcher-plugin",
        (),
        1,
    )
    assert got["paper/Maloss/Other/row4"][:4] == ("Maloss", "docker", "docker123321-kk", ())
    assert not [ident for ident in got if ident.startswith("paper/npm_source_report")]
    # npm_source_report.xlsx rows 35 and 7, and 31 (no version): links, with their evidence.
    links = {
        json.loads(evidence)["ID"]: (url, eco, name, version, json.loads(evidence))
        for url, eco, name, version, evidence in store.db.execute(
            "SELECT p.url, l.ecosystem, l.name, l.version, l.evidence FROM report_links l"
            " JOIN reports p ON p.id = l.report_id"
            + FROM_SOURCE_REPORT.replace("report_links.", "l.")
        )
    }
    assert links["1339"] == (
        "https://blog.phylum.io/large-typosquat-campaign-targeting-react-and-angular/",
        "npm",
        "hngularjs",
        "1.1.2",
        {
            "Source": "Phylum",
            "status": "get",
            "published_at": "2023-09-25T23:58:18Z",
            "ID": "1339",
            "row": "Sheet1 row 35",
        },
    )
    assert links["152"][2:4] == ("@qw-app/fonts", "7.999.0")
    assert links["1206"][2:4] == ("estravesre", None)


def test_the_split_rule_alone(store: Store, shared_data: Path, tmp_path: Path) -> None:
    """Without its sibling, malware.xlsx is split by rule: checked against the sibling."""
    folder = shared_data / EXCERPT
    shutil.copy(folder / "malware.xlsx", tmp_path / "malware.xlsx")
    report = ingest(store, "paper", [str(tmp_path / "malware.xlsx")])
    dedup = {
        r["name_version"]: (r["name"], r["version"])
        for rows in sheets(folder / "malware_deduplicated.xlsx").values()
        for r in dicts(rows)
    }
    # Read by hand: the rule finds a version where the deduplicated sheet kept the whole name.
    rule_only = {
        "fusion-cli-tests-0.0.0-monorepo": ("fusion-cli-tests", "0.0.0-monorepo"),
        "kazer12-v1": ("kazer12", "v1"),
        "milleday-v1": ("milleday", "v1"),
    }
    got = claims(store)
    unsplit = 1  # docker123321-kk (see test_the_excerpt)
    for title, rows in sheets(folder / "malware.xlsx").items():
        for r in dicts(rows):
            if title == "Other":
                continue
            name, version = rule_only.get(r["name_version"]) or dedup[r["name_version"]]
            unsplit += version is None
            _, _, got_name, got_versions, *_ = got[f"paper/{r['Source']}/{title}/{r['ID']}"]
            # DataDog writes "v1.0.0", the deduplicated sheet "1.0.0": the same PEP 440 version.
            plain = tuple(v.removeprefix("v") for v in got_versions)
            want = (version.removeprefix("v"),) if version else ()
            assert (got_name, plain) == (name, want), r["name_version"]
    assert unsplit == 32
    assert sorted(w.reason for w in report.warnings) == [
        "name_version: 32 of 414 rows could not be split safely (kept as names without a version)",
        "no malware_deduplicated.xlsx beside it: names split by rule only",
    ]


def test_a_written_workbook(store: Store, tmp_path: Path) -> None:
    header = ("Source", "name_version", "Status", "ID", "OSS")
    write_book(
        tmp_path / "malware.xlsx",
        {
            "NPM": [
                header,
                ("Snyk.io", "foo-1-2.0", "tracked", 1, "NPM"),  # "1-2.0", "2.0": not semver
                (None, "evil-pkg-1.0.0", "tracked", 2, "NPM"),
                ("Snyk.io", "@scope/evil@1.2.3", "untracked", 3, "NPM"),
                ("Snyk.io", "left-pad-1.3.0-beta.1", "lost", 4, "NPM"),
            ],
            "PyPI": [
                header,
                ("Phylum", "foo-1-2.0", "tracked", 5, "PyPI"),  # PEP 440: "2.0" only
                ("Phylum", "test-23234231-0.9", "Not available", 6, "PyPI"),
            ],
            "RubyGems": [header, ("Phylum", "aws-sdk-v2-1.0.0", "tracked", 7, "RubyGems")],
            "Other": [
                ("OSS", "Source", "name_version", "Status"),
                ("maven", "Phylum", "org.evil:lib:1.0", "tracked"),
            ],
        },
    )
    report = ingest(store, "paper", [str(tmp_path)])
    assert [p.reason for p in report.rejected] == ["sheet NPM row 3: no Source"]
    assert sorted(w.reason for w in report.warnings) == [
        "name_version: 1 of 7 rows could not be split safely (kept as names without a version)",
        "no malware_deduplicated.xlsx beside it: names split by rule only",
    ]
    got = {ident: row[2:5] for ident, row in claims(store).items()}
    assert got == {
        "paper/Snyk.io/NPM/1": ("foo-1-2.0", (), 1),
        "paper/Snyk.io/NPM/3": ("@scope/evil", ("1.2.3",), 0),
        "paper/Snyk.io/NPM/4": ("left-pad", ("1.3.0-beta.1",), None),
        "paper/Phylum/PyPI/5": ("foo-1", ("2.0",), 1),
        "paper/Phylum/PyPI/6": ("test-23234231", ("0.9",), None),
        "paper/Phylum/RubyGems/7": ("aws-sdk-v2", ("1.0.0",), 1),
        "paper/Phylum/Other/row2": ("org.evil:lib", ("1.0",), 1),
    }


def test_unusable_workbooks(store: Store, tmp_path: Path) -> None:
    write_book(tmp_path / "a/malware.xlsx", {"NPM": [("Source", "Status", "ID"), ("x", "y", 1)]})
    (tmp_path / "b").mkdir()
    (tmp_path / "b/report.xlsx").write_bytes(b"URL\nhttps://example.com/\n")
    with zipfile.ZipFile(tmp_path / "c.xlsx", "w") as archive:  # a zip, but no workbook in it
        archive.writestr("hello.txt", "hello")
    (tmp_path / "c.xlsx").rename(tmp_path / "b/npm_source_report.xlsx")
    write_book(tmp_path / "d/malware.xlsx", {"NPM": [("Source", "name_version"), ("x", "y-1.0")]})
    write_book(tmp_path / "d/malware_deduplicated.xlsx", {"NPM": [("name_version", "name")]})
    report = ingest(store, "paper", [str(tmp_path)])
    reasons = {str(Path(p.path).relative_to(tmp_path)): p.reason for p in report.rejected}
    assert reasons.pop("a/malware.xlsx") == "malware.xlsx sheet NPM: missing column 'name_version'"
    assert reasons.pop("d/malware.xlsx") == (
        "malware_deduplicated.xlsx sheet NPM: missing column 'version'"
    )
    assert reasons.pop("b/report.xlsx").startswith("report.xlsx: not a readable .xlsx (BadZipFile")
    assert reasons.pop("b/npm_source_report.xlsx").startswith(
        "npm_source_report.xlsx: not a readable .xlsx ("
    )
    assert reasons == {}
    assert store.db.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_report_workbooks(store: Store, shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / EXCERPT
    paths = [folder / "report.xlsx", folder / "IoC-report.xlsx"]
    report = ingest(store, "paper", [str(p) for p in paths])
    assert report.ok and report.outcomes == {"added": 2}
    urls = [row[0] for p in paths for rows in sheets(p).values() for row in rows[1:]]
    assert len(urls) == 53 + 52  # data rows; IoC-report.xlsx repeats one URL on 4 rows
    keys = {url_key(u) for u in urls}
    # By hand: 53 + 49 distinct, two in both (lwn.net/Articles/292872, sonatype.com/contactus).
    assert len(keys) == 100
    assert store.db.execute("SELECT count(*) FROM reports").fetchone() == (len(keys),)
    text = dict(store.db.execute("SELECT url_key, text FROM reports"))
    rat = text["blog.phylum.io/npm-package-found-delivering-sophisticated-rat"]
    assert rat == "oscompatible\n172.64.149.23\nkdark1[.]com"
    # The four rows of one write-up: each package once, their shared IoC cell once.
    merged = text[
        "medium.com/checkmarx-security/the-evolutionary-tale-of-a-persistent-python-"
        "threat-d19196d4ed15"
    ]
    assert [line for line in merged.splitlines() if not line.startswith("https://")] == [
        "pycryptolibrary",
        "pypi/snyk/pycryptolibrary-2.0.0.tar.gz",
        "pitutil",
        "pypi/snyk/pitutil-1.0.0.tar.gz",
        "pythonsqlitetoolkitv1",
        "pypi/snyk/pythonsqlitetoolkitV1-1.1.0.tar.gz",
    ]
    assert merged.count("https://bananasquad.ru/downloadhandler") == 1
    seen = store.db.execute(
        "SELECT i.kind, i.value FROM ioc_sightings s JOIN iocs i ON i.id = s.ioc_id"
        " JOIN reports r ON r.id = s.report_id WHERE r.url_key = ?",
        ("blog.phylum.io/npm-package-found-delivering-sophisticated-rat",),
    ).fetchall()
    assert ("ip", "172.64.149.23") in seen
    # A row whose URL is not http(s) is left out with its row number; the rest go in.
    write_book(
        tmp_path / "report.xlsx",
        {"url": [("URL",), ("ftp://x.example/a",), ("https://x.example/b",)]},
    )
    again = ingest(store, "paper", [str(tmp_path / "report.xlsx")])
    assert [p.reason for p in again.rejected] == [
        "sheet url row 2: 'ftp://x.example/a' is not an http(s) URL"
    ]
    assert again.outcomes == {"replaced": 1}  # a later version of the document paper/report
    assert store.db.execute("SELECT 1 FROM reports WHERE url_key = 'x.example/b'").fetchone()
