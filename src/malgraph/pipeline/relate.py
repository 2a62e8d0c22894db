"""Relating: each relation read from the store (the read model), computed by its pure
function in malgraph.relations, and written back whole in one transaction, so readers see the
old graph or the new one, never half of each."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.kinds import EdgeKind, NodeType, SimilarTier
from malgraph.core.model import Edge
from malgraph.core.relations import CodeItem
from malgraph.relations.coexisting import report_mentions
from malgraph.relations.dependency import DependencySummary, dependency_edges
from malgraph.relations.embedding import EmbeddingBackend, model_edges
from malgraph.relations.families import families, name_families
from malgraph.relations.similar import (
    DEFAULT_THRESHOLD,
    SKETCH_METHOD,
    SimilarEdge,
    default_sketcher,
    item_sketch,
    similar_edges,
)
from malgraph.store import Store
from malgraph.store.code import save_sketches
from malgraph.store.edges import replace_edges, replace_families, replace_mentions
from malgraph.store.read import relations as read


def refresh_mentions(db: sqlite3.Connection) -> int:
    """Find, in every report that has text, the packages the store knows; replace the stored
    mentions (the caller holds the transaction). Returns how many mentions there are."""
    mentions = report_mentions(read.report_texts(db), read.all_packages(db))
    replace_mentions(db, mentions)
    return len(mentions)


def refresh_dependencies(store: Store) -> DependencySummary:
    """Recompute every depends-on edge (read first, then one write transaction)."""
    db = store.db
    edges, summary = dependency_edges(
        read.target_claims(db),
        read.package_of_versions(db),
        read.archive_dependencies(db),
        read.listed_dependencies(db),
    )
    with store.transaction() as tx:
        replace_edges(tx, EdgeKind.DEPENDS_ON, edges)
    return summary


SKETCHES_PER_TRANSACTION = 500  # an interrupted fill keeps what it wrote


def refresh_sketches(store: Store) -> int:
    """Store the sketch of every analysed archive that has none of the current method (the
    analyses of an older malgraph, or of another sketch method). Returns how many."""
    sketcher = default_sketcher()
    pending: list[CodeSketchRow] = []
    written = 0
    for item in read.unsketched_items(store.db, SKETCH_METHOD):
        pending.append(item_sketch(item, sketcher))
        if len(pending) >= SKETCHES_PER_TRANSACTION:
            written += _save_sketches(store, pending)
    return written + _save_sketches(store, pending)


def _save_sketches(store: Store, pending: list[CodeSketchRow]) -> int:
    with store.transaction() as db:
        save_sketches(db, pending)
    count = len(pending)
    pending.clear()
    return count


@dataclass
class SimilarSummary:
    items: int = 0  # package-versions with analysed code
    edges: Counter[SimilarTier] = field(default_factory=Counter)  # by tier
    families: int = 0
    new_families: int = 0
    dissolved_families: int = 0


def refresh_similar(
    store: Store,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: EmbeddingBackend | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimilarSummary:
    """Recompute every similar edge and family from the stored analyses (read first, then one
    write transaction). With a `model`, its nearest neighbours are added where no tier links a
    pair (never families). Stores the sketches `check` needs that are missing first."""
    refresh_sketches(store)
    total = read.code_item_count(store.db)
    keys: list[int] = []

    def items() -> Iterator[CodeItem]:
        for item in read.code_items(store.db):
            keys.append(item.key)
            yield item

    def seen(count: int) -> None:
        if progress:
            progress(count, total)

    edges = similar_edges(items(), threshold=threshold, progress=seen)
    return store_similar(store, keys, edges, model)


def store_similar(
    store: Store, keys: list[int], edges: list[SimilarEdge], model: EmbeddingBackend | None
) -> SimilarSummary:
    """Form the families of the items `keys` over `edges`, add the `model`'s edges if any,
    and replace the stored similar edges and families in one transaction."""
    summary = SimilarSummary()
    clusters = families(keys, edges)
    if model is not None:
        linked = {(e.a, e.b) for e in edges}
        extra = model_edges(read.code_items(store.db), model)
        edges = edges + [e for e in extra if (e.a, e.b) not in linked]
    summary.items = len(keys)
    summary.edges.update(e.tier for e in edges)
    with store.transaction() as db:
        replace_edges(db, EdgeKind.SIMILAR, [_stored(e) for e in edges])
        naming = name_families(clusters, read.stored_families(db), read.version_facts(db))
        replace_families(db, naming)
    summary.families = len(clusters)
    summary.new_families, summary.dissolved_families = naming.new, len(naming.dissolved)
    return summary


def _stored(edge: SimilarEdge) -> Edge:
    return Edge(
        EdgeKind.SIMILAR,
        (NodeType.PACKAGE_VERSION, edge.a),
        (NodeType.PACKAGE_VERSION, edge.b),
        {"tier": edge.tier, **edge.evidence},
        edge.score,
        f"similar/{edge.tier}",
    )
