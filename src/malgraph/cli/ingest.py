"""`malgraph ingest` and `malgraph build`: bring records into the store."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from malgraph.cli.application import UsageError, app, err, open_store, out
from malgraph.cli.archives import ingest_archives_command
from malgraph.cli.options import (
    SourceAliases,
    WorkersAlias,
    aliases_or_exit,
    jobs_option,
    jobs_or_workers,
)
from malgraph.cli.output import output_file
from malgraph.cli.paths import readable_inputs, write_problems
from malgraph.cli.safe import shown
from malgraph.cli.stats_view import print_dependency_summary, print_stats
from malgraph.core.source_names import SourceEntry
from malgraph.pipeline.ingest import BATCH_SIZE, IngestReport, ingest
from malgraph.pipeline.relate import refresh_dependencies
from malgraph.report.numbers import stats
from malgraph.sources import SOURCES
from malgraph.store import Store

SHOWN_PROBLEMS = 20


class IngestKind(StrEnum):
    """What `malgraph ingest` reads: a source kind of sources.SOURCES, or `archives`."""

    OSV = "osv"
    DATADOG = "datadog"
    MALOSS = "maloss"
    KAM193 = "kam193"
    PAPER = "paper"
    LIST = "list"
    REPORTS = "reports"
    ARCHIVES = "archives"  # pipeline.ingest_archives.KIND


class _Bar:
    """A rich progress bar behind ingest's Progress protocol."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress = progress
        self.task = progress.add_task(label, total=None)

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, count: int) -> None:
        self.progress.advance(self.task, count)


def _run(
    store: Store,
    kind: str,
    paths: list[str],
    strict: bool,
    batch_size: int,
    workers: int | None,
    aliases: tuple[SourceEntry, ...] | None = None,
) -> IngestReport:
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        return ingest(
            store,
            kind,
            paths,
            strict=strict,
            batch_size=batch_size,
            workers=workers,
            progress=_Bar(progress, f"ingest {kind}"),
            source_aliases=aliases,
        )


def _summarise(report: IngestReport, problems_file: Path | None, kind: str) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "nothing new"
    out.print(f"{kind} documents: {counts}; {len(report.rejected)} rejected")
    if report.repointed:
        out.print(
            f"source aliases: {report.repointed} source label(s) now count as another "
            "source; their claims and duplicated edges follow"
        )
    for problem in report.rejected[:SHOWN_PROBLEMS]:
        err.print(
            f"[red]rejected[/] {shown(problem.path)}: {shown(problem.reason)}", highlight=False
        )
    if len(report.rejected) > SHOWN_PROBLEMS:
        err.print(f"... and {len(report.rejected) - SHOWN_PROBLEMS} more (see --problems FILE)")
    for reason, n in Counter(w.reason for w in report.warnings).most_common(SHOWN_PROBLEMS):
        err.print(f"[yellow]warning[/] {shown(reason)}: {n} document(s)", highlight=False)
    if problems_file:
        write_problems(problems_file, report.rejected + report.warnings)


Strict = Annotated[bool, typer.Option(help="Any rejected input aborts and rolls back the run.")]
BatchSize = Annotated[int, typer.Option(min=1, help="Documents per transaction.")]
Jobs = Annotated[int | None, jobs_option("Parser processes (default: cores).")]
ProblemsFile = Annotated[
    Path | None, typer.Option("--problems", help="Write every rejection and warning as JSONL.")
]


@app.command("ingest")
def ingest_command(
    kind: Annotated[IngestKind, typer.Argument(help="The source kind: see `malgraph sources`.")],
    paths: Annotated[list[Path], typer.Argument(help="Files, directories or zips.")],
    strict: Strict = False,
    batch_size: BatchSize = BATCH_SIZE,
    jobs: Annotated[
        int | None, jobs_option("Parser processes (default: cores; `archives`: one).")
    ] = None,
    problems: ProblemsFile = None,
    source: Annotated[
        str | None,
        typer.Option(help="archives: the source they are claims of (default: the folder's name)."),
    ] = None,
    source_aliases: SourceAliases = None,
    workers: WorkersAlias = None,
) -> None:
    """Ingest records of one source kind, or `archives`: a folder of package archives, each
    placed by its own metadata (else its path) as a claim and an artifact. Exit code 1 when
    any input was rejected (or an archive could not be placed)."""
    readable_inputs(paths)
    if problems:
        output_file(problems)
    aliases = aliases_or_exit(source_aliases)
    jobs = jobs_or_workers(jobs, workers)
    if kind is IngestKind.ARCHIVES:
        ingest_archives_command(paths, source, jobs, strict, problems, batch_size, aliases)
    if source is not None:
        raise UsageError("--source names the source of `ingest archives` only")
    with open_store() as store:
        inputs = [str(p) for p in paths]
        report = _run(store, kind.value, inputs, strict, batch_size, jobs, aliases)
    _summarise(report, problems, kind.value)
    raise typer.Exit(0 if report.ok else 1)


def sample_inputs() -> list[tuple[str, list[str]]]:
    """The bundled sample: real records of every source kind, shipped inside the package."""
    folder = resources.files("malgraph.data").joinpath("sample")
    return [
        (kind, [str(folder.joinpath(kind))]) for kind in SOURCES if folder.joinpath(kind).is_dir()
    ]


@app.command("build")
def build_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="OSV inputs (default: the bundled sample).")
    ] = None,
    strict: Strict = False,
    jobs: Jobs = None,
    source_aliases: SourceAliases = None,
    workers: WorkersAlias = None,
) -> None:
    """Build the graph from OSV inputs, or from the bundled sample of every source, and
    summarise it."""
    readable_inputs(paths or [])
    inputs = [("osv", [str(p) for p in paths])] if paths else sample_inputs()
    aliases = aliases_or_exit(source_aliases)
    jobs = jobs_or_workers(jobs, workers)
    ok = True
    with open_store() as store:
        for kind, kind_paths in inputs:
            report = _run(store, kind, kind_paths, strict, BATCH_SIZE, jobs, aliases)
            _summarise(report, None, kind)
            ok = ok and report.ok
        print_dependency_summary(refresh_dependencies(store))
        print_stats(stats(store.db))
    out.print(
        f"\nstore: {shown(store.path)}  -  next: `malgraph report OUTDIR` (the analyses, "
        "with figures), `malgraph stats`, `malgraph show NAME`"
    )
    raise typer.Exit(0 if ok else 1)
