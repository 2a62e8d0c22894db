"""The command line: the only place that parses arguments, prints, or exits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from malgraph.errors import MalgraphError
from malgraph.store import DEFAULT_PATH, Store

app = typer.Typer(
    help="malgraph: one knowledge graph of malicious open-source packages from many sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # paths and reasons stay on one line


class State:
    db_path: Path = Path(DEFAULT_PATH)


@app.callback()
def _options(
    db: Annotated[
        Path,
        typer.Option(
            "--db", envvar="MALGRAPH_DB", help="The store file (SQLite).", show_default=True
        ),
    ] = Path(DEFAULT_PATH),
) -> None:
    State.db_path = db


def open_store() -> Store:
    return Store(State.db_path)


def main() -> None:
    from malgraph.cli import code, explore, ingest, report  # noqa: F401  (registers the commands)

    try:
        app()
    except MalgraphError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(1) from None
