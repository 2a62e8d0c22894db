"""The `list`, `maloss` and `datadog` sources, on files written here and on the shared data."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store


def claims_by(store: Store) -> Counter[tuple[str, str]]:
    rows = store.db.execute(
        "SELECT s.name, p.ecosystem FROM records r JOIN sources s ON s.id = r.source_id"
        " JOIN packages p ON p.id = r.package_id WHERE r.role = 'claim'"
    )
    return Counter(rows)


def test_a_csv_list_merges_rows_and_reports_bad_ones(store: Store, tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text(
        "Ecosystem,Name,Version,Source,Date,URL\n"
        "npm,evil-pkg,1.0.0,my-team,2024-05-01,https://blog.example/evil\n"
        "npm,Evil-Pkg,1.0.1,my-team,2024-04-01,\n"  # the same npm package: one claim
        "pypi,Bad_Thing,,,,\n"  # no version, no source: the file's name is the source
        ",no-ecosystem,1.0,,,\n"
        "npm,dated-badly,1.0,,last week,\n"
    )
    report = ingest(store, "list", [str(tmp_path / "mine.csv")])
    assert sorted(p.reason for p in report.rejected) == [
        "line 5: needs an ecosystem and a name",
        "line 6: date 'last week' is not YYYY-MM-DD",
    ]
    rows = store.db.execute(
        "SELECT s.name, p.name, r.scope, r.versions, r.published FROM records r"
        " JOIN sources s ON s.id = r.source_id JOIN packages p ON p.id = r.package_id ORDER BY 2"
    ).fetchall()
    assert rows == [
        ("mine", "bad-thing", "unknown", "[]", None),
        ("my-team", "evil-pkg", "listed", '["1.0.0","1.0.1"]', "2024-04-01T00:00:00Z"),
    ]
    assert store.db.execute("SELECT url FROM reports").fetchall() == [
        ("https://blog.example/evil",)
    ]


def test_a_json_list_and_a_list_missing_its_columns(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps(
            {"packages": [{"ecosystem": "PyPI", "name": "x", "version": "1.0"}, {"name": "no-eco"}]}
        )
    )
    (tmp_path / "b.csv").write_text("package,version\nfoo,1\n")
    report = ingest(store, "list", [str(tmp_path)])
    reasons = {Path(p.path).name: p.reason for p in report.rejected}
    assert reasons == {
        "a.json": "item 1: needs an ecosystem and a name",
        "b.csv": "missing column(s) ecosystem, name; expected ecosystem, name, "
        "version, source, date, url",
    }
    assert report.outcomes == {"added": 1}


def test_datadog_manifests(store: Store, shared_data: Path) -> None:
    root = shared_data / "datadog-manifests"
    report = ingest(store, "datadog", [str(root)])
    assert report.ok and report.outcomes == {"added": 2}
    npm = json.loads((root / "samples/npm/manifest.json").read_text())
    pypi = json.loads((root / "samples/pypi/manifest.json").read_text())
    assert claims_by(store) == {("datadog", "npm"): len(npm), ("datadog", "PyPI"): len(pypi)}
    assert (len(npm), len(pypi)) == (2711, 1304)
    # [] is "version unknown", a list names the versions.
    scopes = Counter(s for (s,) in store.db.execute("SELECT scope FROM records"))
    assert scopes == {
        "unknown": sum(1 for v in [*npm.values(), *pypi.values()] if v == []),
        "listed": sum(1 for v in [*npm.values(), *pypi.values()] if v),
    }
    pep503 = {re.sub(r"[-_.]+", "-", n).lower() for n in pypi}
    assert stats(store.db)["packages"] == len({n.lower() for n in npm}) + len(pep503)


def test_datadog_null_means_every_version(store: Store, tmp_path: Path) -> None:
    manifest = tmp_path / "samples/npm/manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"evil": None, "@scope/lib": ["1.2.3"], "bad": 3}))
    report = ingest(store, "datadog", [str(tmp_path)])
    assert [p.reason for p in report.rejected] == [
        "'bad': versions must be null or a list of strings"
    ]
    rows = dict(store.db.execute("SELECT name_given, scope FROM records"))
    assert rows == {"evil": "all", "@scope/lib": "listed"}


def test_maloss_lists(store: Store, shared_data: Path) -> None:
    folder = shared_data / "maloss-lists/malware"
    report = ingest(store, "maloss", [str(shared_data / "maloss-lists")])
    assert report.ok
    # snyk-mal-pkgs.txt, read by hand: 52 npm and 10 pip "README.md:- [...](url)" lines, then
    # four "name[=versions]" entries (3 npm advisories, 1 Python) with their URLs.
    assert claims_by(store)[("snyk", "npm")] == 55
    assert claims_by(store)[("snyk", "PyPI")] == 11
    # Name lists: distinct names per file, the "package name" header left out.
    expected: Counter[tuple[str, str]] = Counter()
    for path in folder.glob("*-mal-pkgs*.txt"):
        registry = path.name.split("-")[0]
        if registry in ("jcenter", "snyk") or ".with_stats" in path.name:
            continue
        names = {n.strip() for n in path.read_text().splitlines()} - {"", "package name"}
        eco = {"npmjs": "npm", "pypi": "PyPI", "rubygems": "RubyGems", "maven": "Maven"}[registry]
        expected[("maloss", eco)] += len(names)
    # The detail sheet: one claim per row; jcenter: one per /user/repo/<group>/<artifact>.
    with open(folder / "presentation/Reported Malware Analysis - Detail.csv") as fh:
        managers = Counter(row["Package Manager"] for row in csv.DictReader(fh))
    for manager, n in managers.items():
        expected[("maloss", {"npmjs": "npm", "pypi": "PyPI", "rubygems": "RubyGems"}[manager])] += n
    # jcenter-mal-pkgs.txt, read by hand: 11 group/artifact folders hold versions, and 7 more
    # are named only by their maven-metadata.xml files; maven-mal-pkgs.txt names 3.
    assert claims_by(store)[("maloss", "Maven")] == 11 + 7 + 3
    got = {k: v for k, v in claims_by(store).items() if k[0] == "maloss" and k[1] != "Maven"}
    assert got == {k: v for k, v in expected.items() if k[1] != "Maven"}
    # The detail sheet carries the life cycle dates.
    row = store.db.execute(
        "SELECT released, published, removed, details FROM records"
        " WHERE source_record_id = 'maloss/detail/pypi/jajajejejiji'"
    ).fetchone()
    assert row == (
        "2019-04-05T00:00:00Z",
        None,
        "2019-06-05T00:00:00Z",
        "stage: install; strategy: typosquatting; behavior: steal info",
    )


def test_datadog_sample_tree_registers_artifacts(store: Store, tmp_path: Path) -> None:
    import zipfile

    root = tmp_path / "samples"
    (root / "npm").mkdir(parents=True)
    (root / "npm/manifest.json").write_text(json.dumps({"@scope/evil": ["1.0.0"], "other": None}))
    sample = root / "npm/malicious_intent/@scope@evil/1.0.0/2024-05-01-@scope@evil-v1.0.0.zip"
    sample.parent.mkdir(parents=True)
    with zipfile.ZipFile(sample, "w") as zf:  # an inert stand-in; malgraph never opens it
        zf.writestr("package/index.js", "console.log('inert')")
    report = ingest(store, "datadog", [str(tmp_path)])
    assert report.ok and report.outcomes == {"added": 2}
    rows = store.db.execute(
        "SELECT p.name, pv.version, a.kind, a.detected, a.sha256 FROM artifacts a"
        " JOIN package_versions pv ON pv.id = a.package_version_id"
        " JOIN packages p ON p.id = pv.package_id"
    ).fetchall()
    import hashlib

    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    assert rows == [
        (
            "@scope/evil",
            "1.0.0",
            "datadog-sample (malicious_intent)",
            "2024-05-01T00:00:00Z",
            digest,
        )
    ]
    # The manifest's claim on @scope/evil 1.0.0 has its code; "other" has none.
    assert stats(store.db)["missing_rate"]["by_source"]["datadog"] == {
        "records": 2,
        "missing": 0.5,
        "missing_after_filling": 0.5,
    }
