"""Parquet and CSV tables: DuckDB reads both back, the row counts agree with the store, the
ids join, Parquet and CSV hold the same rows, the same store gives the same bytes, the
selection limits what is written, and hostile text survives the round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from malgraph.core.kinds import EdgeKind, ExportFormat
from malgraph.core.selection import Selection
from malgraph.export import WRITERS
from malgraph.export.tables import table_columns, write_csv, write_parquet
from malgraph.store import Store
from tests.export.conftest import HOSTILE


def _scan(folder: Path, table: str) -> str:
    if (folder / f"{table}.parquet").exists():
        return f"read_parquet('{folder / table}.parquet')"
    return f"read_csv('{folder / table}.csv', header=true, all_varchar=true)"


def _query(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    tables = {name: _scan(folder, name) for name in table_columns()}
    relation = duckdb.sql(sql.format(**tables))
    assert relation is not None
    return relation.fetchall()


def _count(folder: Path, table: str) -> int:
    return int(_query(folder, f"SELECT count(*) FROM {{{table}}}")[0][0])


def _stored(store: Store, sql: str) -> int:
    return int(store.db.execute(sql).fetchone()[0])


def test_counts_agree_with_store(sample_store: Store, tmp_path: Path) -> None:
    summary = write_parquet(sample_store.db, tmp_path, Selection())
    assert [p.name for p in summary.files] == sorted(f"{n}.parquet" for n in table_columns())
    assert _count(tmp_path, "packages") == _stored(sample_store, "SELECT count(*) FROM packages")
    assert _count(tmp_path, "package_versions") == _stored(
        sample_store, "SELECT count(*) FROM package_versions"
    )
    assert _count(tmp_path, "claims") == _stored(sample_store, "SELECT count(*) FROM records")
    assert _count(tmp_path, "edges") == _stored(sample_store, "SELECT count(*) FROM edges")
    assert _count(tmp_path, "reports") == _stored(sample_store, "SELECT count(*) FROM reports")
    assert _count(tmp_path, "iocs") == _stored(sample_store, "SELECT count(*) FROM iocs")
    assert summary.counts["nodes.package"] == _count(tmp_path, "packages")


def test_ids_join(sample_store: Store, code_store: Store, tmp_path: Path) -> None:
    for store, folder in ((sample_store, tmp_path / "a"), (code_store, tmp_path / "b")):
        write_parquet(store.db, folder, Selection())
        nodes = " UNION ALL ".join(f"SELECT id FROM {{{n}}}" for n in _node_tables())
        for table in ("edges", "links"):
            dangling = _query(
                folder,
                f"SELECT count(*) FROM {{{table}}} WHERE src NOT IN ({nodes})"
                f" OR dst NOT IN ({nodes})",
            )
            assert dangling == [(0,)]
        claimed = _query(
            folder,
            "SELECT count(*) FROM {links} l JOIN {packages} p ON p.id = l.dst"
            " JOIN {claims} c ON c.id = l.src WHERE l.kind = 'claims'",
        )
        assert claimed[0][0] > 0


def _node_tables() -> list[str]:
    return [n for n in table_columns() if n not in ("edges", "links")]


def test_values_and_hostile_text(code_store: Store, tmp_path: Path) -> None:
    for fmt, folder in ((ExportFormat.PARQUET, tmp_path / "p"), (ExportFormat.CSV, tmp_path / "c")):
        WRITERS[fmt](code_store.db, folder, Selection(), None)
        summaries = _query(folder, "SELECT summary FROM {claims} WHERE summary IS NOT NULL")
        assert (HOSTILE,) in summaries
        similar = _query(folder, "SELECT kind, src, dst FROM {edges} WHERE kind = 'similar'")
        assert similar and all(s.startswith("version:pkg:pypi/") for _, s, _ in similar)
    assert _count(tmp_path / "p", "families") >= 1


def test_parquet_and_csv_hold_the_same_rows(code_store: Store, tmp_path: Path) -> None:
    write_parquet(code_store.db, tmp_path / "p", Selection())
    write_csv(code_store.db, tmp_path / "c", Selection())
    for table in table_columns():
        cast = f"SELECT * FROM {{{table}}} ORDER BY ALL"
        as_text = [
            tuple(None if v is None else _text(v) for v in row)
            for row in _query(tmp_path / "p", cast)
        ]
        assert as_text == _query(tmp_path / "c", cast), table


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_same_store_same_bytes(code_store: Store, tmp_path: Path) -> None:
    for write in (write_parquet, write_csv):
        first = write(code_store.db, tmp_path / "1", Selection()).files
        second = write(code_store.db, tmp_path / "2", Selection()).files
        for a, b in zip(first, second, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name


def test_selection_limits_edges(sample_store: Store, tmp_path: Path) -> None:
    write_csv(sample_store.db, tmp_path, Selection(kinds=frozenset({EdgeKind.DEPENDS_ON})))
    kinds = _query(tmp_path, "SELECT DISTINCT kind FROM {edges}")
    assert set(kinds) <= {("depends_on",)}
    assert (tmp_path / "edges.csv").read_bytes().startswith(b"kind,src,dst,evidence,")
