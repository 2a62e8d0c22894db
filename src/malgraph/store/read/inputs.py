"""The read model of the stat cache: the plain input files read before, by key (a path, or
an archive's key per source), with the stat they had then."""

from __future__ import annotations

import sqlite3

from malgraph.core.inputs import FileStat


def known_inputs(db: sqlite3.Connection, prefix: str | None = None) -> dict[str, FileStat]:
    """Key -> stat of the input files read before; with `prefix`, only the keys that start
    with it."""
    if prefix is None:
        rows = db.execute("SELECT path, size, mtime_ns FROM input_files")
    else:
        rows = db.execute(
            "SELECT path, size, mtime_ns FROM input_files WHERE path >= ? AND path < ?",
            (prefix, prefix + "\U0010ffff"),
        )
    return {key: FileStat(size, mtime) for key, size, mtime in rows}
