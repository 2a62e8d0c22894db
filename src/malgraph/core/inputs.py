"""What the store keeps of a plain input file read before (its stat), so that an unchanged
file is not read again; and how an input's path is shown and stored."""

from __future__ import annotations

import os
from typing import NamedTuple


def display_path(path: str) -> str:
    """A printable, storable path: undecodable bytes of a file name become \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class FileStat(NamedTuple):
    """A file's size and modification time as `os.stat` gave them when it was read."""

    size: int
    mtime_ns: int
