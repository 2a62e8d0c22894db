"""Dependency-hidden malware (the paper's RQ3): which malicious packages are pulled in by
others, by whom, the groups that dependency links form, and how long each group was active."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

import orjson

from malgraph.insights.groups import package_edges, package_names, package_of_version
from malgraph.insights.measures import days_between
from malgraph.relations.components import components
from malgraph.store.code import release_times


def dependency_numbers(db: sqlite3.Connection) -> dict[str, Any]:
    """Hidden packages (targets of an edge), their dependents, the weakly connected groups
    over packages, and each group's active time: latest minus earliest release of any member
    version (members without a release date are counted, not guessed). Edges by name only
    (no malicious version shown reached) are counted apart and in none of these."""
    edges = package_edges(db)
    dependents: dict[int, set[int]] = defaultdict(set)
    for src, dst, _, _ in edges:
        dependents[dst].add(src)
    linked = {p for src, dst, _, _ in edges for p in (src, dst)}
    groups = components(linked, ((src, dst) for src, dst, _, _ in edges))
    names = package_names(db)
    released: dict[int, list[str]] = defaultdict(list)
    versions_of = package_of_version(db)
    for version, when in release_times(db).items():
        released[versions_of[version]].append(when)
    out_groups = []
    for members in sorted(groups, key=lambda g: (-len(g), min(g))):
        dates = sorted(d for m in members for d in released[m])
        ordered = sorted(members, key=lambda m: names[m])
        out_groups.append(
            {
                "size": len(members),
                "members": [
                    {"ecosystem": names[m][0], "name": names[m][1], "hidden": m in dependents}
                    for m in ordered
                ],
                "first_release": dates[0] if dates else None,
                "last_release": dates[-1] if dates else None,
                "active_days": days_between(dates[0], dates[-1]) if dates else None,
                "undated_members": sum(1 for m in members if not released[m]),
            }
        )
    hidden = [
        {"ecosystem": names[t][0], "name": names[t][1], "dependents": len(srcs)}
        for t, srcs in sorted(dependents.items(), key=lambda i: (-len(i[1]), names[i[0]]))
    ]
    vias: dict[str, int] = defaultdict(int)
    for _, _, _, evidence in edges:
        for via in {e["via"] for e in orjson.loads(evidence)["evidence"]}:
            vias[via] += 1
    name_only = package_edges(db, name_only=True)
    return {
        "edges": len(edges),
        # by name only: the target is malicious in some versions, none shown reached
        "name_only_edges": len(name_only),
        "name_only_targets": len({dst for _, dst, _, _ in name_only}),
        "edges_by_evidence": dict(sorted(vias.items())),
        "hidden_packages": len(hidden),
        "dependent_packages": len({src for src, _, _, _ in edges}),
        "hidden": hidden,
        "groups": out_groups,
        "groups_without_dates": sum(1 for g in out_groups if g["active_days"] is None),
    }
