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
OUT; the lower time is kept, with the peak resident memory (ru_maxrss of that process, from
os.wait4) and CPU seconds (user and system, every thread). `floor_rss_mib` is the same CLI's
peak memory for `malgraph export --help`, the cost of the interpreter and the imports.
`--reuse` keeps a store DIR/export-N.db already there (its ingest is not timed again: the
ingest column says "reused"); `--formats` runs only the formats named. `load` is the load
average (1 minute) when each format's runs started: times are upper bounds under load.
Target (issue 17): every format under 60 s at 200,000 records on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def measured(command: list[str]) -> tuple[float, int, float]:
    """Seconds, peak resident memory (MiB) and CPU seconds (user and system, every thread) of
    one fresh process running `command`. On a shared machine the CPU time moves far less with
    the load than the wall time does."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if status != 0:
        assert proc.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.read().decode()[-2000:]}")
    return took, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


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
    took, _, _ = measured(ingest)
    return db, took


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
        best: tuple[float, int, float] | None = None
        for _ in range(runs):
            if out.is_dir():
                shutil.rmtree(out)
            out.unlink(missing_ok=True)
            run = measured([*cli, "export", fmt.value, str(out)])
            best = run if best is None or run[0] < best[0] else best
        assert best is not None
        seconds, rss, cpu = best
        result[fmt.value] = {
            "s": round(seconds, 1),
            "cpu_s": round(cpu, 1),
            "peak_rss_mib": rss,
            "load": round(load, 1),
        }
        print(
            f"{records} {fmt.value}: {seconds:.1f} s ({cpu:.1f} s CPU), {rss} MiB, load {load:.1f}",
            flush=True,
        )
    return result


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
