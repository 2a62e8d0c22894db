"""RQ1: the sources, their overlap and what each misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table
from malgraph.report.sections.common import left_out, share

TOP_SOURCES = 20  # the heat map stays readable; report.json has every source


def section(s: dict[str, Any], store: dict[str, Any], out: Path) -> Section:
    totals = {src: per.get("*", 0) for src, per in s["records"].items()}
    top = sorted(totals, key=lambda src: (-totals[src], src))[:TOP_SOURCES]
    _records_figure(out, store["records"], top)
    drawn = _overlap_figure(out, s["overlap"]["*"], top)
    _occurrence_figure(out, s["occurrence_share"])
    _missing_figure(out, s["missing_rate"]["by_source"])
    return Section(
        "sources",
        "Sources (RQ1)",
        _text(store["package_versions"], drawn),
        [
            Figure("sources-records.svg", "Records per source, with and without duplicates"),
            Figure("sources-overlap.svg", "Pairwise source overlap (Jaccard index)"),
            Figure("sources-occurrence.svg", "Share of package-versions by number of sources"),
            Figure("sources-missing.svg", "Missing rate before and after supplementing"),
        ],
        [_headline(s), _per_source(s, store["records"], totals)],
        left_out(s.get("left_out", {}), "claims"),
    )


def _text(package_versions: int, drawn: int) -> str:
    return (
        f"{package_versions:,} package-versions in all (as `malgraph stats` counts "
        "them). Records are the claims each source makes (one per package, with duplicates); "
        "without duplicates, a record repeating another of the same source (same package and "
        "versions) counts once. A source's package-versions are the distinct package-versions "
        "it lists. A claim that names no version (all versions, a range, unknown) is evidence "
        "about the package only: it is counted under 'versions unknown' and never stretched to "
        "the versions other sources name. Overlap is the Jaccard index of two sources' "
        f"package-versions, 0 where they share none (the {drawn} largest sources are "
        "drawn). The missing rate is the share of a source's records whose code it does not "
        "hold itself, and after supplementing from any source holding code of the same "
        "package-version (a record naming no version cannot be supplemented)."
    )


def _records_figure(out: Path, records: dict[str, Any], top: list[str]) -> None:
    figures.grouped_bars(
        out / "sources-records.svg",
        {
            src: {
                "with duplicates": records.get(src, {}).get("with_duplicates", 0),
                "without duplicates": records.get(src, {}).get("without_duplicates", 0),
            }
            for src in top
        },
        "Records per source, with and without duplicates",
        xlabel="records",
        horizontal=True,
    )


def _overlap_figure(out: Path, matrix: dict[str, Any], top: list[str]) -> int:
    """The heat map of the largest sources' overlap; how many sources it draws."""
    index = [matrix["sources"].index(src) for src in top if src in matrix["sources"]]
    figures.heatmap(
        out / "sources-overlap.svg",
        [matrix["sources"][i] for i in index],
        [[_jaccard(matrix, i, j) for j in index] for i in index],
        "Jaccard index of package-versions: shared / held by either (0 where none is shared)",
        colorbar_label="Jaccard index",
        vmin=0.0,
        vmax=1.0,
    )
    return len(index)


def _occurrence_figure(out: Path, occurrence_share: dict[Any, float]) -> None:
    one = occurrence_share.get(1, occurrence_share.get("1"))
    by_count = sorted(occurrence_share.items(), key=lambda kv: int(kv[0]))
    figures.bars(
        out / "sources-occurrence.svg",
        {str(k): 100 * v for k, v in by_count},
        "Package-versions by how many sources hold them",
        xlabel="sources holding it",
        ylabel="% of package-versions",
        note=f"held by one source: {share(one)}",
    )


def _missing_figure(out: Path, rates: dict[str, Any]) -> None:
    missing = {
        src: {
            "own code only": 100 * m["missing"],
            "after supplementing": 100 * m["missing_after_filling"],
        }
        for src, m in rates.items()
    }
    figures.grouped_bars(
        out / "sources-missing.svg",
        missing,
        "Missing rate per source",
        xlabel="% of records without code",
        horizontal=True,
    )


def _per_source(s: dict[str, Any], records: dict[str, Any], totals: dict[str, int]) -> Table:
    rates = s["missing_rate"]["by_source"]
    return Table(
        [
            "source",
            "records",
            "without duplicates",
            "package-versions",
            "versions unknown",
            "missing",
            "after supplementing",
        ],
        [
            [
                src,
                totals[src],
                records.get(src, {}).get("without_duplicates"),
                s["package_versions"].get(src, {}).get("*", 0),
                s["versions_unknown"].get(src, {}).get("*", 0),
                share(rates.get(src, {}).get("missing")),
                share(rates.get(src, {}).get("missing_after_filling")),
            ]
            for src in sorted(totals, key=lambda x: (-totals[x], x))
        ],
    )


def _headline(s: dict[str, Any]) -> Table:
    overall = s["missing_rate"]["overall"]
    return Table(
        ["figure", "value", "definition"],
        [
            [
                "missing rate",
                share(overall["missing"]),
                "share of all records whose code their source does not hold",
            ],
            [
                "missing rate after filling",
                share(overall["missing_after_filling"]),
                "share of all records without code of the same package-version from any source",
            ],
            [
                "single-source share",
                share(s["single_source_share"]),
                "share of package-versions named by exactly one source",
            ],
        ],
    )


def _jaccard(matrix: dict[str, Any], i: int, j: int) -> float:
    """The drawn overlap: exactly 0 where two sources share no package-version, whatever a
    coarser unit (a claim on all versions) made of their Jaccard index."""
    return 0.0 if not matrix["shared"][i][j] else float(matrix["jaccard"][i][j])
