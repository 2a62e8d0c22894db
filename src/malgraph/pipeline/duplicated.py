"""Keeping the duplicated relation true to the stored claims, in the writer's transaction.

The store writes and reads; relations.duplicated, pure, decides which claims agree; this
module joins the two wherever claims change: a batch written (`write_batch`), labels
re-pointed at other sources (`repoint`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from malgraph.core.model import Edge
from malgraph.core.source_names import SourceNames
from malgraph.relations.duplicated import duplicated_edges, duplicated_edges_by_package
from malgraph.store import labels
from malgraph.store.edges import delete_duplicated_edges, insert_edges
from malgraph.store.read.sources import claims
from malgraph.store.writer import Accepted, Writer, Written


def write_batch(writer: Writer, batch: Sequence[Accepted]) -> Written:
    """Write a batch and the duplicated edges its new records make, inside the caller's
    transaction."""
    written = writer.write_batch(batch)
    insert_edges(writer.db, new_edges(writer.db, written))
    return written


def new_edges(db: sqlite3.Connection, written: Written) -> list[Edge]:
    """The duplicated edges the batch's new records make. Edges among older records exist
    already, and those of removed records went with them. A package new in the batch has only
    the claims the writer kept in memory; the others are read back from the store."""
    if not written.new_records:
        return []
    stored = claims(db, written.stored_packages)
    edges = duplicated_edges_by_package(stored, written.new_records)
    for package_claims in written.new_claims.values():
        if len(package_claims) > 1:
            edges += duplicated_edges(package_claims[0].package_purl, package_claims)
    return edges


def relink(db: sqlite3.Connection, package_ids: Sequence[int]) -> None:
    """Make the duplicated edges of these packages again, from their stored claims."""
    delete_duplicated_edges(db, package_ids)
    insert_edges(db, duplicated_edges_by_package(claims(db, package_ids)))


def repoint(db: sqlite3.Connection, names: SourceNames) -> int:
    """Point every label at the source `names` gives it and remake the duplicated edges of
    the packages that touches; returns how many labels moved. Inside the caller's
    transaction."""
    moved, packages = labels.repoint(db, names)
    if moved:
        relink(db, packages)
    return moved
