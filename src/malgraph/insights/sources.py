"""The sources section of the report (the paper's RQ1): what each source reports with and
without duplicates, how much sources overlap (as matrices for a heat map), how many sources
hold each package-version, and the missing rate (per source and overall) before and after
supplementing; and the store's provenance counts `stats` prints beside them (labels, report
links and sites, code). Pure: the claims and counts come typed from the read model
(store.read.sources). A source is a reporter, whatever label each input gives it (see
malgraph.core.source_names)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from malgraph.core.kinds import CountLevel
from malgraph.core.model import ClaimView
from malgraph.core.provenance import (
    CodeCounts,
    Coverage,
    LabelCount,
    ReportLinkCount,
)
from malgraph.insights.measures import share
from malgraph.insights.overlap import ALL_ECOSYSTEMS, Unit, claim_units, source_overlap


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


def _units(claims: Sequence[ClaimView]) -> dict[tuple[str, str], set[Unit]]:
    """(source, ecosystem or '*') -> the package-versions its claims name."""
    units: dict[tuple[str, str], set[Unit]] = defaultdict(set)
    for claim, held in claim_units(list(claims), CountLevel.VERSION):
        if not held:
            continue
        for eco in (claim.ecosystem, ALL_ECOSYSTEMS):
            units[(claim.source, eco)] |= held
    return units


def _with_total(per_eco: dict[str, int]) -> dict[str, int]:
    return dict(sorted({**per_eco, ALL_ECOSYSTEMS: sum(per_eco.values())}.items()))


def sources_section(
    claims: Sequence[ClaimView],
    labels: Iterable[LabelCount],
    coverage: Iterable[Coverage],
    withdrawn_claims: int,
) -> dict[str, Any]:
    """From the active (not withdrawn) claims, their counts per label and their coverage by
    code; the unit of agreement is insights.overlap's: a package-version a claim names. Claims
    naming no version (all, a range, unknown) hold none and are counted per source as
    versions_unknown."""
    overlap = source_overlap(claims)
    units = _units(claims)
    distinct: dict[str, dict[str, int]] = defaultdict(dict)
    for (source, eco), held in sorted(units.items()):
        distinct[source][eco] = len(held)
    occurrence = overlap["occurrence"]
    return {
        # claims per source and ecosystem, duplicates included
        "records": {source: _with_total(per) for source, per in overlap["by_source"].items()},
        "labels": labels_by_source(labels),  # per source, its claims by the label given
        "package_versions": dict(distinct),  # distinct units per source and ecosystem
        "versions_unknown": {  # claims naming no version, per source and ecosystem
            source: _with_total(per) for source, per in overlap["versions_unknown"].items()
        },
        "units": overlap["units"],
        "overlap": _matrices(overlap, units),
        "occurrence": occurrence,  # number of sources -> package-versions held by that many
        "occurrence_share": {k: share(n, overlap["units"]) for k, n in occurrence.items()},
        "single_source_share": overlap["single_source_share"],
        "missing_rate": missing_rate(coverage),
        "left_out": {"withdrawn_claims": withdrawn_claims},
    }


def labels_by_source(counts: Iterable[LabelCount]) -> dict[str, dict[str, int]]:
    """Canonical source -> label as its inputs gave it -> claims: the split behind each
    source's count, as provenance."""
    out: dict[str, dict[str, int]] = {}
    for source, label, n in counts:
        out.setdefault(source, {})[label] = n
    return out


def missing_rate(coverage: Iterable[Coverage]) -> dict[str, Any]:
    """The paper's missing rates: per source and overall, the share of records whose code
    their source does not hold, and the share still without code after filling from any
    source holding code of the same package-version (see store.read.sources.coverage)."""
    counts = list(coverage)
    records = sum(c.records for c in counts)
    own = sum(c.own for c in counts)
    filled = sum(c.filled for c in counts)
    return {
        "overall": _missing(records, own, filled),
        "by_source": {c.source: _missing(c.records, c.own, c.filled) for c in counts},
    }


def _missing(records: int, own: int, filled: int) -> dict[str, Any]:
    return {
        "records": records,
        "missing": round(1 - own / records, 4) if records else None,
        "missing_after_filling": round(1 - filled / records, 4) if records else None,
    }


def report_link_numbers(counts: Iterable[ReportLinkCount]) -> dict[str, dict[str, int]]:
    """Per ecosystem: report-to-package links, and those reaching a claimed package."""
    return {
        c.ecosystem: {"links": c.links, "to_claimed_packages": c.to_claimed_packages}
        for c in counts
    }


def code_numbers(counts: CodeCounts) -> dict[str, Any]:
    """How much code the store has: artifacts, archives analysed by outcome, and per claiming
    source how many of its package-versions have code (the paper's tracked / untracked)."""
    return {
        "artifacts": counts.artifacts,
        "available_package_versions": counts.available_package_versions,
        "analyses": dict(counts.analyses),
        "availability": {source: per._asdict() for source, per in counts.availability.items()},
    }
