"""Benchmark: `malgraph export FORMAT` of the ingest benchmark's tree, every format, with the
time and peak memory of each, at two sizes to show that memory does not grow with the graph.

    python benchmarks/export.py [--records 50000 200000] [--runs 2] [--workdir DIR]
                                [--formats osv stix ...] [--reuse]

The tree is benchmarks/ingest_osv.py's (the bundled ossf sample varied into new ids and
package names: records with several sources' origins, which make `duplicated` edges, and a
package reported twice, which makes `duplicated_package` edges), each record given besides:
  a report it cites (`references`), shared by 10 consecutive records: co-existing packages;
  IoCs (`database_specific.iocs`): a C2 URL shared by 50 consecutive records and an IP
    shared by 250 (wrapping over 256 addresses): sightings and campaign candidates.
No code is analysed, so there are no `similar` edges, families or `depends_on` edges.

Per size: the store is built once with `malgraph ingest osv` (timed, a fresh process), then
each format of export.WRITERS is run `--runs` times through the real CLI
(`python -m malgraph --db DB export FORMAT OUT`), each run in a fresh process into an empty
OUT (an earlier run's output is removed and the disk synced first, untimed); the lower time
is kept, with the peak resident memory (ru_maxrss of that process, from os.wait4) and its user
and system CPU seconds (every thread). For OSV, which writes a folder and a file a package,
`file_system_floor` is the time this process takes to make the same folders and files (same
sizes, blank), right after: on a virtual disk that cost swings with what the disk did before.
`floor_rss_mib` is the same CLI's peak memory for `malgraph export --help`, the cost of the
interpreter and the imports. `--reuse` keeps a store DIR/export-N.db already there (its ingest
is not timed again: the ingest column says "reused"); `--formats` runs only the formats named.
`load` is the load average (1 minute) when each format's runs started: times are upper bounds
under load.
Target (issue 17): every format under 60 s at 200,000 records on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.ingest_osv import make_tree
from malgraph.export import WRITERS

REPORT_GROUP = 10  # records citing one report
URL_GROUP = 50  # records sighting one C2 URL
IP_GROUP = 250  # records sighting one IP


def enrich(doc: dict[str, Any], i: int) -> None:
    """A shared report and shared IoCs, as a campaign's packages have."""
    doc.setdefault("references", [])
    doc["references"] = [
        *(doc["references"] or []),
        {"type": "ARTICLE", "url": f"https://research.example/posts/wave-{i // REPORT_GROUP}"},
    ]
    specific = doc.setdefault("database_specific", {}) or {}
    specific["iocs"] = {
        "urls": [f"https://c2-{i // URL_GROUP}.exfil.example/collect"],
        "ips": [f"203.0.113.{(i // IP_GROUP) % 256}"],
    }
    doc["database_specific"] = specific


class Run(NamedTuple):
    """One fresh process: wall seconds, peak resident memory (MiB), user and system CPU
    seconds (every thread)."""

    s: float
    rss_mib: int
    user_s: float
    sys_s: float


def measured(command: list[str]) -> Run:
    """One fresh process running `command`. On a shared machine the CPU time moves far less
    with the load than the wall time does."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if status != 0:
        assert proc.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.read().decode()[-2000:]}")
    return Run(took, usage.ru_maxrss // 1024, usage.ru_utime, usage.ru_stime)


def emptied(out: Path) -> None:
    """Removes an earlier run's output and waits for the disk: removing a tree of files leaves
    the kernel work that would otherwise be charged to the next run."""
    if out.is_dir():
        shutil.rmtree(out)
    out.unlink(missing_ok=True)
    os.sync()


def file_system_floor(tree: Path, copy: Path) -> Run:
    """Makes a folder and a file of the same sizes for every file under `tree` (an OSV export)
    at `copy`, in this process: what the file system alone charges for that many files."""
    files = [(path.relative_to(tree), path.stat().st_size) for path in sorted(tree.rglob("*.json"))]
    emptied(copy)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for relative, size in files:
        target = copy / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b" " * size)
    took, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    shutil.rmtree(copy)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return Run(took, 0, user, system)


def store_for(work: Path, records: int, reuse: bool) -> tuple[Path, float | None]:
    """The ingested store of `records` records, and the seconds the ingest took (None for a
    store reused)."""
    if reuse and (work / f"export-{records}.db").is_file():
        return work / f"export-{records}.db", None
    tree = work / f"export-tree-{records}"
    if not tree.exists():
        print(f"building {records} records under {tree} ...", flush=True)
        make_tree(tree, records, enrich)
    db = work / f"export-{records}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    ingest = [sys.executable, "-m", "malgraph", "--db", str(db), "ingest", "osv", str(tree)]
    return db, measured(ingest).s


def bench(work: Path, records: int, runs: int, formats: list[str], reuse: bool) -> dict[str, Any]:
    db, ingest = store_for(work, records, reuse)
    cli = [sys.executable, "-m", "malgraph", "--db", str(db)]
    ingest_s = "reused" if ingest is None else round(ingest, 1)
    result: dict[str, Any] = {"records": records, "ingest_s": ingest_s}
    print(f"{records} ingest: {ingest_s}" + ("" if ingest is None else " s"), flush=True)
    result["floor_rss_mib"] = measured([*cli, "export", "--help"])[1]
    for fmt in (f for f in WRITERS if f.value in formats):
        load = os.getloadavg()[0]
        out = work / f"out-{records}-{fmt.value}"
        best: Run | None = None
        for _ in range(runs):
            emptied(out)
            run = measured([*cli, "export", fmt.value, str(out)])
            best = run if best is None or run.s < best.s else best
        assert best is not None
        result[fmt.value] = _figures(best, load)
        print(f"{records} {fmt.value}: {_line(best)}, {best.rss_mib} MiB, load {load:.1f}")
        if fmt.value == "osv":
            floor = file_system_floor(out, work / f"floor-{records}")
            result["osv"]["file_system_floor"] = _figures(floor, os.getloadavg()[0])
            print(f"{records} osv, the file system's floor for its files: {_line(floor)}")
    return result


def _figures(run: Run, load: float) -> dict[str, Any]:
    return {
        "s": round(run.s, 1),
        "user_s": round(run.user_s, 1),
        "sys_s": round(run.sys_s, 1),
        "peak_rss_mib": run.rss_mib,
        "load": round(load, 1),
    }


def _line(run: Run) -> str:
    return f"{run.s:.1f} s ({run.user_s:.1f} s user, {run.sys_s:.1f} s system)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--formats", nargs="+", default=[f.value for f in WRITERS])
    parser.add_argument("--reuse", action="store_true", help="keep a store already built")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="malgraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = [
        bench(work, records, args.runs, args.formats, args.reuse) for records in args.records
    ]
    print(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2))
    slow = [f"{r['records']} {fmt}" for r in results for fmt in args.formats if r[fmt]["s"] > 60]
    print("targets met" if not slow else f"TARGETS MISSED: {', '.join(slow)}")


if __name__ == "__main__":
    main()
