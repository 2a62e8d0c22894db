"""Tables: the selected graph as one file per table (packages, package_versions, claims,
reports, campaigns, iocs, families, sources, edges, links), in Parquet or CSV. Ids are the
graph export's string ids, so `links.src`/`links.dst` and `edges.src`/`edges.dst` join the
`id` of the node tables. Lists and dicts are JSON text."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

import orjson

from malgraph.core.graph_export import (
    EDGE_ATTRIBUTES,
    NODE_ATTRIBUTES,
    AttrType,
    AttrValue,
    GraphEdge,
    GraphNode,
)
from malgraph.core.kinds import EdgeKind, ExportFormat, GraphNodeKind
from malgraph.core.selection import Selection
from malgraph.export.graph_stream import GraphStream
from malgraph.export.summary import ExportSummary
from malgraph.store.read.graph_export import sorting_on_disk

BATCH_ROWS = 10_000  # rows held before a row group is written: memory stays bounded

# Each node table: its node kind and its columns after `id` (all from NODE_ATTRIBUTES).
NODE_TABLES: Mapping[GraphNodeKind, tuple[str, tuple[str, ...]]] = {
    GraphNodeKind.PACKAGE: ("packages", ("ecosystem", "name", "purl", "ecosystem_known")),
    GraphNodeKind.VERSION: ("package_versions", ("ecosystem", "name", "version", "purl")),
    GraphNodeKind.RECORD: (
        "claims",
        (
            "source",
            "source_record_id",
            "role",
            "name_given",
            "scope",
            "versions",
            "published",
            "modified",
            "withdrawn",
            "imported",
            "released",
            "removed",
            "aliases",
            "summary",
            "available",
        ),
    ),
    GraphNodeKind.SOURCE: ("sources", ("name", "source_kind")),
    GraphNodeKind.REPORT: (
        "reports",
        ("url_key", "url", "site", "title", "published", "report_kind"),
    ),
    GraphNodeKind.CAMPAIGN: (
        "campaigns",
        ("source", "key", "name", "category", "created", "description", "refs"),
    ),
    GraphNodeKind.IOC: ("iocs", ("ioc_kind", "value")),
    GraphNodeKind.FAMILY: (
        "families",
        ("size", "ecosystems", "first_release", "last_release", "undated"),
    ),
}
EDGE_COLUMNS = ("kind", "src", "dst", *[name for name in EDGE_ATTRIBUTES if name != "kind"])
# Stored relations go to `edges`; the links the store keeps in tables of their own (a claim
# naming its package, a version in a family, an IoC sighted...) go to `links`.
EDGE_TABLES = ("edges", "links")

Cell = str | int | float | bool | None


def table_columns() -> dict[str, dict[str, AttrType]]:
    """Every table's columns and their types, in file order."""
    tables = {
        name: {"id": AttrType.STRING, **{c: NODE_ATTRIBUTES[c] for c in columns}}
        for name, columns in NODE_TABLES.values()
    }
    edge_types = {"src": AttrType.STRING, "dst": AttrType.STRING, **EDGE_ATTRIBUTES}
    for name in EDGE_TABLES:
        tables[name] = {c: edge_types[c] for c in EDGE_COLUMNS}
    return tables


_JSON_TYPES = (list, dict)  # a tuple: isinstance checks it faster than a union


def _cell(value: AttrValue | None) -> Cell:
    if isinstance(value, _JSON_TYPES):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def _node_row(node: GraphNode, columns: Sequence[str]) -> list[Cell]:
    attrs = node.attrs
    return [node.id, *[_cell(attrs[c]) if c in attrs else None for c in columns]]


# Where each edge attribute goes in a row: most edges carry none or a few of them.
_EDGE_CELL = {name: i for i, name in enumerate(EDGE_COLUMNS) if i >= 3}


def _edge_row(edge: GraphEdge) -> list[Cell]:
    row: list[Cell] = [edge.kind.value, edge.source, edge.target]
    row += [None] * (len(EDGE_COLUMNS) - 3)
    for name, value in edge.attrs.items():
        i = _EDGE_CELL.get(name)
        if i is not None:
            row[i] = _cell(value)
    return row


class _Sink(Protocol):
    def add(self, row: list[Cell]) -> None: ...
    def close(self) -> None: ...


class _CsvSink:
    """The csv module writes None as an empty cell and a number as str() does; only the
    boolean columns need their text, "true" or "false"."""

    def __init__(self, path: Path, types: Mapping[str, AttrType]) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._writer.writerow(list(types))
        self._booleans = [i for i, kind in enumerate(types.values()) if kind is AttrType.BOOL]

    def add(self, row: list[Cell]) -> None:
        for i in self._booleans:
            value = row[i]
            if value is not None:
                row[i] = _csv_text(value)
        self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


def _csv_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _ParquetSink:
    def __init__(self, path: Path, types: Mapping[str, AttrType]) -> None:
        # pyarrow is heavy: loaded only when a Parquet export runs.
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        arrow = {
            AttrType.STRING: pa.string(),
            AttrType.JSON: pa.string(),
            AttrType.INT: pa.int64(),
            AttrType.FLOAT: pa.float64(),
            AttrType.BOOL: pa.bool_(),
        }
        self._pa = pa
        self._schema = pa.schema([pa.field(n, arrow[t]) for n, t in types.items()])
        self._writer = pq.ParquetWriter(path, self._schema, compression="zstd")
        self._rows: list[list[Cell]] = []

    def add(self, row: list[Cell]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        columns = zip(*self._rows, strict=True)
        arrays = [
            self._pa.array(col, type=field.type)
            for col, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        if self._rows:
            self._flush()
        self._writer.close()


@sorting_on_disk
def _write(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None,
    fmt: ExportFormat,
) -> ExportSummary:
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".parquet" if fmt is ExportFormat.PARQUET else ".csv"
    sinks: dict[str, _Sink] = {}
    files: list[Path] = []
    for name, types in table_columns().items():
        path = out / f"{name}{suffix}"
        files.append(path)
        sinks[name] = _ParquetSink(path, types) if suffix == ".parquet" else _CsvSink(path, types)
    stream = GraphStream(db, selection, progress)
    try:
        for node in stream.nodes():
            table, columns = NODE_TABLES[node.kind]
            sinks[table].add(_node_row(node, columns))
        for edge in stream.edges():
            table = "edges" if isinstance(edge.kind, EdgeKind) else "links"
            sinks[table].add(_edge_row(edge))
    finally:
        for sink in sinks.values():
            sink.close()
    return ExportSummary(fmt, tuple(sorted(files)), stream.sorted_counts())


def write_parquet(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph's tables as Parquet files in the folder OUT, typed columns."""
    return _write(db, out, selection, progress, ExportFormat.PARQUET)


def write_csv(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph's tables as CSV files (RFC 4180, a header row) in the folder OUT."""
    return _write(db, out, selection, progress, ExportFormat.CSV)
