"""The typer app every command registers on, its global options, and what commands share:
the consoles, the store named by --db, and the one-line error.

Exit codes: 0 done; 1 done, with rejections or findings; 2 a usage or input error (a bad
path, a store that cannot be one, a bad option); 3 an internal error, told in one line
(`--debug` shows the traceback).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from malgraph.cli.safe import shown
from malgraph.core.errors import MalgraphError
from malgraph.pipeline.store import open_store as open_upgraded_store
from malgraph.store import DEFAULT_PATH, Store

DONE, REJECTED, USAGE, INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    help="malgraph: one knowledge graph of malicious open-source packages from many sources.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
# emoji=False: a `:name:` in hostile text stays as written.
out = Console(emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)  # paths and reasons stay on one line


class UsageError(MalgraphError):
    """An option or argument the command cannot take; the message says which are valid."""


class State:
    db_path: Path = Path(DEFAULT_PATH)
    debug: bool = False


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"malgraph {version('malgraph')}", highlight=False)
        raise typer.Exit(DONE)


@app.callback()
def _options(
    db: Annotated[
        Path,
        typer.Option(
            "--db", envvar="MALGRAPH_DB", help="The store file (SQLite).", show_default=True
        ),
    ] = Path(DEFAULT_PATH),
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, show the traceback.")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print malgraph's version and exit.",
        ),
    ] = False,
) -> None:
    State.db_path = db
    State.debug = debug


def open_store(*, create: bool = True) -> Store:
    """The store named by --db. Commands that only read or derive pass create=False: a store
    that is not there is a mistyped --db, not an empty store."""
    return open_upgraded_store(State.db_path, create=create)


def fail(message: str) -> None:
    """One line on stderr, `error: ...`; the message is data, never markup."""
    err.print(f"[bold red]error:[/] {shown(message)}", highlight=False)
