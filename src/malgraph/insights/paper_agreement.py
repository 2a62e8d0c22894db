"""How far malgraph agrees with another study's graph (the MalGraph paper's labelling), per
relation kind: its code clusters against malgraph's families, its report groups against
malgraph's report links, its dependency pairs against malgraph's depends-on edges, its
duplicated groups against the sources malgraph holds. Pure, but for `paper_agreement`, which
reads the typed inputs first."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

from malgraph.insights.paper_labels import (
    CodeFacts,
    Group,
    Package,
    Version,
    code_facts,
    dependency_pairs,
    known_packages,
    label_groups,
    report_links,
    sources_per_version,
)

LABELLER = "malgraph-paper"
FILLED_BY = "malgraph ingest paper OSS-MPAW/KG"
SIMILAR_KINDS = ("similar", "similar-run")
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
    paper: Mapping[str, set[Package]], ours: Mapping[str, set[Package]], known: set[Package]
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
    paper: set[tuple[Package, Package]], ours: set[tuple[Package, Package]], known: set[Package]
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


def _versions(group: Group) -> set[Version]:
    return {(m.ecosystem, m.name, m.version) for m in group.members if m.version is not None}


def agreement(
    groups: list[Group],
    facts: Mapping[Version, CodeFacts],
    links: Mapping[str, set[Package]],
    pairs: set[tuple[Package, Package]],
    sources: Mapping[Version, int],
    known: set[Package],
) -> dict[str, Any]:
    """Every number of the section, from the labelling and what malgraph holds for it."""
    distinct: dict[tuple[str, frozenset[Any]], Group] = {}
    for group in groups:  # whole graphs and their subgraph files: one group, counted once
        distinct.setdefault((group.kind, group.members), group)
    of_kind: dict[str, list[Group]] = {}
    for group in distinct.values():
        of_kind.setdefault(group.kind, []).append(group)
    counts = {
        kind: {
            "groups": len(found),
            "members": len({m for g in found for m in g.members}),
            "files": len({g.document for g in groups if g.kind == kind}),
        }
        for kind, found in sorted(of_kind.items())
    }
    out: dict[str, Any] = {"labeller": LABELLER, "filled_by": FILLED_BY, "kinds": counts}
    out["definitions"] = DEFINITIONS
    for kind in SIMILAR_KINDS:
        clusters: dict[Version, str] = {}
        several = 0
        for group in of_kind.get(kind, []):  # a member of several clusters stays in its first
            for version in sorted(_versions(group)):
                several += version in clusters
                clusters.setdefault(version, group.key)
        out[kind] = {**similar_agreement(clusters, facts), "also_in_another_cluster": several}
    report_groups: dict[str, set[Package]] = {}
    for group in of_kind.get("co-existing", []):
        report_groups.setdefault(group.key, set()).update(m.package for m in group.members)
    out["co-existing"] = coexisting_agreement(report_groups, links, known)
    ends = [{m.role: m.package for m in g.members} for g in of_kind.get("depends-on", [])]
    paper_pairs = {(e["from"], e["to"]) for e in ends if "from" in e and "to" in e}
    out["dependency"] = dependency_agreement(paper_pairs, pairs, known)
    duplicated = [frozenset(_versions(g)) for g in of_kind.get("duplicated", [])]
    out["duplicated"] = duplicated_agreement(duplicated, sources)
    return out


def paper_agreement(db: sqlite3.Connection) -> dict[str, Any]:
    """The section's numbers for the store: the paper's labelling read, then compared."""
    groups = label_groups(db, LABELLER)
    versions = {v for g in groups if g.kind in SIMILAR_KINDS for v in _versions(g)}
    duplicated = {v for g in groups if g.kind == "duplicated" for v in _versions(g)}
    packages = {m.package for g in groups for m in g.members}
    keys = {g.key for g in groups if g.kind == "co-existing"}
    return agreement(
        groups,
        code_facts(db, versions),
        report_links(db, keys),
        dependency_pairs(db),
        sources_per_version(db, duplicated),
        known_packages(db, packages),
    )
