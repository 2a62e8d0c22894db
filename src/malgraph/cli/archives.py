"""`malgraph ingest archives DIR...`: a folder of samples registered in one command.

Not a source kind of sources.SOURCES: those parse documents into records, one file at a time,
while this reads package archives (the code itself) and joins them with the code store, so
`ingest` dispatches it here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from malgraph.artifacts.cache import cache_for
from malgraph.cli.application import err, open_store, out
from malgraph.cli.paths import write_problems
from malgraph.cli.progress import bar
from malgraph.cli.safe import escape_controls
from malgraph.core.errors import RejectedInput
from malgraph.core.source_names import SourceEntry
from malgraph.pipeline.ingest_archives import ArchivesReport, ingest_archives

SHOWN = 20


def ingest_archives_command(
    paths: list[Path],
    source: str | None,
    jobs: int | None,
    strict: bool,
    problems: Path | None,
    batch_size: int,
    source_aliases: Sequence[SourceEntry] | None = None,
) -> None:
    """Exit 0 when every archive was placed, 1 when any was unplaced or unreadable (a path that
    cannot be read is an InputError: `malgraph` exits 2 with one line)."""
    try:
        with open_store() as store, bar("archives") as progress:
            report = ingest_archives(
                store,
                cache_for(store.path),
                [str(p) for p in paths],
                source=source,
                jobs=jobs,
                strict=strict,
                batch_size=batch_size,
                progress=progress,
                source_aliases=source_aliases,
            )
    except RejectedInput as exc:
        err.print(
            escape_controls(f"rejected (--strict, nothing written to the store): {exc}"),
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1) from None
    _summarise(report, problems)
    raise typer.Exit(0 if report.ok else 1)


def _summarise(report: ArchivesReport, problems: Path | None) -> None:
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "nothing new"
    by = ", ".join(f"{n} by {k}" for k, n in sorted(report.placed.items())) or "none read"
    out.print(
        escape_controls(
            f"archives of {', '.join(report.sources)}: {report.files} found, "
            f"{report.unchanged} unchanged since the last run; placed {by}; "
            f"package-versions: {outcomes}; {len(report.unplaced)} unplaced, "
            f"{len(report.rejected)} unreadable; {report.ignored} other files ignored"
        ),
        markup=False,
        highlight=False,
    )
    for label, listed in (("unreadable", report.rejected), ("unplaced", report.unplaced)):
        for problem in listed[:SHOWN]:
            err.print(
                escape_controls(f"{label} {problem.path}: {problem.reason}"),
                markup=False,
                highlight=False,
            )
        if len(listed) > SHOWN:
            err.print(f"... and {len(listed) - SHOWN} more {label} (see --problems FILE)")
    for warning in report.warnings[:SHOWN]:
        err.print(
            escape_controls(f"warning {warning.path}: {warning.reason}"),
            markup=False,
            highlight=False,
        )
    if len(report.warnings) > SHOWN:
        err.print(f"... and {len(report.warnings) - SHOWN} more warnings (see --problems FILE)")
    if problems:
        write_problems(problems, report.rejected + report.unplaced + report.warnings)
