"""GraphML: every selected node and edge with its attributes, each attribute declared as a
typed <key>; lists and dicts are JSON text. Written element by element as the store is read."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import orjson

from malgraph.core.graph_export import EDGE_ATTRIBUTES, NODE_ATTRIBUTES, AttrType, AttrValue
from malgraph.core.kinds import ExportFormat
from malgraph.core.selection import Selection
from malgraph.export.graph_stream import GraphStream
from malgraph.export.summary import ExportSummary

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
    ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
# Characters XML 1.0 cannot carry at all: the store refuses control characters, but an old
# store or a report's text must not make the file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: AttrValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return _NOT_XML.sub("\ufffd", str(value))


def _keys(out: IO[str], domain: str, attributes: Mapping[str, AttrType]) -> None:
    for name, kind in attributes.items():
        gtype = AttrType.STRING if kind is AttrType.JSON else kind
        out.write(
            f'  <key id="{domain[0]}_{name}" for="{domain}" attr.name="{name}"'
            f' attr.type="{gtype}"/>\n'
        )


def _data(out: IO[str], domain: str, attrs: Mapping[str, AttrValue]) -> None:
    for name, value in attrs.items():
        out.write(f'    <data key="{domain[0]}_{name}">{escape(_text(value))}</data>\n')


def write_graphml(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph as one GraphML file, OUT itself, directed, with parallel edges."""
    stream = GraphStream(db, selection, progress)
    with out.open("w", encoding="utf-8", newline="\n") as file:
        file.write(HEADER)
        _keys(file, "node", NODE_ATTRIBUTES)
        _keys(file, "edge", EDGE_ATTRIBUTES)
        file.write('  <graph id="malgraph" edgedefault="directed">\n')
        for node in stream.nodes():
            file.write(f"  <node id={quoteattr(_text(node.id))}>\n")
            _data(file, "node", {"kind": node.kind.value, **node.attrs})
            file.write("  </node>\n")
        for edge in stream.edges():
            ends = f"source={quoteattr(_text(edge.source))} target={quoteattr(_text(edge.target))}"
            file.write(f"  <edge {ends}>\n")
            _data(file, "edge", {"kind": edge.kind.value, **edge.attrs})
            file.write("  </edge>\n")
        file.write("  </graph>\n</graphml>\n")
    return ExportSummary(ExportFormat.GRAPHML, (out,), stream.sorted_counts())
