"""`malgraph relate`: recompute the derived relations."""

from __future__ import annotations

from typing import Annotated

import typer

from malgraph.cli.application import UsageError, app, open_store, out
from malgraph.cli.progress import bar
from malgraph.cli.stats_view import print_dependency_summary
from malgraph.core.kinds import RelateKind
from malgraph.pipeline.distributed.analyze import results_url
from malgraph.pipeline.distributed.client import dask_client
from malgraph.pipeline.relate import refresh_dependencies, refresh_mentions, refresh_similar
from malgraph.relations.embedding import load_backend
from malgraph.store import Store


@app.command("relate")
def relate_command(
    kinds: Annotated[
        list[RelateKind] | None,
        typer.Option(help="Only these relations (repeat the option for several; default: all)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Also a code-embedding tier: a local sentence-transformers model "
            "folder, or module:Class of your own. Never downloads."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run the similar relation's near-duplicate search on this dask.distributed "
            "scheduler (e.g. tcp://10.0.0.5:8786); needs malgraph[dask]."
        ),
    ] = None,
    results: Annotated[
        str | None,
        typer.Option(
            help="With --scheduler: a folder the client and every worker reach (a shared "
            "path, or an fsspec URL such as s3://bucket/malgraph) for the sketch partitions; "
            "default: a folder beside the store."
        ),
    ] = None,
) -> None:
    """Recompute derived relations: which packages each report's text names (co-existing;
    ingest does this itself), code reuse (similar edges and families, from `analyze`) and
    dependencies (from manifests, imports and the sources' dependency lists)."""
    chosen = set(kinds or RelateKind)
    if results is not None and scheduler is None:
        raise UsageError("--results needs --scheduler")
    if scheduler is not None and RelateKind.SIMILAR not in chosen:
        raise UsageError("--scheduler runs the similar relation on a cluster: it needs similar")
    with open_store(create=False) as store:
        if RelateKind.MENTIONS in chosen:
            with store.transaction():
                out.print(f"{refresh_mentions(store.db)} package mentions in reports")
        if RelateKind.SIMILAR in chosen:
            _relate_similar(store, model, scheduler, results)
        if RelateKind.DEPENDENCY in chosen:
            print_dependency_summary(refresh_dependencies(store))


def _relate_similar(
    store: Store, model: str | None, scheduler: str | None, results: str | None
) -> None:
    backend = load_backend(model) if model else None
    if scheduler is None:
        with bar("similar") as progress:
            found = refresh_similar(store, model=backend, progress=progress)
    else:
        # the workers share this machine's file system unless told (analyze's default)
        results = results_url(store.path, None, results)
        with dask_client(scheduler) as client, bar("similar") as progress:
            # The Dask path (an optional extra, with pandas, pyarrow and fsspec) loads only for
            # a run given --scheduler, so that every other command starts without it.
            from malgraph.pipeline.distributed.similar import (  # noqa: PLC0415
                refresh_similar_on_cluster,
            )

            found = refresh_similar_on_cluster(
                store, client, results, model=backend, progress=progress
            )
    tiers = ", ".join(f"{n} {t}" for t, n in sorted(found.edges.items())) or "none"
    out.print(
        f"similar: {found.items} package-versions with code; edges: {tiers}; "
        f"{found.families} families ({found.new_families} new, "
        f"{found.dissolved_families} dissolved)"
    )
