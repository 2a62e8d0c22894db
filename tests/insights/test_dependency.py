"""Dependency-hidden numbers (RQ3) on hand-made typed inputs: no store."""

from __future__ import annotations

from malgraph.insights.dependency import dependency_numbers
from tests.insights.tiny_store import day
from tests.insights.typed import Made


def test_hidden_packages_groups_and_active_time() -> None:
    made = Made(
        {
            "app": {"1.0": day(1), "2.0": day(3)},
            "lib": {"1.0": day(5)},
            "tool": {"1.0": None},
            "lone": {"1.0": day(2)},
            "bait": {"1.0": None},
        }
    )
    edges = [
        made.edge("app", "lib", "manifest"),
        made.edge("tool", "lib", "import", "manifest"),
    ]
    name_only = [made.edge("lone", "bait"), made.edge("app", "bait")]
    out = dependency_numbers(made.packages, edges, name_only)
    assert (out["edges"], out["name_only_edges"], out["name_only_targets"]) == (2, 2, 1)
    assert out["edges_by_evidence"] == {"import": 1, "manifest": 2}
    assert (out["hidden_packages"], out["dependent_packages"]) == (1, 2)
    assert out["hidden"] == [{"ecosystem": "npm", "name": "lib", "dependents": 2}]
    # One group {app, lib, tool}: app's first release to lib's, tool undated (counted).
    [group] = out["groups"]
    assert [(m["name"], m["hidden"]) for m in group["members"]] == [
        ("app", False),
        ("lib", True),
        ("tool", False),
    ]
    assert (group["first_release"], group["last_release"]) == (day(1), day(5))
    assert (group["active_days"], group["undated_members"]) == (4.0, 1)
    assert out["groups_without_dates"] == 0


def test_name_only_edges_join_no_group() -> None:
    made = Made({"a": {"1.0": None}, "b": {"1.0": None}})
    out = dependency_numbers(made.packages, [], [made.edge("a", "b")])
    assert (out["edges"], out["groups"], out["hidden"]) == (0, [], [])
    assert out["name_only_edges"] == 1
