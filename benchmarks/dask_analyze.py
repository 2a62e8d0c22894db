"""Benchmark: `malgraph analyze --scheduler` on a LocalCluster of 1 and 2 workers, against the
local path (-j 1, -j 2), with per-stage costs and a projection to 1,000,000 archives.

    python benchmarks/dask_analyze.py [--packages 1000] [--partition-size 200] [--workdir DIR]

Generates the corpus of analyze_packages.py (inert npm tarballs and PyPI sdists of 1-50 KB of
code), registers it in a store, then analyses a fresh copy of that store four times: locally
with one and two processes, and on a LocalCluster (processes, one thread each, 127.0.0.1) of
one and two workers. It prints each run's throughput and the efficiency of the second worker.

Then it times each stage alone, per archive, on the same corpus: read (open through fsspec,
read, sha256), analyse (analyze_archive and the sketch), write (a partition's table and its
publication) on the workers, and the client's merge (read a partition, decode, one store
transaction). The projection takes the workers' stages as scaling with the number of workers
and the merge as serial on the client: the run goes at the slower of the two.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.analyze_packages import fetched_store

PROJECTED = (8, 64, 256)
MILLION = 1_000_000


def build_store(work: Path, packages: int) -> Path:
    db = work / "corpus" / "bench.db"
    fetched_store(work / "archives", db, packages)
    return db


def fresh_copy(db: Path, to: Path) -> Path:
    from malgraph.artifacts.cache import cache_for

    if to.exists():
        shutil.rmtree(to)
    to.mkdir(parents=True)
    shutil.copyfile(db, to / db.name)
    shutil.copytree(cache_for(db).root, cache_for(to / db.name).root)
    return to / db.name


def run_local(db: Path, jobs: int) -> tuple[float, int]:
    from malgraph.artifacts.cache import cache_for
    from malgraph.pipeline.analyze_code import analyze_stored
    from malgraph.store import Store

    with Store(db) as store:
        started = time.perf_counter()
        summary = analyze_stored(store, cache_for(db), jobs=jobs)
        return time.perf_counter() - started, summary.analyzed


def run_cluster(db: Path, workers: int, partition_size: int) -> tuple[float, int]:
    from distributed import Client, LocalCluster

    from malgraph.artifacts.cache import cache_for
    from malgraph.pipeline.distributed.analyze import ClusterRun, analyze_on_cluster, results_url
    from malgraph.pipeline.distributed.worker import analyze_at
    from malgraph.store import Store
    from malgraph.store.read.code import archives_to_analyze

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
        Store(db) as store,
    ):
        # Workers analyse one archive (loading the grammars) before the clock starts, as a
        # long-running cluster would have.
        sha256, _places = archives_to_analyze(store.db)[0]
        client.run(analyze_at, sha256, (str(cache_for(db).path(sha256)),))
        run = ClusterRun(results_url(db, None, None), partition_size=partition_size)
        started = time.perf_counter()
        summary = analyze_on_cluster(store, cache_for(db), client, run)
        seconds = time.perf_counter() - started
        peaks = client.run(peak_rss_mib).values()
        print(f"    workers' peak resident memory: {', '.join(f'{p:.0f}' for p in peaks)} MiB")
        return seconds, summary.analyzed


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def per_archive(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e3:7.3f} ms"


def stage_costs(db: Path, work: Path, partition_size: int) -> dict[str, float]:
    """Seconds per archive of each stage, each timed alone on the whole corpus."""
    from malgraph.artifacts.cache import cache_for
    from malgraph.pipeline.distributed import analyze as cluster
    from malgraph.pipeline.distributed.partitions import ResultsFolder, partition_table
    from malgraph.pipeline.distributed.worker import analyze_at, read_capped
    from malgraph.store import Store
    from malgraph.store.read.code import archives_to_analyze

    with Store(db) as store:
        todo = [(sha, str(cache_for(db).path(sha))) for sha, _ in archives_to_analyze(store.db)]
    count = len(todo)
    timed: dict[str, float] = {}

    def clock(name: str, work_: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = work_()
        timed[name] = (time.perf_counter() - started) / count
        return result

    clock("read", lambda: [read_capped(Path(place).as_uri()) for _sha, place in todo])
    found = clock("analyse", lambda: [analyze_at(sha, (place,)) for sha, place in todo])
    assert isinstance(found, list)
    folder = ResultsFolder((work / "stage-results").as_uri())
    chunks = [found[i : i + partition_size] for i in range(0, count, partition_size)]
    ids = [f"{i:04x}" for i in range(len(chunks))]  # partitions are named by hex ids
    clock(
        "write",
        lambda: [folder.publish(b, partition_table(c)) for b, c in zip(ids, chunks, strict=True)],
    )
    timed["analyse"] -= timed["read"]  # analyze_at reads too
    with Store(db) as store:
        summary = cluster.ClusterSummary()
        clock("merge", lambda: [cluster.merge_partition(store, folder, b, summary) for b in ids])
    return timed


def report_projection(costs: dict[str, float], mean_bytes: float) -> None:
    worker = costs["read"] + costs["analyse"] + costs["write"]
    print("\nper-stage cost per archive (one process, timed alone):")
    for stage, seconds in costs.items():
        place = "client, serial" if stage == "merge" else "worker"
        print(f"  {stage:8} {seconds * 1e3:8.3f} ms   ({place})")
    print(
        f"  a worker: {worker * 1e3:.3f} ms an archive; the client's merge caps the run at "
        f"{1 / costs['merge']:,.0f} archives/s"
    )
    print(
        f"\nprojection for {MILLION:,} archives (workers of one core each, mean archive "
        f"{mean_bytes / 1024:.1f} KiB):"
    )
    print("  workers   archives/s   hours   bound by        storage read")
    for workers in PROJECTED:
        by_workers, by_merge = workers / worker, 1 / costs["merge"]
        rate = min(by_workers, by_merge)
        bound = "client merge" if by_merge < by_workers else "workers"
        bandwidth = rate * mean_bytes / 2**20
        print(
            f"  {workers:7}   {rate:10,.0f}   {MILLION / rate / 3600:5.2f}   {bound:14}  "
            f"{bandwidth:7.1f} MiB/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--partition-size", type=int, default=200)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="kept after the run (default: a temporary one)"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="malgraph-dask-bench-"))
    try:
        measure(work, args.packages, args.partition_size)
    finally:
        if args.workdir is None:  # the generated corpus and its stores are not wanted after
            shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, packages: int, partition_size: int) -> None:
    """Build the corpus in `work`, time each way of analysing it, and print the projection."""
    db = build_store(work, packages)
    mean_bytes = sum(p.stat().st_size for p in (work / "archives").iterdir()) / packages
    print(f"corpus: {packages} archives, partition size {partition_size}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; times are upper bounds)")
    runs = {}
    for label, run in (
        ("local -j 1", lambda copy: run_local(copy, 1)),
        ("local -j 2", lambda copy: run_local(copy, 2)),
        ("dask, 1 worker", lambda copy: run_cluster(copy, 1, partition_size)),
        ("dask, 2 workers", lambda copy: run_cluster(copy, 2, partition_size)),
    ):
        seconds, analysed = run(fresh_copy(db, work / "run"))
        assert analysed == packages, (label, analysed)
        runs[label] = seconds
        print(
            f"  {label:16} {seconds:7.2f} s  {analysed / seconds:8.1f} archives/s  "
            f"(load {os.getloadavg()[0]:.2f})"
        )
    one, two = runs["dask, 1 worker"], runs["dask, 2 workers"]
    print(f"second worker's efficiency: {one / (2 * two):.0%} (100% = twice the throughput)")
    costs = stage_costs(fresh_copy(db, work / "stages"), work, partition_size)
    report_projection(costs, mean_bytes)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
