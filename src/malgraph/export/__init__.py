"""Exports: the graph in the formats other tools read, one module a format. Each writer reads
the store through its read model (store.read), streams, and gives the same bytes for the same
store.

WRITERS maps each format that exists to its writer; `malgraph export` offers the others as
"not available yet"."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from malgraph.core.kinds import ExportFormat
from malgraph.core.selection import Selection
from malgraph.export.graphml import write_graphml
from malgraph.export.neo4j import write_neo4j
from malgraph.export.node_link import write_node_link
from malgraph.export.osv import write_osv
from malgraph.export.stix import write_stix
from malgraph.export.summary import ExportSummary
from malgraph.export.tables import write_csv, write_parquet

Writer = Callable[
    [sqlite3.Connection, Path, Selection, Callable[[int], None] | None], ExportSummary
]

WRITERS: Mapping[ExportFormat, Writer] = {
    ExportFormat.GRAPHML: write_graphml,
    ExportFormat.NODE_LINK: write_node_link,
    ExportFormat.NEO4J: write_neo4j,
    ExportFormat.OSV: write_osv,
    ExportFormat.STIX: write_stix,
    ExportFormat.PARQUET: write_parquet,
    ExportFormat.CSV: write_csv,
}

__all__ = ["WRITERS", "ExportSummary", "Writer"]
