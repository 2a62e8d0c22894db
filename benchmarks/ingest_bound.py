"""Benchmark: the least an ingest of the OSV tree can cost in this stack, by design.

    python benchmarks/ingest_osv.py --workdir DIR      # first: builds the tree and DIR/bench.db
    python benchmarks/ingest_bound.py --workdir DIR [--records 200000] [--cores 2]

(Run as a script: it imports its neighbour ingest_osv.py.) Issue 2 asks for an ingest within
3x of the floor of reading and parsing the files, on 2 cores. This measures the parts no
implementation on CPython and one SQLite file can leave out, on the very rows a real ingest
stored (DIR/bench.db) and the same tree, each in the most favourable way:
  parse   read, hash, validate and shape every file into rows (CPU seconds, one process):
          this parser's cost; read + hash + orjson + validate alone is about a quarter of it
  walk    list and stat the tree (the stat cache that makes a re-ingest cheap needs it)
  write   the stored rows, already shaped and numbered, into a fresh store (real schema, WAL,
          5,000-document transactions) by one Python writer binding only the columns a row
          fills, with the secondary indexes built once at the end: nothing else
  receive the parsers' results unpickled, as a writer in another process must take them in
  bind    the same rows handed to SQLite by Python, into tables with no index and no journal
  copy    the same rows moved table to table inside SQLite (INSERT ... SELECT); a real merge
          would also renumber ids and merge packages across shards, so this is optimistic
and from them the lower bounds of the two designs there are:
  one writer   the parsers (and the walk) run beside it, but it must take in their rows and
               write them, one after the other: receive + write (numbering left out);
  shards       parsers bind their rows into files of their own, one process merges them
               by SQL, the cores share it all perfectly: (walk + parse + bind + copy) / cores.
Left out, so the bounds are if anything low: report mentions, campaigns, bookkeeping.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest_osv import FLOOR, timed

from malgraph.core.rows import RecordRow
from malgraph.pipeline.ingest import BATCH_SIZE, _parse
from malgraph.sources.inputs import walk
from malgraph.store import Store

# The records columns in the writer's order (less its label id): the ids, then the row's.
RECORD_COLUMNS = ("id", "source_id", "parent_id", "package_id", *RecordRow._fields)

TABLES = (
    "sources",
    "packages",
    "package_versions",
    "reports",
    "iocs",
    "records",
    "record_versions",
    "record_reports",
    "ioc_sightings",
    "documents",
    "input_files",
    "edges",
)
IN_PATH_ORDER = {"documents": "path", "input_files": "path"}  # as the ingest meets them

Rows = dict[str, list[tuple[Any, ...]]]


def seconds(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def stored_rows(db_path: Path) -> Rows:
    """Every table's rows; records in the writer's column order, trailing NULLs left off
    (the writer binds a claim's 15 columns, not 27)."""
    db = sqlite3.connect(db_path)
    rows: Rows = {}
    for table in TABLES:
        columns = ", ".join(RECORD_COLUMNS) if table == "records" else "*"
        order = f" ORDER BY {IN_PATH_ORDER[table]}" if table in IN_PATH_ORDER else ""
        rows[table] = db.execute(f"SELECT {columns} FROM {table}{order}").fetchall()
    rows["records"] = [trimmed(row) for row in rows["records"]]
    return rows


def trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def insert(db: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    if table == "records":
        by_width: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            by_width[len(row)].append(row)
        for width, group in by_width.items():
            marks = ", ".join("?" * width)
            db.executemany(
                f"INSERT INTO records({', '.join(RECORD_COLUMNS[:width])}) VALUES ({marks})", group
            )
    elif rows:
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


def write(rows: Rows, path: Path) -> float:
    """One writer, rows ready: each transaction takes its share of every table."""
    store = Store(path)
    db = store.db
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA wal_autocheckpoint = 65536")  # as Store.bulk_writes
    secondary = db.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
        " AND sql NOT LIKE 'CREATE UNIQUE%'"
    ).fetchall()
    batches = max(1, len(rows["documents"]) // BATCH_SIZE)

    def run() -> None:
        for name, _ in secondary:
            db.execute(f"DROP INDEX {name}")
        for k in range(batches):
            with store.transaction():
                for table in TABLES:
                    n = len(rows[table])
                    insert(db, table, rows[table][n * k // batches : n * (k + 1) // batches])
        for _, sql in secondary:
            db.execute(sql)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    spent = seconds(run)
    store.close()
    return spent


def bind(rows: Rows, source: Path, path: Path) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("ATTACH ? AS source", (str(source),))
    for table in TABLES:  # the same columns, no constraint, no index
        db.execute(f"CREATE TABLE main.{table} AS SELECT * FROM source.{table} WHERE 0")
    db.execute("DETACH source")

    def run() -> None:
        db.execute("BEGIN")
        for table in TABLES:
            insert(db, table, rows[table])
        db.execute("COMMIT")

    spent = seconds(run)
    db.close()
    return spent


def copy(source: Path, path: Path) -> float:
    store = Store(path)
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


def parse_and_receive(tree: Path) -> tuple[float, float]:
    """CPU seconds to parse every file, and seconds to unpickle the results."""
    items = list(walk([str(tree)], (".json",)))
    start = time.process_time()
    results = [_parse(("osv", item)) for item in items]
    parse = time.process_time() - start
    pickled = [pickle.dumps(result) for result in results]
    del results
    return parse, seconds(lambda: [pickle.loads(result) for result in pickled])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--cores", type=int, default=2, help="the issue's target machine")
    args = parser.parse_args()
    tree, stored = args.workdir / f"tree-{args.records}", args.workdir / "bench.db"
    if not tree.is_dir() or not stored.is_file():
        sys.exit(f"run benchmarks/ingest_osv.py --workdir {args.workdir} first")
    timed([sys.executable, "-c", FLOOR, str(tree)])  # warm the page cache
    floor = statistics.median(timed([sys.executable, "-c", FLOOR, str(tree)]) for _ in range(3))
    gc.disable()  # as the ingest runs, for every part alike
    rows = stored_rows(stored)
    parse, receive = parse_and_receive(tree)
    with tempfile.TemporaryDirectory(prefix="malgraph-bound-") as scratch:
        parts = {
            "floor_s": floor,
            "walk_s": seconds(lambda: list(walk([str(tree)], (".json",)))),
            "parse_cpu_s": parse,
            "receive_s": receive,
            "write_s": write(rows, Path(scratch) / "write.db"),
            "bind_s": bind(rows, stored, Path(scratch) / "bind.db"),
            "copy_s": copy(stored, Path(scratch) / "copy.db"),
        }
    shared = parts["walk_s"] + parts["parse_cpu_s"] + parts["bind_s"] + parts["copy_s"]
    bounds = {
        "one_writer_s": parts["receive_s"] + parts["write_s"],
        "shards_s": shared / args.cores,
    }
    result = {
        "records": args.records,
        "rows": sum(map(len, rows.values())),
        "cores": args.cores,
        **{k: round(v, 2) for k, v in {**parts, **bounds}.items()},
        "target_3x_floor_s": round(3 * floor, 2),
    }
    print(json.dumps(result, indent=2))
    best = min(bounds.values())
    verdict = "within reach" if best <= 3 * floor else "out of reach"
    print(f"best design's lower bound {best:.1f} s vs 3x floor {3 * floor:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
