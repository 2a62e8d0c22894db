"""`malgraph analyze`: read package code statically, the stored archives (in a process pool, or
on a dask cluster) or the archives given. Nothing is ever extracted, installed, imported or run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.file_memo import RecentScans
from malgraph.artifacts.cache import cache_for
from malgraph.cli.application import DONE, REJECTED, UsageError, app, err, open_store, out
from malgraph.cli.options import jobs_option
from malgraph.cli.output import Format, JsonAlias, OutputOption, chosen, print_json, to_output
from malgraph.cli.paths import readable_file
from malgraph.cli.progress import bar
from malgraph.cli.safe import shown
from malgraph.core.code import Analysis
from malgraph.core.errors import InputError
from malgraph.core.inputs import display_path
from malgraph.core.kinds import AnalysisStatus
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES, AnalyzeSummary, analyze_stored
from malgraph.pipeline.distributed.analyze import (
    PARTITION_SIZE,
    ClusterRun,
    ClusterSummary,
    analyze_on_cluster,
    location_url,
    results_url,
)
from malgraph.pipeline.distributed.client import dask_client
from malgraph.store import Store

SHOWN = 20


@app.command("analyze")
def analyze_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Archives to analyse and print (not stored).")
    ] = None,
    jobs: Annotated[int | None, jobs_option("Processes (default: cores).")] = None,
    redo: Annotated[bool, typer.Option(help="Analyse again what was analysed.")] = False,
    format_: Annotated[
        Format, typer.Option("--format", "-f", help="table for people, json for programs.")
    ] = Format.TABLE,
    output: OutputOption = None,
    as_json: JsonAlias = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Run on this dask.distributed scheduler (tcp://host:8786); needs the dask extra.",
        ),
    ] = None,
    archives_root: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="With --scheduler: where workers find the code cache's layout (fsspec URL: "
            "file:///mnt/archives, s3://bucket/prefix); default: the paths this machine knows.",
        ),
    ] = None,
    results: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="With --scheduler: the folder workers write Parquet partitions to, reached by "
            "this machine too (default beside the store when the file system is shared).",
        ),
    ] = None,
    partition_size: Annotated[
        int | None,
        typer.Option(
            min=1, help=f"With --scheduler: archives a task and a partition ({PARTITION_SIZE})."
        ),
    ] = None,
) -> None:
    """Static features of every available artifact not yet analysed (or of the archives
    given: `-f json` prints one array). Archives are read in memory under caps; nothing is
    extracted or run. Exit code 1 when an archive given was unreadable or refused."""
    format_ = chosen(format_, as_json)
    _check_cluster_options(scheduler, paths, jobs, (archives_root, results, partition_size))
    sizes = [readable_file(path) for path in paths or []]  # a typo stops before any work
    if paths:
        with to_output(output):
            all_read = _analyze_given(paths, sizes, format_)
        raise typer.Exit(DONE if all_read else REJECTED)
    with to_output(output):
        with open_store(create=False) as store, bar("analyze") as progress:
            if scheduler:
                run = ClusterRun(
                    results_url(store.path, archives_root, results),
                    location_url(archives_root) if archives_root else None,
                    partition_size or PARTITION_SIZE,
                    temporary_results=results is None,
                )
                summary: AnalyzeSummary = _analyze_on_cluster(store, scheduler, run, redo, progress)
            else:
                summary = analyze_stored(
                    store, cache_for(store.path), jobs=jobs, redo=redo, progress=progress
                )
        _print_summary(summary, format_)
    if isinstance(summary, ClusterSummary):
        for notice in summary.notices:
            err.print(f"[yellow]{shown(notice)}[/]", highlight=False)
    if summary.missing:
        err.print(f"[yellow]{len(summary.missing)} archive(s) not found where recorded[/]")


def _check_cluster_options(
    scheduler: str | None,
    paths: list[Path] | None,
    jobs: int | None,
    cluster_only: tuple[str | int | None, ...],
) -> None:
    if scheduler and (paths or jobs):
        raise UsageError(
            "--scheduler analyses the stored archives on the cluster's workers: "
            "give no archives and no -j"
        )
    if not scheduler and any(option is not None for option in cluster_only):
        raise UsageError("--archives-root, --results and --partition-size need --scheduler")


def _print_summary(summary: AnalyzeSummary, format_: Format) -> None:
    """The counts of a run; the files scanned only for a local run (a cluster's workers keep
    no memo, and their counts are not sent back)."""
    local = not isinstance(summary, ClusterSummary)
    files = {"scanned": summary.files_scanned, "from_memo": summary.files_recalled}
    if format_ is Format.JSON:
        by_status = {str(s): n for s, n in summary.by_status.items()}  # orjson: str keys
        numbers = {"analyzed": summary.analyzed, "by_status": by_status}
        print_json({**numbers, "missing": len(summary.missing), "files": files if local else None})
        return
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    line = f"analysed {summary.analyzed} archive(s): {statuses or 'none'}"
    if local:
        line += f"; files: {files['scanned']} scanned, {files['from_memo']} from memo"
    out.print(line)


def _analyze_on_cluster(
    store: Store,
    scheduler: str,
    run: ClusterRun,
    redo: bool,
    progress: Callable[[int, int], None],
) -> ClusterSummary:
    with dask_client(scheduler) as client:
        return analyze_on_cluster(
            store, cache_for(store.path), client, run, redo=redo, progress=progress
        )


def _analyze_given(paths: list[Path], sizes: list[int], format_: Format) -> bool:
    """Analyse and print the archives named (nothing is stored); JSON is one array, an
    object a path. True when every archive could be read."""
    analysed: list[dict[str, object]] = []
    all_read = True
    memo = RecentScans()  # archives given together often share files (vendored, generated)
    for path, size in zip(paths, sizes, strict=True):
        if size > MAX_ARCHIVE_BYTES:
            err.print(
                f"[red]refused[/] {shown(path)}: over {MAX_ARCHIVE_BYTES >> 20} MiB",
                highlight=False,
            )
            all_read = False
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from None
        analysis = analyze_archive(data, path.name, memo=memo)
        all_read = all_read and analysis.status is not AnalysisStatus.UNREADABLE
        if format_ is Format.JSON:
            analysed.append({"path": display_path(str(path)), **dataclasses.asdict(analysis)})
        else:
            _print_analysis(path, analysis)
    if format_ is Format.JSON:
        print_json(analysed)
    return all_read


def _print_analysis(path: Path, analysis: Analysis) -> None:
    f = analysis.features
    out.print(
        f"[bold]{shown(path)}[/]: {analysis.status} ({shown(analysis.format or '-')})"
        + (f": {shown(analysis.reason)}" if analysis.reason else ""),
        highlight=False,
    )
    for member, reason in analysis.skipped[:SHOWN]:
        out.print(f"  skipped {shown(member)}: {shown(reason)}", highlight=False)
    if f is None:
        return
    out.print(
        f"  {len(f.files)} files, {len(f.imports)} imports, {len(f.dependencies)} "
        f"declared dependencies, {len(f.tokens.split())} normalised tokens"
    )
    for hook in f.install_hooks:
        out.print(
            f"  install hook {shown(hook.kind)}: {shown(hook.detail)} ({shown(hook.file)})",
            highlight=False,
        )
    for finding in f.findings[:SHOWN]:
        out.print(
            f"  {finding.category:15} {shown(finding.api)} ({shown(finding.file)}:{finding.line})",
            highlight=False,
        )
    for ioc in f.iocs[:SHOWN]:
        out.print(
            f"  ioc {ioc.kind}: {shown(ioc.value)} ({shown(ioc.file)}:{ioc.line})", highlight=False
        )
    for sign in f.obfuscation[:SHOWN]:
        out.print(
            f"  obfuscation {shown(sign.sign)}: {shown(sign.detail)} ({shown(sign.file)})",
            highlight=False,
        )
