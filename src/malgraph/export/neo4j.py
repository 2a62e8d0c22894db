"""Neo4j: the selected graph as CSV files in the `neo4j-admin database import full` layout (a
node file per label, a relationship file per type, typed headers), with `import.sh` running
that command and `load.cypher` loading the same files into a running database with LOAD CSV.

Every node has the label of its kind and `MalgraphNode`, and its export id as the property
`id` (one id space, since a relationship type may join several labels); the Cypher script finds
both ends of a relationship by that id under a uniqueness constraint. Every file has a column
for every property its kind of object may carry; a missing one is an empty cell, which both
loaders leave unset (so an empty string is not kept apart from a missing value). Lists of
strings are arrays, their items joined by ARRAY_DELIMITER (a control character no stored text
carries, so an item may hold `;` or `,`); the evidence of a relation is JSON text. Quoting is
RFC 4180, newlines inside quotes included: neo4j-admin needs --multiline-fields=true."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import orjson

from malgraph.core.graph_export import EDGE_ATTRIBUTES, NODE_ATTRIBUTES, AttrType, AttrValue
from malgraph.core.kinds import EdgeKind, ExportFormat, GraphLinkKind, GraphNodeKind
from malgraph.core.selection import Selection
from malgraph.export.graph_stream import GraphStream
from malgraph.export.summary import ExportSummary
from malgraph.store.read.graph_export import sorting_on_disk

COMMON_LABEL = "MalgraphNode"
BATCH_ROWS = 1000  # rows a LOAD CSV transaction commits
ARRAY_DELIMITER = "\x1f"  # the unit separator: neo4j-admin takes it as U+001F
# The JSON attributes that hold lists of strings: string arrays in Neo4j. The others (a
# relation's evidence) are JSON text.
STRING_LISTS = frozenset({"versions", "aliases", "refs", "ecosystems"})
_NEO4J_TYPE = {
    AttrType.STRING: "string",
    AttrType.INT: "long",
    AttrType.FLOAT: "double",
    AttrType.BOOL: "boolean",
    AttrType.JSON: "string",
}
NODE_PROPERTIES = tuple(name for name in NODE_ATTRIBUTES if name != "kind")
EDGE_PROPERTIES = tuple(name for name in EDGE_ATTRIBUTES if name != "kind")


def label(kind: GraphNodeKind) -> str:
    """The node label of a kind, in Neo4j's PascalCase: `Package`, `Ioc`."""
    return "".join(part.capitalize() for part in kind.value.replace("-", "_").split("_"))


def rel_type(kind: EdgeKind | GraphLinkKind) -> str:
    """The relationship type of a kind, in Neo4j's UPPER_SNAKE_CASE: `DEPENDS_ON`."""
    return kind.value.replace("-", "_").upper()


def column(name: str, kind: AttrType) -> str:
    """A property's typed header: `size:long`, `versions:string[]`."""
    return f"{name}:{'string[]' if name in STRING_LISTS else _NEO4J_TYPE[kind]}"


NODE_HEADER = (
    "id:ID",
    *(column(name, NODE_ATTRIBUTES[name]) for name in NODE_PROPERTIES),
    ":LABEL",
)
EDGE_HEADER = (
    ":START_ID",
    ":END_ID",
    *(column(name, EDGE_ATTRIBUTES[name]) for name in EDGE_PROPERTIES),
    ":TYPE",
)


def _item(value: object) -> str:
    # The delimiter cannot be escaped in either loader: an item carrying it loses it.
    return str(value).replace(ARRAY_DELIMITER, "\ufffd")


def cell(name: str, value: AttrValue | None) -> str:
    """The CSV cell of attribute `name`'s value, as both loaders parse its typed column."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in STRING_LISTS and isinstance(value, list):
        return ARRAY_DELIMITER.join(_item(item) for item in value)
    if isinstance(value, list | dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return repr(value) if isinstance(value, float) else str(value)


def _cells(attrs: Mapping[str, AttrValue], names: Iterable[str]) -> list[str]:
    return [cell(name, attrs.get(name)) for name in names]


class _Files:
    """One CSV writer per file name, opened with its header when its first row comes."""

    def __init__(self, out: Path, stack: ExitStack) -> None:
        self._out, self._stack = out, stack
        self._writers: dict[str, Any] = {}  # csv's writer type is private

    def row(self, name: str, header: tuple[str, ...], cells: list[str]) -> None:
        writer = self._writers.get(name)
        if writer is None:
            file: IO[str] = self._stack.enter_context(
                (self._out / name).open("w", encoding="utf-8", newline="")
            )
            writer = self._writers[name] = csv.writer(file, lineterminator="\n")
            writer.writerow(header)
        writer.writerow(cells)

    def names(self, prefix: str) -> list[str]:
        return sorted(name for name in self._writers if name.startswith(prefix))


def node_file(kind: GraphNodeKind) -> str:
    return f"nodes_{label(kind)}.csv"


def rel_file(kind: EdgeKind | GraphLinkKind) -> str:
    return f"rels_{rel_type(kind)}.csv"


def _file_label(name: str) -> str:
    return name.removeprefix("nodes_").removesuffix(".csv")


def _file_type(name: str) -> str:
    return name.removeprefix("rels_").removesuffix(".csv")


def import_script(nodes: list[str], rels: list[str]) -> str:
    """`import.sh [DATABASE]`: neo4j-admin's full import of these files into a new database
    (neo4j by default). The database name comes before the options, as neo4j-admin 5 wants."""
    args = [f"--nodes={COMMON_LABEL}:{_file_label(name)}={name}" for name in nodes] + [
        f"--relationships={_file_type(name)}={name}" for name in rels
    ]
    lines = " \\\n  ".join(
        [
            'neo4j-admin database import full "${1:-neo4j}"',
            "--multiline-fields=true",
            f"--array-delimiter=U+{ord(ARRAY_DELIMITER):04X}",
            *args,
        ]
    )
    return (
        "#!/bin/sh\n"
        "# Imports these files into a new database (default neo4j), which must not exist or\n"
        "# must be empty; run it where neo4j-admin runs, with the DBMS stopped.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        f"{lines}\n"
    )


def _property(name: str, kind: AttrType, header: str) -> str:
    """A Cypher map entry of a row's typed property; an empty cell gives null (left unset)."""
    convert = {AttrType.INT: "toInteger", AttrType.FLOAT: "toFloat", AttrType.BOOL: "toBoolean"}
    cell = f"row.`{header}`"
    if name in STRING_LISTS:
        value = f"split({cell}, '\\u{ord(ARRAY_DELIMITER):04x}')"
    elif kind in convert:
        value = f"{convert[kind]}({cell})"
    else:
        value = cell
    return f"`{name}`: CASE {cell} WHEN '' THEN null ELSE {value} END"


