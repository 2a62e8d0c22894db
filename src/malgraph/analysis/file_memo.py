"""A memo of file scans held in memory, bounded by their size: the least recently used scans
leave first. `malgraph analyze FILE...` and `check` use it alone; the stored flow puts it in
front of the store's table."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

from malgraph.core.file_scans import FileScan, FileScanKey

DEFAULT_MEMO_BYTES = 64 * 2**20


class RecentScans:
    """A FileScanMemo in memory, holding scans of at most `max_bytes` (by FileScan.weight); a
    scan heavier than a quarter of that is not kept (it would push out many others)."""

    def __init__(self, max_bytes: int = DEFAULT_MEMO_BYTES) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self.hits = 0  # keys asked for and found
        self.asked = 0  # keys asked for
        self._scans: OrderedDict[FileScanKey, tuple[FileScan, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._scans)

    def recall(self, keys: Collection[FileScanKey]) -> dict[FileScanKey, FileScan]:
        found: dict[FileScanKey, FileScan] = {}
        for key in keys:
            held = self._scans.get(key)
            if held is not None:
                self._scans.move_to_end(key)
                found[key] = held[0]
        self.asked += len(keys)
        self.hits += len(found)
        return found

    def remember(self, key: FileScanKey, scan: FileScan) -> None:
        weight = scan.weight()
        if weight * 4 > self.max_bytes or key in self._scans:
            return
        self._scans[key] = (scan, weight)
        self.held_bytes += weight
        while self.held_bytes > self.max_bytes:
            _key, (_scan, dropped) = self._scans.popitem(last=False)
            self.held_bytes -= dropped
