"""Benchmark: `malgraph ingest archives` over a generated folder of small package archives.

    python benchmarks/ingest_archives.py [--packages 500] [--jobs 1 2] [--workdir DIR]

Writes the inert npm tarballs and PyPI sdists of benchmarks/analyze_packages.py (1-50 KB of
code each) into a `name/version/file` tree (pypi_malregistry's layout: the sdists carry no
PKG-INFO, so their place names them; the tarballs' package.json does), then times, each in
a fresh process and a fresh store: the first run (read each archive under caps, read its
identity, copy it into the code store, write the claims and artifacts) and a re-run (nothing
changed: nothing read), per `--jobs`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.analyze_packages import make_packages


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, " ".join(proc.stdout.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="malgraph-bench-"))
    archives = work / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    made = make_packages(archives, args.packages)
    for path in list(archives.iterdir()):
        _, name, version = next(m for m in made if path.name.startswith(f"{m[1]}-{m[2]}."))
        (archives / name / version).mkdir(parents=True)
        path.rename(archives / name / version / path.name)
    size = sum(p.stat().st_size for p in archives.glob("*/*/*")) / 2**20
    print(f"archives: {len(made)} ({size:.1f} MiB)")
    for jobs in args.jobs:
        db = work / f"bench-j{jobs}.db"
        cli = [
            sys.executable,
            "-m",
            "malgraph",
            "--db",
            str(db),
            "ingest",
            "archives",
            str(archives),
            "--jobs",
            str(jobs),
        ]
        first, said = _timed(cli)
        again, _ = _timed(cli)
        print(
            f"-j {jobs}: first run {first:.2f} s -> {len(made) / first:.0f} archives/s; "
            f"re-run {again:.2f} s\n  {said}"
        )


if __name__ == "__main__":
    main()
