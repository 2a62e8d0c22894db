"""The typer app every command registers on, its global options, and what commands share:
the consoles, the store named by --db, and the one-line error.

Exit codes: 0 done; 1 done, with rejections or findings; 2 a usage or input error (a bad
path, a store that cannot be one, a bad option); 3 an internal error, told in one line
(`--debug` shows the traceback).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup

from malgraph import __version__
from malgraph.cli.safe import shown
from malgraph.core.errors import MalgraphError
from malgraph.pipeline.store import open_store as open_upgraded_store
from malgraph.store import DEFAULT_PATH, Store

DONE, REJECTED, USAGE, INTERNAL = 0, 1, 2, 3

# Which module defines each command, in the order `malgraph --help` lists them. A command's
# module is imported only when that command is looked up (to run it, or to show help): the
# modules together load FastAPI, Jinja, tree-sitter grammars, httpx and more, a cost every
# run would pay, `--version` included, if they were imported up front. This table is the CLI's
# one lazy import, for start-up cost; each module registers its commands on `app` as usual.
COMMAND_MODULES: dict[str, str] = {
    "check": "malgraph.cli.check",
    "fetch": "malgraph.cli.code",
    "analyze": "malgraph.cli.analyze",
    "stats": "malgraph.cli.explore",
    "show": "malgraph.cli.explore",
    "families": "malgraph.cli.explore",
    "sources": "malgraph.cli.explore",
    "export": "malgraph.cli.export",
    "ingest": "malgraph.cli.ingest",
    "build": "malgraph.cli.ingest",
    "relate": "malgraph.cli.relate",
    "report": "malgraph.cli.report",
    "serve": "malgraph.cli.serve",
}


class CommandsByModule(MutableMapping[str, Any]):
    """The group's commands by name: every name of COMMAND_MODULES, each command built on its
    first lookup, once its module is imported. (`Any`: typer may bundle its own click, so its
    command class has no one public name.)"""

    def __init__(self, built: Mapping[str, Any]) -> None:
        self._built = dict(built)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built and name in COMMAND_MODULES:
            import_module(COMMAND_MODULES[name])
            for info in app.registered_commands:
                command = typer.main.get_command_from_info(
                    info,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode,
                )
                self._built.setdefault(command.name or "", command)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMAND_MODULES, *self._built]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*COMMAND_MODULES, *self._built]))


class LazyCommands(TyperGroup):
    """The command group, its commands held in a CommandsByModule: listing the names (and a
    typo's suggestions) imports nothing; looking a command up (to run it, or for the line
    `malgraph --help` shows of it) imports its module."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = CommandsByModule(self.commands)


app = typer.Typer(
    cls=LazyCommands,
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
        # __version__, not importlib.metadata (a start-up cost); a test holds the two equal.
        out.print(f"malgraph {__version__}", highlight=False)
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
