"""Ingest end to end on the real sample data and on inputs written here."""

from __future__ import annotations

import gc
import itertools
import json
import os
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from malgraph.core.errors import RejectedInput
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store
from tests.conftest import origin, osv, write_json

TABLES = (
    "records",
    "packages",
    "package_versions",
    "record_versions",
    "reports",
    "record_reports",
    "edges",
    "documents",
    "sources",
)


def counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def sample_docs(shared: Path) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text())
        for p in sorted((shared / "osv-malicious-sample/osv").rglob("*.json"))
    ]


def claims_of(doc: dict[str, Any]) -> list[tuple[str, str, str, frozenset[str]]]:
    """(source, ecosystem, name, versions) per claim, worked out here without malgraph."""
    out = []
    origins = (doc.get("database_specific") or {}).get("malicious-packages-origins") or []
    for affected in doc["affected"]:
        eco, name = affected["package"]["ecosystem"], affected["package"]["name"]
        name = re.sub(r"[-_.]+", "-", name).lower() if eco == "PyPI" else name
        name = name.lower() if eco in ("npm", "NuGet") else name
        if origins:
            out += [(o["source"], eco, name, frozenset(o.get("versions") or [])) for o in origins]
        else:
            out.append(
                ("ossf-malicious-packages", eco, name, frozenset(affected.get("versions") or []))
            )
    return out


def test_sample_tree_counts_match_the_files(store: Store, shared_data: Path) -> None:
    report = ingest(store, "osv", [str(shared_data / "osv-malicious-sample")])
    docs = sample_docs(shared_data)
    assert report.ok and report.outcomes == {"added": len(docs)} == {"added": 1191}
    active = [c for d in docs if not d.get("withdrawn") for c in claims_of(d)]
    withdrawn = [c for d in docs if d.get("withdrawn") for c in claims_of(d)]
    numbers = stats(store.db)
    assert numbers["records"] == len(active)
    assert numbers["withdrawn_records"] == len(withdrawn) > 0
    assert numbers["packages"] == len({(e, n) for _, e, n, _ in active})
    expected = Counter((s, e) for s, e, _, _ in active)
    assert {
        (s, e): n for s, per in numbers["by_source"].items() for e, n in per.items()
    } == expected
    # Withdrawn records are still stored, and marked.
    assert (
        store.db.execute(
            "SELECT count(*) FROM records WHERE withdrawn IS NOT NULL AND parent_id IS NULL"
        ).fetchone()[0]
        == 54
    )


def test_strong_duplicated_edges_match_a_count_made_from_the_files(
    store: Store, shared_data: Path
) -> None:
    ingest(store, "osv", [str(shared_data / "osv-malicious-sample")])
    by_package: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
    for doc in sample_docs(shared_data):
        if not doc.get("withdrawn"):
            for source, eco, name, versions in claims_of(doc):
                by_package.setdefault((eco, name), []).append((source, versions))
    expected = sum(
        1
        for claims in by_package.values()
        for (s1, v1), (s2, v2) in itertools.combinations(claims, 2)
        if s1 != s2 and v1 & v2
    )
    assert stats(store.db)["edges"]["duplicated"] == expected > 0
    # Every edge joins two records of different sources that name the versions it cites.
    rows = store.db.execute(
        "SELECT e.evidence, a.source_id, b.source_id, a.package_id, b.package_id FROM edges e"
        " JOIN records a ON a.id = e.src_id JOIN records b ON b.id = e.dst_id"
        " WHERE e.kind = 'duplicated'"
    ).fetchall()
    for evidence, source_a, source_b, package_a, package_b in rows:
        assert source_a != source_b and package_a == package_b
        assert json.loads(evidence)["versions"]


def test_a_zip_of_the_tree_ingests_to_the_same_store(tmp_path: Path, shared_data: Path) -> None:
    tree = shared_data / "osv-malicious-sample"
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(tree.rglob("*.json")):
            zf.write(path, path.relative_to(tree))
    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        ingest(a, "osv", [str(tree)])
        ingest(b, "osv", [str(archive)])
        assert counts(a) == counts(b)
        assert stats(a.db) == stats(b.db)


def test_reingest_adds_nothing_and_reads_nothing(store: Store, shared_data: Path) -> None:
    tree = str(shared_data / "osv-malicious-sample")
    ingest(store, "osv", [tree])
    before = counts(store)
    again = ingest(store, "osv", [tree])
    assert again.outcomes == {"unchanged": 1191}
    assert counts(store) == before


