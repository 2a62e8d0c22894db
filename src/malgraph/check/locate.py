"""Where in a project file a package is written: the first line naming it, found by a cheap
text search (no second parse), for SARIF regions. Archives have no lines."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MAX_SEARCHED_BYTES = 64 * 1024 * 1024  # as the input reader's cap


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    try:
        path = Path(file)
        if path.stat().st_size > MAX_SEARCHED_BYTES:
            return ()
        return tuple(path.read_text("utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def line_of(file: str, name: str) -> int | None:
    """The 1-based line where `file` first names package `name`: a lockfile's
    `node_modules/NAME` key first, else the name as a word of its own."""
    lines = _lines(file)
    if not lines:
        return None
    folder = f'node_modules/{name}"'
    for number, line in enumerate(lines, 1):
        if folder in line:
            return number
    word = re.compile(r"(?<![\w.@/-])" + re.escape(name) + r"(?![\w/-])", re.IGNORECASE)
    for number, line in enumerate(lines, 1):
        if name.lower() in line.lower() and word.search(line):
            return number
    return None
