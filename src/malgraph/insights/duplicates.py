"""Records with and without duplicates per source, the paper's first RQ1 bars: a duplicate is
a record of the same source that repeats another one (same package, same scope, same versions),
so the count without duplicates can never exceed the count with them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from malgraph.core.model import ClaimView


def records_with_and_without_duplicates(
    claims: Iterable[ClaimView],
) -> dict[str, dict[str, int]]:
    """Per source: `with_duplicates` (its records) and `without_duplicates` (distinct ones)."""
    records: dict[str, int] = defaultdict(int)
    distinct: dict[str, set[tuple[int, str, frozenset[str]]]] = defaultdict(set)
    for claim in claims:
        records[claim.source] += 1
        distinct[claim.source].add((claim.package_id, str(claim.scope), claim.versions))
    return {
        source: {"with_duplicates": n, "without_duplicates": len(distinct[source])}
        for source, n in sorted(records.items())
    }
