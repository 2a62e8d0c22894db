"""Code families as numbers: the paper's diversity measure (RQ2), and every family as the
`families` command lists it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from malgraph.core.graph import Family, FamilyCoverage


def family_stats(sizes: Sequence[int], coverage: Mapping[str, FamilyCoverage]) -> dict[str, Any]:
    """The paper's diversity measure: how much of the available code falls into families."""
    per_eco = {
        eco: {
            "available": c.available,
            "in_families": c.in_families,
            "families": c.families,
            "share_in_families": round(c.in_families / c.available, 4),
        }
        for eco, c in coverage.items()
    }
    available = sum(c.available for c in coverage.values())
    inside = sum(c.in_families for c in coverage.values())
    return {
        "count": len(sizes),
        "sizes": {str(k): v for k, v in sorted(Counter(sizes).items())},
        "largest": max(sizes, default=0),
        "available_package_versions": available,
        "in_families": inside,
        "share_in_families": round(inside / available, 4) if available else None,
        "by_ecosystem": per_eco,
    }


def all_families(families: Sequence[Family]) -> list[dict[str, Any]]:
    """Each family with its members, as `malgraph families --json` prints it."""
    return [
        {
            "id": f.id,
            "size": f.size,
            "ecosystems": list(f.ecosystems),
            "first_release": f.first_release,
            "last_release": f.last_release,
            "undated_members": f.undated,
            "members": [m._asdict() for m in f.members],
        }
        for f in families
    ]
