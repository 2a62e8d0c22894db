"""RQ1 counted by the MalGraph paper's own rules, to reproduce its figures from its artifact:
a record is one sheet row of its malware workbook, two records match when they sit on the
same ecosystem sheet with the same `name_version` text, and sources are named as the sheet
named them. Pure: the rows come typed from the read model (store.read.sources.paper_rows)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from malgraph.core.kinds import Rules
from malgraph.core.provenance import Clusters, PaperRow

# the sheets the paper's occurrence table, overlap matrix and filling cover; its "Other" sheet
# counts only in the per-source numbers (its summary sheet fills no record of it)
MAIN_SHEETS = ("NPM", "PyPI", "RubyGems")
DEFINITIONS = {
    "records": "rows of the paper's malware.xlsx sheets",
    "match": "same ecosystem sheet and the exact name_version text",
    "package_versions": "distinct name_version texts of the npm, PyPI and RubyGems sheets",
    "occurrence": "records of the npm, PyPI and RubyGems sheets by how many sources hold "
    "their name_version",
    "missing": "untracked records (no code) / records",
    "missing_after_filling": "untracked records that no other source holds tracked on the "
    "same npm, PyPI or RubyGems sheet / records",
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def paper_rules(rows: Iterable[PaperRow]) -> dict[str, Any]:
    """Per-source counts, source pairs, occurrence and missing rates by the paper's rules."""
    rows = list(rows)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    tracked_by: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        key = (row.sheet, row.name_version)
        holders[key].add(row.source)
        if row.tracked:
            tracked_by[key].add(row.source)
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts = per[row.source]
        counts["records"] += 1
        counts[f"records_{row.sheet}"] += 1
        if not row.tracked:
            counts["untracked"] += 1
            # filled: another source holds the same row tracked, so its code is there
            others = tracked_by[(row.sheet, row.name_version)] - {row.source}
            counts["filled"] += bool(others) and row.sheet in MAIN_SHEETS
    pairs: Counter[tuple[str, str]] = Counter()
    for (sheet, _), sources in holders.items():
        if sheet in MAIN_SHEETS:
            pairs.update(combinations(sorted(sources), 2))
    occurrence = Counter(
        len(holders[(r.sheet, r.name_version)]) for r in rows if r.sheet in MAIN_SHEETS
    )
    return {
        "rules": Rules.PAPER,
        "definitions": DEFINITIONS,
        "records": len(rows),
        "by_sheet": dict(sorted(Counter(r.sheet for r in rows).items())),
        "package_versions": sum(sheet in MAIN_SHEETS for sheet, _ in holders),
        "by_source": {s: _source(c) for s, c in sorted(per.items())},
        "pairs": [{"a": a, "b": b, "shared": n} for (a, b), n in sorted(pairs.items())],
        "occurrence": {str(n): occurrence[n] for n in sorted(occurrence)},
        "missing_rate": {"overall": _source(sum(per.values(), Counter()))},
    }


def _source(counts: Counter[str]) -> dict[str, Any]:
    records, untracked, filled = counts["records"], counts["untracked"], counts["filled"]
    sheets = {
        k.removeprefix("records_"): n for k, n in sorted(counts.items()) if k.startswith("records_")
    }
    return {
        "records": records,
        "by_sheet": sheets,
        "tracked": records - untracked,
        "untracked": untracked,
        "filled": filled,
        "missing": _rate(untracked, records),
        "missing_after_filling": _rate(untracked - filled, records),
    }


# The paper's published figures (its text, and its Sum sheet for the per-source numbers).
PAPER_RECORDS = {
    "Backstabber-Knife": 5937,
    "Maloss": 1223,
    "Mal-PyPI Dataset": 2915,
    "GitHub Advisory": 179,
    "Snyk.io": 1540,
    "Tianwen": 3151,
    "DataDog": 1387,
    "Phylum": 7298,
    "Socket": 664,
    "Blogs": 62,
}
PAPER_UNTRACKED = {
    "GitHub Advisory": 166,
    "Snyk.io": 1160,
    "Tianwen": 1769,
    "Phylum": 6606,
    "Socket": 664,
    "Blogs": 59,
}
PAPER_FILLED = {
    "GitHub Advisory": 6,
    "Snyk.io": 1,
    "Tianwen": 77,
    "Phylum": 732,
    "Socket": 4,
    "Blogs": 40,
}
PAPER_SHEETS = {"NPM": 7558, "PyPI": 15496, "RubyGems": 1273, "Other": 29}
PAPER_FIGURES = {
    "records": 24356,
    "package-versions without duplicates": 19485,
    "missing rate": 0.4280,
    "missing rate after filling": 0.3927,
}
PAPER_CLUSTERS = {"similar clusters": 489, "packages in similar clusters": 7442}
PAPER_OCCURRENCE = {"1": 15882, "2": 4964, "3": 3405, "4": 56}
# Why a figure may differ, as found on the paper's artifact (Rebecia/OSS-MPAW).
TWENTY_ROWS = (
    "the paper's Sum sheet counts 20 Backstabber-Knife npm rows (2,133) that its "
    "NPM data sheet lacks (2,113)"
)
WHY = {
    "records": TWENTY_ROWS,
    "records, NPM sheet": TWENTY_ROWS,
    "records of Backstabber-Knife": TWENTY_ROWS,
    "missing rate": TWENTY_ROWS + ": the same untracked rows over 20 more records",
    "missing rate after filling": TWENTY_ROWS + ": the same untracked rows over 20 more records",
    "package-versions without duplicates": "the paper's malware_deduplicated.xlsx folds the case "
    "of 28 PyPI names the exact text keeps apart; malgraph's own rules normalise every name by "
    "its ecosystem's rules and count a name without a version apart",
}
NORMALISED = (
    "malgraph normalises names and versions by their ecosystem's rules, so several "
    "spellings of one package-version count once"
)
OWN_UNIT = (
    "malgraph counts package-versions by the number of sources holding them, not sheet "
    "rows, and matches normalised names"
)


