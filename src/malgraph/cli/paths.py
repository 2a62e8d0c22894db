"""Paths named on the command line, checked before any work: InputError naming the path and
the reason, so a typo costs one line and exit code 2, never a traceback or half a run."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

import orjson

from malgraph.core.errors import InputError
from malgraph.core.model import Problem


def _reason(exc: OSError) -> str:
    if isinstance(exc, NotADirectoryError):
        return "a file stands where the path needs a folder"
    return (exc.strerror or str(exc)).lower()


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None


def readable_file(path: Path) -> int:
    """A regular file that can be opened for reading; returns its size."""
    st = _stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: a folder, where a file is expected")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file")
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None
    return st.st_size


def readable_folder(path: Path) -> None:
    st = _stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: not a folder")
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None


def readable_inputs(paths: Iterable[Path]) -> None:
    """Files or folders to read, each checked (a FIFO or device is refused: reading one
    could block or never end)."""
    for path in paths:
        if stat.S_ISDIR(_stat(path).st_mode):
            readable_folder(path)
        else:
            readable_file(path)


def writable_file(path: Path) -> None:
    """A file to write (made or replaced): its folder must exist and it must not be a folder."""
    try:
        st = path.stat()
    except FileNotFoundError:
        try:
            writable_folder(path.parent, make=False)
        except InputError as exc:
            raise InputError(f"{path}: cannot write it there: {exc}") from None
        return
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: a folder, where a file to write is expected")
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):  # writing one could block
        raise InputError(f"{path}: a pipe or socket, where a file to write is expected")
    if not os.access(path, os.W_OK):
        raise InputError(f"{path}: not writable")


def writable_folder(path: Path, *, make: bool = True) -> None:
    """A folder to write into; with `make`, made (with its parents) when missing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if not make:
            raise InputError(f"{path}: no such folder") from None
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"{path}: cannot make this folder: {_reason(exc)}") from None
        return
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: not a folder")
    if not os.access(path, os.W_OK):
        raise InputError(f"{path}: not writable")


def write_problems(path: Path, problems: Iterable[Problem]) -> None:
    """Every rejection and warning as JSON lines, to the file --problems named."""
    lines = [
        orjson.dumps({"path": p.path, "reason": p.reason, "rejected": p.rejected}) for p in problems
    ]
    replace_file(path, b"".join(line + b"\n" for line in lines))


def _mode_for(path: Path) -> int:
    """The permissions a replaced file keeps, or a new one gets (as `open` would give it)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` as the file `path`: into a temporary file beside it, renamed over it once
    whole, so a failed write leaves what was there. A device (`/dev/null`, a terminal) is
    written in place: nothing may be renamed over it. Failing, an InputError names the path."""
    try:
        if path.exists() and not path.is_file():
            with path.open("wb") as device:
                device.write(data)
            return
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                os.fchmod(file.fileno(), _mode_for(path))
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"{path}: {_reason(exc)}") from None
