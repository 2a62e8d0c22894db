"""Opening a store to read only (the Python API's handle): nothing is created, migrated or
written, and a missing file or a database of something else is refused with StoreError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from malgraph.core.errors import StoreError
from malgraph.store import _check_place
from malgraph.store.schema import MIGRATIONS


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection on the store at `path`, of a schema this malgraph reads."""
    path = Path(path)
    _check_place(path, create=False)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store ({exc})") from exc
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        has_packages = db.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'packages'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(f"{path}: not a usable malgraph store ({exc})") from exc
    if version == 0 or not has_packages:
        db.close()
        raise StoreError(f"{path}: an SQLite database of something else, not a malgraph store")
    if version != len(MIGRATIONS):
        db.close()
        raise StoreError(
            f"{path}: a store of schema {version}, this malgraph reads {len(MIGRATIONS)}: "
            "upgrade malgraph, or upgrade an older store with `malgraph stats --db PATH`"
        )
    return db
