"""The duplicated relation: records of different sources naming the same package-version.

Pure: claims of one package in, edges out. A strong edge needs a version both name; when
either side says "all versions", "unknown" or gives only a range, the two agree on the package
alone and the edge is the weaker kind, with a lower confidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from itertools import combinations

from malgraph.core.kinds import EdgeKind, NodeType
from malgraph.core.model import ClaimView, Edge, Scope

STEP = "relations.duplicated"


def duplicated_edges_by_package(
    claims: Iterable[ClaimView], new: Collection[int] | None = None
) -> list[Edge]:
    """The edges among claims of any packages, package by package (in package order)."""
    by_package: dict[tuple[int, str], list[ClaimView]] = defaultdict(list)
    for claim in claims:
        by_package[(claim.package_id, claim.package_purl)].append(claim)
    edges: list[Edge] = []
    for (_, package_purl), package_claims in sorted(by_package.items()):
        edges += duplicated_edges(package_purl, package_claims, new)
    return edges


def duplicated_edges(
    package_purl: str, claims: Sequence[ClaimView], new: Collection[int] | None = None
) -> list[Edge]:
    """Edges between every pair of claims from different sources that agree on this package;
    with `new`, only the pairs that include one of those records (the others exist). Two
    labels of one source are one source here: a reporter never confirms itself."""
    ordered = sorted(claims, key=lambda c: (c.source, c.source_record_id, c.record_id))
    edges = []
    for a, b in combinations(ordered, 2):
        if a.source == b.source:
            continue
        if new is not None and a.record_id not in new and b.record_id not in new:
            continue
        shared = a.versions & b.versions
        if shared:
            kind, confidence, agreed = EdgeKind.DUPLICATED, 1.0, {"versions": sorted(shared)}
        elif a.scope is not Scope.LISTED or b.scope is not Scope.LISTED:
            kind, confidence, agreed = (
                EdgeKind.DUPLICATED_PACKAGE,
                0.5,
                {"scopes": [a.scope, b.scope]},
            )
        else:
            continue
        evidence = {"key": package_purl, **agreed, "a": _side(a), "b": _side(b)}
        src, dst = (NodeType.RECORD, a.record_id), (NodeType.RECORD, b.record_id)
        edges.append(Edge(kind, src, dst, evidence, confidence, STEP))
    return edges


def _side(claim: ClaimView) -> dict[str, str]:
    """One end of the evidence: the source, and the label its input gave when that differs."""
    side = {"source": claim.source, "id": claim.source_record_id}
    if claim.label and claim.label != claim.source:
        side["label"] = claim.label
    return side
