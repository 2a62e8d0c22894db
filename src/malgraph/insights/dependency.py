"""Dependency-hidden malware (the paper's RQ3): which malicious packages are pulled in by
others, by whom, the groups that dependency links form, and how long each group was active."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from malgraph.core.graph import PackageEdge, Packages
from malgraph.insights.measures import days_between
from malgraph.relations.components import components


def _group(
    members: set[int], packages: Packages, hidden: set[int], released: dict[int, list[str]]
) -> dict[str, Any]:
    """One group: its members (hidden or not), and the active time of their release dates."""
    names = packages.names
    dates = sorted(d for m in members for d in released[m])
    ordered = sorted(members, key=lambda m: names[m])
    return {
        "size": len(members),
        "members": [
            {"ecosystem": names[m].ecosystem, "name": names[m].name, "hidden": m in hidden}
            for m in ordered
        ],
        "first_release": dates[0] if dates else None,
        "last_release": dates[-1] if dates else None,
        "active_days": days_between(dates[0], dates[-1]) if dates else None,
        "undated_members": sum(1 for m in members if not released[m]),
    }


def dependency_numbers(
    packages: Packages, edges: Sequence[PackageEdge], name_only: Sequence[PackageEdge]
) -> dict[str, Any]:
    """Hidden packages (targets of an edge), their dependents, the weakly connected groups
    over packages, and each group's active time: latest minus earliest release of any member
    version (members without a release date are counted, not guessed). Edges by name only
    (no malicious version shown reached) are counted apart and in none of these."""
    dependents: dict[int, set[int]] = defaultdict(set)
    for edge in edges:
        dependents[edge.dst].add(edge.src)
    linked = {p for edge in edges for p in (edge.src, edge.dst)}
    groups = components(linked, ((edge.src, edge.dst) for edge in edges))
    names = packages.names
    released: dict[int, list[str]] = defaultdict(list)
    for version, when in packages.released.items():
        released[packages.versions[version].package].append(when)
    targets = set(dependents)
    out_groups = [
        _group(members, packages, targets, released)
        for members in sorted(groups, key=lambda g: (-len(g), min(g)))
    ]
    hidden = [
        {"ecosystem": names[t].ecosystem, "name": names[t].name, "dependents": len(srcs)}
        for t, srcs in sorted(dependents.items(), key=lambda i: (-len(i[1]), names[i[0]]))
    ]
    vias: dict[str, int] = defaultdict(int)
    for edge in edges:
        for via in edge.vias:
            vias[str(via)] += 1  # a JSON object's key: orjson takes only str
    return {
        "edges": len(edges),
        # by name only: the target is malicious in some versions, none shown reached
        "name_only_edges": len(name_only),
        "name_only_targets": len({edge.dst for edge in name_only}),
        "edges_by_evidence": dict(sorted(vias.items())),
        "hidden_packages": len(hidden),
        "dependent_packages": len({edge.src for edge in edges}),
        "hidden": hidden,
        "groups": out_groups,
        "groups_without_dates": sum(1 for g in out_groups if g["active_days"] is None),
    }
