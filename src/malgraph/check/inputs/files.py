"""Reading one project file under the size cap, shared by the directory search and by the
formats that include other files (requirements' `-r`)."""

from __future__ import annotations

from pathlib import Path

from malgraph.check.inputs.problems import UnreadableInput

MAX_PROJECT_FILE_BYTES = 64 * 1024 * 1024  # a large monorepo lockfile stays well below


def read_capped(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PROJECT_FILE_BYTES:
            raise UnreadableInput(f"larger than {MAX_PROJECT_FILE_BYTES} bytes")
        with path.open("rb") as handle:
            return handle.read(MAX_PROJECT_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableInput(f"cannot be read: {error.strerror or error}") from error
