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
from collections.abc import Container, Iterable, Mapping, Sequence, Sized
from math import prod
from typing import Any, NamedTuple

from malgraph.core.graph import (
    Groupings,
    IocSightings,
    MemberFacts,
    PackagePurl,
    Packages,
    SiteCount,
)
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


class Link(NamedTuple):
    """A depends-on link between two member packages, named by their purls in the candidate."""

    src: int
    dst: int


class Evidence(NamedTuple):
    """One piece of evidence: its kind, its label, the packages it joins."""

    kind: EvidenceKind
    label: Label | Link
    joins: frozenset[int]


class Joined(NamedTuple):
    """The evidence joining packages, what was left out and why, and the candidates' members:
    the components the evidence makes, each ordered by its smallest package id (its key)."""

    evidence: list[Evidence]
    left: dict[str, int]
    groups: list[set[int]]

    def keys(self) -> dict[int, int]:
        """Package id -> the key of its candidate (its smallest member)."""
        return {p: key for members in self.groups for key in (min(members),) for p in members}

    def labels(self) -> dict[int, dict[EvidenceKind, list[Label | Link]]]:
        """A candidate's key -> its evidence by kind, in the order found."""
        key_of = self.keys()
        found: dict[int, dict[EvidenceKind, list[Label | Link]]] = defaultdict(
            lambda: {k: [] for k in KINDS}
        )
        for e in self.evidence:
            found[key_of[min(e.joins)]][e.kind].append(e.label)
        return found


def confidence(counts: dict[str, int]) -> float:
    """From how many pieces of each kind of evidence a candidate has (see WEIGHTS)."""
    weights = [WEIGHTS[k] for k in ("families", "dependencies", "iocs") if counts.get(k)]
    if counts.get("reports"):
        weights.append(WEIGHTS["reports" if counts["reports"] > 1 else "one_report"])
    return round(1 - prod(1 - w for w in weights), 3)


def join_packages(
    groupings: Groupings, family_holders: Mapping[str, frozenset[int]], iocs: IocSightings
) -> Joined:
    """Every piece of evidence joining two packages or more (`family_holders`: family id -> the
    packages holding a version of it), and the components it makes: package ids only."""
    evidence: list[Evidence] = []
    left = {"list_reports": 0, "common_iocs": 0}
    for report, named in groupings.report_members.items():
        if len(named) > LIST_REPORT:
            left["list_reports"] += 1
        elif len(named) > 1:
            label = report_label(groupings.report_urls[report])
            evidence.append(Evidence(EvidenceKind.REPORTS, label, named))
    for family, holders in family_holders.items():
        if len(holders) > 1:
            evidence.append(Evidence(EvidenceKind.FAMILIES, family, holders))
    for src, dst in dependency_links(groupings.dependency_edges):
        if src != dst:
            evidence.append(
                Evidence(EvidenceKind.DEPENDENCIES, Link(src, dst), frozenset((src, dst)))
            )
    for ioc, seen_on in iocs.packages.items():
        if len(seen_on) > COMMON_IOC:
            left["common_iocs"] += 1
        elif len(seen_on) > 1:
            evidence.append(Evidence(EvidenceKind.IOCS, iocs.iocs[ioc]._asdict(), seen_on))
    # A generator: the pairs of every report and IoC together would outweigh the graph.
    pairs = ((first, other) for e in evidence for first in (min(e.joins),) for other in e.joins)
    return Joined(evidence, left, components({p for e in evidence for p in e.joins}, pairs))


def evidence_counts(labels: Mapping[EvidenceKind, Sized]) -> dict[str, int]:
    """How many pieces of each kind (JSON keys: orjson takes only str)."""
    return {str(k): len(labels[k]) for k in KINDS}


def candidate_id(purls: Iterable[str]) -> str:
    """A candidate's id, from its members' purls in sorted order."""
    return _CandidateId(purls).id


