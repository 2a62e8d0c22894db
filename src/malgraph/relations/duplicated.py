"""The duplicated relation: records of different sources naming the same package-version.

Pure: claims of one package in, edges out. A strong edge needs a version both name; when
either side says "all versions", "unknown" or gives only a range, the two agree on the package
alone and the edge is the weaker kind, with a lower confidence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import combinations

from malgraph.model import Edge, Scope

DUPLICATED = "duplicated"
DUPLICATED_PACKAGE = "duplicated_package"
STEP = "relations.duplicated"


@dataclass(frozen=True, slots=True)
class ClaimView:
    record_id: int
    source: str
    source_record_id: str
    scope: Scope
    versions: frozenset[str]  # canonical


def duplicated_edges(
    package_purl: str, claims: Sequence[ClaimView], new: Collection[int] | None = None
) -> list[Edge]:
    """Edges between every pair of claims from different sources that agree on this package;
    with `new`, only the pairs that include one of those records (the others exist)."""
    ordered = sorted(claims, key=lambda c: (c.source, c.source_record_id, c.record_id))
    edges = []
    for a, b in combinations(ordered, 2):
        if a.source == b.source:
            continue
        if new is not None and a.record_id not in new and b.record_id not in new:
            continue
        ends = {
            "a": {"source": a.source, "id": a.source_record_id},
            "b": {"source": b.source, "id": b.source_record_id},
        }
        shared = a.versions & b.versions
        if shared:
            evidence = {"key": package_purl, "versions": sorted(shared), **ends}
            edges.append(
                Edge(
                    DUPLICATED,
                    ("record", a.record_id),
                    ("record", b.record_id),
                    evidence,
                    1.0,
                    STEP,
                )
            )
        elif a.scope is not Scope.LISTED or b.scope is not Scope.LISTED:
            evidence = {"key": package_purl, "scopes": [a.scope.value, b.scope.value], **ends}
            edges.append(
                Edge(
                    DUPLICATED_PACKAGE,
                    ("record", a.record_id),
                    ("record", b.record_id),
                    evidence,
                    0.5,
                    STEP,
                )
            )
    return edges
