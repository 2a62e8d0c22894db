"""Memoised file scans in the store: what is written reads back equal, and a row that is
damaged or of another analyser version is never taken."""

from __future__ import annotations

import hashlib
import zlib

import orjson
import pytest

from malgraph.analysis.file_scan import SCAN_VERSION, scan_file
from malgraph.core.file_scans import FileScan, FileScanKey
from malgraph.core.kinds import ScanDialect
from malgraph.store import Store
from malgraph.store.file_scans import (
    MAX_SCAN_JSON,
    DamagedScan,
    decode_file_scan,
    encode_file_scan,
    save_file_scans,
)
from malgraph.store.read.file_scans import file_scan_count, stored_file_scans
from tests.analysis.sharing_corpus import BROKEN_PY, HOOK, RUBY, TYPED, VENDORED


def _key(data: bytes, dialect: ScanDialect) -> FileScanKey:
    return FileScanKey(hashlib.sha256(data).hexdigest(), dialect)


SAMPLES = [
    (VENDORED, ScanDialect.PYTHON),
    (BROKEN_PY, ScanDialect.PYTHON),
    (TYPED, ScanDialect.TYPESCRIPT),
    (TYPED, ScanDialect.JAVASCRIPT),
    (RUBY, ScanDialect.RUBY),
    (HOOK, ScanDialect.SCRIPT),
    (b"", ScanDialect.PYTHON),
]


def test_stored_scans_read_back_equal_by_content_and_dialect(store: Store) -> None:
    scans = {_key(data, dialect): scan_file(data, dialect) for data, dialect in SAMPLES}
    assert any(s.obfuscation for s in scans.values()) and any(s.problems for s in scans.values())
    with store.transaction() as db:
        assert save_file_scans(db, SCAN_VERSION, scans.items()) == len(scans)
    assert file_scan_count(store.db) == len(scans)
    assert stored_file_scans(store.db, list(scans), SCAN_VERSION) == scans
    some = list(scans)[2:4]  # the same bytes in two dialects: each its own
    assert stored_file_scans(store.db, some, SCAN_VERSION) == {k: scans[k] for k in some}
    unknown = _key(b"never stored", ScanDialect.PYTHON)
    assert stored_file_scans(store.db, [unknown], SCAN_VERSION) == {}
    vendored = scans[_key(VENDORED, ScanDialect.PYTHON)]
    # No field names, no paths, and compressed: a row is smaller than its file (the sample's
    # encoded string's sign carries its sha256, which does not compress).
    assert len(encode_file_scan(vendored)) < len(VENDORED) * 2 / 3


def test_a_damaged_row_or_one_of_another_version_is_ignored(store: Store) -> None:
    good = [(_key(data, dialect), scan_file(data, dialect)) for data, dialect in SAMPLES[:4]]
    blob = encode_file_scan(good[0][1])
    document = orjson.loads(zlib.decompress(blob))
    document[1][0][0] = "no such category"
    damaged = {
        good[0][0]: blob[:-3],  # cut short: zlib's checksum fails
        good[1][0]: zlib.compress(b"[1, 2, 3]"),  # not a scan
        good[2][0]: zlib.compress(orjson.dumps(document)),  # a value no enum has
    }
    with store.transaction() as db:
        save_file_scans(db, SCAN_VERSION, good)
        for key, bad in damaged.items():
            db.execute(
                "UPDATE file_scans SET scan = ? WHERE sha256 = ? AND dialect = ?", (bad, *key)
            )
        save_file_scans(db, "an older analyser", [good[3]])  # replaces the current row
    keys = [key for key, _scan in good]
    assert stored_file_scans(store.db, keys, SCAN_VERSION) == {}
    assert stored_file_scans(store.db, keys, "an older analyser") == {good[3][0]: good[3][1]}
    assert decode_file_scan(encode_file_scan(good[1][1])) == good[1][1]


def _huge_scan() -> FileScan:
    """A scan whose stored JSON is just over the cap (its stream alone is)."""
    return FileScan((), (), (), (), (), "x" * MAX_SCAN_JSON, None, 1)


def test_a_row_that_inflates_past_the_cap_is_damaged_and_scanned_again(store: Store) -> None:
    good = [(_key(data, dialect), scan_file(data, dialect)) for data, dialect in SAMPLES[:2]]
    huge = encode_file_scan(_huge_scan())  # what older code would have stored: a few KB
    assert len(huge) < 2**20
    whole = zlib.compress(orjson.dumps(["x" * (MAX_SCAN_JSON - 10)]))  # under the cap, not a scan
    with store.transaction() as db:
        save_file_scans(db, SCAN_VERSION, good)
        db.execute(
            "UPDATE file_scans SET scan = ? WHERE sha256 = ? AND dialect = ?", (huge, *good[0][0])
        )
    keys = [key for key, _scan in good]
    assert stored_file_scans(store.db, keys, SCAN_VERSION) == {good[1][0]: good[1][1]}
    with pytest.raises(DamagedScan, match="inflates past"):
        decode_file_scan(huge)
    with pytest.raises(DamagedScan):  # inflated whole: under the cap, but not a scan
        decode_file_scan(whole)
    # Two zlib streams back to back, or garbage after one: not what encode_file_scan writes.
    blob = encode_file_scan(good[1][1])
    for bad in (blob + blob, blob + b"junk"):
        with pytest.raises(DamagedScan, match="zlib stream"):
            decode_file_scan(bad)


def test_a_scan_over_the_cap_is_not_stored(store: Store) -> None:
    small = (_key(b"small", ScanDialect.PYTHON), scan_file(b"import os\n", ScanDialect.PYTHON))
    huge = (_key(b"huge", ScanDialect.PYTHON), _huge_scan())
    with store.transaction() as db:
        assert save_file_scans(db, SCAN_VERSION, [small, huge]) == 1
    assert file_scan_count(store.db) == 1
