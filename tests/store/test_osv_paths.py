"""The OSV fast path (sources.osv.parse_osv, straight to rows) and the model path (the same
file as Records, through store.rows) store the very same rows."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from malgraph.core.model import Document
from malgraph.core.rows import DocumentRows
from malgraph.pipeline.duplicated import write_batch
from malgraph.sources.osv import osv_document, parse_osv
from malgraph.store import Store
from malgraph.store.rows import document_rows
from malgraph.store.writer import Accepted, Writer
from tests.conftest import origin, osv

BOUNDED = {"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}]}


def records() -> list[dict[str, Any]]:
    """OSV records with every part the fast path shapes by hand."""
    merged = osv(
        "MAL-2025-10",
        "evil",
        versions=["1.0.0", "1.0.1"],
        origins=[
            origin("ghsa-malware", "GHSA-aaaa-bbbb-cccc"),
            origin("reversing-labs", "RLMA-1", ["1.0.0"]),
            {**origin("ossf-package-analysis", "x", ["1.0.1"]), "id": None},
        ],
        aliases=["GHSA-aaaa-bbbb-cccc", "SNYK-JS-EVIL-1"],
        references=[
            {"type": "ARTICLE", "url": "https://blog.example.com/evil?utm_source=x"},
            {"type": "PACKAGE", "url": "https://www.npmjs.com/package/evil"},
            {"type": "WEB", "url": "https://research.example.org/posts/evil"},
        ],
        credits=[{"name": "Someone", "type": "FINDER", "contact": ["https://x.example"]}],
    )
    merged["database_specific"]["iocs"] = {
        "domains": ["evil[.]example"],
        "urls": ["https://exfil.example.net/c"],
        "ips": ["203.0.113.9"],
    }
    merged["affected"].append(
        {"package": {"ecosystem": "PyPI", "name": "Evil_Py"}, "ranges": [BOUNDED]}
    )
    plain = osv("MAL-2025-11", "evil", versions=["1.0.1", "2.0.0"])  # the same package
    withdrawn = osv(
        "MAL-2025-12",
        "oops",
        origins=[origin("ghsa-malware", "GHSA-dddd-eeee-ffff")],
        withdrawn="2024-07-01T03:32:00Z",
    )
    odd = osv("LWA-2026-1", "thing", ecosystem="Foobar", versions=["0.1"])
    unsafe = osv("MAL-2025-13", "fine", versions=["1.0"])
    unsafe["affected"].append({"package": {"ecosystem": "npm", "name": "evil\u200bname"}})
    return [merged, plain, withdrawn, odd, unsafe]


def both_paths(doc: dict[str, Any], path: str) -> tuple[DocumentRows, DocumentRows]:
    raw = json.dumps(doc).encode()
    sha = hashlib.sha256(raw).hexdigest()
    fast = parse_osv(raw, path, sha)
    model = osv_document(raw, path, sha)
    assert isinstance(fast, DocumentRows), fast
    assert isinstance(model, Document), model
    return fast, document_rows(model)


def stored(path: Path, batch: list[Accepted]) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows after writing the batch (the ingest time left out)."""
    with Store(path) as store:
        with store.transaction():
            write_batch(Writer(store.db), batch)
        store.db.execute("UPDATE documents SET ingested_at = ''")
        return _tables(store.db)


def _tables(db: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    names = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: sorted(db.execute(f"SELECT * FROM {name}"), key=repr) for name in names}


def test_the_fast_and_the_model_path_store_identical_rows(tmp_path: Path) -> None:
    fast_batch, model_batch = [], []
    for i, doc in enumerate(records()):
        path = f"/in/osv/{doc['id']}.json"
        fast, model = both_paths(doc, path)
        assert (fast.warnings, fast.rejected) == (model.warnings, model.rejected)
        fast_batch.append(Accepted(fast, path, (100 + i, 1)))
        model_batch.append(Accepted(model, path, (100 + i, 1)))
    by_fast = stored(tmp_path / "fast.db", fast_batch)
    by_model = stored(tmp_path / "model.db", model_batch)
    assert by_fast == by_model
    # The input covers what it should: claims under a merged record, both kinds of
    # duplicated edge, reports cited, IoCs, a withdrawn claim, an unsafe name left out.
    assert len(by_fast["records"]) == 2 * (1 + 3) + 1 + 2 + 1 + 1
    assert {row[1] for row in by_fast["edges"]} == {"duplicated", "duplicated_package"}
    assert len(by_fast["reports"]) == 2 and len(by_fast["record_reports"]) == 4
    assert len(by_fast["iocs"]) == 3
    assert sum("2024-07-01T03:32:00Z" in row for row in by_fast["records"]) == 2
    assert fast_batch[-1].rows.rejected and len(fast_batch[-1].rows.records) == 1


def test_both_paths_give_equal_rows_before_the_store(tmp_path: Path) -> None:
    for doc in records():
        fast, model = both_paths(doc, "/in/x.json")
        assert fast == model
