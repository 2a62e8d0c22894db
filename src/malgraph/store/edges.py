"""Writing what the relations found: a kind's edges replaced whole (the duplicated relation's
a few packages at a time), the report mentions, and the code families. The caller holds the
transaction, so readers see the old graph or the new one, never half of each."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import orjson

from malgraph.core.dates import now_utc
from malgraph.core.derived_rows import EdgeRow, FamilyMemberRow, FamilyRow
from malgraph.core.kinds import EdgeKind
from malgraph.core.model import Edge
from malgraph.core.relations import FamilyNaming, ReportMention
from malgraph.store.columns import columns, insert_sql

_ADD_EDGE = insert_sql("edges", columns(EdgeRow))
_ADD_MENTION = insert_sql("report_mentions", columns(ReportMention), "INSERT OR IGNORE")
_KEPT_ON_RENAMING = ("id", "created_at")  # a family that keeps its id keeps its creation time
_ADD_FAMILY = insert_sql("families", columns(FamilyRow)) + (
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in FamilyRow._fields if c not in _KEPT_ON_RENAMING)
)
_ADD_MEMBER = insert_sql("family_members", columns(FamilyMemberRow))


def replace_edges(db: sqlite3.Connection, kind: EdgeKind, edges: Iterable[Edge]) -> None:
    """Every stored edge of `kind` becomes `edges` (each of that kind), in their order."""
    db.execute("DELETE FROM edges WHERE kind = ?", (kind,))
    insert_edges(db, edges)


def insert_edges(db: sqlite3.Connection, edges: Iterable[Edge]) -> None:
    db.executemany(
        _ADD_EDGE,
        [
            EdgeRow(e.kind, *e.src, *e.dst, orjson.dumps(e.evidence).decode(), e.confidence, e.step)
            for e in edges
        ],
    )


def delete_duplicated_edges(db: sqlite3.Connection, package_ids: Sequence[int]) -> None:
    """Take away the duplicated edges of these packages' records (to be made again)."""
    db.execute(
        "DELETE FROM edges WHERE kind IN (?, ?) AND src_type = 'record' AND src_id IN"
        " (SELECT id FROM records WHERE package_id IN (SELECT value FROM json_each(?)))",
        (EdgeKind.DUPLICATED, EdgeKind.DUPLICATED_PACKAGE, orjson.dumps(package_ids).decode()),
    )


def replace_mentions(db: sqlite3.Connection, mentions: Sequence[ReportMention]) -> None:
    db.execute("DELETE FROM report_mentions")
    db.executemany(_ADD_MENTION, mentions)


def replace_families(db: sqlite3.Connection, naming: FamilyNaming) -> None:
    """The families and their members become `naming`'s; a kept id keeps its creation time."""
    now = now_utc()
    db.executemany("DELETE FROM families WHERE id = ?", [(fid,) for fid in naming.dissolved])
    db.execute("DELETE FROM family_members")
    for family in naming.families:
        row = FamilyRow(
            family.id,
            len(family.members),
            orjson.dumps(list(family.ecosystems)).decode(),
            family.first_release,
            family.last_release,
            family.undated,
            now,
            now,
        )
        db.execute(_ADD_FAMILY, row)
        db.executemany(_ADD_MEMBER, [FamilyMemberRow(v, family.id) for v in family.members])
