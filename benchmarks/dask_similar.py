"""Benchmark: the similar relation's near-duplicate search on a Dask LocalCluster of 1 and 2
workers against the local run, on the same generated sketches.

    python benchmarks/dask_similar.py [--items 100000] [--workers 1 2] [--partition N]

Sketches are generated, not made from code (sketching is the same per-archive work on either
path, done when an archive is analysed): random 256-position sketches with planted clusters of
near-copies (Jaccard about 0.5-0.9; one campaign of 2,000 near-copies, whose large buckets are
spanned), about a third of the items in clusters. Timed, each from the sketches in memory:
- local: lsh.near_pairs (banding, candidates, verification, spanning), then the client steps;
- cluster, per stage: export (the client writes the Parquet partitions to a local folder),
  buckets (banding, the shuffle on the band key, each bucket's pairs), large buckets (their
  pairs back to the client), pairs (the shuffle that deduplicates them), verify (two range
  joins with the sketches, the agreement counts), span (the client spans the large buckets),
  client (sparsify and the first shared bands' evidence: the same on both paths).
Both runs must give the same pairs (checked). Prints throughput (items a second), the second
worker's efficiency (T1 / (2 * T2)) and the load average: on a shared machine every time is an
upper bound.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from distributed import Client, LocalCluster

from malgraph.pipeline.distributed import similar as on_cluster
from malgraph.relations.lsh import near_pairs, sparsify
from malgraph.relations.minhash import U16
from malgraph.relations.similar import NEAR_EDGES_PER_STREAM, NearPairs, near_parameters


def planted(count: int, seed: int = 3) -> U16:
    """Random sketches; a third of them in clusters of near-copies, one of 2,000."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 65536, size=(count, 256), dtype=np.uint16)
    start, sizes = 0, [min(2000, count // 10)]
    while start + sum(sizes) < count // 3:
        sizes.append(int(rng.integers(2, 40)))
    for size in sizes:
        keep = rng.random((size, 256)) < rng.uniform(0.5, 0.95, (size, 1))
        rows[start : start + size] = np.where(keep, rows[start], rows[start : start + size])
        start += size
    return rows[rng.permutation(count)]


def local(sketches: U16) -> tuple[NearPairs, dict[str, float]]:
    near = near_parameters(0.4)
    start = time.perf_counter()
    pairs, matches = near_pairs(sketches, near.bands, near.rows, near.agree)
    middle = time.perf_counter()
    sparsify(pairs, matches, NEAR_EDGES_PER_STREAM)
    end = time.perf_counter()
    found = NearPairs(pairs, matches, np.zeros_like(matches))
    return found, {"near_pairs": middle - start, "client": end - middle}


def cluster(
    sketches: U16, workers: int, folder: str, per_partition: int | None
) -> tuple[NearPairs, dict[str, float]]:
    times: dict[str, float] = {}
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as made,
        Client(made) as client,
    ):
        start = time.perf_counter()
        size = per_partition or on_cluster.partition_size(sketches.shape[0], workers)
        with on_cluster.SketchExport(folder, size) as export:
            for row in sketches:
                export.add(row.astype("<u2").tobytes())
        last = time.perf_counter()
        times["export"] = last - start

        def done(stage: str) -> None:
            nonlocal last
            now = time.perf_counter()
            times[stage] = now - last
            last = now

        found = on_cluster.NearSearch(client, export, near_parameters(0.4), done).run()
        done("span")
        sparsify(found.pairs, found.matches, NEAR_EDGES_PER_STREAM)
        done("client")
        export.clear()
    return found, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--partition", type=int, help="sketches a partition (default: as run)")
    args = parser.parse_args()
    sketches = planted(args.items)
    print(f"{args.items:,} sketches; load average {os.getloadavg()}")
    expected, times = local(sketches)
    total = sum(times.values())
    print(
        f"local: {total:.1f} s ({args.items / total:,.0f} items/s); {len(expected.pairs):,} pairs"
    )
    print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    totals = {}
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as folder:
            found, times = cluster(sketches, workers, folder, args.partition)
        assert np.array_equal(found.pairs, expected.pairs), "the cluster found other pairs"
        assert np.array_equal(found.matches, expected.matches)
        totals[workers] = sum(times.values())
        rate = args.items / totals[workers]
        print(f"{workers} worker(s): {totals[workers]:.1f} s ({rate:,.0f} items/s), same pairs")
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    if 1 in totals and 2 in totals:
        print(f"second worker's efficiency: {totals[1] / (2 * totals[2]):.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
