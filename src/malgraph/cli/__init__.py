"""The command line: the only place that parses arguments, prints, or exits.

Exit codes: 0 done; 1 done, with rejections or findings; 2 a usage or input error (a bad
path, a store that cannot be one, a bad option); 3 an internal error, told in one line
(`--debug` shows the traceback).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from malgraph.cli.safe import escape_controls, shown
from malgraph.core.errors import InputError, MalgraphError, RejectedInput, StoreError
from malgraph.pipeline.store import open_store as open_upgraded_store
from malgraph.store import DEFAULT_PATH, Store

DONE, REJECTED, USAGE, INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    help="malgraph: one knowledge graph of malicious open-source packages from many sources.",
    no_args_is_help=True,
    add_completion=False,
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


def _exit_code(code: object) -> int:
    if code is None:
        return DONE
    return code if isinstance(code, int) else USAGE


def run(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default: sys.argv) and return its exit code."""
    from malgraph.cli import code, explore, ingest, report  # noqa: F401  (registers the commands)

    State.db_path, State.debug = Path(DEFAULT_PATH), False
    try:
        app(args=argv, prog_name="malgraph")
    except SystemExit as exc:  # typer ends every run so, usage errors (2) included
        return _exit_code(exc.code)
    except RejectedInput as exc:  # --strict: the run was rolled back
        fail(str(exc))
        return REJECTED
    except (UsageError, InputError, StoreError) as exc:
        fail(str(exc))
        return USAGE
    except OSError as exc:
        if exc.filename is None:
            return _internal(exc)
        fail(f"{exc.filename}: {(exc.strerror or str(exc)).lower()}")
        return USAGE
    except Exception as exc:  # the last resort: one line, not a traceback
        return _internal(exc)
    return DONE


def _internal(exc: BaseException) -> int:
    if State.debug:  # its messages may quote hostile text too
        lines = "".join(traceback.format_exception(exc)).split("\n")
        sys.stderr.write("\n".join(map(escape_controls, lines)))
    fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return INTERNAL


def main() -> None:
    raise SystemExit(run())
