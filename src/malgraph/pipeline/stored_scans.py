"""The memo of file scans one process of `malgraph analyze` uses: the scans it met lately, in
memory, in front of the store's table, which it reads through a read-only connection of its
own (a worker never writes: the scans it makes go back to the main process with the analysis
of their archive, which stores both in one transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import NamedTuple

from malgraph.analysis.file_memo import DEFAULT_MEMO_BYTES, RecentScans
from malgraph.analysis.file_scan import SCAN_VERSION
from malgraph.core.file_scans import FileScan, FileScanKey
from malgraph.store.read.file_scans import stored_file_scans
from malgraph.store.read.readonly import open_readonly


class MemoUse(NamedTuple):
    """What one archive's analysis took from the memo and gave it."""

    made: tuple[tuple[FileScanKey, FileScan], ...]  # scans made: to store with the analysis
    scanned: int  # distinct file contents scanned
    recalled: int  # distinct file contents whose scan was recalled (from memory or the store)


class StoredScans:
    """A FileScanMemo over the store at `store_path`; `take()` after each archive."""

    def __init__(self, store_path: Path, max_bytes: int = DEFAULT_MEMO_BYTES) -> None:
        self.recent = RecentScans(max_bytes)
        self._store_path = store_path
        self._db: sqlite3.Connection | None = None  # opened at first use, in the process using it
        self._made: list[tuple[FileScanKey, FileScan]] = []
        self._asked = 0
        self._recalled = 0

    def recall(self, keys: Collection[FileScanKey]) -> dict[FileScanKey, FileScan]:
        found = self.recent.recall(keys)
        rest = [key for key in keys if key not in found]
        if rest:
            stored = stored_file_scans(self._connection(), rest, SCAN_VERSION)
            for key, scan in stored.items():
                self.recent.remember(key, scan)
            found.update(stored)
        self._asked += len(keys)
        self._recalled += len(found)
        return found

    def remember(self, key: FileScanKey, scan: FileScan) -> None:
        self.recent.remember(key, scan)
        self._made.append((key, scan))

    def take(self) -> MemoUse:
        """What the archive just analysed took and gave; the counts start again."""
        use = MemoUse(tuple(self._made), self._asked - self._recalled, self._recalled)
        self._made.clear()
        self._asked = self._recalled = 0
        return use

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_readonly(self._store_path)
        return self._db
