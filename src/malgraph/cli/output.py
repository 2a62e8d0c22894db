"""Machine output, one way for every command that prints data: `--format table|json` and
`-o/--output FILE` (`--json` stays a hidden alias of `--format json` for one release)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from malgraph.cli.application import out
from malgraph.cli.paths import writable_file
from malgraph.cli.safe import json_safe


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
    return Format.JSON if as_json else format_


def print_json(value: Any) -> None:
    out.out(json_safe(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()), highlight=False)


@contextmanager
def to_output(path: Path | None) -> Iterator[None]:
    """While open, what the command prints goes to `path` (when given) instead of stdout.
    The path is checked before the command does any work, so a typo costs no wait."""
    if path is None:
        yield
        return
    writable_file(path)
    with path.open("w", encoding="utf-8") as file:
        # The console follows sys.stdout only while it names no file (a test runner swaps
        # stdout), so what it named before is put back, not the stdout of this moment.
        before = out._file
        out.file = file
        try:
            yield
        finally:
            out._file = before
