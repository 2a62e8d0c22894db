"""Runs `malgraph analyze --scheduler` as an operator does, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def analyze_cli(
    path: Path, scheduler: str, *options: str, cwd: Path | None = None
) -> tuple[int, str]:
    """The exit code of `analyze --scheduler`, and what it printed (stdout, then stderr)."""
    command = [sys.executable, "-m", "malgraph", "--db", str(path), "analyze"]
    slow_machine = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "120s"}  # a loaded test host
    done = subprocess.run(
        [*command, "--scheduler", scheduler, "--partition-size", "10", *options],
        cwd=cwd,
        env={**os.environ, **slow_machine},
        capture_output=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout.decode() + done.stderr.decode()
