"""Source labels in the store: which source each label counts as, kept true to the aliases.

Every claim, artifact and campaign keeps the label its input gave (label_id) and points at
the canonical source (source_id). When the aliases change (a user's file, a newer shipped
table) `repoint` moves whatever the change concerns and names the packages it touched, whose
duplicated edges the caller remakes (pipeline.duplicated) in the same transaction, so the store
reads as if it had been built with these aliases from the start, whatever the order of the
inputs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

import orjson

from malgraph.core.source_names import SourceEntry, SourceNames, table_json
from malgraph.store.read.labels import USER_ALIASES, stored_table

_LISTED = "IN (SELECT value FROM json_each(?))"


def source_names(db: sqlite3.Connection, user: Sequence[SourceEntry] | None) -> SourceNames:
    """The names a run uses: a user's table given now replaces the stored one (an empty
    file forgets it); without one, the stored table goes on applying."""
    if user is None:
        return SourceNames(stored_table(db))
    db.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
        (USER_ALIASES, orjson.dumps(table_json(user)).decode()),
    )
    return SourceNames(user)


class Repointed(NamedTuple):
    moved: int  # labels that now count as another source
    packages: tuple[int, ...]  # the packages their claims name: their duplicated edges are stale


def repoint(db: sqlite3.Connection, names: SourceNames) -> Repointed:
    """Point every label at the source `names` gives it. Inside the caller's transaction."""
    rows = db.execute(
        "SELECT l.id, l.label, l.source_id, s.name, s.kind FROM source_labels l"
        " JOIN sources s ON s.id = l.source_id"
    ).fetchall()
    wanted = names.canonical(label for _, label, *_ in rows)
    moves = [
        (lid, sid, kind, wanted[label])
        for lid, label, sid, name, kind in rows
        if wanted[label] != name
    ]
    if not moves:
        return Repointed(0, ())
    ids = dict(db.execute("SELECT name, id FROM sources").fetchall())
    for label_id, old, kind, name in moves:
        if name not in ids:
            ids[name] = db.execute(
                "INSERT INTO sources(name, kind) VALUES (?, ?)", (name, kind)
            ).lastrowid
        _move(db, label_id, old, ids[name])
    moved = orjson.dumps([m[0] for m in moves]).decode()
    packages = tuple(
        int(p)
        for (p,) in db.execute(
            f"SELECT DISTINCT package_id FROM records WHERE label_id {_LISTED}", (moved,)
        )
    )
    olds = orjson.dumps(sorted({m[1] for m in moves})).decode()
    db.execute(
        f"DELETE FROM sources WHERE id {_LISTED} AND id NOT IN (SELECT source_id FROM"
        " source_labels) AND id NOT IN (SELECT source_id FROM artifacts)"
        " AND id NOT IN (SELECT source_id FROM records)"
        " AND id NOT IN (SELECT source_id FROM campaigns)",
        (olds,),
    )
    return Repointed(len(moves), packages)


def _move(db: sqlite3.Connection, label_id: int, old: int, new: int) -> None:
    db.execute("UPDATE source_labels SET source_id = ? WHERE id = ?", (new, label_id))
    db.execute("UPDATE records SET source_id = ? WHERE label_id = ?", (new, label_id))
    # The same archive or campaign already held under the new source: keep that one.
    db.execute("UPDATE OR IGNORE artifacts SET source_id = ? WHERE label_id = ?", (new, label_id))
    db.execute("DELETE FROM artifacts WHERE label_id = ? AND source_id = ?", (label_id, old))
    db.execute("UPDATE OR IGNORE campaigns SET source_id = ? WHERE label_id = ?", (new, label_id))
    for stale, kept in db.execute(
        "SELECT c.id, k.id FROM campaigns c JOIN campaigns k ON k.source_id = ? AND k.key = c.key"
        " WHERE c.label_id = ? AND c.source_id = ?",
        (new, label_id, old),
    ).fetchall():
        db.execute(
            "INSERT OR IGNORE INTO campaign_members SELECT ?, record_id FROM campaign_members"
            " WHERE campaign_id = ?",
            (kept, stale),
        )
        db.execute(
            "UPDATE OR IGNORE ioc_sightings SET campaign_id = ? WHERE campaign_id = ?",
            (kept, stale),
        )
        db.execute("DELETE FROM ioc_sightings WHERE campaign_id = ?", (stale,))
        db.execute("DELETE FROM campaign_members WHERE campaign_id = ?", (stale,))
        db.execute("DELETE FROM campaigns WHERE id = ?", (stale,))
