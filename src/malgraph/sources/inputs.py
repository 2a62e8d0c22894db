"""Finding input files (directory trees, single files, zips) and reading them under caps.

Inputs are untrusted: a zip is read member by member in memory, never extracted, and every
read is capped, so a hostile or broken file costs a rejection, not the run.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import PurePath
from typing import NamedTuple

from malgraph.core.errors import InputError
from malgraph.core.inputs import display_path
from malgraph.core.model import Problem

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000_000


class InputFile(NamedTuple):
    """A file on disk, or a zip member when `member` is set. A named tuple because it
    crosses to the parser processes and back for every file."""

    path: str
    size: int
    mtime_ns: int
    member: str | None = None
    display: str = ""  # printable and storable; see `at`

    @classmethod
    def at(cls, path: str, size: int, mtime_ns: int, member: str | None = None) -> InputFile:
        shown = display_path(path)
        return cls(path, size, mtime_ns, member, shown if member is None else f"{shown}!{member}")

    @property
    def inner(self) -> PurePath:
        """The path inside the zip, or on disk: what a source reads names and folders from."""
        return PurePath(self.member or self.path)

    @property
    def is_zip(self) -> bool:
        return self.member is None and self.path.lower().endswith(".zip")


def _file(path: str) -> InputFile:
    st = os.stat(path)
    return InputFile.at(path, st.st_size, st.st_mtime_ns)


def walk(paths: Iterable[str], suffixes: tuple[str, ...]) -> Iterator[InputFile]:
    """Every input file under `paths` in a stable order: named files as given, directory
    trees sorted and filtered by suffix (zips included). A missing path stops the run before
    anything is written, since it is a typo rather than bad data."""
    paths = list(paths)
    for path in paths:
        if not os.path.exists(path):
            raise InputError(f"{display_path(path)}: no such file or directory")
    for path in paths:
        if not os.path.isdir(path):
            yield _file(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.lower().endswith((*suffixes, ".zip")):
                    yield _file(os.path.join(root, name))


def zip_members(archive: InputFile, suffixes: tuple[str, ...]) -> Iterator[InputFile | Problem]:
    """The members of a zip that look like inputs, or one Problem if it cannot be read."""
    try:
        with zipfile.ZipFile(archive.path) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        yield Problem(archive.display, f"unreadable zip: {exc}")
        return
    if len(infos) > MAX_ZIP_MEMBERS:
        yield Problem(archive.display, f"zip has {len(infos)} members, over {MAX_ZIP_MEMBERS}")
        return
    for info in infos:
        if not info.is_dir() and info.filename.lower().endswith(suffixes):
            yield InputFile.at(archive.path, info.file_size, archive.mtime_ns, info.filename)


@lru_cache(maxsize=2)
def _open_zip(path: str, mtime_ns: int) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


class ReadError(Exception):
    """A file that cannot be read within the caps; the message says why."""


def _read_file(path: str, size: int) -> bytes:
    """At most MAX_DOCUMENT_BYTES + 1 bytes, to the end even if the file grew since its stat.
    Raw os calls sized by the stat: a file object, or a buffer of the whole cap, costs more
    than parsing a small file."""
    # Non-blocking: a FIFO in a tree reads as empty rather than waiting forever for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        chunks, total, want = [], 0, size + 1
        while total <= MAX_DOCUMENT_BYTES:
            chunk = os.read(fd, min(want, MAX_DOCUMENT_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total, want = total + len(chunk), 1 << 20
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_capped(item: InputFile) -> bytes:
    """The bytes of one input, refusing anything over MAX_DOCUMENT_BYTES."""
    if item.size > MAX_DOCUMENT_BYTES:
        raise ReadError(f"{item.size} bytes, over the {MAX_DOCUMENT_BYTES}-byte cap")
    try:
        if item.member is None:
            data = _read_file(item.path, item.size)
        else:
            zf = _open_zip(item.path, item.mtime_ns)
            info = zf.getinfo(item.member)
            if info.flag_bits & 0x1:
                raise ReadError("encrypted zip member")
            with zf.open(info) as fh:  # the declared size may lie: cap the read itself
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except (
        OSError,
        zipfile.BadZipFile,
        KeyError,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise ReadError(f"unreadable: {exc}") from exc
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ReadError(f"over the {MAX_DOCUMENT_BYTES}-byte cap")
    return data
