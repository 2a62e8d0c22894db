"""`malgraph report`: the paper's questions answered from the graph. Gathers the numbers of
every analysis, draws the figures and lays out the sections; each figure says what it counts
and what was left out."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from malgraph.insights.campaigns import campaigns
from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.duplicates import records_with_and_without_duplicates
from malgraph.insights.evolution import evolution
from malgraph.insights.families import family_stats
from malgraph.insights.lifecycle import lifecycle
from malgraph.insights.paper_agreement import paper_agreement
from malgraph.insights.sources import sources_section
from malgraph.report import sections
from malgraph.report.html import write_report
from malgraph.report.paper_rules import paper_rules_numbers, paper_rules_section
from malgraph.store.queries import claims, package_version_count
from malgraph.store.read import graph


def report_numbers(db: sqlite3.Connection, rules: str = "malgraph") -> dict[str, Any]:
    """Every number of the report, deterministic for a given store (`report --json`); with the
    paper's rules, RQ1 counted as the paper counted it too."""
    paper = {"paper_rules": paper_rules_numbers(db)} if rules == "paper" else {}
    packages, groupings = graph.packages(db), graph.groupings(db)
    name_only = graph.package_edges(db, name_only=True)
    return {
        "store": {
            "package_versions": package_version_count(db),  # the number `stats` prints
            "records": records_with_and_without_duplicates(claims(db)),
        },
        "sources": sources_section(db),
        "diversity": family_stats(graph.family_sizes(db), graph.family_coverage(db)),
        "evolution": evolution(packages, groupings, graph.change_facts(db)),
        "dependency": dependency_numbers(packages, groupings.dependency_edges, name_only),
        "campaigns": campaigns(
            packages, groupings, graph.ioc_sightings(db), graph.report_sites(db)
        ),
        "lifecycle": lifecycle(graph.lifecycle_dates(db)),
        "paper_agreement": paper_agreement(db),
        **paper,
    }


def build_report(db: sqlite3.Connection, outdir: Path, rules: str = "malgraph") -> Path:
    """Write index.html, report.json and the figures into `outdir`; returns index.html."""
    numbers = report_numbers(db, rules)
    outdir.mkdir(parents=True, exist_ok=True)
    paper = [paper_rules_section(numbers["paper_rules"])] if rules == "paper" else []
    parts = [
        sections.sources.section(numbers["sources"], numbers["store"], outdir),
        *paper,
        sections.diversity.section(numbers["diversity"], outdir),
        sections.evolution.section(numbers["evolution"], outdir),
        sections.evolution.active_time_section(numbers["evolution"], outdir),
        sections.dependency.section(numbers["dependency"], outdir),
        sections.campaigns.section(numbers["campaigns"], outdir),
        sections.lifecycle.section(numbers["lifecycle"], outdir),
        sections.paper_agreement.section(numbers["paper_agreement"]),
    ]
    subtitle = (
        f"{numbers['store']['package_versions']:,} package-versions (as `malgraph "
        f"stats` counts them) from {len(numbers['sources']['records'])} sources"
    )
    return write_report(outdir, "malgraph report", subtitle, parts, numbers)
