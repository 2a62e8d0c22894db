"""The overview page's numbers: the store's totals and the report's RQ1 figures (claims per
source, how many sources hold each package-version, the pairs of sources that overlap most),
computed once when the server starts: the store does not change under a read-only server."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from malgraph.insights.overlap import ALL_ECOSYSTEMS, source_overlap
from malgraph.store.read.sources import claims, store_counts
from malgraph.store.read.web import source_counts

TOP_PAIRS = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: float  # of the largest bar, for drawing


@dataclass(frozen=True)
class Overview:
    totals: dict[str, Any]
    sources: list[Bar]  # packages claimed per source
    occurrence: list[Bar]  # package-versions held by n sources
    single_source_share: float | None
    top_pairs: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "totals": self.totals,
            "packages_by_source": {bar.label: bar.value for bar in self.sources},
            "occurrence": {bar.label: bar.value for bar in self.occurrence},
            "single_source_share": self.single_source_share,
            "top_overlaps": self.top_pairs,
        }


def _bars(values: list[tuple[str, int]]) -> list[Bar]:
    largest = max((value for _, value in values), default=0) or 1
    return [Bar(label, value, value / largest) for label, value in values]


def overview(db: sqlite3.Connection) -> Overview:
    counts = store_counts(db)
    rq1 = source_overlap(claims(db))
    pairs = [pair for pair in rq1["overlap"] if pair["ecosystem"] == ALL_ECOSYSTEMS]
    pairs.sort(key=lambda pair: (-pair["shared"], pair["a"], pair["b"]))
    return Overview(
        totals={
            "claims": counts.records,
            "withdrawn_claims": counts.withdrawn_records,
            "packages": counts.packages,
            "package_versions": counts.package_versions,
            "reports": counts.reports,
            "edges": dict(counts.edges),
        },
        sources=_bars([(c.source, c.packages) for c in source_counts(db)]),
        occurrence=_bars([(f"{n} sources", v) for n, v in rq1["occurrence"].items()]),
        single_source_share=rq1["single_source_share"],
        top_pairs=pairs[:TOP_PAIRS],
    )
