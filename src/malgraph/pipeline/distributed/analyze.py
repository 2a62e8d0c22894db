"""`malgraph analyze --scheduler`: the archives not yet analysed, in batches on a Dask cluster.
Workers publish a Parquet partition a batch; the client alone writes the store, merging each
partition in one transaction and then removing it. A stopped client is resumed by running the
command again: partitions left over are merged first, stored archives are not listed again."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from malgraph.artifacts.cache import Cache
from malgraph.core.code import ANALYZER_VERSION
from malgraph.core.dates import now_utc
from malgraph.core.errors import InputError
from malgraph.pipeline.analyze_code import AnalyzeSummary
from malgraph.pipeline.distributed.partitions import ResultsFolder, analyzer_versions, results_of
from malgraph.pipeline.distributed.worker import Batch, analyze_batch
from malgraph.store import Store
from malgraph.store.code import save_analysis, save_sketches
from malgraph.store.read.code import archives_awaited, archives_held, archives_to_analyze

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client

PARTITION_SIZE = 200  # archives a task and a partition: one store transaction each
BATCHES_PER_THREAD = 4  # submitted ahead of the workers; bounds what a stopped client leaves
TASK_RETRIES = 2  # a task that raised (a storage error) runs again before the run fails


@dataclass
class ClusterSummary(AnalyzeSummary):
    """A run's counts (the files scanned stay 0: workers keep no memo to count with), and
    what the operator should know of partitions left by earlier runs."""

    notices: list[str] = field(default_factory=list)
    # archives whose analyses came from earlier runs' partitions (not this run's: a registry
    # run would hold every archive's hash)
    merged_earlier: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ClusterRun:
    """Where the workers find the archives and put their results. `archives_root` (an fsspec
    URL) holds the cache's layout (`ab/abcdef...`); None: workers read the paths the client
    knows, so they share its file system. A temporary results folder (the default one beside
    the store) is removed once a run leaves it empty; one the operator named is left."""

    results: str
    archives_root: str | None = None
    partition_size: int = PARTITION_SIZE
    temporary_results: bool = False


def results_url(store_path: Path, archives_root: str | None, results: str | None) -> str:
    """The results folder: the one given, else a folder beside the store when the workers
    share the client's file system (they read its paths, or a file:// root)."""
    if results:
        return location_url(results)
    if archives_root is None or location_url(archives_root).startswith("file://"):
        return store_path.with_name(store_path.name + ".dask-results").resolve().as_uri()
    raise InputError(
        "--results URL is needed when the workers read archives from an object store: "
        "a folder both the workers and this machine reach"
    )


def location_url(location: str) -> str:
    """A folder given on the command line as the workers must see it: a URL as given, a local
    path absolute (a worker's working folder is not the client's)."""
    if "://" in location:
        return location
    return Path(location).expanduser().resolve().as_uri()


