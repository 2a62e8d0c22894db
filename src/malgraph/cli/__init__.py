"""The command line: the only place that parses arguments, prints, or exits.

`application` holds the typer app and the table of which module defines each command; a
command's module is imported, and registers its commands on the app, only when that command is
looked up (see `application.COMMAND_MODULES`); `entry.run` runs it and maps every outcome to an
exit code (see the README's "CLI convention").
"""

from __future__ import annotations

from malgraph.cli.application import DONE, INTERNAL, REJECTED, USAGE, UsageError, app
from malgraph.cli.entry import main, run

__all__ = [
    "DONE",
    "INTERNAL",
    "REJECTED",
    "USAGE",
    "UsageError",
    "app",
    "main",
    "run",
]
