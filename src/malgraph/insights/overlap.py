"""Source overlap (the paper's RQ1): who reports what, and how much the sources agree.

The unit of agreement is a package-version, and only a claim that names its versions
(scope "listed") holds one: a claim on all versions, a range or an unknown set is evidence
about the package, not about each version another source names, so at version level it holds
no unit and is counted per source as "versions unknown". With `level=CountLevel.PACKAGE` the unit is
the package and every claim holds it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from malgraph.core.kinds import CountLevel
from malgraph.core.model import ClaimView, Scope

ALL_ECOSYSTEMS = "*"


Unit = tuple[int, str]  # (package id, version or "*")


def names_versions(claim: ClaimView) -> bool:
    """Whether a claim is evidence of specific package-versions: listed, with versions."""
    return claim.scope is Scope.LISTED and bool(claim.versions)


def claim_units(claims: list[ClaimView], level: CountLevel) -> list[tuple[ClaimView, set[Unit]]]:
    """Each claim with the units it holds (see the module's rule; a claim that names no
    version holds none at version level); insights.sources counts package-versions per source
    with the same units."""
    if level == CountLevel.PACKAGE:
        return [(c, {(c.package_id, "*")}) for c in claims]
    return [
        (c, {(c.package_id, v) for v in c.versions} if names_versions(c) else set()) for c in claims
    ]


def source_overlap(
    claims: Iterable[ClaimView], level: CountLevel = CountLevel.VERSION
) -> dict[str, Any]:
    """by_source, versions_unknown (claims holding no unit, per source and ecosystem),
    pairwise overlap per ecosystem and overall, occurrence counts (number of sources -> units
    held by that many) and the share of units held by a single source."""
    claims = list(claims)
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    unknown: dict[str, Counter[str]] = defaultdict(Counter)
    held: dict[tuple[str, str], set[Unit]] = defaultdict(set)  # (source, ecosystem) -> units
    holders: dict[Unit, set[str]] = defaultdict(set)
    for claim, units in claim_units(claims, level):
        by_source[claim.source][claim.ecosystem] += 1
        if not units:
            unknown[claim.source][claim.ecosystem] += 1
            continue
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
        "versions_unknown": {s: dict(sorted(c.items())) for s, c in sorted(unknown.items())},
        "overlap": overlap,
        "occurrence": {str(k): v for k, v in sorted(occurrence.items())},
        "single_source_share": round(occurrence[1] / len(holders), 4) if holders else None,
    }
