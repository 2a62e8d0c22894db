"""Options several commands share, so each is spelled and explained once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from malgraph.cli.application import UsageError, err
from malgraph.cli.paths import readable_file
from malgraph.core.kinds import CountLevel, Rules
from malgraph.core.source_names import SourceAliasError, SourceEntry, read_table

OverlapLevel = CountLevel  # the unit two sources share: a package-version or a whole package


RULES_HELP = (
    "Counting rules: malgraph's own, or the paper's (sheet rows of its malware.xlsx "
    "matched by exact name_version on the same sheet)."
)
RulesOption = Annotated[Rules, typer.Option(help=RULES_HELP)]


def jobs_option(help_text: str) -> Any:
    """`-j/--jobs N`: how much runs at once, the one spelling for every parallel command."""
    return typer.Option("--jobs", "-j", min=1, help=help_text)


WorkersAlias = Annotated[
    int | None,
    typer.Option("--workers", min=1, hidden=True, help="Deprecated: use -j/--jobs."),
]


def jobs_or_workers(jobs: int | None, workers: int | None) -> int | None:
    """--jobs, or the deprecated --workers (kept for one release), with a warning."""
    if workers is not None:
        err.print("[yellow]warning[/] --workers is deprecated; use -j/--jobs", highlight=False)
        if jobs is None:
            return workers
    return jobs


SourceAliases = Annotated[
    Path | None,
    typer.Option(
        "--source-aliases",
        envvar="MALGRAPH_SOURCE_ALIASES",
        help="A TOML file of source names and their aliases, on top of the shipped table; "
        "kept with the store for later runs (see `malgraph sources`).",
    ),
]


def aliases_or_exit(path: Path | None) -> tuple[SourceEntry, ...] | None:
    """The user's table from --source-aliases; a bad file is a usage error (exit 2)."""
    if path is None:
        return None
    readable_file(path)  # a FIFO or a folder is refused before it is read
    try:
        return read_table(path)
    except SourceAliasError as exc:
        raise UsageError(str(exc)) from None
