"""The read model of memoised file scans (core.file_scans): the scans stored for some keys, by
one analyser version; a row of another version, or one that does not decode, is left out (the
caller scans the file again)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from malgraph.core.file_scans import FileScan, FileScanKey
from malgraph.core.kinds import ScanDialect
from malgraph.store.file_scans import DamagedScan, decode_file_scan

_BATCH = 400  # keys a query: SQLite's bound parameters are limited


def stored_file_scans(
    db: sqlite3.Connection, keys: Collection[FileScanKey], analyzer: str
) -> dict[FileScanKey, FileScan]:
    found: dict[FileScanKey, FileScan] = {}
    wanted = set(keys)
    by_sha = sorted({key.sha256 for key in wanted})
    for at in range(0, len(by_sha), _BATCH):
        batch = by_sha[at : at + _BATCH]
        rows = db.execute(
            "SELECT sha256, dialect, scan FROM file_scans"
            f" WHERE analyzer = ? AND sha256 IN ({','.join('?' * len(batch))})",
            (analyzer, *batch),
        )
        for sha256, dialect, blob in rows:
            if (sha256, dialect) not in wanted:  # another dialect of the same bytes
                continue
            key = FileScanKey(sha256, ScanDialect(dialect))
            try:
                found[key] = decode_file_scan(blob)
            except DamagedScan:
                continue
    return found


def file_scan_count(db: sqlite3.Connection) -> int:
    """How many file scans are stored (of any analyser version)."""
    return int(db.execute("SELECT count(*) FROM file_scans").fetchone()[0])
