"""The sources section of the report (the paper's RQ1): what each source reports with and
without duplicates, how much sources overlap (as matrices for a heat map), how many sources
hold each package-version, and the missing rate (per source and overall) before and after
supplementing.
A source is a reporter, whatever label each input gives it (see malgraph.core.source_names)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from malgraph.insights.measures import share
from malgraph.insights.overlap import ALL_ECOSYSTEMS, Unit, claim_units, source_overlap
from malgraph.store.queries import claims, label_counts, missing_rate


def _matrices(overlap: dict[str, Any], units: dict[tuple[str, str], set[Unit]]) -> dict[str, Any]:
    """Per ecosystem ('*': all), the sources holding any of it and two square matrices in
    their order: shared package-versions (the diagonal: the source's own count) and Jaccard."""
    pairs = {(p["a"], p["b"], p["ecosystem"]): p for p in overlap["overlap"]}
    out: dict[str, Any] = {}
    for eco in sorted({e for _, e in units}):
        names = sorted(s for s, e in units if e == eco)
        shared, jaccard = [], []
        for a in names:
            row_shared, row_jaccard = [], []
            for b in names:
                if a == b:
                    row_shared.append(len(units[(a, eco)]))
                    row_jaccard.append(1.0)
                    continue
                pair = pairs[(min(a, b), max(a, b), eco)]
                row_shared.append(pair["shared"])
                row_jaccard.append(pair["jaccard"])
            shared.append(row_shared)
            jaccard.append(row_jaccard)
        out[eco] = {"sources": names, "shared": shared, "jaccard": jaccard}
    return out


def sources_section(db: sqlite3.Connection) -> dict[str, Any]:
    """Active (not withdrawn) claims only; the unit of agreement is insights.overlap's: a
    package-version a claim names. Claims naming no version (all, a range, unknown) hold none
    and are counted per source as versions_unknown."""
    active = claims(db)
    overlap = source_overlap(active)
    units: dict[tuple[str, str], set[Unit]] = defaultdict(set)
    for claim, held in claim_units(active, "version"):
        if not held:
            continue
        for eco in (claim.ecosystem, ALL_ECOSYSTEMS):
            units[(claim.source, eco)] |= held
    records: dict[str, dict[str, int]] = {}
    for source, per_eco in overlap["by_source"].items():
        records[source] = dict(sorted({**per_eco, ALL_ECOSYSTEMS: sum(per_eco.values())}.items()))
    distinct: dict[str, dict[str, int]] = defaultdict(dict)
    for (source, eco), held in sorted(units.items()):
        distinct[source][eco] = len(held)
    occurrence = overlap["occurrence"]
    withdrawn = int(
        db.execute(
            "SELECT count(*) FROM records WHERE role = 'claim' AND withdrawn IS NOT NULL"
        ).fetchone()[0]
    )
    return {
        "records": records,  # claims per source and ecosystem, duplicates included
        "labels": label_counts(db),  # per source, its claims by the label each input gave
        "package_versions": dict(distinct),  # distinct units per source and ecosystem
        "versions_unknown": {  # claims naming no version, per source and ecosystem
            source: dict(sorted({**per, ALL_ECOSYSTEMS: sum(per.values())}.items()))
            for source, per in overlap["versions_unknown"].items()
        },
        "units": overlap["units"],
        "overlap": _matrices(overlap, units),
        "occurrence": occurrence,  # number of sources -> package-versions held by that many
        "occurrence_share": {k: share(n, overlap["units"]) for k, n in occurrence.items()},
        "single_source_share": overlap["single_source_share"],
        "missing_rate": missing_rate(db),
        "left_out": {"withdrawn_claims": withdrawn},
    }
