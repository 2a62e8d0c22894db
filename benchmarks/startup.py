"""Benchmark: what a `malgraph` command pays before it does any work (issue 20).

    python benchmarks/startup.py [--repeat 5] [--workdir DIR]

Runs, each in a fresh process and `--repeat` times: `malgraph --version`, `malgraph --help`,
`malgraph analyze` on an empty store and on the bundled sample's store (no archive to read:
start-up, opening the store, finding nothing to do), and `python -c "import M"` for the CLI and
for the analysis a pool worker runs, then that import with analyze's pool of two workers
started, forked (as analyze does: the workers inherit the parent's imports) or spawned (each
worker imports it again). Prints the lowest and the median CPU seconds (user + system,
`getrusage` of the child) and wall seconds, and how many modules each import loads.

It measures the malgraph of the interpreter that runs it (and of PYTHONPATH, if set: to time
another checkout's `src`, set PYTHONPATH to it). On a shared machine compare CPU seconds, and
runs made back to back.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def modules_loaded(module: str) -> str:
    """How many modules `import module` loads in a fresh interpreter ("-": none such here)."""
    probe = f"import sys, {module}; print(len(sys.modules))"
    done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else "-"


def stores(workdir: Path) -> tuple[Path, Path]:
    """An empty store, and the bundled sample built into another (made once, reused)."""
    empty, sample = workdir / "empty.db", workdir / "sample.db"
    if not empty.exists():
        make = f"from malgraph.store import Store; Store({str(empty)!r}).close()"
        subprocess.run([PYTHON, "-c", make], check=True)
    if not sample.exists():
        build = [PYTHON, "-m", "malgraph", "--db", str(sample), "build"]
        subprocess.run(build, check=True, capture_output=True)
    return empty, sample


WORKER_IMPORT = "import malgraph.pipeline.analyze_code as analyze_code"


def pool_of_two(method: str, store: Path) -> str:
    """A program that starts analyze's pool of two workers (initialiser included: each opens
    the store's file-scan memo), gives each a trivial task, and ends it."""
    return (
        f"{WORKER_IMPORT}\nimport multiprocessing\n"
        f"context = multiprocessing.get_context({method!r})\n"
        f"with context.Pool(2, analyze_code._start_worker, ({str(store)!r},)) as pool:\n"
        "    pool.map(abs, range(2))\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mg-start")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    empty, sample = stores(args.workdir)
    mg = [PYTHON, "-m", "malgraph"]
    steps = {
        "malgraph --version": [*mg, "--version"],
        "malgraph --help": [*mg, "--help"],
        "malgraph analyze, empty store": [*mg, "--db", str(empty), "analyze"],
        "malgraph analyze, sample store": [*mg, "--db", str(sample), "analyze"],
        "import malgraph.cli": [PYTHON, "-c", "import malgraph.cli"],
        "import a pool worker's analysis": [PYTHON, "-c", WORKER_IMPORT],
        "  + a pool of 2, forked (as run)": [PYTHON, "-c", pool_of_two("fork", empty)],
        "  + a pool of 2, spawned": [PYTHON, "-c", pool_of_two("spawn", empty)],
    }
    print(f"python {PYTHON}; PYTHONPATH={os.environ.get('PYTHONPATH', '')!r}")
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'step':34} {'CPU s min':>9} {'median':>7} {'wall s min':>10} {'median':>7}")
    for name, argv in steps.items():
        runs = [timed(argv, args.workdir) for _ in range(args.repeat)]
        cpu, wall = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"{name:34} {min(cpu):9.3f} {statistics.median(cpu):7.3f} "
            f"{min(wall):10.3f} {statistics.median(wall):7.3f}"
        )
    for module in ("malgraph.cli", "malgraph.cli.analyze", "malgraph.pipeline.analyze_code"):
        print(f"modules loaded by `import {module}`: {modules_loaded(module)}")
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
