"""Hyperscan databases kept on disk between processes. Compiling the scanners' databases is
most of what importing the analysis costs, and every command that scans pays it; loading a
compiled one is almost free (benchmarks/startup.py). A database is filed under the digest of
everything it is compiled from, and its file starts with the digest of its own bytes: a file
that is damaged, that another user wrote or others could change, or that another Hyperscan
build or CPU cannot load, is compiled again and replaced. Where no cache folder can be
written, each process compiles its own, as before."""

from __future__ import annotations

import hashlib
import os
import platform
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

import hyperscan

# Where compiled databases are kept: $MALGRAPH_CACHE_DIR, else the XDG cache folder.
CACHE_ENV = "MALGRAPH_CACHE_DIR"
_DIGEST_BYTES = 32


def cache_folder() -> Path | None:
    """None when there is no home to keep a cache in."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen) / "hyperscan"
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:
        return None
    return Path(base) / "malgraph" / "hyperscan"


def block_database(expressions: Sequence[bytes], flags: Sequence[int]) -> hyperscan.Database:
    """A block-mode database of `expressions` (ids 0, 1, ... in order) with their `flags`."""
    key = hashlib.sha256(
        repr(
            (
                getattr(hyperscan, "__version__", "?"),
                platform.machine(),
                list(expressions),
                list(flags),
            )
        ).encode()
    ).hexdigest()
    folder = cache_folder()
    path = None if folder is None else folder / f"{key}.hsdb"
    loaded = None if path is None else _load(path)
    if loaded is not None:
        return loaded
    database = hyperscan.Database()
    database.compile(
        expressions=list(expressions), ids=list(range(len(expressions))), flags=list(flags)
    )
    if path is not None:
        _store(path, hyperscan.dumpb(database))
    return database


def _load(path: Path) -> hyperscan.Database | None:
    """The database filed at `path`, if this user wrote it and no one else can have changed it
    since: a database decides what the scanners see, so a planted one could blind them."""
    try:
        with path.open("rb") as handle:
            if not _own_private(os.fstat(handle.fileno())):
                return None
            data = handle.read()
    except (OSError, ValueError):  # ValueError: a path the system cannot take
        return None
    digest, blob = data[:_DIGEST_BYTES], data[_DIGEST_BYTES:]
    if hashlib.sha256(blob).digest() != digest:
        return None
    try:
        database: hyperscan.Database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    except hyperscan.error:  # another Hyperscan build or CPU: compiled again
        return None
    return database


def _own_private(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return status.st_uid == owner and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _store(path: Path, blob: bytes) -> None:
    """Written whole or not at all: a temporary file in the folder, renamed into place."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(hashlib.sha256(blob).digest() + blob)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        pass  # a read-only or full disk, an impossible path: this process keeps what it compiled
