"""Hyperscan databases kept on disk between processes. Compiling the scanners' databases is
most of what importing the analysis costs, and every command that scans pays it; loading a
compiled one is almost free (benchmarks/startup.py).

A database decides what the scanners see, so a planted or swapped one could blind them: a
database is filed under the digest of everything it is compiled from, its file starts with the
digest of that key and its own bytes, and it is read only from a folder and a regular file that
this user owns and no one else can write (not through a symlink, never blocking on a FIFO). A
file that fails any of that, or that another Hyperscan build or CPU cannot load, is compiled
again (and replaced when the folder is sound). With no sound cache folder, or with
MALGRAPH_CACHE_DIR=off, each process compiles its own."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import hyperscan

# Where compiled databases are kept: $MALGRAPH_CACHE_DIR ("off": nowhere), else the XDG cache.
CACHE_ENV = "MALGRAPH_CACHE_DIR"
_DIGEST_BYTES = 32
_MAX_FILE_BYTES = 64 * 2**20  # the scanners' databases are a few hundred KB
_STALE_PART_SECONDS = 600
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def cache_folder() -> Path | None:
    """None when the cache is off or there is no absolute place to keep it (the XDG rule: a
    relative XDG_CACHE_HOME is ignored, as is an empty HOME)."""
    chosen = os.environ.get(CACHE_ENV, "")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen).absolute() / "hyperscan"
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home) or home == "/":
            return None
        base = os.path.join(home, ".cache")
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
    folder = _sound_folder(cache_folder())
    path = None if folder is None else folder / f"{key}.hsdb"
    loaded = None if path is None else _load(path, key)
    if loaded is not None:
        return loaded
    database = hyperscan.Database()
    database.compile(
        expressions=list(expressions), ids=list(range(len(expressions))), flags=list(flags)
    )
    if path is not None:
        _store(path, key, hyperscan.dumpb(database))
    return database


def _sound_folder(folder: Path | None) -> Path | None:
    """The folder, made if missing, when it is a real folder of this user's that no one else
    can write; None otherwise (a shared or planted folder is no cache)."""
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.lstat()
    except (OSError, ValueError):  # ValueError: a path the system cannot take
        return None
    return folder if stat.S_ISDIR(status.st_mode) and _own_private(status) else None


def _own_private(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return status.st_uid == owner and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _remove_stale_parts(folder: Path) -> None:
    """A process killed while writing leaves its temporary file behind: removed once it is
    older than any write could take."""
    cutoff = time.time() - _STALE_PART_SECONDS
    for part in folder.glob("*.part"):
        with contextlib.suppress(OSError):
            if part.lstat().st_mtime < cutoff:
                part.unlink()


def _seal(key: str, blob: bytes) -> bytes:
    """What the file starts with: the blob bound to its key, so that a sound file of another key
    renamed onto this one's name is refused."""
    return hashlib.sha256(key.encode() + b"\0" + blob).digest()


def _load(path: Path, key: str) -> hyperscan.Database | None:
    try:
        handle = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or not _own_private(status):
            return None
        if status.st_size > _MAX_FILE_BYTES:
            return None
        data = os.read(handle, status.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    digest, blob = data[:_DIGEST_BYTES], data[_DIGEST_BYTES:]
    if _seal(key, blob) != digest:
        return None
    try:
        database: hyperscan.Database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        hyperscan.Scratch(database)  # a database it can scan with, or compiled again
    except hyperscan.error:  # another Hyperscan build or CPU
        return None
    return database


def _store(path: Path, key: str, blob: bytes) -> None:
    """Written whole or not at all: a temporary file in the folder, renamed into place."""
    _remove_stale_parts(path.parent)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_seal(key, blob) + blob)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        pass  # a read-only or full disk: this process keeps what it compiled
