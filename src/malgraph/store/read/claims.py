"""Reading the stored claims the duplicated relation compares, as typed ClaimViews."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from malgraph.core.model import ClaimView, Scope


def active_claims(db: sqlite3.Connection, package_ids: Sequence[int]) -> list[ClaimView]:
    """The claims of these packages that are not withdrawn, with their canonical versions."""
    rows = db.execute(
        "SELECT r.id, s.name, r.source_record_id, p.ecosystem, r.package_id, p.purl, r.scope,"
        " (SELECT group_concat(pv.version, char(31)) FROM record_versions rv"
        "  JOIN package_versions pv ON pv.id = rv.version_id WHERE rv.record_id = r.id),"
        " (SELECT label FROM source_labels WHERE id = r.label_id)"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        " JOIN packages p ON p.id = r.package_id"
        " WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        " AND r.package_id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(list(package_ids)).decode(),),
    )
    return [
        ClaimView(
            record,
            source,
            source_record,
            eco,
            package,
            purl,
            Scope(scope),
            frozenset(versions.split("\x1f")) if versions else frozenset(),
            "" if label in (None, source) else label,
        )
        for record, source, source_record, eco, package, purl, scope, versions, label in rows
    ]