def test_stored_rows_hold_every_column_a_claim_and_its_feed_record_have(
    store: Store, tmp_path: Path
) -> None:
    doc = osv("MAL-1", "evil", versions=["1.0"], origins=[origin("ghsa-malware", "GHSA-1")])
    write_json(tmp_path / "a.json", doc)
    ingest(store, "osv", [str(tmp_path)])
    rows = store.db.execute(
        "SELECT role, source_record_id, modified, imported, raw_sha256, document_sha256,"
        " summary, details FROM records ORDER BY id"
    ).fetchall()
    (document,) = store.db.execute("SELECT sha256 FROM documents").fetchone()
    assert rows == [
        (
            "merged",
            "MAL-1",
            "2024-01-01T00:00:00Z",
            None,
            document,
            document,
            "Malicious code in evil",
            "test record",
        ),
        (
            "claim",
            "GHSA-1",
            "2024-01-01T12:00:00Z",
            "2024-01-02T00:00:00Z",
            origin("ghsa-malware", "GHSA-1")["sha256"],
            None,
            None,
            None,
        ),
    ]
    assert gc.isenabled()  # the run pauses the cycle collector, and gives it back


def test_touched_files_are_reread_but_skipped_by_content_hash(store: Store, tmp_path: Path) -> None:
    path = write_json(tmp_path / "in/a.json", osv("MAL-1", "evil", versions=["1.0"]))
    ingest(store, "osv", [str(tmp_path / "in")])
    before = counts(store)
    os.utime(path, ns=(1, 1))  # same bytes, new stat
    assert ingest(store, "osv", [str(tmp_path / "in")]).outcomes == {"unchanged": 1}
    assert counts(store) == before


