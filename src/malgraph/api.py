"""The Python API for notebooks: `malgraph.open(PATH)` gives a read-only handle on a store that
iterates its packages, claims, edges and families as typed objects, and gives them as a
networkx graph or pandas DataFrames. Nothing here starts a process or touches signals."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import networkx as nx
import pandas as pd

from malgraph.core.graph_export import GraphEdge, GraphNode
from malgraph.core.kinds import EdgeKind, GraphNodeKind
from malgraph.core.selection import Selection
from malgraph.store.read.graph_export import graph_edges, graph_nodes
from malgraph.store.read.readonly import open_readonly

TABLES = ("packages", "claims", "edges", "families")
_EVERYTHING = Selection()


class Graph:
    """A read-only handle on one store; close it, or use it as a context manager."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection = open_readonly(self.path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def nodes(self, selection: Selection = _EVERYTHING) -> Iterator[GraphNode]:
        """Every node of the graph (packages, versions, records, sources, reports, ...)."""
        return graph_nodes(self._db, selection)

    def links(self, selection: Selection = _EVERYTHING) -> Iterator[GraphEdge]:
        """Every edge of the graph: the relations, then the links between its tables."""
        return graph_edges(self._db, selection)

    def _of_kind(self, kind: GraphNodeKind, selection: Selection) -> Iterator[GraphNode]:
        return (node for node in self.nodes(selection) if node.kind == kind)

    def packages(self, selection: Selection = _EVERYTHING) -> Iterator[GraphNode]:
        return self._of_kind(GraphNodeKind.PACKAGE, selection)

    def claims(self, selection: Selection = _EVERYTHING) -> Iterator[GraphNode]:
        """The sources' records that claim a package malicious."""
        records = self._of_kind(GraphNodeKind.RECORD, selection)
        return (node for node in records if node.attrs.get("role") == "claim")

    def families(self, selection: Selection = _EVERYTHING) -> Iterator[GraphNode]:
        return self._of_kind(GraphNodeKind.FAMILY, selection)

    def edges(self, selection: Selection = _EVERYTHING) -> Iterator[GraphEdge]:
        """The relations between packages (duplicated, similar, depends_on, ...)."""
        return (edge for edge in self.links(selection) if isinstance(edge.kind, EdgeKind))

    def to_networkx(
        self,
        packages: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        depth: int = 1,
    ) -> nx.MultiDiGraph:
        """The whole graph, or the neighbourhood of `packages` (names, purls or node ids):
        every node within `depth` steps along edges of `kinds` (all kinds when None), either
        direction, with the edges of those kinds between them."""
        wanted = None if kinds is None else {str(kind) for kind in kinds}
        graph = nx.MultiDiGraph()
        for node in self.nodes():
            graph.add_node(node.id, kind=str(node.kind), **node.attrs)
        for edge in self.links():
            if wanted is None or str(edge.kind) in wanted:
                graph.add_edge(edge.source, edge.target, kind=str(edge.kind), **edge.attrs)
        if packages is None:
            return graph
        seeds = _resolve(graph, packages)
        reached = set(seeds)
        frontier = set(seeds)
        undirected = graph.to_undirected(as_view=True)
        for _ in range(depth):
            frontier = {n for f in frontier for n in undirected.neighbors(f)} - reached
            reached |= frontier
        result: nx.MultiDiGraph = graph.subgraph(reached).copy()
        return result

    def dataframe(self, table: str) -> pd.DataFrame:
        """One of TABLES as a DataFrame: a row an object, its id, kind and attributes."""
        if table not in TABLES:
            raise ValueError(f"no table {table!r}: choose one of {', '.join(TABLES)}")
        if table == "edges":
            rows = [
                {"source": e.source, "target": e.target, "kind": str(e.kind), **e.attrs}
                for e in self.edges()
            ]
            return pd.DataFrame(rows, columns=None if rows else ["source", "target", "kind"])
        nodes = {"packages": self.packages, "claims": self.claims, "families": self.families}
        rows = [{"id": n.id, "kind": str(n.kind), **n.attrs} for n in nodes[table]()]
        return pd.DataFrame(rows, columns=None if rows else ["id", "kind"])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {table: self.dataframe(table) for table in TABLES}


def _resolve(graph: nx.MultiDiGraph, packages: Iterable[str]) -> set[str]:
    """The node ids of the packages named: by node id, purl, or name (every ecosystem's)."""
    wanted = set(packages)
    found = {
        node
        for node, data in graph.nodes(data=True)
        if data.get("kind") == GraphNodeKind.PACKAGE
        and (node in wanted or data.get("purl") in wanted or data.get("name") in wanted)
    }
    if not found:
        raise KeyError(f"no package named {', '.join(sorted(wanted))} in the store")
    return found


def open(path: Path | str) -> Graph:  # malgraph.open, as the issue names it
    """A read-only handle on the store at `path`; StoreError when there is none."""
    return Graph(path)
