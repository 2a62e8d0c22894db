"""The command line: the only place that parses arguments, prints, or exits.

`application` holds the typer app; each command module registers its commands on it when
imported here; `entry.run` runs it and maps every outcome to an exit code (see the README's
"CLI convention").
"""

from __future__ import annotations

from malgraph.cli import check, code, explore, export, ingest, relate, report, serve
from malgraph.cli.application import DONE, INTERNAL, REJECTED, USAGE, UsageError, app
from malgraph.cli.entry import main, run

__all__ = [
    "DONE",
    "INTERNAL",
    "REJECTED",
    "USAGE",
    "UsageError",
    "app",
    "check",
    "code",
    "explore",
    "export",
    "ingest",
    "main",
    "relate",
    "report",
    "run",
    "serve",
]
