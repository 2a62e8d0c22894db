"""Benchmark: static analysis on a real-shaped corpus against the floor of reading it.

    python benchmarks/analyze_real_shaped.py [--archives 600] [--seed 20] [--jobs 2]
        [--workdir DIR] [--real DIR ...] [--profile] [--determinism] [--design-floor]
        [--json OUT]

Generates the corpus of benchmarks/real_shaped_corpus.py (or reuses the one in --workdir made
with the same plan), then measures in one run, with whatever malgraph is installed in this
interpreter's environment:
(a) the read floor: every member of every archive decompressed and read, in --jobs processes
    (niced as analyze's workers are), with malgraph's `read_archive` under its caps and with
    plain tarfile;
(b) the stored flow as users run it, in a fresh store: `ingest list`, `fetch --offline --from`,
    `analyze -j JOBS`, then `analyze --redo -j JOBS` (a second pass over the same archives);
(c) each archive's `analyze_archive` in this process: p50/p90/p99/max, the share of the time
    in the slowest 5%, and the time by kind of archive;
(d) throughput of `analyze` and its ratio to the read floor.
Times are wall-clock seconds and, beside them, CPU seconds (this process's or its children's):
on a shared machine the CPU figures and the ratios move less than the wall times.
--profile adds the time by analysis stage (benchmarks/analysis_profile.py); --determinism
analyses every archive again, in this process and in fresh ones, and lists what differs
(benchmarks/analysis_determinism.py); --design-floor times the steps no analysis of this
design can skip (benchmarks/analysis_floor.py). --real DIR measures real archives as well.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.analysis_determinism import determinism, show_determinism
from benchmarks.analysis_floor import measure as design_floor
from benchmarks.analysis_floor import show as show_design_floor
from benchmarks.analysis_profile import show_profile, stage_profile
from benchmarks.real_shaped_corpus import Plan, generate, generator_digest, iter_archives
from malgraph.analysis.analyze import DEFAULT_LIMITS, SAMPLE_PASSWORD, analyze_archive
from malgraph.artifacts.archives import ArchiveError, read_archive
from malgraph.artifacts.local import local_archives

WORKER_NICENESS = 5  # analyze's workers run at this niceness; the floor's do too


# -- timing ---------------------------------------------------------------------------------


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0  # this process's and its finished children's CPU time


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def timed() -> Iterator[Timing]:
    timing = Timing()
    wall, cpu = time.perf_counter(), _cpu()
    yield timing
    timing.wall, timing.cpu = time.perf_counter() - wall, _cpu() - cpu


# -- (a) the read floor ---------------------------------------------------------------------


def read_with_malgraph(path: str) -> int:
    """Bytes of every member, read as analyze reads them (caps, password, nesting)."""
    data = Path(path).read_bytes()
    try:
        contents = read_archive(
            data, Path(path).name, password=SAMPLE_PASSWORD, limits=DEFAULT_LIMITS
        )
    except ArchiveError:
        return 0
    return sum(len(m.data) for m in contents.members)


def read_plainly(path: str) -> int:
    """Bytes of every member through the standard library alone, no caps."""
    data = Path(path).read_bytes()
    total = 0
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return sum(len(archive.read(info)) for info in archive.infolist())
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for info in archive:
                member = archive.extractfile(info) if info.isfile() else None
                total += len(member.read()) if member else 0
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        pass
    return total


def in_pool(work: Callable[[str], int], paths: list[Path], jobs: int) -> tuple[Timing, int]:
    """`work` over every path in `jobs` forked, niced processes, as analyze runs its workers."""
    context = multiprocessing.get_context("fork")
    pool = context.Pool(jobs, initializer=os.nice, initargs=(WORKER_NICENESS,))
    with timed() as timing, pool:
        total = sum(pool.imap_unordered(work, [str(p) for p in paths], chunksize=16))
        pool.close()
        pool.join()
    return timing, total


def read_floor(paths: list[Path], jobs: int, repeat: int) -> dict[str, object]:
    """The lower of `repeat` passes of each reader (the first also warms the page cache)."""
    found: dict[str, object] = {}
    for label, work in (("read_archive", read_with_malgraph), ("tarfile", read_plainly)):
        runs = [in_pool(work, paths, jobs) for _ in range(max(1, repeat))]
        best, member_bytes = min(runs, key=lambda run: run[0].wall)
        found[label] = {**asdict(best), "member_bytes": member_bytes}
    return found


# -- (b) the stored flow --------------------------------------------------------------------


def malgraph(db: Path, *args: str) -> tuple[Timing, str]:
    command = [sys.executable, "-m", "malgraph", "--db", str(db), *args]
    with timed() as timing:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):  # 1: some input rejected, reported in its output
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}")
    return timing, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def stored_flow(listing: Path, folder: Path, work: Path, jobs: int) -> dict[str, object]:
    """A fresh store (removed after): the listing ingested, the folder fetched offline,
    analysed twice."""
    with tempfile.TemporaryDirectory(prefix="store-", dir=work) as store:
        return _stored_flow(listing, folder, Path(store) / "malgraph.db", jobs)


def _stored_flow(listing: Path, folder: Path, db: Path, jobs: int) -> dict[str, object]:
    found: dict[str, object] = {}
    steps = (
        ("start-up", ("--version",)),
        ("ingest", ("ingest", "list", str(listing))),
        ("fetch", ("fetch", "--offline", "--from", str(folder))),
        ("analyze", ("analyze", "-j", str(jobs))),
        ("analyze_redo", ("analyze", "--redo", "-j", str(jobs))),
    )
    for label, args in steps:
        timing, said = malgraph(db, *args)
        found[label] = {**asdict(timing), "said": said}
    return found


# -- (c) each archive in one process --------------------------------------------------------


@dataclass
class PerArchive:
    seconds: dict[str, float] = field(default_factory=dict)  # path -> wall seconds
    cpu: dict[str, float] = field(default_factory=dict)  # path -> CPU seconds


def per_archive(paths: list[Path]) -> PerArchive:
    found = PerArchive()
    for path in paths:
        data = path.read_bytes()
        wall, cpu = time.perf_counter(), time.process_time()
        analyze_archive(data, path.name)
        found.cpu[str(path)] = time.process_time() - cpu
        found.seconds[str(path)] = time.perf_counter() - wall
    return found


def spread(seconds: list[float]) -> dict[str, float]:
    """Percentiles in milliseconds, and the share of the time in the slowest 5%."""
    ordered = sorted(seconds)
    if not ordered:
        return {}

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    slowest = ordered[len(ordered) - max(1, len(ordered) // 20) :]
    return {
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "p99_ms": at(0.99),
        "max_ms": round(1000 * ordered[-1], 2),
        "total_s": round(sum(ordered), 3),
        "slowest_5pct_share": round(sum(slowest) / max(sum(ordered), 1e-9), 3),
    }


def by_kind(times: dict[str, float], kinds: dict[str, str]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = {}
    for path, seconds in times.items():
        groups.setdefault(kinds.get(path, "-"), []).append(seconds)
    return {
        kind: {
            "archives": len(values),
            "median_ms": round(1000 * sorted(values)[len(values) // 2], 2),
            "share_of_time": round(sum(values) / max(sum(times.values()), 1e-9), 3),
        }
        for kind, values in sorted(groups.items())
    }


# -- a whole measurement --------------------------------------------------------------------


@dataclass
class Target:
    """A folder of archives to measure, with the listing that names their package-versions."""

    label: str
    folder: Path
    listing: Path
    paths: list[Path]
    kinds: dict[str, str]  # archive path -> kind (empty for real archives)


def measure(target: Target, work: Path, args: argparse.Namespace) -> dict[str, object]:
    before = load()
    print(f"\n== {target.label}: {len(target.paths)} archives, load {before}", flush=True)
    floor = read_floor(target.paths, args.jobs, args.repeat)
    flow = stored_flow(target.listing, target.folder, work, args.jobs)
    each = per_archive(target.paths)
    result: dict[str, object] = {
        "label": target.label,
        "archives": len(target.paths),
        "archive_bytes": sum(p.stat().st_size for p in target.paths),
        "jobs": args.jobs,
        "load_before": before,
        "read_floor": floor,
        "stored_flow": flow,
        "per_archive_wall": spread(list(each.seconds.values())),
        "per_archive_cpu": spread(list(each.cpu.values())),
        "by_kind_cpu": by_kind(each.cpu, target.kinds) if target.kinds else {},
        "slowest": slowest(each, target.kinds),
        "load_after": load(),
    }
    result["summary"] = headline(len(target.paths), floor, flow)
    if args.profile:
        result["profile"] = stage_profile(target.paths)
    if args.determinism:
        result["determinism"] = determinism(target.paths, work)
    if args.design_floor:
        result["design_floor"] = design_floor(target.paths)
    return result


def headline(count: int, floor: dict[str, object], flow: dict[str, object]) -> dict[str, float]:
    """Throughput of analyze and its cost in read floors, as run and net of start-up."""
    base, start = floor["read_archive"], flow["start-up"]
    assert isinstance(base, dict) and isinstance(start, dict)
    found = {}
    for step in ("analyze", "analyze_redo"):
        run = flow[step]
        assert isinstance(run, dict)
        net_wall, net_cpu = run["wall"] - start["wall"], run["cpu"] - start["cpu"]
        found[f"{step}_archives_per_s"] = round(count / run["wall"], 1)
        found[f"{step}_x_floor_wall"] = round(run["wall"] / base["wall"], 1)
        found[f"{step}_x_floor_cpu"] = round(run["cpu"] / base["cpu"], 1)
        found[f"{step}_net_archives_per_s"] = round(count / max(net_wall, 1e-9), 1)
        found[f"{step}_net_x_floor_wall"] = round(net_wall / base["wall"], 1)
        found[f"{step}_net_x_floor_cpu"] = round(net_cpu / base["cpu"], 1)
    return found


def slowest(each: PerArchive, kinds: dict[str, str], count: int = 10) -> list[dict[str, object]]:
    ordered = sorted(each.cpu.items(), key=lambda item: item[1], reverse=True)[:count]
    return [
        {
            "archive": Path(path).name,
            "kind": kinds.get(path, "-"),
            "cpu_ms": round(1000 * cpu, 1),
            "wall_ms": round(1000 * each.seconds[path], 1),
            "bytes": Path(path).stat().st_size,
        }
        for path, cpu in ordered
    ]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def corpus_target(args: argparse.Namespace, work: Path) -> Target:
    """The generated corpus in `work`, made now unless one with the same plan is there."""
    plan = Plan(args.archives, args.seed, library_share=args.library_share)
    out = work / f"corpus-{plan.archives}-{plan.seed}"
    made = out / "distribution.json"
    made_by = json.loads(made.read_text()) if made.is_file() else {}
    if (made_by.get("plan"), made_by.get("generator")) != (asdict(plan), generator_digest()):
        if out.exists():
            subprocess.run(["rm", "-rf", "--", str(out)], check=True)
        out.mkdir(parents=True)
        with timed() as timing:
            generate(out, plan)
        print(f"corpus generated in {timing.wall:.1f} s: {out}")
    with (out / "kinds.csv").open() as rows:
        kinds = {(name, version): kind for _eco, name, version, kind in csv.reader(rows)}
    paths = list(iter_archives(out / "archives"))
    return Target(
        f"real-shaped corpus ({plan.archives} archives, seed {plan.seed})",
        out / "archives",
        out / "packages.csv",
        paths,
        {str(p): kinds[p.parent.parent.name, p.parent.name] for p in paths},
    )


def real_target(folder: Path, work: Path) -> Target:
    """A folder of real archives: each named by its place or file name, in the ecosystem its
    suffix says (every reading of an ambiguous name is listed; fetch takes the first known)."""
    rows: set[tuple[str, str, str]] = set()
    paths = []
    for archive in local_archives(folder):
        ecosystem = "npm" if archive.path.name.endswith(".tgz") else "PyPI"
        ecosystem = "RubyGems" if archive.path.name.endswith(".gem") else ecosystem
        rows |= {(ecosystem, name, version) for name, version in archive.candidates}
        paths.append(archive.path)
    listing = work / f"real-{folder.name}.csv"
    with listing.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Ecosystem", "Name", "Version"])
        writer.writerows(sorted(rows))
    return Target(f"real archives in {folder}", folder, listing, paths, {})


# -- printing -------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "-"


def show(result: dict[str, object]) -> None:
    floor = result["read_floor"]
    flow = result["stored_flow"]
    assert isinstance(floor, dict) and isinstance(flow, dict)
    count = int(str(result["archives"]))
    base = floor["read_archive"]
    print(f"{'step':<34}{'wall s':>9}{'cpu s':>9}{'archives/s':>12}{'x floor (wall, cpu)':>22}")
    rows = [
        ("read floor: read_archive", base),
        ("read floor: tarfile", floor["tarfile"]),
        ("malgraph --version (start-up)", flow["start-up"]),
        ("fetch --offline --from", flow["fetch"]),
        (f"analyze -j {result['jobs']}", flow["analyze"]),
        (f"analyze --redo -j {result['jobs']}", flow["analyze_redo"]),
    ]
    start = flow["start-up"]
    for redo in ("", "_redo"):
        net = {key: flow[f"analyze{redo}"][key] - start[key] for key in ("wall", "cpu")}
        rows.append((f"analyze{redo.replace('_', ' --')} minus start-up", net))
    for label, step in rows:
        wall, cpu = float(step["wall"]), float(step["cpu"])
        times = f"{ratio(wall, base['wall'])}, {ratio(cpu, base['cpu'])}"
        print(f"{label:<34}{wall:>9.2f}{cpu:>9.2f}{count / wall:>12.0f}{times:>22}")
    print(f"analyze said: {flow['analyze']['said']}")
    for key in ("per_archive_wall", "per_archive_cpu"):
        s = result[key]
        assert isinstance(s, dict)
        print(
            f"{key.replace('_', ' ')}: p50 {s['p50_ms']} ms, p90 {s['p90_ms']} ms, "
            f"p99 {s['p99_ms']} ms, max {s['max_ms']} ms; slowest 5% hold "
            f"{100 * s['slowest_5pct_share']:.0f}% of {s['total_s']} s"
        )
    show_kinds(result)
    print(f"load average before, after: {result['load_before']} / {result['load_after']}")


def show_kinds(result: dict[str, object]) -> None:
    kinds = result["by_kind_cpu"]
    assert isinstance(kinds, dict)
    if kinds:
        print(f"{'kind (cpu, one process)':<28}{'archives':>9}{'median ms':>11}{'share':>8}")
        for kind, row in kinds.items():
            print(
                f"{kind:<28}{row['archives']:>9}{row['median_ms']:>11}"
                f"{100 * row['share_of_time']:>7.0f}%"
            )
    print("slowest archives (cpu ms, kind):")
    for row in result["slowest"]:  # type: ignore[attr-defined]
        print(f"  {row['cpu_ms']:>8} {row['kind']:<20} {row['archive']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archives", type=int, default=Plan.archives)
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--library-share", type=float, default=Plan.library_share)
    parser.add_argument("--jobs", "-j", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="passes of each read floor")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--real", type=Path, action="append", default=[])
    parser.add_argument("--no-corpus", action="store_true", help="only the --real folders")
    parser.add_argument("--profile", action="store_true", help="time by analysis stage")
    parser.add_argument("--determinism", action="store_true", help="analyse again, compare")
    parser.add_argument("--design-floor", action="store_true", help="steps no analysis skips")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it comes
    work = args.workdir or Path(tempfile.gettempdir()) / "malgraph-real-shaped"
    work.mkdir(parents=True, exist_ok=True)
    targets = [] if args.no_corpus else [corpus_target(args, work)]
    targets += [real_target(folder, work) for folder in args.real]
    results = []
    for target in targets:
        result = measure(target, work, args)
        show(result)
        if args.profile:
            show_profile(result["profile"])
        if args.determinism:
            show_determinism(result["determinism"])
        if args.design_floor:
            show_design_floor(result["design_floor"])
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