Figure = tuple[str, Any, Any, Any]  # quantity, the paper's, by its rules, by malgraph's


def reproduction(
    counted: dict[str, Any], own: dict[str, Any], clusters: Clusters | None = None
) -> list[dict[str, Any]]:
    """Each of the paper's RQ1 figures beside malgraph's with the paper's rules (`counted`)
    and with its own (`own`, as `stats` gives them), and why they differ where they do; the
    paper's similar clusters too when its graph is in the store."""
    figures = [
        *_record_figures(counted, own),
        *_occurrence_figures(counted, own),
        *_missing_figures(counted, own),
    ]
    found = [_row(q, paper, rules, mine) for q, paper, rules, mine in figures]
    if clusters and clusters.clusters:
        found += _cluster_rows(clusters)
    return found


def _record_figures(counted: dict[str, Any], own: dict[str, Any]) -> list[Figure]:
    """Records in all, per sheet and per source (malgraph's own by the label the sheet gave
    the source), and package-versions without duplicates."""
    by_label = {label: n for per in own.get("by_label", {}).values() for label, n in per.items()}
    return [
        ("records", PAPER_FIGURES["records"], counted["records"], own.get("records")),
        *[
            (f"records, {sheet} sheet", n, counted["by_sheet"].get(sheet, 0), None)
            for sheet, n in PAPER_SHEETS.items()
        ],
        *[
            (
                f"records of {source}",
                n,
                counted["by_source"].get(source, {}).get("records", 0),
                by_label.get(source),
            )
            for source, n in PAPER_RECORDS.items()
        ],
        (
            "package-versions without duplicates",
            PAPER_FIGURES["package-versions without duplicates"],
            counted["package_versions"],
            own.get("package_versions"),
        ),
    ]


def _occurrence_figures(counted: dict[str, Any], own: dict[str, Any]) -> list[Figure]:
    own_occurrence = own.get("occurrence", {})
    return [
        (
            f"records held by {n} source(s)",
            paper,
            counted["occurrence"].get(n, 0),
            own_occurrence.get(n),
        )
        for n, paper in PAPER_OCCURRENCE.items()
    ]


def _missing_figures(counted: dict[str, Any], own: dict[str, Any]) -> list[Figure]:
    """The missing rates overall, then per source the paper gives them for (malgraph's own
    under the canonical source the sheet's label names)."""
    overall = counted["missing_rate"]["overall"]
    own_overall = own.get("missing_rate", {}).get("overall") or {}
    figures: list[Figure] = [
        (
            "missing rate",
            PAPER_FIGURES["missing rate"],
            overall["missing"],
            own_overall.get("missing"),
        ),
        (
            "missing rate after filling",
            PAPER_FIGURES["missing rate after filling"],
            overall["missing_after_filling"],
            own_overall.get("missing_after_filling"),
        ),
    ]
    canonical = {label: source for source, per in own.get("by_label", {}).items() for label in per}
    own_rates = own.get("missing_rate", {}).get("by_source", {})
    for source, records in PAPER_RECORDS.items():
        mine = counted["by_source"].get(source)
        if not mine:
            continue
        theirs = own_rates.get(canonical.get(source, ""), {})
        untracked, filled = PAPER_UNTRACKED.get(source, 0), PAPER_FILLED.get(source, 0)
        figures += [
            (
                f"missing rate of {source}",
                _rate(untracked, records),
                mine["missing"],
                theirs.get("missing"),
            ),
            (
                f"missing rate of {source} after filling",
                _rate(untracked - filled, records),
                mine["missing_after_filling"],
                theirs.get("missing_after_filling"),
            ),
        ]
    return figures


def _cluster_rows(clusters: Clusters) -> list[dict[str, Any]]:
    return [
        _row(
            "similar clusters",
            PAPER_CLUSTERS["similar clusters"],
            clusters.clusters,
            clusters.clusters,
        ),
        _row(
            "packages in similar clusters",
            PAPER_CLUSTERS["packages in similar clusters"],
            clusters.members_as_given,
            clusters.members,
            NORMALISED,
        ),
    ]


def _row(quantity: str, paper: Any, rules: Any, own: Any, own_why: str = "") -> dict[str, Any]:
    why = []
    if paper is not None and paper != rules:
        why.append(WHY.get(quantity, "the paper's sheets and its text disagree"))
    if own is not None and own != rules:
        held = quantity.startswith("records held by")
        why.append(
            own_why
            or (
                OWN_UNIT if held else "malgraph's own rules: normalised identities (see the README)"
            )
        )
    return {
        "quantity": quantity,
        "paper": paper,
        "paper_rules": rules,
        "own_rules": own,
        "why": "; ".join(why),
    }
