"""What the store keeps of a plain input file read before (its stat), so that an unchanged
file is not read again."""

from __future__ import annotations

from typing import NamedTuple


class FileStat(NamedTuple):
    """A file's size and modification time as `os.stat` gave them when it was read."""

    size: int
    mtime_ns: int
