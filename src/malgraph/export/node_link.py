"""NetworkX node-link JSON, the format the MalGraph paper's artifact ships its graph in:
`networkx.node_link_graph` loads it without arguments (a directed multigraph; node ids in
"id", edges under "edges" with "source" and "target", as networkx 3.6 names them). Written
object by object as the store is read."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import orjson

from malgraph.core.kinds import ExportFormat
from malgraph.core.selection import Selection
from malgraph.export.graph_stream import GraphStream
from malgraph.export.summary import ExportSummary
from malgraph.store.read.graph_export import sorting_on_disk

GRAPH = {"name": "malgraph"}


def _array(out: IO[bytes], items: Iterator[dict[str, object]]) -> None:
    """A JSON array, one object a line."""
    out.write(b"[")
    separator = b"\n"
    for item in items:
        out.write(separator + orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
        separator = b",\n"
    out.write(b"\n]")


@sorting_on_disk
def write_node_link(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph as one node-link JSON file, OUT itself."""
    stream = GraphStream(db, selection, progress)
    with out.open("wb") as file:
        file.write(b'{"directed": true, "multigraph": true, "graph": ')
        file.write(orjson.dumps(GRAPH) + b', "nodes": ')
        _array(file, ({**n.attrs, "kind": n.kind.value, "id": n.id} for n in stream.nodes()))
        file.write(b', "edges": ')
        _array(
            file,
            (
                {**e.attrs, "kind": e.kind.value, "source": e.source, "target": e.target}
                for e in stream.edges()
            ),
        )
        file.write(b"}\n")
    return ExportSummary(ExportFormat.NODE_LINK, (out,), stream.sorted_counts())
