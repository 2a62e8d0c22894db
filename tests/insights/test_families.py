"""The diversity numbers and the family listing, on hand-made typed rows: no store."""

from __future__ import annotations

from malgraph.core.graph import Family, FamilyCoverage, FamilyMember
from malgraph.insights.families import all_families, family_stats


def test_share_of_available_code_in_families() -> None:
    coverage = {"npm": FamilyCoverage(8, 6, 2), "PyPI": FamilyCoverage(2, 0, 0)}
    out = family_stats([2, 4, 2], coverage)
    assert (out["count"], out["largest"], out["sizes"]) == (3, 4, {"2": 2, "4": 1})
    assert (out["available_package_versions"], out["in_families"]) == (10, 6)
    assert out["share_in_families"] == 0.6
    assert out["by_ecosystem"]["npm"] == {
        "available": 8,
        "in_families": 6,
        "families": 2,
        "share_in_families": 0.75,
    }
    assert out["by_ecosystem"]["PyPI"]["share_in_families"] == 0.0


def test_no_code_no_share() -> None:
    out = family_stats([], {})
    assert (out["count"], out["largest"], out["share_in_families"]) == (0, 0, None)


def test_families_listed_as_json() -> None:
    member = FamilyMember("npm", "a", "1.0", "pkg:npm/a@1.0")
    family = Family("F-1", 1, ("npm",), "2024-01-01T00:00:00Z", None, 0, (member,))
    assert all_families([family]) == [
        {
            "id": "F-1",
            "size": 1,
            "ecosystems": ["npm"],
            "first_release": "2024-01-01T00:00:00Z",
            "last_release": None,
            "undated_members": 0,
            "members": [
                {"ecosystem": "npm", "name": "a", "version": "1.0", "purl": "pkg:npm/a@1.0"}
            ],
        }
    ]
