import hashlib
import json
from pathlib import Path
from typing import Any

from malgraph.core.model import Problem
from malgraph.core.rows import DocumentRows, RecordRow
from malgraph.sources.osv import parse_osv
from tests.conftest import origin, osv


def parse(doc: Any) -> DocumentRows | Problem:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse_osv(raw, "some/file.json", hashlib.sha256(raw).hexdigest())


def rejected(doc: Any) -> str:
    result = parse(doc)
    assert isinstance(result, Problem), result
    assert result.path == "some/file.json"
    return result.reason


def test_every_origin_becomes_a_claim_of_its_own_source() -> None:
    doc = osv(
        "MAL-2025-1",
        "evil",
        versions=["1.0.0", "1.0.1"],
        origins=[
            origin("ghsa-malware", "GHSA-xxxx-yyyy-zzzz"),
            origin("reversing-labs", "RLMA-1", ["1.0.0"]),
            {**origin("ossf-package-analysis", "x", ["1.0.1"]), "id": None},
        ],
    )
    result = parse(doc)
    assert isinstance(result, DocumentRows)
    (record,) = result.records
    assert result.feed == "ossf-malicious-packages"
    assert record.row.role == "merged" and record.source == "ossf-malicious-packages"
    assert record.package == ("npm", "evil", 1, "pkg:npm/evil")
    claims = {c.source: c for c in record.children}
    assert set(claims) == {"ghsa-malware", "reversing-labs", "ossf-package-analysis"}
    assert all(c.row.role == "claim" and c.package == record.package for c in claims.values())
    assert claims["ghsa-malware"].row.scope == "all"
    assert claims["reversing-labs"].versions == (("1.0.0", "pkg:npm/evil@1.0.0"),)
    assert claims["reversing-labs"].row.versions == '["1.0.0"]'
    assert claims["reversing-labs"].row.scope == "listed"
    # An origin without an id is known by its report hash.
    assert claims["ossf-package-analysis"].row.source_record_id == origin("o", "x")["sha256"]
    assert claims["ghsa-malware"].row.imported == "2024-01-02T00:00:00Z"
    assert claims["ghsa-malware"].row.modified == "2024-01-01T12:00:00Z"
    # Only the feed's record names its document; its claims hang under it.
    assert record.row.document_sha256 == result.sha256
    assert claims["ghsa-malware"].row.document_sha256 is None
    assert record.row.raw_sha256 == result.sha256
    assert claims["ghsa-malware"].row.raw_sha256 == origin("s", "GHSA-xxxx-yyyy-zzzz")["sha256"]
    # A claim carries no texts of its own (the writer binds none of them), and the feed's
    # record none of the columns other sources fill.
    texts = RecordRow._fields.index("released")
    assert all(value is None for c in record.children for value in c.row[texts:])
    assert record.row[RecordRow._fields.index("available") :] == (None,) * 4
    assert claims["ghsa-malware"].row.details is None


def test_a_record_without_origins_is_the_feeds_own_claim() -> None:
    result = parse(osv("MAL-2025-2", "evil", versions=["2.0"]))
    assert isinstance(result, DocumentRows)
    (record,) = result.records
    assert record.row.role == "claim" and record.row.scope == "listed"
    assert record.children == ()


def test_withdrawn_records_are_kept_and_marked_down_to_their_claims() -> None:
    doc = osv(
        "MAL-2025-3",
        "fp",
        origins=[origin("ghsa-malware", "GHSA-1")],
        withdrawn="2024-07-01T03:32:00Z",
    )
    result = parse(doc)
    assert isinstance(result, DocumentRows)
    assert result.records[0].row.withdrawn == "2024-07-01T03:32:00Z"
    assert result.records[0].children[0].row.withdrawn == "2024-07-01T03:32:00Z"


