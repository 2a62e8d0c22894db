"""What the graph formats share: the selected nodes and edges, counted by kind as they pass,
with the progress told every so many objects."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TypeVar

from malgraph.core.graph_export import GraphEdge, GraphNode
from malgraph.core.selection import Selection
from malgraph.store.read.graph_export import graph_edges, graph_nodes

T = TypeVar("T", GraphNode, GraphEdge)
PROGRESS_EVERY = 1000  # objects between two progress calls: a call per object costs more


class GraphStream:
    """The nodes then the edges of the selected graph, each iterated once; `counts` holds
    "nodes.<kind>" and "edges.<kind>" for what has passed."""

    def __init__(
        self,
        db: sqlite3.Connection,
        selection: Selection,
        progress: Callable[[int], None] | None,
    ) -> None:
        self._db, self._selection, self._progress = db, selection, progress
        self.counts: Counter[str] = Counter()
        self._done = 0

    def _counted(self, items: Iterator[T], prefix: str) -> Iterator[T]:
        for item in items:
            self.counts[f"{prefix}.{item.kind}"] += 1
            self._done += 1
            if self._progress is not None and self._done % PROGRESS_EVERY == 0:
                self._progress(self._done)
            yield item
        if self._progress is not None:
            self._progress(self._done)

    def nodes(self) -> Iterator[GraphNode]:
        return self._counted(graph_nodes(self._db, self._selection), "nodes")

    def edges(self) -> Iterator[GraphEdge]:
        return self._counted(graph_edges(self._db, self._selection), "edges")

    def sorted_counts(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))
