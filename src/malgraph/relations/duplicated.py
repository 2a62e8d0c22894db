"""The duplicated relation: records of different sources naming the same package-version.

Pure: claims of one package in, edges out. A strong edge needs a version both name; when
either side says "all versions", "unknown" or gives only a range, the two agree on the package
alone and the edge is the weaker kind, with a lower confidence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations

from malgraph.core.model import ClaimView, Edge, Scope

DUPLICATED = "duplicated"
DUPLICATED_PACKAGE = "duplicated_package"
STEP = "relations.duplicated"


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
            kind, confidence, agreed = DUPLICATED, 1.0, {"versions": sorted(shared)}
        elif a.scope is not Scope.LISTED or b.scope is not Scope.LISTED:
            kind, confidence, agreed = DUPLICATED_PACKAGE, 0.5, {"scopes": [a.scope, b.scope]}
        else:
            continue
        evidence = {"key": package_purl, **agreed, "a": _side(a), "b": _side(b)}
        edges.append(
            Edge(kind, ("record", a.record_id), ("record", b.record_id), evidence, confidence, STEP)
        )
    return edges


def _side(claim: ClaimView) -> dict[str, str]:
    """One end of the evidence: the source, and the label its input gave when that differs."""
    side = {"source": claim.source, "id": claim.source_record_id}
    if claim.label and claim.label != claim.source:
        side["label"] = claim.label
    return side
