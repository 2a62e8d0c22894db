"""A run killed with SIGKILL mid-ingest leaves a sound store; a re-run completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.ingest_osv import make_tree
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store
from tests.test_ingest import counts

RECORDS = 6000


def committed_documents(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigkill_mid_ingest_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, RECORDS)
    with Store(tmp_path / "reference.db") as reference:
        ingest(reference, "osv", [str(tree)])
        expected_counts, expected_stats = counts(reference), stats(reference.db)

    killed = tmp_path / "killed.db"
    cmd = [
        sys.executable,
        "-m",
        "malgraph",
        "--db",
        str(killed),
        "ingest",
        "osv",
        str(tree),
        "--batch-size",
        "50",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while committed_documents(killed) < 500 and time.monotonic() < deadline:
        assert proc.poll() is None, "the ingest finished before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    at_kill = committed_documents(killed)
    assert 500 <= at_kill < RECORDS

    with Store(killed) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        rerun = ingest(store, "osv", [str(tree)])
        assert rerun.ok and rerun.outcomes["added"] == RECORDS - at_kill
        assert counts(store) == expected_counts
        assert stats(store.db) == expected_stats