def test_scopes() -> None:
    def scope(**affected: Any) -> str:
        doc = osv("MAL-1", "x")
        doc["affected"][0] = {"package": {"ecosystem": "npm", "name": "x"}, **affected}
        result = parse(doc)
        assert isinstance(result, DocumentRows)
        scope: str = result.records[0].row.scope
        return scope

    intro0 = {"type": "SEMVER", "events": [{"introduced": "0"}]}
    bounded = {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}
    assert scope(ranges=[intro0], versions=["1.0"]) == "all"
    assert scope(ranges=[bounded]) == "range"
    assert scope(versions=["1.0"]) == "listed"
    assert scope() == "unknown"


def test_unlisted_ecosystems_and_id_prefixes_are_kept_with_a_warning() -> None:
    result = parse(osv("LWA-2026-1", "thing", ecosystem="Foobar"))
    assert isinstance(result, DocumentRows)
    assert result.feed == "leitwacht"
    assert result.records[0].package[:3] == ("Foobar", "thing", 0)
    assert any("Foobar" in w for w in result.warnings)
    assert any("'LWA'" in w for w in result.warnings)


def test_bad_input_is_rejected_with_a_reason() -> None:
    assert rejected(b"") == "empty file"
    assert rejected(b"   \n") == "empty file"
    assert rejected(b'{"id": "MAL-1",').startswith("not valid JSON")
    assert rejected(b"\x89PNG\r\n\x1a\n\x00\x00").startswith("not valid JSON")
    assert "top level is a list" in rejected([1, 2])
    assert "modified" in rejected({"id": "MAL-1"})  # required field missing
    wrong_type = osv("MAL-1", "x")
    wrong_type["affected"][0]["package"]["name"] = 42
    assert "affected/0/package/name" in rejected(wrong_type)
    bad_time = osv("MAL-1", "x", modified="last tuesday")
    assert "modified" in rejected(bad_time)
    assert "affected" in rejected({**osv("MAL-1", "x"), "affected": []})
    bad_origin = osv("MAL-1", "x", origins=[{"sha256": "ab"}])
    assert "malicious-packages-origins[0]: 'source'" in rejected(bad_origin)
    bad_versions = osv("MAL-1", "x", origins=[{**origin("s", "i"), "versions": "1.0"}])
    assert "'versions' is not a list" in rejected(bad_versions)


def test_real_records_parse(shared_data: Path) -> None:
    # A real record with four origins from three sources.
    path = (
        shared_data / "osv-malicious-sample/osv/malicious/npm/4m-clean-shopify-app/MAL-2025-8.json"
    )
    raw = path.read_bytes()
    result = parse_osv(raw, str(path), hashlib.sha256(raw).hexdigest())
    assert isinstance(result, DocumentRows)
    (record,) = result.records
    sources = [c.source for c in record.children]
    assert sorted(sources) == ["ghsa-malware", "ossf-package-analysis"] + ["reversing-labs"] * 3
    assert json.loads(record.row.aliases) == [
        "GHSA-4pff-w6v4-ghmc",
        "SNYK-JS-4MCLEANSHOPIFYAPP-8685201",
    ]
    assert record.row.published == "2024-12-20T14:00:49Z"
    assert record.row.details and record.row.summary


def test_a_feeds_index_is_skipped_and_a_record_named_index_is_read(tmp_path: Path) -> None:
    from malgraph.pipeline.ingest import ingest
    from malgraph.sources.osv import INDEX
    from malgraph.store import Store
    from tests.conftest import write_json

    feed = tmp_path / "leitwacht"
    write_json(feed / "osv/2026/LWA-1.json", osv("LWA-1", "evil", versions=["1.0.0"]))
    write_json(
        feed / "index.json",
        {
            "LWA-1": {
                "package": "evil",
                "version": "1.0.0",
                "mal_id": "MAL-2026-1",
                "file": "osv/2026/LWA-1.json",
            }
        },
    )
    write_json(tmp_path / "other/index.json", osv("MAL-9", "also-evil"))
    with Store(tmp_path / "s.db") as store:
        report = ingest(store, "osv", [str(feed), str(tmp_path / "other")])
        assert report.rejected == []
        assert INDEX in [w.reason for w in report.warnings]
        names = store.db.execute("SELECT name FROM packages ORDER BY name").fetchall()
        assert names == [("also-evil",), ("evil",)]
