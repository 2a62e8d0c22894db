"""Source overlap (the paper's RQ1): who reports what, and how much the sources agree.

The unit of agreement is a package-version. A claim on "all versions" (or an unknown or
ranged set) covers every version of that package that any source names; where no source
names one, the package itself counts as the single unit "name@*". With `level="package"`
the unit is the package.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from malgraph.model import ClaimView, Scope

ALL_ECOSYSTEMS = "*"


Unit = tuple[int, str]  # (package id, version or "*")


def claim_units(claims: list[ClaimView], level: str) -> list[tuple[ClaimView, set[Unit]]]:
    """Each claim with the units it covers (see `source_overlap`); insights.sources counts
    package-versions per source with the same units."""
    if level == "package":
        return [(c, {(c.package_id, "*")}) for c in claims]
    named: dict[int, set[str]] = defaultdict(set)
    for c in claims:
        named[c.package_id] |= c.versions
    out = []
    for c in claims:
        versions = set(c.versions)
        if c.scope is not Scope.LISTED:
            versions |= named[c.package_id] or {"*"}
        out.append((c, {(c.package_id, v) for v in versions}))
    return out


def source_overlap(claims: Iterable[ClaimView], level: str = "version") -> dict[str, Any]:
    """by_source, pairwise overlap per ecosystem and overall, and occurrence counts."""
    claims = list(claims)
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    held: dict[tuple[str, str], set[Unit]] = defaultdict(set)  # (source, ecosystem) -> units
    holders: dict[Unit, set[str]] = defaultdict(set)
    for claim, units in claim_units(claims, level):
        by_source[claim.source][claim.ecosystem] += 1
        for eco in (claim.ecosystem, ALL_ECOSYSTEMS):
            held[(claim.source, eco)] |= units
        for unit in units:
            holders[unit].add(claim.source)

    overlap = []
    ecosystems = sorted({eco for _, eco in held})
    for a, b in combinations(sorted(by_source), 2):
        for eco in ecosystems:
            units_a, units_b = held.get((a, eco)), held.get((b, eco))
            if not units_a or not units_b:
                continue
            shared = len(units_a & units_b)
            overlap.append(
                {
                    "a": a,
                    "b": b,
                    "ecosystem": eco,
                    "shared": shared,
                    "jaccard": round(shared / len(units_a | units_b), 4),
                    "overlap_coefficient": round(shared / min(len(units_a), len(units_b)), 4),
                }
            )
    occurrence = Counter(len(sources) for sources in holders.values())
    return {
        "level": level,
        "units": len(holders),
        "by_source": {s: dict(sorted(c.items())) for s, c in sorted(by_source.items())},
        "overlap": overlap,
        "occurrence": {str(k): v for k, v in sorted(occurrence.items())},
    }
