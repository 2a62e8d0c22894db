"""Running the command line: every outcome becomes one of the four exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import typer

from malgraph.cli.application import DONE, INTERNAL, REJECTED, USAGE, State, UsageError, app, fail
from malgraph.cli.safe import escape_controls
from malgraph.core.errors import InputError, RejectedInput, StoreError
from malgraph.store import DEFAULT_PATH

DEBUG_HINT = "re-run as: malgraph --debug COMMAND ... for the traceback"


def _exit_code(code: object) -> int:
    if code is None:
        return DONE
    return code if isinstance(code, int) else USAGE


def run(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default: sys.argv) and return its exit code."""
    State.db_path, State.debug = Path(DEFAULT_PATH), False
    try:
        # Not standalone: click hands over its usage errors instead of printing its own block.
        return _exit_code(app(args=argv, prog_name="malgraph", standalone_mode=False))
    except SystemExit as exc:  # shell completion ends the run so
        return _exit_code(exc.code)
    except CLICK_USAGE_ERROR as exc:
        return _usage(exc)
    except typer.Abort:  # end of input at a prompt
        fail("aborted")
        return REJECTED
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


def _click_usage_error() -> type[Exception]:
    """Click's UsageError, the base of typer.BadParameter: typer names none itself, and newer
    typer bundles its own click, so `click.UsageError` may not be the class it raises."""
    base = typer.BadParameter.__base__
    assert base is not None and issubclass(base, Exception)
    return base


CLICK_USAGE_ERROR = _click_usage_error()


def _usage(exc: Exception) -> int:
    """Click's usage error as one line, naming the help to read; `malgraph` alone (or a
    command that needs arguments, given none) shows its help, as click would."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]
        return USAGE
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    context = getattr(exc, "ctx", None)
    fail(f"{message} (see: {context.command_path if context else 'malgraph'} --help)")
    return USAGE


def _internal(exc: BaseException) -> int:
    if State.debug:  # its messages may quote hostile text too
        lines = "".join(traceback.format_exception(exc)).split("\n")
        sys.stderr.write("\n".join(map(escape_controls, lines)))
        fail(f"internal error: {type(exc).__name__}: {exc}")
        return INTERNAL
    fail(f"internal error: {type(exc).__name__}: {exc} ({DEBUG_HINT})")
    return INTERNAL


def main() -> None:
    raise SystemExit(run())
