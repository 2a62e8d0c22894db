"""The neighbourhood graph around one node: packages joined by stored relations, and the
families, reports, campaigns and IoCs they belong to, reached breadth first to a depth, with
a cap on the neighbours a node shows (the rest counted, for a "show more")."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from malgraph.core.kinds import EdgeKind, SearchKind, WebLinkKind
from malgraph.core.web import PackageRef
from malgraph.store.read.web import group_links, group_members, package_id, package_links
from malgraph.web.present import defang, package_path, page_path, short

ALL_KINDS = frozenset([*EdgeKind, *WebLinkKind])
MAX_NODES = 400  # past this the graph is unreadable; the user narrows kinds or expands a node
MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    kind: str
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class GraphEdge:
    id: str
    source: str
    target: str
    kind: str
    confidence: float | None
    edges: int
    evidence: Any


@dataclass
class Neighbourhood:
    """Nodes and edges; `more` counts, per node, the neighbours the cap left out."""

    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: dict[str, GraphEdge] = field(default_factory=dict)
    more: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes.values()),
            "edges": list(self.edges.values()),
            "more": self.more,
        }


def package_node_id(ref: PackageRef) -> str:
    return f"package:{ref.ecosystem}/{ref.name}"


def _package_node(ref: PackageRef) -> GraphNode:
    return GraphNode(package_node_id(ref), "package", short(ref.name), package_path(ref))


def parse_node(node: str) -> tuple[str, str]:
    """A node id as (kind, key); ValueError when it names no kind of node."""
    kind, sep, key = node.partition(":")
    if not sep or not key or kind not in {"package", *WebLinkKind}:
        raise ValueError(f"no node {node!r}")
    return kind, key


def _package_ref(key: str) -> PackageRef:
    ecosystem, _, name = key.partition("/")
    return PackageRef(ecosystem, name)


def _group_node(kind: str, key: str, label: str) -> GraphNode:
    shown = defang(label) if kind == WebLinkKind.IOC else label
    return GraphNode(f"{kind}:{key}", kind, short(shown), page_path(SearchKind(kind), key))


# The first packages of a family, report, campaign or IoC, and how many it has in all.
Members = Callable[[WebLinkKind, str, int], tuple[tuple[PackageRef, ...], int]]


class _Walk:
    def __init__(
        self, db: sqlite3.Connection, kinds: frozenset[str], limit: int, members: Members
    ) -> None:
        self.db, self.kinds, self.limit, self.members = db, kinds, limit, members
        self.graph = Neighbourhood()

    def add_node(self, node: GraphNode) -> bool:
        """Add a node; False when the graph is full and it was left out."""
        if node.id in self.graph.nodes:
            return True
        if len(self.graph.nodes) >= MAX_NODES:
            return False
        self.graph.nodes[node.id] = node
        return True

    def expand(self, node: str) -> list[str]:
        """Add the node's neighbours (up to the cap) and the edges to them; their ids."""
        kind, key = parse_node(node)
        if kind == "package":
            return self._expand_package(node, _package_ref(key))
        return self._expand_group(node, WebLinkKind(kind), key)

    def _expand_package(self, node: str, ref: PackageRef) -> list[str]:
        pid = package_id(self.db, ref)
        if pid is None:
            return []
        reached: list[str] = []
        links = [link for link in package_links(self.db, pid) if link.kind in self.kinds]
        groups = [group for group in group_links(self.db, pid) if group.kind in self.kinds]
        for link in links[: self.limit]:
            other = _package_node(link.other)
            if not self.add_node(other):
                break
            ends = (node, other.id) if link.outgoing else (other.id, node)
            self._add_edge(ends, link.kind, link.confidence, link.edges, link.evidence)
            reached.append(other.id)
        for group in groups[: self.limit]:
            target = _group_node(group.kind, group.key, group.label)
            if not self.add_node(target):
                break
            self._add_edge((node, target.id), group.kind, None, 1, None)
            reached.append(target.id)
        hidden = max(0, len(links) - self.limit) + max(0, len(groups) - self.limit)
        if hidden:
            self.graph.more[node] = hidden
        return reached

    def _expand_group(self, node: str, kind: WebLinkKind, key: str) -> list[str]:
        members, total = self.members(kind, key, self.limit)
        reached: list[str] = []
        for ref in members:
            member = _package_node(ref)
            if not self.add_node(member):
                break
            self._add_edge((member.id, node), kind, None, 1, None)
            reached.append(member.id)
        if total > len(members):
            self.graph.more[node] = total - len(members)
        return reached

    def _add_edge(
        self, ends: tuple[str, str], kind: str, confidence: float | None, n: int, evidence: Any
    ) -> None:
        source, target = ends
        if kind != EdgeKind.DEPENDS_ON:  # the other relations read the same both ways
            source, target = sorted(ends)
        ident = f"{kind}:{source}>{target}"
        if ident not in self.graph.edges:
            self.graph.edges[ident] = GraphEdge(
                ident, source, target, str(kind), confidence, n, evidence
            )


def neighbourhood(
    db: sqlite3.Connection,
    start: GraphNode,
    depth: int = 1,
    kinds: frozenset[str] = ALL_KINDS,
    limit: int = 25,
    members: Members | None = None,
) -> Neighbourhood:
    """The nodes within `depth` steps of `start` along links of `kinds`, each node showing
    at most `limit` neighbours; `members` answers for groups (the store, unless given)."""
    walk = _Walk(db, kinds, limit, members or partial(group_members, db))
    walk.add_node(start)
    frontier, done = [start.id], {start.id}
    for _ in range(min(depth, MAX_DEPTH)):
        reached = [other for node in frontier for other in walk.expand(node)]
        frontier = list(dict.fromkeys(other for other in reached if other not in done))
        done.update(frontier)
        if len(walk.graph.nodes) >= MAX_NODES:
            break
    return walk.graph


def start_node(ref: PackageRef) -> GraphNode:
    return _package_node(ref)


def any_node(node: str, label: str | None = None) -> GraphNode:
    """The node of an id, for expanding it (its label is its key unless given)."""
    kind, key = parse_node(node)
    if kind == "package":
        return _package_node(_package_ref(key))
    return _group_node(kind, key, label or key)
