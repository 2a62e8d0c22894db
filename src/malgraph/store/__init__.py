"""The store: one SQLite file (WAL), versioned schema, explicit transactions."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from malgraph.core.errors import StoreError
from malgraph.store.schema import MIGRATIONS
from malgraph.store.writer import Writer

PAPER_READER_CHANGED = 10  # the schema from which paper documents are read as they are now

DEFAULT_PATH = "malgraph.db"


class Store:
    """An open store. Writers take `transaction()`; everything inside commits or nothing does."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        """Open the store at `path`, made (with `create`) when there is none yet; StoreError
        says why a path cannot be a store, and what to do."""
        self.path = Path(path)
        # The schema of an older store upgraded here: its sources are re-pointed by whoever
        # opened it (pipeline.store.open_store), as every ingest does first anyway.
        self.upgraded_from: int | None = None
        _check_place(self.path, create)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so batches are explicit.
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoint,
            self.db.execute("PRAGMA foreign_keys=ON")  # never corrupt on a kill
            self.db.execute("PRAGMA cache_size=-65536")
            self.db.execute("PRAGMA temp_store=MEMORY")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(f"{self.path}: {_why(exc)}") from exc
        except StoreError:
            self.db.close()
            raise

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: a store of schema {version}, newer than this malgraph's "
                f"({len(MIGRATIONS)}): upgrade malgraph, or pass another --db"
            )
        if version == 0 and self.db.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone():
            raise StoreError(
                f"{self.path}: an SQLite database of something else, not a malgraph store; "
                "pass another --db"
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
        if 0 < version < PAPER_READER_CHANGED:
            # Its paper documents were read by an older reader (source-report rows as claims,
            # no report links, sites, labelling or rows as given): read them again next time.
            with self.transaction():
                Writer(self.db).forget_feed("paper")
        if 0 < version < len(MIGRATIONS):
            # Its sources become labels of the reporters they name now: that moves claims
            # between sources, so it is left to the caller, which relates them (pipeline.store).
            self.upgraded_from = version

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

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """For one ingest run: the writer numbers every row itself, so foreign-key checks
        would only re-prove its work; and a checkpoint every 256 MiB of WAL rather than every
        4 copies back (and syncs) the index pages every batch touches once."""
        self.db.execute("PRAGMA foreign_keys = OFF")
        self.db.execute("PRAGMA wal_autocheckpoint = 65536")
        try:
            yield
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA wal_autocheckpoint = 1000")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave no large WAL behind

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_place(path: Path, create: bool) -> None:
    """Why `path` cannot hold a store, before SQLite gives its vaguer reasons."""
    try:
        st = path.stat()
    except FileNotFoundError:
        parent = path.parent
        if not create:
            raise StoreError(
                f"{path}: no store there; make one with `malgraph build` or `malgraph ingest`, "
                "or pass --db (or MALGRAPH_DB) naming yours"
            ) from None
        if not parent.is_dir():
            raise StoreError(
                f"{path}: cannot make a store there: {parent} is not an existing folder"
            ) from None
        if not os.access(parent, os.W_OK):
            raise StoreError(
                f"{path}: cannot make a store there: {parent} is not writable"
            ) from None
        return
    except NotADirectoryError:
        raise StoreError(f"{path}: a file stands where the path needs a folder") from None
    except OSError as exc:  # a symlink loop, a name too long, no permission on the way
        reason = (exc.strerror or str(exc)).lower()
        raise StoreError(f"{path}: {reason}; pass another --db") from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"{path}: a folder, not a store file; pass --db FILE")
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"{path}: not a regular file, so not a store; pass another --db")
    if st.st_size == 0:
        return  # SQLite makes an empty file a database
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the store: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise StoreError(f"{path}: not an SQLite file, so not a malgraph store; pass another --db")


def _why(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return (
            f"cannot write the store ({text}); check the permissions of the file and its "
            "folder (SQLite writes a -wal file beside it), or pass another --db"
        )
    return f"not a usable malgraph store ({text}); pass another --db"
