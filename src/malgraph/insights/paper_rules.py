"""RQ1 counted by the MalGraph paper's own rules, to reproduce its figures from its artifact:
a record is one sheet row of its malware workbook, two records match when they sit on the
same ecosystem sheet with the same `name_version` text, and sources are named as the sheet
named them. Pure, but for `paper_rows`, which reads the typed rows first."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any, NamedTuple

# the sheets the paper's occurrence table, overlap matrix and filling cover; its "Other" sheet
# counts only in the per-source numbers (its summary sheet fills no record of it)
MAIN_SHEETS = ("NPM", "PyPI", "RubyGems")
DEFINITIONS = {
    "records": "rows of the paper's malware.xlsx sheets",
    "match": "same ecosystem sheet and the exact name_version text",
    "occurrence": "records of the npm, PyPI and RubyGems sheets by how many sources hold "
    "their name_version",
    "missing": "untracked records (no code) / records",
    "missing_after_filling": "untracked records that no other source holds tracked on the "
    "same npm, PyPI or RubyGems sheet / records",
}


class PaperRow(NamedTuple):
    """One row of the paper's malware sheets, as the store keeps it."""

    source: str  # as the sheet labelled it
    sheet: str
    name_version: str
    tracked: bool


def paper_rows(db: sqlite3.Connection) -> list[PaperRow]:
    """The stored claims that came from rows of the paper's malware sheets."""
    found = db.execute(
        "SELECT l.label, r.source_record_id, r.given, r.available FROM records r"
        " JOIN source_labels l ON l.id = r.label_id"
        " WHERE r.role = 'claim' AND r.given IS NOT NULL AND r.source_record_id LIKE 'paper/%'"
    )
    # the record id is paper/<Source>/<sheet>/<ID>: the sheet is next to last
    return [PaperRow(label, ident.rsplit("/", 2)[-2], given, available == 1)
            for label, ident, given, available in found]  # fmt: skip


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
    occurrence = Counter(len(holders[(r.sheet, r.name_version)])
                         for r in rows if r.sheet in MAIN_SHEETS)  # fmt: skip
    return {
        "rules": "paper",
        "definitions": DEFINITIONS,
        "records": len(rows),
        "by_sheet": dict(sorted(Counter(r.sheet for r in rows).items())),
        "by_source": {s: _source(c) for s, c in sorted(per.items())},
        "pairs": [{"a": a, "b": b, "shared": n} for (a, b), n in sorted(pairs.items())],
        "occurrence": {str(n): occurrence[n] for n in sorted(occurrence)},
        "missing_rate": {"overall": _source(sum(per.values(), Counter()))},
    }


def _source(counts: Counter[str]) -> dict[str, Any]:
    records, untracked, filled = counts["records"], counts["untracked"], counts["filled"]
    sheets = {k.removeprefix("records_"): n for k, n in sorted(counts.items())
              if k.startswith("records_")}  # fmt: skip
    return {"records": records, "by_sheet": sheets, "tracked": records - untracked,
            "untracked": untracked, "filled": filled, "missing": _rate(untracked, records),
            "missing_after_filling": _rate(untracked - filled, records)}  # fmt: skip
