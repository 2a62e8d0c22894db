"""`malgraph fetch`: get package code for the store (download only). Nothing fetched is ever
installed, imported or run; `malgraph analyze` (cli/analyze.py) reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from malgraph.artifacts.cache import Cache, cache_for
from malgraph.artifacts.registries import DEFAULT_MIRRORS, Downloader
from malgraph.cli.application import DONE, REJECTED, app, err, open_store, out
from malgraph.cli.options import jobs_option
from malgraph.cli.paths import readable_folder
from malgraph.cli.progress import bar
from malgraph.cli.safe import shown
from malgraph.core.kinds import CodeEcosystem
from malgraph.pipeline.fetch_code import FETCHABLE, fetch_from_registries, register_local
from malgraph.store import Store

SHOWN = 20


FetchEcosystem = CodeEcosystem  # an ecosystem `fetch` can get code from


def parse_mirrors(values: list[str]) -> dict[str, list[str]]:
    """`--mirror URL` serves every ecosystem, `--mirror npm=URL` one; given mirrors replace the
    official registries, in the order given (name the official one too to keep it)."""
    mirrors: dict[str, list[str]] = {eco: [] for eco in FETCHABLE}
    for value in values:
        eco, sep, url = value.partition("=")
        if sep and not eco.startswith("http"):
            if eco not in mirrors:
                raise typer.BadParameter(f"{eco!r}: mirrors are for {', '.join(FETCHABLE)}")
            mirrors[eco].append(url)
        else:
            for urls in mirrors.values():
                urls.append(value)
    return {eco: urls or list(DEFAULT_MIRRORS[eco]) for eco, urls in mirrors.items()}


@app.command("fetch")
def fetch_command(
    ecosystem: Annotated[FetchEcosystem | None, typer.Option(help="Only this ecosystem.")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Ask for at most N.")] = None,
    mirror: Annotated[
        list[str] | None, typer.Option(help="[ECOSYSTEM=]URL, tried in order; repeatable.")
    ] = None,
    from_: Annotated[
        list[Path] | None,
        typer.Option("--from", help="A folder of archives (name/version/file or loose)."),
    ] = None,
    offline: Annotated[bool, typer.Option(help="Only local folders; no network.")] = False,
    jobs: Annotated[int, jobs_option("Downloads at once.")] = 8,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 20.0,
    retries: Annotated[int, typer.Option(min=0, help="Retries per request.")] = 3,
) -> None:
    """Get code for package-versions in the store that have none: local folders first, then
    registries and mirrors. Download only; checksums checked; removals recorded. Exit code 1
    when any download failed or a local archive was refused."""
    mirrors = parse_mirrors(mirror or [])
    for folder in from_ or []:
        readable_folder(folder)
    with open_store(create=False) as store:
        cache = cache_for(store.path)
        refused = sum(_register_local(store, cache, folder) for folder in from_ or [])
        if offline:
            raise typer.Exit(REJECTED if refused else DONE)
        with Downloader(timeout=timeout, retries=retries) as downloader, bar("fetch") as progress:
            summary = fetch_from_registries(
                store,
                cache,
                downloader,
                mirrors,
                ecosystem=ecosystem.value if ecosystem else None,
                limit=limit,
                jobs=jobs,
                progress=progress,
            )
    out.print(
        f"asked {summary.asked}: {summary.fetched} fetched, {summary.removed} removed from "
        f"every registry asked, {len(summary.failed)} failed; {summary.skipped_removed} "
        "already known removed were not asked again"
    )
    for line in summary.failed[:SHOWN]:
        err.print(f"[red]failed[/] {shown(line)}", highlight=False)
    if len(summary.failed) > SHOWN:
        err.print(f"... and {len(summary.failed) - SHOWN} more")
    raise typer.Exit(REJECTED if refused or summary.failed else DONE)


def _register_local(store: Store, cache: Cache, folder: Path) -> int:
    """Register a folder's archives; how many were refused."""
    with bar(f"archives in {shown(folder)}") as progress:
        local = register_local(store, cache, folder, progress)
    out.print(
        f"{shown(folder)}: {local.registered} archive(s) registered, "
        f"{len(local.unmatched)} naming no package-version in the store",
        highlight=False,
    )
    for line in local.refused:
        err.print(f"[red]refused[/] {shown(line)}", highlight=False)
    return len(local.refused)
