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

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from malgraph.core.graph import ChangeFacts, Groupings, Packages
from malgraph.core.kinds import GroupKind
from malgraph.insights.changes import CHANGED, UNCHANGED, UNKNOWN, VersionFacts
from malgraph.insights.groups import LIST_REPORT, dependency_links, report_label
from malgraph.insights.measures import days_between, ecdf_values, share, summary
from malgraph.relations.components import components

ASPECTS = ("code", "description", "dependencies")
STEPS = ("name_change", "version_change")
LARGEST = 10  # groups listed by name per kind


@dataclass(frozen=True)
class Group:
    key: str  # a family id, 'dependency:<smallest purl>', 'report:<url>', 'campaign:<s>/<n>'
    versions: frozenset[int]


class _Lifter:
    """Lifts groups of packages to their package-versions, counting per kind the packages
    without any (a claim on "all versions" with none known: nothing to date or order)."""

    def __init__(self, versions: Mapping[int, list[int]]) -> None:
        self.versions = versions
        self.left: dict[GroupKind, Counter[str]] = {kind: Counter() for kind in GroupKind}

    def __call__(self, kind: GroupKind, packages: frozenset[int] | set[int]) -> frozenset[int]:
        bare = sum(1 for p in packages if p not in self.versions)
        if bare:
            self.left[kind]["packages_without_versions"] += bare  # once per group holding one
        return frozenset(v for p in packages for v in self.versions.get(p, ()))


def _coreport_groups(groupings: Groupings, lift: _Lifter) -> list[Group]:
    """Groups of the packages one report names or one named campaign holds; single packages,
    list reports and groups repeating an earlier one's members left out, counted."""
    left = lift.left[GroupKind.COREPORT]
    campaigns = {c.id: f"campaign:{c.source}/{c.name}" for c in groupings.campaigns}
    candidates = [
        ("report:" + report_label(groupings.report_urls[r]), p)
        for r, p in groupings.report_members.items()
    ]
    candidates += [(campaigns[c], p) for c, p in groupings.campaign_members.items()]
    seen: set[frozenset[int]] = set()
    out = []
    for key, packages in sorted(candidates):
        if len(packages) < 2:
            left["single_package"] += 1
        elif key.startswith("report:") and len(packages) > LIST_REPORT:
            left["list_reports"] += 1
        elif packages in seen:
            left["duplicate_groups"] += 1
        else:
            seen.add(packages)
            out.append(Group(key, lift(GroupKind.COREPORT, packages)))
    return out


def _groups(
    packages: Packages, groupings: Groupings
) -> tuple[dict[GroupKind, list[Group]], dict[GroupKind, Counter[str]]]:
    """The groups of each kind and, per kind, what was left out before any date was read."""
    lift = _Lifter(packages.versions_of())
    links = dependency_links(groupings.dependency_edges)
    out = {
        GroupKind.FAMILY: [
            Group(family, members) for family, members in sorted(groupings.family_versions.items())
        ],
        GroupKind.DEPENDENCY: [
            Group(
                "dependency:" + min(packages.names[p].purl for p in members),
                lift(GroupKind.DEPENDENCY, members),
            )
            for members in components({p for link in links for p in link}, links)
        ],
        GroupKind.COREPORT: _coreport_groups(groupings, lift),
    }
    return out, lift.left


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


@dataclass
class _KindTally:
    """What the groups of one kind add up to, group by group."""

    classes: Counter[str] = field(default_factory=Counter)
    aspects: dict[str, dict[str, Counter[str]]] = field(
        default_factory=lambda: {
            "all": _tally(),
            "name_change": _tally(),
            "version_change": _tally(),
        }
    )
    active: list[float] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    members: int = 0
    undated: int = 0
    single: int = 0
    without_steps: int = 0


def _add_group(group: Group, packages: Packages, facts: VersionFacts, t: _KindTally) -> None:
    """Order one group's dated members, classify each step and what changed with it."""
    released, versions = packages.released, packages.versions
    dated = sorted(
        (released[v], versions[v].name, versions[v].version, v)
        for v in group.versions
        if v in released
    )
    t.members += len(group.versions)
    t.undated += len(group.versions) - len(dated)
    t.without_steps += len(dated) < 2
    t.single += len(dated) == 1
    group_steps: Counter[str] = Counter()
    for (_, _, _, a), (_, _, _, b) in pairwise(dated):
        step = "name_change" if versions[a].package != versions[b].package else "version_change"
        t.classes[step] += 1
        group_steps[step] += 1
        for aspect in ASPECTS:
            outcome = getattr(facts, aspect)(a, b)
            t.aspects["all"][aspect][outcome] += 1
            t.aspects[step][aspect][outcome] += 1
    days = days_between(dated[0][0], dated[-1][0]) if dated else None
    if days is not None:
        t.active.append(days)
    t.rows.append(
        {
            "key": group.key,
            "size": len(group.versions),
            "packages": len({versions[v].package for v in group.versions}),
            "dated": len(dated),
            "name_changes": group_steps["name_change"],
            "version_changes": group_steps["version_change"],
            "first_release": dated[0][0] if dated else None,
            "last_release": dated[-1][0] if dated else None,
            "active_days": days,
        }
    )


def _kind(groups: list[Group], packages: Packages, facts: VersionFacts) -> dict[str, Any]:
    t = _KindTally()
    for group in groups:
        _add_group(group, packages, facts, t)
    steps = t.classes["name_change"] + t.classes["version_change"]
    t.rows.sort(key=lambda r: (-r["size"], r["key"]))
    return {
        "groups": len(groups),
        "members": t.members,
        "undated_members": t.undated,  # left out of steps and active time: no release time
        "groups_without_steps": t.without_steps,  # fewer than two dated members
        "steps": steps,
        **{
            step: {"count": t.classes[step], "share": share(t.classes[step], steps)}
            for step in STEPS
        },
        "changes": {
            when: {aspect: _aspect_counts(counts[aspect]) for aspect in ASPECTS}
            for when, counts in t.aspects.items()
        },
        "active_time": {
            # A group with one dated member was active for 0 days: kept, and counted here so a
            # figure can leave those out.
            **ecdf_values(t.active),
            "summary": summary(t.active),
            "single_dated_member": t.single,
            "left_out_undated_groups": len(groups) - len(t.active),
        },
        "largest": t.rows[:LARGEST],
    }


def evolution(packages: Packages, groupings: Groupings, changes: ChangeFacts) -> dict[str, Any]:
    """Per kind of group: its groups, the steps between consecutive members by release time
    (ties broken by name, version), the share of name and version changes, what changed with
    each step, active times, and what was left out and why."""
    groups, left = _groups(packages, groupings)
    facts = VersionFacts(changes, packages.versions)
    out: dict[str, Any] = {}
    for kind in GroupKind:
        out[kind.value] = _kind(groups[kind], packages, facts)
        out[kind.value]["left_out"] = dict(sorted(left[kind].items()))
    out["notes"] = [
        "steps join consecutive dated members; members without a release time are left out",
        "code is unchanged when two members share an archive or a normalised token stream",
        f"co-report groups: reports naming more than {LIST_REPORT} packages are lists, skipped",
    ]
    return out
