"""Machine output, one way for every command that prints data: `--format table|json` and
`-o/--output FILE` (`--json` stays a hidden alias of `--format json` for one release).

`-o FILE` writes exactly what stdout piped to a file would hold (plain text, no colour), and
only when the command succeeds: the output is gathered, then written to a temporary file
beside FILE and renamed over it, so a failing command never empties an existing file. No
output may name the store (or its -wal, -shm, -journal): opening it for writing would wipe it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.measure import Measurement
from rich.table import Table

from malgraph.cli.application import State, err, out
from malgraph.cli.paths import replace_file, writable_file
from malgraph.cli.safe import json_safe
from malgraph.core.errors import InputError

STORE_SIDECARS = ("", "-wal", "-shm", "-journal")
# Wide enough for any table row a store holds: a table in a pipe or a file is never cut.
UNBOUNDED = 1_000_000


class Format(StrEnum):
    """How a command prints its data: a table for people, JSON for programs."""

    TABLE = "table"
    JSON = "json"


class ReportFormat(StrEnum):
    """What `malgraph report` writes: the HTML report into a folder, or its numbers."""

    HTML = "html"
    JSON = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for programs.")
]
JsonAlias = Annotated[
    bool, typer.Option("--json", hidden=True, help="Deprecated: use --format json.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the output to this file instead of stdout."),
]


def chosen(format_: Format, as_json: bool) -> Format:
    """The format asked for; the hidden `--json` asks for JSON."""
    if as_json:
        json_deprecated()
        return Format.JSON
    return format_


def json_deprecated() -> None:
    """The one-line note for `--json`. Told only to a person at a terminal: scripts that
    still spell `--json` often merge stderr into the JSON they keep (`2>&1`)."""
    if sys.stderr.isatty():
        err.print("[yellow]warning[/] --json is deprecated; use --format json", highlight=False)


def print_json(value: Any) -> None:
    out.out(json_safe(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()), highlight=False)


def print_table(table: Table) -> None:
    """A table, whole: at a terminal it fits the window; in a pipe or a file no cell is cut
    or wrapped for want of width (the table is as wide as its widest row needs)."""
    if out.is_terminal:
        out.print(table)
        return
    options = out.options.update_width(UNBOUNDED)
    needed = Measurement.get(out, options, table).maximum
    before = out._width
    out.width = max(out.width, needed)
    try:
        out.print(table)
    finally:
        out._width = before


def not_the_store(path: Path) -> None:
    """Refuse an output path that is the store file named by --db, or one of its sidecars."""
    store = State.db_path.resolve()
    target = path.resolve()
    if any(target == store.with_name(store.name + suffix) for suffix in STORE_SIDECARS):
        raise InputError(f"{path}: this is the store (--db); write the output elsewhere")


def output_file(path: Path) -> None:
    """A file an output will replace: writable, and not the store."""
    writable_file(path)
    not_the_store(path)


@contextmanager
def to_output(path: Path | None) -> Iterator[None]:
    """While open, what the command prints goes to `path` (when given) instead of stdout,
    written when the block ends without an error. The path is checked before the command
    does any work, so a typo costs no wait."""
    if path is None:
        yield
        return
    output_file(path)
    gathered = io.StringIO()
    # The console follows sys.stdout only while it names no file (a test runner swaps
    # stdout), so what it named before is put back, not the stdout of this moment. Its
    # colour system was chosen for stdout when it was built; a file gets none, as a pipe.
    before = out._file, out._force_terminal, out._color_system
    out.file, out._force_terminal, out._color_system = gathered, False, None
    try:
        yield
    finally:
        out._file, out._force_terminal, out._color_system = before
    replace_file(path, gathered.getvalue().encode("utf-8"))
