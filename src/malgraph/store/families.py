"""Read-side queries on code families and similar edges: the similarity card."""

from __future__ import annotations

import sqlite3
from typing import Any

NEIGHBOURS = 10


def similarity_card(db: sqlite3.Connection, package_id: int) -> list[dict[str, Any]]:
    """Per package-version with code: its family and its nearest neighbours by score."""
    out = []
    for version_id, version, fid, size, first, last in db.execute(
        "SELECT pv.id, pv.version, f.id, f.size, f.first_release, f.last_release"
        " FROM package_versions pv LEFT JOIN family_members m ON m.package_version_id = pv.id"
        " LEFT JOIN families f ON f.id = m.family_id WHERE pv.package_id = ? ORDER BY pv.version",
        (package_id,),
    ):
        neighbours = [
            {"ecosystem": eco, "name": name, "version": other, "tier": tier, "score": score}
            for eco, name, other, tier, score in db.execute(
                "SELECT p.ecosystem, p.name, pv.version, json_extract(e.evidence, '$.tier'),"
                " e.confidence FROM edges e JOIN package_versions pv ON pv.id ="
                " CASE WHEN e.src_id = :v THEN e.dst_id ELSE e.src_id END"
                " JOIN packages p ON p.id = pv.package_id WHERE e.kind = 'similar'"
                " AND (e.src_id = :v OR e.dst_id = :v) ORDER BY e.confidence DESC, p.name,"
                " pv.version LIMIT :n",
                {"v": version_id, "n": NEIGHBOURS},
            )
        ]
        if fid or neighbours:
            family = {"id": fid, "size": size, "first_release": first, "last_release": last}
            out.append(
                {"version": version, "family": family if fid else None, "neighbours": neighbours}
            )
    return out