class _CandidateId:
    """A candidate id fed one purl at a time, in sorted order."""

    def __init__(self, purls: Iterable[str] = ()) -> None:
        self._hash = hashlib.sha256()
        self._first = True
        for purl in purls:
            self.add(purl)

    def add(self, purl: str) -> None:
        self._hash.update(purl.encode() if self._first else b"\n" + purl.encode())
        self._first = False

    @property
    def id(self) -> str:
        return "C-" + self._hash.hexdigest()[:10]


def candidate_ids(joined: Joined, purls: Iterable[PackagePurl]) -> dict[int, str]:
    """A candidate's key -> its id, from every package's purl given in purl order (a stream:
    each candidate's members come sorted without holding their purls)."""
    key_of = joined.keys()
    hashes: dict[int, _CandidateId] = {}
    for package in purls:
        key = key_of.get(package.id)
        if key is not None:
            hashes.setdefault(key, _CandidateId()).add(package.purl)
    return {key: found.id for key, found in hashes.items()}


def candidate(
    members: set[int],
    labels: Mapping[EvidenceKind, Sequence[Label | Link]],
    facts: Mapping[int, MemberFacts],
) -> dict[str, Any]:
    """One candidate: its id (from its members' purls), members, evidence, confidence, dates."""
    named = {
        k: [
            {"from": facts[x.src].purl, "to": facts[x.dst].purl} if isinstance(x, Link) else x
            for x in labels[k]
        ]
        for k in KINDS
    }
    counts = evidence_counts(named)
    firsts = [f.first_release for p in members if (f := facts[p]).first_release is not None]
    lasts = [f.last_release for p in members if (f := facts[p]).last_release is not None]
    return {
        "id": candidate_id(sorted(facts[p].purl for p in members)),
        "size": len(members),
        "members": [
            {"ecosystem": e, "name": n}
            for e, n in sorted((facts[p].ecosystem, facts[p].name) for p in members)
        ],
        "evidence": {str(k): sorted(named[k], key=_label_key)[:EVIDENCE_LISTED] for k in KINDS},
        "evidence_counts": counts,
        "confidence": confidence(counts),
        "first_release": min(firsts, default=None),
        "last_release": max(lasts, default=None),
        "undated_members": len(members) - len(firsts),
    }


def campaigns(
    packages: Packages,
    groupings: Groupings,
    iocs: IocSightings,
    report_sites: Mapping[str, SiteCount],
) -> dict[str, Any]:
    """Candidates of two or more packages, sorted by size (largest first) then id, and the
    named campaigns beside them; with what was left out and why."""
    joined = join_packages(groupings, family_holders(packages, groupings), iocs)
    facts = member_facts(packages, {p for members in joined.groups for p in members})
    labels = joined.labels()
    candidates = [candidate(members, labels[min(members)], facts) for members in joined.groups]
    member_of = {
        p: c["id"] for c, members in zip(candidates, joined.groups, strict=True) for p in members
    }
    candidates.sort(key=lambda c: (-c["size"], c["id"]))
    return {
        "candidates": candidates,
        "count": len(candidates),
        "packages_in_candidates": len(member_of),
        "left_out": joined.left,
        "named": _named(groupings, member_of),
        "confidence_formula": "1 - prod(1 - weight) over the kinds of evidence present",
        "weights": WEIGHTS,
        "report_sites": {c: n._asdict() for c, n in report_sites.items()},
    }


def family_holders(packages: Packages, groupings: Groupings) -> dict[str, frozenset[int]]:
    """Family id -> the packages holding a version of it."""
    return {
        family: frozenset(packages.versions[v].package for v in members)
        for family, members in groupings.family_versions.items()
    }


def member_facts(packages: Packages, held: Container[int]) -> dict[int, MemberFacts]:
    """What candidates show of the packages in one (most packages are in none)."""
    released: dict[int, list[str]] = {}
    for version, of in packages.versions.items():
        if of.package in held and version in packages.released:
            released.setdefault(of.package, []).append(packages.released[version])
    return {
        p: MemberFacts(
            *name, min(released.get(p, ()), default=None), max(released.get(p, ()), default=None)
        )
        for p, name in packages.names.items()
        if p in held
    }


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
