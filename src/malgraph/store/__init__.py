"""The store: one SQLite file (WAL), versioned schema, explicit transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from malgraph.errors import StoreError
from malgraph.store.schema import MIGRATIONS

DEFAULT_PATH = "malgraph.db"


def default_path() -> Path:
    return Path(os.environ.get("MALGRAPH_DB") or DEFAULT_PATH)


class Store:
    """An open store. Writers take `transaction()`; everything inside commits or nothing does."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so batches are explicit.
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoint,
            self.db.execute("PRAGMA foreign_keys=ON")  # never corrupt on a kill
            self.db.execute("PRAGMA cache_size=-65536")
            self.db.execute("PRAGMA temp_store=MEMORY")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: not a malgraph store ({exc}); pass another --db"
            ) from exc

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema {version}, newer than this malgraph "
                f"({len(MIGRATIONS)}): upgrade malgraph"
            )
        for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                self.db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        if 0 < version < len(MIGRATIONS):
            # An older store: its sources become labels of the reporters they name now.
            from malgraph.source_names import SourceNames
            from malgraph.store.labels import repoint, stored_table

            with self.transaction():
                repoint(self.db, SourceNames(stored_table(self.db)))

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
