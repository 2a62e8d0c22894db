"""Attack-campaign candidates (the paper's RQ4): packages joined by any evidence that they come
from one actor, as connected components, each with the evidence that joins it and a confidence;
the campaigns sources name (kam193) shown beside, with the candidates their members fall in.

Evidence joining two packages: a report naming both (cited by a record of each or mentioned in
its text; a report naming more than LIST_REPORT packages is a list and joins nothing), one code
family holding versions of both, a depends-on link, one IoC seen on both (in a record or in its
code; an IoC seen on more than COMMON_IOC packages is infrastructure everyone uses, skipped).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Container, Mapping
from math import prod
from typing import Any, NamedTuple

from malgraph.core.graph import Groupings, IocSightings, Packages, SiteCount
from malgraph.core.kinds import EvidenceKind
from malgraph.insights.groups import LIST_REPORT, dependency_links, report_label
from malgraph.relations.components import components

COMMON_IOC = 200
EVIDENCE_LISTED = 50  # per kind and candidate; `evidence_counts` gives the full numbers
# Confidence = 1 - prod(1 - weight) over the kinds of evidence found in the candidate, so each
# independent kind raises it. One report alone is weak (it may just list packages it saw that
# week); two reports agree more; shared code, a dependency and shared infrastructure are the
# attacker's own doing.
WEIGHTS = {"one_report": 0.3, "reports": 0.5, "families": 0.5, "dependencies": 0.4, "iocs": 0.6}
KINDS = tuple(EvidenceKind)
# A piece of evidence as the candidate lists it: a report's label, a family id, a {from, to}
# link, a {kind, value} IoC.
Label = str | Mapping[str, str]


class Evidence(NamedTuple):
    """One piece of evidence: its kind, its label, the packages it joins."""

    kind: EvidenceKind
    label: Label
    joins: frozenset[int]


def confidence(counts: dict[str, int]) -> float:
    """From how many pieces of each kind of evidence a candidate has (see WEIGHTS)."""
    weights = [WEIGHTS[k] for k in ("families", "dependencies", "iocs") if counts.get(k)]
    if counts.get("reports"):
        weights.append(WEIGHTS["reports" if counts["reports"] > 1 else "one_report"])
    return round(1 - prod(1 - w for w in weights), 3)


def _evidence(
    packages: Packages, groupings: Groupings, iocs: IocSightings
) -> tuple[list[Evidence], dict[str, int]]:
    """Every piece of evidence joining two packages or more, and what was left out."""
    names = packages.names
    evidence: list[Evidence] = []
    left = {"list_reports": 0, "common_iocs": 0}
    for report, named in groupings.report_members.items():
        if len(named) > LIST_REPORT:
            left["list_reports"] += 1
        elif len(named) > 1:
            label = report_label(groupings.report_urls[report])
            evidence.append(Evidence(EvidenceKind.REPORTS, label, named))
    for family, members in groupings.family_versions.items():
        holders = frozenset(packages.versions[v].package for v in members)
        if len(holders) > 1:
            evidence.append(Evidence(EvidenceKind.FAMILIES, family, holders))
    for src, dst in dependency_links(groupings.dependency_edges):
        if src != dst:
            link = {"from": names[src].purl, "to": names[dst].purl}
            evidence.append(Evidence(EvidenceKind.DEPENDENCIES, link, frozenset((src, dst))))
    for ioc, seen_on in iocs.packages.items():
        if len(seen_on) > COMMON_IOC:
            left["common_iocs"] += 1
        elif len(seen_on) > 1:
            evidence.append(Evidence(EvidenceKind.IOCS, iocs.iocs[ioc]._asdict(), seen_on))
    return evidence, left


def _candidate(
    members: set[int],
    labels: Mapping[EvidenceKind, list[Label]],
    packages: Packages,
    versions: Mapping[int, list[int]],
) -> dict[str, Any]:
    """One candidate: its id (from its members' purls), members, evidence, confidence, dates."""
    names, released = packages.names, packages.released
    purls = sorted(names[p].purl for p in members)
    counts = {str(k): len(labels[k]) for k in KINDS}  # JSON keys: orjson takes only str
    dates = sorted(released[v] for p in members for v in versions.get(p, ()) if v in released)
    return {
        "id": "C-" + hashlib.sha256("\n".join(purls).encode()).hexdigest()[:10],
        "size": len(members),
        "members": [{"ecosystem": e, "name": n} for e, n, _ in sorted(names[p] for p in members)],
        "evidence": {str(k): sorted(labels[k], key=_label_key)[:EVIDENCE_LISTED] for k in KINDS},
        "evidence_counts": counts,
        "confidence": confidence(counts),
        "first_release": dates[0] if dates else None,
        "last_release": dates[-1] if dates else None,
        "undated_members": sum(
            1 for p in members if not any(v in released for v in versions.get(p, ()))
        ),
    }


def campaigns(
    packages: Packages,
    groupings: Groupings,
    iocs: IocSightings,
    report_sites: Mapping[str, SiteCount],
) -> dict[str, Any]:
    """Candidates of two or more packages, sorted by size (largest first) then id, and the
    named campaigns beside them; with what was left out and why."""
    evidence, left = _evidence(packages, groupings, iocs)
    # A generator: the pairs of every report and IoC together would outweigh the graph.
    pairs = ((first, other) for e in evidence for first in (min(e.joins),) for other in e.joins)
    groups = components({p for e in evidence for p in e.joins}, pairs)
    group_of = {p: first for members in groups for first in (min(members),) for p in members}
    found: dict[int, dict[EvidenceKind, list[Label]]] = defaultdict(lambda: {k: [] for k in KINDS})
    for e in evidence:
        found[group_of[min(e.joins)]][e.kind].append(e.label)
    versions = _versions_of(packages, group_of)
    candidates = [
        _candidate(members, found[min(members)], packages, versions) for members in groups
    ]
    member_of = {p: c["id"] for c, members in zip(candidates, groups, strict=True) for p in members}
    candidates.sort(key=lambda c: (-c["size"], c["id"]))
    return {
        "candidates": candidates,
        "count": len(candidates),
        "packages_in_candidates": len(member_of),
        "left_out": left,
        "named": _named(groupings, member_of),
        "confidence_formula": "1 - prod(1 - weight) over the kinds of evidence present",
        "weights": WEIGHTS,
        "report_sites": {c: n._asdict() for c, n in report_sites.items()},
    }


def _versions_of(packages: Packages, held: Container[int]) -> dict[int, list[int]]:
    """Package id -> its package-versions in id order, for the packages in a candidate only:
    most packages are in none."""
    out: dict[int, list[int]] = {}
    for version in sorted(packages.versions):
        owner = packages.versions[version].package
        if owner in held:
            out.setdefault(owner, []).append(version)
    return out


def _label_key(label: Label) -> str:
    return label if isinstance(label, str) else "\x00".join(label.values())


def _named(groupings: Groupings, member_of: dict[int, str]) -> list[dict[str, Any]]:
    """Campaigns sources name, with the candidates holding their members."""
    out = []
    for campaign in groupings.campaigns:
        packages = groupings.campaign_members.get(campaign.id, frozenset())
        out.append(
            {
                "source": campaign.source,
                "name": campaign.name,
                "category": campaign.category,
                "members": len(packages),
                "candidates": sorted({member_of[p] for p in packages if p in member_of}),
                "outside_candidates": sum(1 for p in packages if p not in member_of),
            }
        )
    return out