def _map(names: tuple[str, ...], types: Mapping[str, AttrType], header: tuple[str, ...]) -> str:
    entries = (
        _property(name, types[name], column_) for name, column_ in zip(names, header, strict=True)
    )
    return "{\n    " + ",\n    ".join(entries) + "\n  }"


def load_script(nodes: list[str], rels: list[str]) -> str:
    """`load.cypher`: the same files into a running database, a statement each, batched."""
    node_props = _map(NODE_PROPERTIES, NODE_ATTRIBUTES, NODE_HEADER[1:-1])
    edge_props = _map(EDGE_PROPERTIES, EDGE_ATTRIBUTES, EDGE_HEADER[2:-1])
    parts = [
        "// Copy the CSV files into the database's import folder, then run\n"
        "//   cypher-shell -f load.cypher\n"
        "// Each statement commits in batches, so it runs outside an explicit transaction.\n"
        '// JSON text holds \\" : set dbms.import.csv.legacy_quote_escaping=false to read it.\n',
        f"CREATE CONSTRAINT malgraph_node_id IF NOT EXISTS FOR (n:{COMMON_LABEL})"
        " REQUIRE n.id IS UNIQUE;\n",
    ]
    for name in nodes:
        parts.append(
            f"LOAD CSV WITH HEADERS FROM 'file:///{name}' AS row\n"
            "CALL { WITH row\n"
            f"  CREATE (n:{COMMON_LABEL}:{_file_label(name)} {{id: row.`id:ID`}})\n"
            f"  SET n += {node_props}\n"
            f"}} IN TRANSACTIONS OF {BATCH_ROWS} ROWS;\n"
        )
    for name in rels:
        parts.append(
            f"LOAD CSV WITH HEADERS FROM 'file:///{name}' AS row\n"
            "CALL { WITH row\n"
            f"  MATCH (a:{COMMON_LABEL} {{id: row.`:START_ID`}})"
            f", (b:{COMMON_LABEL} {{id: row.`:END_ID`}})\n"
            f"  CREATE (a)-[r:{_file_type(name)}]->(b)\n"
            f"  SET r += {edge_props}\n"
            f"}} IN TRANSACTIONS OF {BATCH_ROWS} ROWS;\n"
        )
    return "".join(parts)


@sorting_on_disk
def write_neo4j(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph as the folder OUT: nodes_<Label>.csv, rels_<TYPE>.csv, import.sh and
    load.cypher. Rows are written as the store is read, in the reader's order."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("nodes_*.csv"), *out.glob("rels_*.csv")]:
        stale.unlink()  # a replaced export's files: the scripts would not name them
    stream = GraphStream(db, selection, progress)
    with ExitStack() as stack:
        files = _Files(out, stack)
        for node in stream.nodes():
            cells = _cells(node.attrs, NODE_PROPERTIES)
            files.row(node_file(node.kind), NODE_HEADER, [node.id, *cells, label(node.kind)])
        for edge in stream.edges():
            cells = _cells(edge.attrs, EDGE_PROPERTIES)
            row = [edge.source, edge.target, *cells, rel_type(edge.kind)]
            files.row(rel_file(edge.kind), EDGE_HEADER, row)
        nodes, rels = files.names("nodes_"), files.names("rels_")
    (out / "import.sh").write_text(import_script(nodes, rels), encoding="utf-8", newline="\n")
    (out / "import.sh").chmod(0o755)
    (out / "load.cypher").write_text(load_script(nodes, rels), encoding="utf-8", newline="\n")
    written = tuple(out / name for name in [*nodes, *rels, "import.sh", "load.cypher"])
    return ExportSummary(ExportFormat.NEO4J, written, stream.sorted_counts())
