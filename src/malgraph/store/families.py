"""Read-side queries on code families and similar edges: the diversity numbers, exports."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

import orjson


def family_stats(db: sqlite3.Connection) -> dict[str, Any]:
    """The paper's diversity measure: how much of the available code falls into families."""
    sizes = [size for (size,) in db.execute("SELECT size FROM families")]
    per_eco: dict[str, dict[str, Any]] = {}
    for eco, available, members, count in db.execute(
        "SELECT p.ecosystem, count(DISTINCT pv.id), count(DISTINCT m.package_version_id),"
        " count(DISTINCT m.family_id) FROM package_versions pv"
        " JOIN packages p ON p.id = pv.package_id JOIN artifacts a ON a.package_version_id ="
        " pv.id JOIN code_analyses c ON c.sha256 = a.sha256 AND c.status != 'unreadable'"
        " LEFT JOIN family_members m ON m.package_version_id = pv.id GROUP BY p.ecosystem"
    ):
        per_eco[eco] = {
            "available": available,
            "in_families": members,
            "families": count,
            "share_in_families": round(members / available, 4),
        }
    available = sum(e["available"] for e in per_eco.values())
    inside = sum(e["in_families"] for e in per_eco.values())
    return {
        "count": len(sizes),
        "sizes": {str(k): v for k, v in sorted(Counter(sizes).items())},
        "largest": max(sizes, default=0),
        "available_package_versions": available,
        "in_families": inside,
        "share_in_families": round(inside / available, 4) if available else None,
        "by_ecosystem": per_eco,
    }


def all_families(db: sqlite3.Connection) -> list[dict[str, Any]]:
    members: dict[str, list[dict[str, str]]] = {}
    for fid, eco, name, version, purl in db.execute(
        "SELECT m.family_id, p.ecosystem, p.name, pv.version, pv.purl FROM family_members m"
        " JOIN package_versions pv ON pv.id = m.package_version_id"
        " JOIN packages p ON p.id = pv.package_id ORDER BY m.family_id, p.name, pv.version"
    ):
        members.setdefault(fid, []).append(
            {"ecosystem": eco, "name": name, "version": version, "purl": purl}
        )
    return [
        {
            "id": fid,
            "size": size,
            "ecosystems": orjson.loads(ecosystems),
            "first_release": first,
            "last_release": last,
            "undated_members": undated,
            "members": members.get(fid, []),
        }
        for fid, size, ecosystems, first, last, undated in db.execute(
            "SELECT id, size, ecosystems, first_release, last_release, undated FROM families"
            " ORDER BY size DESC, id"
        )
    ]
