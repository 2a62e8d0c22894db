"""Benchmark: the least an ingest of the OSV tree can cost in this stack, by design.

    python benchmarks/ingest_osv.py --workdir DIR      # first: builds the tree and DIR/bench.db
    python benchmarks/ingest_bound.py --workdir DIR [--records 200000]

Issue 2 asks for an ingest within 3x of the floor of reading and parsing the files. This
measures the parts no implementation on CPython and one SQLite file can leave out, on the
very rows a real ingest stored (DIR/bench.db) and the same tree:
  parse   read, hash, validate and shape every file into rows (CPU seconds, one process)
  walk    list and stat the tree (the stat cache that makes a re-ingest cheap needs it)
  write   the stored rows, already shaped and numbered, written into a fresh store (real
          schema, WAL, 5,000-document transactions) by one Python writer: nothing else
  bind    the same rows handed to SQLite by Python, into tables without indexes or journal
  copy    the same rows moved table to table inside SQLite (INSERT ... SELECT)
and from them the lower bounds of the two designs there are:
  one writer   the parsers (and the walk) can run beside it, but its write is serial;
  shards       parsers bind their rows into files of their own, one process merges them
               by SQL, two cores share it all: (walk + parse + bind + copy) / cores.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest_osv import FLOOR, timed

from malgraph.ingest import BATCH_SIZE, _parse
from malgraph.sources.inputs import walk
from malgraph.store import Store

TABLES = ("sources", "packages", "package_versions", "reports", "iocs", "records",
          "record_versions", "record_reports", "ioc_sightings", "documents", "input_files",
          "edges")  # fmt: skip
IN_PATH_ORDER = {"documents": 5, "input_files": 0}  # as the ingest meets them: by path


def seconds(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def stored_rows(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(db_path)
    rows = {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    for table, column in IN_PATH_ORDER.items():
        rows[table].sort(key=lambda row, c=column: row[c])  # type: ignore[misc]
    return rows


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def insert(db: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def write(rows: dict[str, list[tuple[Any, ...]]], path: Path) -> float:
    """One writer, rows ready: each transaction takes its share of every table."""
    store = Store(fresh(path))
    db = store.db
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA wal_autocheckpoint = 65536")  # as ingest._bulk_writes
    batches = max(1, len(rows["documents"]) // BATCH_SIZE)

    def run() -> None:
        for k in range(batches):
            with store.transaction():
                for table in TABLES:
                    n = len(rows[table])
                    insert(db, table, rows[table][n * k // batches : n * (k + 1) // batches])
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    spent = seconds(run)
    store.close()
    return spent


def bind(rows: dict[str, list[tuple[Any, ...]]], path: Path) -> float:
    db = sqlite3.connect(fresh(path), isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for table in TABLES:
        width = len(rows[table][0]) if rows[table] else 1
        db.execute(f"CREATE TABLE {table} ({', '.join(f'c{i}' for i in range(width))})")

    def run() -> None:
        db.execute("BEGIN")
        for table in TABLES:
            insert(db, table, rows[table])
        db.execute("COMMIT")

    spent = seconds(run)
    db.close()
    return spent


def copy(source: Path, path: Path) -> float:
    store = Store(fresh(path))
    db = store.db
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("ATTACH ? AS source", (str(source),))

    def run() -> None:
        for table in TABLES:
            with store.transaction():
                db.execute(f"INSERT INTO main.{table} SELECT * FROM source.{table}")

    spent = seconds(run)
    store.close()
    return spent


def parse_cpu(tree: Path) -> float:
    items = list(walk([str(tree)], (".json",)))
    gc.disable()  # as the ingest runs
    start = time.process_time()
    for item in items:
        _parse(("osv", item))
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    tree, stored = args.workdir / f"tree-{args.records}", args.workdir / "bench.db"
    if not tree.is_dir() or not stored.is_file():
        sys.exit(f"run benchmarks/ingest_osv.py --workdir {args.workdir} first")
    scratch = Path(tempfile.mkdtemp(prefix="malgraph-bound-"))
    timed([sys.executable, "-c", FLOOR, str(tree)])  # warm the page cache
    floor = timed([sys.executable, "-c", FLOOR, str(tree)])
    walking = seconds(lambda: list(walk([str(tree)], (".json",))))
    rows = stored_rows(stored)
    parts = {
        "floor_s": floor,
        "walk_s": walking,
        "parse_cpu_s": parse_cpu(tree),
        "write_s": write(rows, scratch / "write.db"),
        "bind_s": bind(rows, scratch / "bind.db"),
        "copy_s": copy(stored, scratch / "copy.db"),
    }
    cores = os.cpu_count() or 1
    bounds = {
        "one_writer_s": parts["write_s"],
        "shards_s": (parts["walk_s"] + parts["parse_cpu_s"] + parts["bind_s"] + parts["copy_s"])
        / cores,
    }
    result = {
        "records": args.records,
        "rows": sum(map(len, rows.values())),
        "cores": cores,
        **{k: round(v, 2) for k, v in {**parts, **bounds}.items()},
        "target_3x_floor_s": round(3 * floor, 2),
    }
    print(json.dumps(result, indent=2))
    best = min(bounds.values())
    verdict = "within reach" if best <= 3 * floor else "out of reach"
    print(f"best design's lower bound {best:.1f} s vs 3x floor {3 * floor:.1f} s: {verdict}")
    for path in scratch.iterdir():
        path.unlink()
    scratch.rmdir()


if __name__ == "__main__":
    main()
