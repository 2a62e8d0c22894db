"""`malgraph report`: the paper's questions answered from the graph. Gathers the numbers of
every analysis, draws the figures and lays out the sections; each figure says what it counts
and what was left out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from malgraph.core.kinds import Rules
from malgraph.report import sections
from malgraph.report.html import write_report
from malgraph.report.numbers import report_numbers


def build_report(
    db: sqlite3.Connection,
    outdir: Path,
    rules: Rules = Rules.MALGRAPH,
    explorer: str | None = None,
) -> Path:
    """Write index.html, report.json and the figures into `outdir`; returns index.html. With
    `explorer` (where `malgraph serve` runs on this store), the page links into it."""
    numbers = report_numbers(db, rules)
    outdir.mkdir(parents=True, exist_ok=True)
    paper = [sections.paper_rules.section(numbers["paper_rules"])] if rules == Rules.PAPER else []
    parts = [
        sections.sources.section(numbers["sources"], numbers["store"], outdir),
        *paper,
        sections.diversity.section(numbers["diversity"], outdir),
        sections.evolution.section(numbers["evolution"], outdir),
        sections.evolution.active_time_section(numbers["evolution"], outdir),
        sections.dependency.section(numbers["dependency"], outdir, explorer),
        sections.campaigns.section(numbers["campaigns"], outdir),
        sections.lifecycle.section(numbers["lifecycle"], outdir),
        sections.paper_agreement.section(numbers["paper_agreement"]),
    ]
    subtitle = (
        f"{numbers['store']['package_versions']:,} package-versions (as `malgraph "
        f"stats` counts them) from {len(numbers['sources']['records'])} sources"
    )
    return write_report(outdir, "malgraph report", subtitle, parts, numbers, explorer)
