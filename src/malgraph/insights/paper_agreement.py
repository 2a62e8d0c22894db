"""How far malgraph agrees with another study's graph (the MalGraph paper's labelling), per
relation kind: its code clusters against malgraph's families, its report groups against
malgraph's report links, its dependency pairs against malgraph's depends-on edges, its
duplicated groups against the sources malgraph holds. Pure: the labelling and what malgraph
holds for it come typed from the read model (store.read.sources)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from malgraph.core.kinds import LabelKind, MemberRole
from malgraph.core.provenance import CodeFacts, Group, LabelFacts, Member, Package, Version
from malgraph.insights.paper_labels import SIMILAR_KINDS, versions_of

LABELLER = "malgraph-paper"
FILLED_BY = "malgraph ingest paper OSS-MPAW/KG"
DEFINITIONS = {
    "groups": "distinct groups per kind: a group the paper publishes twice (a whole graph and "
    "its subgraph files) counts once; members are distinct package-versions, or packages where "
    "the paper names no version",
    "also_in_another_cluster": "memberships of a package-version the paper puts in a second "
    "cluster (it is compared in its first only)",
    "pair_precision": "of the pairs of package-versions malgraph puts in one family, the share "
    "the paper puts in one cluster (over the paper's members with analysed code in malgraph; a "
    "member in no family is alone)",
    "pair_recall": "of the pairs the paper puts in one cluster, the share malgraph puts in one "
    "family (same members)",
    "adjusted_rand": "adjusted Rand index of the two partitions of those members (1 the same, "
    "0 what chance gives)",
    "share_of_paper_links": "of the paper's report -> package links, the share malgraph also "
    "has for the same report (by URL key): a record citing it or its text naming the package; "
    "links read from the paper's own source-report lists are left out, since they would "
    "compare the paper with itself",
    "share_of_malgraph_links": "of malgraph's links from the reports the paper grouped, the "
    "share the paper also has",
    "share_of_paper_pairs": "of the paper's dependency pairs lifted to packages (A depends on "
    "B), the share malgraph's depends-on edges also have",
    "share_of_malgraph_pairs": "of malgraph's depends-on pairs between packages the paper's "
    "dependency graphs hold, the share the paper also has",
    "share_held_by_several_sources": "of the paper's duplicated groups, the share whose "
    "package-version malgraph holds from two or more sources (its duplicated relation)",
}


K = TypeVar("K", bound=Hashable)


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def pair_agreement(paper: Mapping[K, str], ours: Mapping[K, str | None]) -> dict[str, Any]:
    """Pair counting over the items both labellings hold: an item malgraph has no label for
    (None) is alone in a group of its own."""
    items = [item for item in paper if item in ours]
    mine = {item: ours[item] or f"\0alone {index}" for index, item in enumerate(items)}
    both = _pairs(Counter((paper[i], mine[i]) for i in items).values())
    theirs_pairs = _pairs(Counter(paper[i] for i in items).values())
    our_pairs = _pairs(Counter(mine.values()).values())
    total = _pairs([len(items)])
    expected = theirs_pairs * our_pairs / total if total else 0.0
    best = (theirs_pairs + our_pairs) / 2
    return {
        "compared": len(items),
        "paper_pairs": theirs_pairs,
        "malgraph_pairs": our_pairs,
        "shared_pairs": both,
        "pair_precision": _ratio(both, our_pairs),
        "pair_recall": _ratio(both, theirs_pairs),
        "adjusted_rand": round((both - expected) / (best - expected), 4)
        if best != expected
        else None,
    }


def similar_agreement(
    clusters: Mapping[Version, str], facts: Mapping[Version, CodeFacts]
) -> dict[str, Any]:
    """The paper's clusters against malgraph's families, on the members with analysed code."""
    unknown = [v for v in clusters if not facts.get(v, CodeFacts(False, False, None)).known]
    no_code = [v for v in clusters if (f := facts.get(v)) and f.known and not f.has_code]
    with_code = {v: facts[v].family for v in clusters if v in facts and facts[v].has_code}
    return {
        "paper_members": len(clusters),
        "paper_clusters": len(set(clusters.values())),
        "not_in_malgraph": len(unknown),
        "no_code": len(no_code),
        "with_code": len(with_code),
        "with_code_no_family": sum(1 for f in with_code.values() if f is None),
        "families_met": len({f for f in with_code.values() if f is not None}),
        **pair_agreement(clusters, with_code),
    }


def coexisting_agreement(
    paper: Mapping[str, AbstractSet[Package]],
    ours: Mapping[str, AbstractSet[Package]],
    known: AbstractSet[Package],
) -> dict[str, Any]:
    """The paper's report groups against malgraph's report links, by report URL key."""
    paper_links = {(key, p) for key, packages in paper.items() for p in packages}
    our_links = {(key, p) for key, packages in ours.items() if key in paper for p in packages}
    shared = paper_links & our_links
    return {
        "paper_reports": len(paper),
        "reports_in_malgraph": sum(1 for key in paper if key in ours),
        "paper_links": len(paper_links),
        "links_to_known_packages": sum(1 for _, p in paper_links if p in known),
        "malgraph_links": len(our_links),
        "shared_links": len(shared),
        "share_of_paper_links": _ratio(len(shared), len(paper_links)),
        "share_of_malgraph_links": _ratio(len(shared), len(our_links)),
    }


def dependency_agreement(
    paper: AbstractSet[tuple[Package, Package]],
    ours: AbstractSet[tuple[Package, Package]],
    known: AbstractSet[Package],
) -> dict[str, Any]:
    """The paper's dependency pairs against malgraph's depends-on edges, between packages."""
    nodes = {p for pair in paper for p in pair}
    our_pairs = {pair for pair in ours if pair[0] in nodes and pair[1] in nodes}
    shared = paper & ours
    return {
        "paper_pairs": len(paper),
        "pairs_both_known": sum(1 for a, b in paper if a in known and b in known),
        "shared_pairs": len(shared),
        "share_of_paper_pairs": _ratio(len(shared), len(paper)),
        "malgraph_pairs_among_paper_packages": len(our_pairs),
        "share_of_malgraph_pairs": _ratio(len(shared & our_pairs), len(our_pairs)),
    }


def duplicated_agreement(
    groups: Iterable[frozenset[Version]], sources: Mapping[Version, int]
) -> dict[str, Any]:
    """The paper's duplicated groups against the sources malgraph holds for their members
    (groups naming no version are left out, counted)."""
    given = list(groups)
    groups = [g for g in given if g]
    held = [g for g in groups if all(sources.get(v, 0) for v in g)]
    several = [g for g in held if all(sources[v] >= 2 for v in g)]
    return {
        "paper_groups": len(groups),
        "left_out_without_version": len(given) - len(groups),
        "held_by_malgraph": len(held),
        "held_by_several_sources": len(several),
        "share_held_by_several_sources": _ratio(len(several), len(groups)),
    }


def _distinct_by_kind(groups: list[Group]) -> dict[LabelKind, list[Group]]:
    """The groups of each kind, a group published twice (a whole graph and its subgraph
    files) counted once."""
    distinct: dict[tuple[LabelKind, frozenset[Member]], Group] = {}
    for group in groups:
        distinct.setdefault((group.kind, group.members), group)
    of_kind: dict[LabelKind, list[Group]] = {}
    for group in distinct.values():
        of_kind.setdefault(group.kind, []).append(group)
    return of_kind


def _kind_counts(groups: list[Group], of_kind: dict[LabelKind, list[Group]]) -> dict[str, Any]:
    return {
        str(kind): {
            "groups": len(found),
            "members": len({m for g in found for m in g.members}),
            "files": len({g.document for g in groups if g.kind == kind}),
        }
        for kind, found in sorted(of_kind.items())
    }


def _similar(clustered: list[Group], facts: Mapping[Version, CodeFacts]) -> dict[str, Any]:
    """One kind of the paper's code clusters against malgraph's families; a member of several
    clusters stays in its first."""
    clusters: dict[Version, str] = {}
    several = 0
    for group in clustered:
        for version in sorted(versions_of(group)):
            several += version in clusters
            clusters.setdefault(version, group.key)
    return {**similar_agreement(clusters, facts), "also_in_another_cluster": several}


def _dependency_pairs(groups: list[Group]) -> set[tuple[Package, Package]]:
    ends = [{m.role: m.package for m in g.members} for g in groups]
    return {
        (e[MemberRole.FROM], e[MemberRole.TO])
        for e in ends
        if MemberRole.FROM in e and MemberRole.TO in e
    }


def agreement(groups: list[Group], facts: LabelFacts) -> dict[str, Any]:
    """Every number of the section, from the labelling and what malgraph holds for it."""
    of_kind = _distinct_by_kind(groups)
    out: dict[str, Any] = {
        "labeller": LABELLER,
        "filled_by": FILLED_BY,
        "kinds": _kind_counts(groups, of_kind),
        "definitions": DEFINITIONS,
    }
    for kind in SIMILAR_KINDS:
        out[str(kind)] = _similar(of_kind.get(kind, []), facts.code)
    report_groups: dict[str, set[Package]] = {}
    for group in of_kind.get(LabelKind.COEXISTING, []):
        report_groups.setdefault(group.key, set()).update(m.package for m in group.members)
    out["co-existing"] = coexisting_agreement(report_groups, facts.links, facts.known)
    paper_pairs = _dependency_pairs(of_kind.get(LabelKind.DEPENDS_ON, []))
    out["dependency"] = dependency_agreement(paper_pairs, facts.pairs, facts.known)
    duplicated = [frozenset(versions_of(g)) for g in of_kind.get(LabelKind.DUPLICATED, [])]
    out["duplicated"] = duplicated_agreement(duplicated, facts.sources)
    return out
