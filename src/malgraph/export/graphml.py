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
from malgraph.store.read.graph_export import sorting_on_disk

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
# What makes a text differ once escaped (as element text; as an attribute, also quotes and the
# white space quoteattr writes as references): most texts have none and are written as they are.
_TEXT_SPECIAL = re.compile(f"[&<>{_NOT_XML.pattern[1:-1]}]")
_ATTR_SPECIAL = re.compile(f"[&<>\"'\n\r\t{_NOT_XML.pattern[1:-1]}]")


def _text(value: AttrValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return _NOT_XML.sub("\ufffd", str(value))


def _element_text(value: AttrValue) -> str:
    """`escape(_text(value))`, without the work when the text holds nothing to escape."""
    if type(value) is str and not _TEXT_SPECIAL.search(value):
        return value
    if type(value) is int:
        return str(value)
    return escape(_text(value))


def _attribute(value: str) -> str:
    """`quoteattr(_text(value))`, without the work when the text holds nothing to escape."""
    if not _ATTR_SPECIAL.search(value):
        return f'"{value}"'
    return quoteattr(_text(value))


def _keys(out: IO[str], domain: str, attributes: Mapping[str, AttrType]) -> None:
    for name, kind in attributes.items():
        gtype = AttrType.STRING if kind is AttrType.JSON else kind
        out.write(
            f'  <key id="{domain[0]}_{name}" for="{domain}" attr.name="{name}"'
            f' attr.type="{gtype}"/>\n'
        )


class _Data:
    """The <data> elements of a domain's attributes, each element's opening written once."""

    def __init__(self, domain: str) -> None:
        self._prefix = domain[0]
        self._opening: dict[str, str] = {}

    def _open(self, name: str) -> str:
        opening = self._opening.get(name)
        if opening is None:
            opening = self._opening[name] = f'    <data key="{self._prefix}_{name}">'
        return opening

    def __call__(self, kind: str, attrs: Mapping[str, AttrValue]) -> str:
        first = attrs.get("kind", kind)  # where an attribute named "kind" would go
        parts = [self._open("kind"), _element_text(first), "</data>\n"]
        for name, value in attrs.items():
            if name != "kind":
                parts += (self._open(name), _element_text(value), "</data>\n")
        return "".join(parts)


@sorting_on_disk
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
        node_data, edge_data = _Data("node"), _Data("edge")
        for node in stream.nodes():
            data = node_data(node.kind.value, node.attrs)
            file.write(f"  <node id={_attribute(node.id)}>\n{data}  </node>\n")
        for edge in stream.edges():
            ends = f"source={_attribute(edge.source)} target={_attribute(edge.target)}"
            file.write(f"  <edge {ends}>\n{edge_data(edge.kind.value, edge.attrs)}  </edge>\n")
        file.write("  </graph>\n</graphml>\n")
    return ExportSummary(ExportFormat.GRAPHML, (out,), stream.sorted_counts())