def analyze_on_cluster(
    store: Store,
    cache: Cache,
    client: Client,
    run: ClusterRun,
    *,
    redo: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ClusterSummary:
    """Merge the partitions an earlier run left, then analyse the rest on the cluster. A
    partition of this run written by workers of another analyzer version is an InputError
    (their rows would be wrong for this store); an earlier run's is skipped with a notice."""
    summary = ClusterSummary()
    folder = ResultsFolder(run.results)
    for batch_id in folder.finished():  # left by a client stopped before merging them
        merge_partition(store, folder, batch_id, summary, of_this_run=False, redo=redo)
    batches = _batches(store, cache, run, redo, summary.merged_earlier)
    total, done = sum(len(batch.tasks) for batch in batches), 0
    for batch_id in _run(client, batches):
        done += merge_partition(store, folder, batch_id, summary, redo=redo)
        if progress:
            progress(done, total)
    if run.archives_root and summary.missing and not summary.analyzed:
        _notice(summary, NOTHING_UNDER_ROOT.format(root=run.archives_root))
    folder.remove_partials()
    if run.temporary_results:
        folder.remove_if_empty()
    return summary


def _batches(
    store: Store, cache: Cache, run: ClusterRun, redo: bool, merged: set[str]
) -> list[Batch]:
    """The archives still to analyse in batches; with --redo, those whose analyses were just
    merged from an earlier run's partitions are done already (a --redo run resumed)."""
    tasks = [
        (sha256, _places(cache, run.archives_root, sha256, places))
        for sha256, places in archives_to_analyze(store.db, redo)
        if sha256 not in merged
    ]
    chunks = (
        tuple(tasks[start : start + run.partition_size])
        for start in range(0, len(tasks), run.partition_size)
    )
    return [Batch(batch_id(chunk), chunk, run.results) for chunk in chunks]


def _places(
    cache: Cache, archives_root: str | None, sha256: str, recorded: tuple[str, ...]
) -> tuple[str, ...]:
    if archives_root is None:
        return worker_paths((str(cache.path(sha256)), *recorded))
    layout = cache.path(sha256).relative_to(cache.root).as_posix()
    return (f"{archives_root.rstrip('/')}/{layout}",)


def worker_paths(places: tuple[str, ...]) -> tuple[str, ...]:
    """The places the local path would read, in its order, as absolute paths: a worker's
    working folder is not the client's. A recorded URL (`fetch` records the registry's
    download URL) is left out: the local path never reads one, and a worker must not fetch
    from the network; its archive is then not found, as locally."""
    return tuple(str(Path(place).absolute()) for place in places if "://" not in place)


def batch_id(tasks: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """Named by its archives and the analyzer's version: a task run again writes the same
    name, and no two batches of a run share one."""
    digest = hashlib.sha256(f"analyzer {ANALYZER_VERSION}".encode())
    for sha256, _places in tasks:
        digest.update(sha256.encode())
    return digest.hexdigest()[:32]


def _run(client: Client, batches: list[Batch]) -> Iterator[str]:
    """The id of each batch as its partition is published. At most BATCHES_PER_THREAD tasks a
    thread of the cluster are in flight, counted again as each task ends, so that workers
    joining mid-run get tasks while the client never holds more than a bounded number of
    futures. Dask runs a task again when its worker dies; a task that raised runs TASK_RETRIES
    more times, then its error stops the run (what was merged stays merged)."""
    # Dask is a heavy optional extra: only a command given --scheduler loads it.
    from distributed import as_completed  # noqa: PLC0415

    queue = iter(batches)
    running = as_completed(loop=client.loop)  # this client's, not a default one

    def fill() -> None:
        for batch in itertools.islice(queue, max(0, _width(client) - running.count())):
            key = task_key(batch)
            running.add(client.submit(analyze_batch, batch, key=key, retries=TASK_RETRIES))

    fill()
    for future in running:
        published = str(future.result())
        future.release()  # its result is the id only: nothing to keep on the cluster
        fill()
        yield published


def task_key(batch: Batch) -> str:
    """The batch's key on the scheduler, which runs one task per key however many clients
    submit it: named by its results folder too, so two stores of the same archives sharing a
    scheduler each get their own partition."""
    folder = hashlib.sha256(batch.results.encode()).hexdigest()[:16]
    return f"malgraph-analyze-{batch.id}-{folder}"


def _width(client: Client) -> int:
    """Tasks to keep in flight: enough to keep every thread of the cluster busy now."""
    threads: int = sum(client.nthreads().values())
    return BATCHES_PER_THREAD * max(1, threads)


def merge_partition(
    store: Store,
    folder: ResultsFolder,
    batch_id: str,
    summary: ClusterSummary,
    *,
    of_this_run: bool = True,
    redo: bool = False,
) -> int:
    """Store a partition's analyses of archives this store awaits, with their sketches, in one
    transaction (as the local path saves a batch), then remove it; how many archives it
    gave. A partition holding archives that are not this store's (a results folder shared
    by two stores) is left for its own store. Merging a partition again (the client stopped
    between the commit and the removal) stores nothing twice. Rows of another analyzer
    version are left out (their archives are analysed again)."""
    try:
        table = folder.read(batch_id)
    except FileNotFoundError:
        if not folder.reachable():
            raise InputError(
                f"{folder.url}: the workers published their results there, but this machine "
                "does not see them: --results must name a folder both reach"
            ) from None
        _notice(summary, TAKEN_PARTITIONS.format(url=folder.url))
        return 0
    _check_versions(table, summary, of_this_run)
    listed = [str(sha256) for sha256 in table.column("sha256").to_pylist()]
    awaited = archives_awaited(store.db, listed, redo)
    results = [r for r in results_of(table) if r.sha256 in awaited]
    found = [(r.sha256, r.analysis, r.sketch) for r in results if r.analysis is not None]
    at = now_utc()
    with store.transaction() as db:
        for sha256, analysis, _sketch in found:
            save_analysis(db, sha256, analysis, at)
        save_sketches(db, [sketch for _sha, _analysis, sketch in found if sketch])
    if archives_held(store.db, listed) == set(listed):
        folder.remove(batch_id)
    else:
        _notice(summary, FOREIGN_PARTITIONS.format(url=folder.url))
    summary.missing.extend(r.sha256 for r in results if r.analysis is None)
    if not of_this_run:
        summary.merged_earlier.update(sha256 for sha256, _analysis, _sketch in found)
    for _sha, analysis, _sketch in found:
        summary.analyzed += 1
        summary.by_status[analysis.status] = summary.by_status.get(analysis.status, 0) + 1
    return len(results)


NOTHING_UNDER_ROOT = (
    "no archive was found under {root}: the workers read it, not this machine; check that "
    "every worker reaches the code cache's layout at that URL"
)
TAKEN_PARTITIONS = (
    "another run sharing {url} merged and removed partitions of this run: archives they held "
    "that this store still awaits are analysed by the next run"
)
FOREIGN_PARTITIONS = (
    "partitions in {url} hold archives this store does not: left there for their own store"
)


def _check_versions(table: pa.Table, summary: ClusterSummary, of_this_run: bool) -> None:
    """A partition of this run by workers of another analyzer version is an InputError (their
    rows would be wrong for this store); an earlier run's is told once."""
    others = sorted(analyzer_versions(table) - {ANALYZER_VERSION})
    if not others:
        return
    if of_this_run:
        raise InputError(
            f"workers run analyzer version {others[0]}, this client {ANALYZER_VERSION}: "
            "install the same malgraph on the workers as here"
        )
    _notice(
        summary,
        f"partitions of an earlier run by analyzer version {others[0]} (this is "
        f"{ANALYZER_VERSION}) were skipped: their archives are analysed again",
    )


def _notice(summary: ClusterSummary, notice: str) -> None:
    if notice not in summary.notices:  # said once, however many partitions
        summary.notices.append(notice)
