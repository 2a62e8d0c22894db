"""Evolution inside groups of related packages (the paper's RQ2): members in release order, each
consecutive step a name change or a version change, whether code, description and dependencies
changed with it, and how long each group was active.

Three kinds of group: `family` (a code family's package-versions), `dependency` (packages
weakly connected by depends-on links, as insights.dependency groups them) and `coreport` (the
packages one report names, or one named campaign holds). Package-level groups take every
version of each member package. Co-report groups may overlap: a package two reports name is
in both; a report naming one package or more than LIST_REPORT is left out, counted, and a group
with exactly the members of an earlier one is counted once.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from malgraph.insights.changes import CHANGED, UNCHANGED, UNKNOWN, VersionFacts
from malgraph.insights.groups import (
    LIST_REPORT,
    campaign_members,
    dependency_links,
    family_versions,
    package_names,
    report_labels,
    report_members,
    versions_of_packages,
)
from malgraph.insights.measures import days_between, ecdf_values, share, summary
from malgraph.relations.components import components
from malgraph.store.code import release_times

KINDS = ("family", "dependency", "coreport")
ASPECTS = ("code", "description", "dependencies")
LARGEST = 10  # groups listed by name per kind


@dataclass(frozen=True)
class Group:
    key: str  # a family id, 'dependency:<smallest purl>', 'report:<url>', 'campaign:<s>/<n>'
    versions: frozenset[int]


def _groups(db: sqlite3.Connection) -> tuple[dict[str, list[Group]], dict[str, Counter[str]]]:
    """The groups of each kind and, per kind, what was left out before any date was read."""
    versions = versions_of_packages(db)
    names = package_names(db)
    left: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}

    def lift(kind: str, packages: set[int]) -> frozenset[int]:
        bare = sum(1 for p in packages if p not in versions)
        if bare:  # a claim on "all versions" with none known: nothing to date or order
            left[kind]["packages_without_versions"] += bare  # once per group holding one
        return frozenset(v for p in packages for v in versions.get(p, ()))

    out: dict[str, list[Group]] = {kind: [] for kind in KINDS}
    for family, members in sorted(family_versions(db).items()):
        out["family"].append(Group(family, frozenset(members)))
    links = dependency_links(db)
    for packages in components({p for link in links for p in link}, links):
        key = "dependency:" + min(names[p][2] for p in packages)
        out["dependency"].append(Group(key, lift("dependency", packages)))
    urls = report_labels(db)
    campaigns = {
        cid: f"campaign:{source}/{name}"
        for cid, source, name in db.execute(
            "SELECT c.id, s.name, c.name FROM campaigns c JOIN sources s ON s.id = c.source_id"
        )
    }
    candidates = [("report:" + urls[r], p) for r, p in report_members(db).items()]
    candidates += [(campaigns[c], p) for c, p in campaign_members(db).items()]
    seen: set[frozenset[int]] = set()
    for key, packages in sorted(candidates):
        if len(packages) < 2:
            left["coreport"]["single_package"] += 1
        elif key.startswith("report:") and len(packages) > LIST_REPORT:
            left["coreport"]["list_reports"] += 1
        elif frozenset(packages) in seen:
            left["coreport"]["duplicate_groups"] += 1
        else:
            seen.add(frozenset(packages))
            out["coreport"].append(Group(key, lift("coreport", packages)))
    return out, left


def _tally() -> dict[str, Counter[str]]:
    return {aspect: Counter() for aspect in ASPECTS}


def _aspect_counts(counts: Counter[str]) -> dict[str, Any]:
    known = counts[CHANGED] + counts[UNCHANGED]
    return {
        CHANGED: counts[CHANGED],
        UNCHANGED: counts[UNCHANGED],
        UNKNOWN: counts[UNKNOWN],
        "share_changed": share(counts[CHANGED], known),  # of the steps where it is known
    }


def _kind(
    groups: list[Group],
    released: dict[int, str],
    order: dict[int, tuple[str, str]],
    package: dict[int, int],
    facts: VersionFacts,
) -> dict[str, Any]:
    classes: Counter[str] = Counter()
    aspects = {"all": _tally(), "name_change": _tally(), "version_change": _tally()}
    active: list[float] = []
    rows: list[dict[str, Any]] = []
    members = undated = single = without_steps = 0
    for group in groups:
        dated = sorted((released[v], *order[v], v) for v in group.versions if v in released)
        members += len(group.versions)
        undated += len(group.versions) - len(dated)
        if len(dated) < 2:
            without_steps += 1
        if len(dated) == 1:
            single += 1
        group_steps: Counter[str] = Counter()
        for (_, _, _, a), (_, _, _, b) in pairwise(dated):
            step = "name_change" if package[a] != package[b] else "version_change"
            classes[step] += 1
            group_steps[step] += 1
            for aspect in ASPECTS:
                outcome = getattr(facts, aspect)(a, b)
                aspects["all"][aspect][outcome] += 1
                aspects[step][aspect][outcome] += 1
        days = days_between(dated[0][0], dated[-1][0]) if dated else None
        if days is not None:
            active.append(days)
        rows.append(
            {
                "key": group.key,
                "size": len(group.versions),
                "packages": len({package[v] for v in group.versions}),
                "dated": len(dated),
                "name_changes": group_steps["name_change"],
                "version_changes": group_steps["version_change"],
                "first_release": dated[0][0] if dated else None,
                "last_release": dated[-1][0] if dated else None,
                "active_days": days,
            }
        )
    steps = classes["name_change"] + classes["version_change"]
    rows.sort(key=lambda r: (-r["size"], r["key"]))
    return {
        "groups": len(groups),
        "members": members,
        "undated_members": undated,  # left out of steps and active time: no release time
        "groups_without_steps": without_steps,  # fewer than two dated members
        "steps": steps,
        **{
            step: {"count": classes[step], "share": share(classes[step], steps)}
            for step in ("name_change", "version_change")
        },
        "changes": {
            when: {aspect: _aspect_counts(counts[aspect]) for aspect in ASPECTS}
            for when, counts in aspects.items()
        },
        "active_time": {
            # A group with one dated member was active for 0 days: kept, and counted here so a
            # figure can leave those out.
            **ecdf_values(active),
            "summary": summary(active),
            "single_dated_member": single,
            "left_out_undated_groups": len(groups) - len(active),
        },
        "largest": rows[:LARGEST],
    }


def evolution(db: sqlite3.Connection) -> dict[str, Any]:
    """Per kind of group: its groups, the steps between consecutive members by release time,
    the share of name and version changes, what changed with each step, active times, and
    what was left out and why."""
    groups, left = _groups(db)
    released = release_times(db)
    package: dict[int, int] = {}
    order: dict[int, tuple[str, str]] = {}  # ties in release time broken by name, version
    for version, package_id, name, number in db.execute(
        "SELECT pv.id, p.id, p.name, pv.version FROM package_versions pv"
        " JOIN packages p ON p.id = pv.package_id"
    ):
        package[version], order[version] = package_id, (name, number)
    facts = VersionFacts(db)
    out: dict[str, Any] = {}
    for kind in KINDS:
        out[kind] = _kind(groups[kind], released, order, package, facts)
        out[kind]["left_out"] = dict(sorted(left[kind].items()))
    out["notes"] = [
        "steps join consecutive dated members; members without a release time are left out",
        "code is unchanged when two members share an archive or a normalised token stream",
        f"co-report groups: reports naming more than {LIST_REPORT} packages are lists, skipped",
    ]
    return out