def test_a_newer_record_replaces_the_older_and_an_older_one_is_stale(
    store: Store, tmp_path: Path
) -> None:
    v1 = osv(
        "MAL-1",
        "evil",
        versions=["1.0"],
        origins=[origin("rl", "R1", ["1.0"])],
        references=[{"type": "ARTICLE", "url": "https://blog.example/evil"}],
        database_specific={"iocs": {"domains": ["evil.example"]}},
    )
    v2 = osv(
        "MAL-1",
        "evil",
        versions=["1.0", "2.0"],
        modified="2024-06-01T00:00:00Z",
        origins=[origin("rl", "R1", ["1.0"]), origin("ghsa-malware", "G1", ["2.0"])],
    )
    other = osv("MAL-2", "evil", versions=["2.0"], origins=[origin("cx", "C1", ["2.0"])])
    write_json(tmp_path / "one/a.json", v1)
    write_json(tmp_path / "one/b.json", other)
    ingest(store, "osv", [str(tmp_path / "one")])
    assert stats(store.db)["edges"] == {}
    write_json(tmp_path / "two/a.json", v2)
    assert ingest(store, "osv", [str(tmp_path / "two")]).outcomes == {"replaced": 1}
    rows = store.db.execute(
        "SELECT s.name FROM records r JOIN sources s ON s.id = r.source_id"
        " WHERE r.role = 'claim' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["cx", "ghsa-malware", "rl"]
    # The replacement's new claim duplicates MAL-2's claim on 2.0.
    assert stats(store.db)["edges"] == {"duplicated": 1}
    # The old version's rows went with it, though ingest writes without foreign-key checks.
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    for table in ("record_reports", "ioc_sightings"):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    after = counts(store)
    write_json(tmp_path / "three/a.json", v1)  # an older copy seen later changes nothing
    write_json(tmp_path / "three/a.json", {**v1, "details": "edited, but older"})
    assert ingest(store, "osv", [str(tmp_path / "three")]).outcomes == {"stale": 1}
    assert counts(store) == {**after, "documents": after["documents"] + 1}


def test_two_versions_in_one_run_keep_the_latest_whatever_the_order(tmp_path: Path) -> None:
    old = osv("MAL-1", "evil", versions=["1.0"])
    new = osv("MAL-1", "evil", versions=["2.0"], modified="2025-01-01T00:00:00Z")
    write_json(tmp_path / "x/a.json", new)
    write_json(tmp_path / "x/b.json", old)
    with Store(tmp_path / "s.db") as store:
        report = ingest(store, "osv", [str(tmp_path / "x")])
        assert report.outcomes == {"added": 1, "stale": 1}
        assert store.db.execute("SELECT versions FROM records").fetchall() == [('["2.0"]',)]


def test_report_references_become_one_report_per_url(store: Store, tmp_path: Path) -> None:
    def refs(url: str) -> dict[str, Any]:
        return {
            "references": [
                {"type": "ARTICLE", "url": url},
                {"type": "ADVISORY", "url": "https://github.com/advisories/x"},
                {"type": "PACKAGE", "url": "https://npmjs.com/package/x"},
            ]
        }

    write_json(tmp_path / "in/a.json", osv("MAL-1", "a", **refs("https://www.blog.example/post/")))
    write_json(
        tmp_path / "in/b.json", osv("MAL-2", "b", **refs("http://blog.example/post?utm_source=x"))
    )
    ingest(store, "osv", [str(tmp_path / "in")])
    assert store.db.execute("SELECT url_key, site FROM reports").fetchall() == [
        ("blog.example/post", "blog.example")
    ]
    assert store.db.execute("SELECT count(*) FROM record_reports").fetchone()[0] == 2


BAD = {
    "malformed.json": b'{"id": "MAL-9", "modified": ',
    "empty.json": b"",
    "binary.json": bytes(range(256)),
    "wrong-type.json": json.dumps({**osv("MAL-8", "x"), "aliases": "GHSA-1"}).encode(),
    "schema.json": json.dumps({"id": "MAL-7"}).encode(),
    "list.json": b"[]",
}


def write_bad_tree(root: Path) -> None:
    for name, raw in BAD.items():
        (root / "bad").mkdir(parents=True, exist_ok=True)
        (root / "bad" / name).write_bytes(raw)
    write_json(root / "good/a.json", osv("MAL-1", "good-one", versions=["1.0"]))
    write_json(root / "good/b.json", osv("MAL-2", "thing", ecosystem="Foobar"))
    # A valid record behind a file name that is not UTF-8.
    odd = os.path.join(os.fsencode(root / "good"), b"na\xefve-\xff.json")
    with open(odd, "wb") as fh:
        fh.write(json.dumps(osv("MAL-3", "good-two", versions=["2.0"])).encode())


def test_bad_inputs_are_reported_and_the_rest_goes_in(store: Store, tmp_path: Path) -> None:
    write_bad_tree(tmp_path)
    report = ingest(store, "osv", [str(tmp_path)])
    reasons = {Path(p.path).name: p.reason for p in report.rejected}
    assert set(reasons) == set(BAD)
    assert reasons["malformed.json"].startswith("not valid JSON")
    assert reasons["empty.json"] == "empty file"
    assert reasons["binary.json"].startswith("not valid JSON")
    assert "aliases" in reasons["wrong-type.json"]
    assert "modified" in reasons["schema.json"]
    assert report.outcomes == {"added": 3}
    assert [w.reason for w in report.warnings] == ["unknown ecosystem 'Foobar' (kept verbatim)"]
    names = {r[0] for r in store.db.execute("SELECT name FROM packages")}
    assert names == {"good-one", "good-two", "thing"}
    assert stats(store.db)["unknown_ecosystems"] == ["Foobar"]
    # The undecodable file name is stored with escapes, not lost.
    paths = [r[0] for r in store.db.execute("SELECT path FROM documents")]
    assert any(p.endswith("na\\xefve-\\xff.json") for p in paths)
    # Rejected files are reported again on the next run; accepted ones are skipped.
    again = ingest(store, "osv", [str(tmp_path)])
    assert len(again.rejected) == len(BAD) and again.outcomes == {"unchanged": 3}


def test_strict_rolls_back_the_whole_run(store: Store, tmp_path: Path) -> None:
    write_bad_tree(tmp_path)
    with pytest.raises(RejectedInput, match=r"\.json: "):
        ingest(store, "osv", [str(tmp_path)], strict=True)
    assert counts(store)["records"] == 0 and counts(store)["documents"] == 0
    assert gc.isenabled()


def test_a_broken_zip_is_reported_and_the_rest_goes_in(store: Store, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in/broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    write_json(tmp_path / "in/a.json", osv("MAL-1", "a", versions=["1"]))
    report = ingest(store, "osv", [str(tmp_path / "in")])
    assert [Path(p.path).name for p in report.rejected] == ["broken.zip"]
    assert report.outcomes == {"added": 1}


def test_oversized_members_are_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import malgraph.sources.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_DOCUMENT_BYTES", 1000)
    big = osv("MAL-1", "big", versions=["1"], details="x" * 5000)
    with zipfile.ZipFile(tmp_path / "in.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("osv/big.json", json.dumps(big))
        zf.writestr("osv/small.json", json.dumps(osv("MAL-2", "small", versions=["1"])))
    report = ingest(store, "osv", [str(tmp_path / "in.zip")])
    assert [(p.path.split("!")[1], "cap" in p.reason) for p in report.rejected] == [
        ("osv/big.json", True)
    ]
    assert report.outcomes == {"added": 1}
