"""The read model of source labels: the user's alias table the store was last given, and
every label the inputs gave. Reads only (store.labels writes)."""

from __future__ import annotations

import sqlite3

import orjson

from malgraph.core.source_names import SourceEntry, table_from_json

USER_ALIASES = "source_aliases"  # the settings key of a user's table


def stored_table(db: sqlite3.Connection) -> tuple[SourceEntry, ...]:
    """The user's aliases the store was last given (none: the shipped table alone)."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (USER_ALIASES,)).fetchone()
    return table_from_json(orjson.loads(row[0])) if row else ()


def stored_labels(db: sqlite3.Connection) -> list[str]:
    """Every source label the inputs gave, as given."""
    return [label for (label,) in db.execute("SELECT label FROM source_labels")]
