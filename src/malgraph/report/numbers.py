"""Every number malgraph shows, composed from the read model and the insights: the store summary
`malgraph stats` prints and the numbers of the report (`report --json`). The one place of the
report that holds a connection: everything it calls is either a reader (store.read) or a pure
insight."""

from __future__ import annotations

import sqlite3
from typing import Any

from malgraph.core.graph import Groupings, Packages
from malgraph.core.kinds import CountLevel, Rules
from malgraph.insights.campaigns import campaigns
from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.duplicates import records_with_and_without_duplicates
from malgraph.insights.evolution import evolution
from malgraph.insights.families import family_stats
from malgraph.insights.lifecycle import lifecycle
from malgraph.insights.overlap import source_overlap
from malgraph.insights.paper_agreement import LABELLER, agreement
from malgraph.insights.paper_labels import questions
from malgraph.insights.paper_rules import paper_rules, reproduction
from malgraph.insights.sources import (
    code_numbers,
    labels_by_source,
    missing_rate,
    report_link_numbers,
    sources_section,
)
from malgraph.store.read import graph
from malgraph.store.read import sources as read


def stats(
    db: sqlite3.Connection,
    *,
    level: CountLevel = CountLevel.VERSION,
    include_withdrawn: bool = False,
) -> dict[str, Any]:
    """The store summary and the paper's RQ1 numbers, as `malgraph stats --json` prints."""
    totals = read.store_counts(db, include_withdrawn)
    out: dict[str, Any] = {
        "records": totals.records,
        "withdrawn_records": totals.withdrawn_records,
        "packages": totals.packages,
        "package_versions": totals.package_versions,
        "documents": totals.documents,
        "reports": totals.reports,
        "report_links": report_link_numbers(read.report_link_counts(db)),
        "report_sites": {c: n._asdict() for c, n in graph.report_sites(db).items()},
        "unknown_ecosystems": list(totals.unknown_ecosystems),
        "edges": dict(totals.edges),
    }
    out.update(source_overlap(read.claims(db, None, include_withdrawn), level))
    out["by_label"] = labels_by_source(read.label_counts(db, include_withdrawn))
    out["missing_rate"] = missing_rate(read.coverage(db, include_withdrawn))
    out["code"] = code_numbers(read.code_counts(db))
    out["families"] = _families(db)
    out["dependency"] = _dependency(db, graph.packages(db))
    return out


def report_numbers(db: sqlite3.Connection, rules: Rules = Rules.MALGRAPH) -> dict[str, Any]:
    """Every number of the report, deterministic for a given store (`report --json`); with the
    paper's rules, RQ1 counted as the paper counted it too."""
    paper = {"paper_rules": paper_rules_numbers(db)} if rules == Rules.PAPER else {}
    packages, groupings = graph.packages(db), graph.groupings(db)
    return {
        "store": store_numbers(db),
        "sources": sources_numbers(db),
        "diversity": _families(db),
        "evolution": evolution(packages, groupings, graph.change_facts(db)),
        "dependency": _dependency(db, packages, groupings),
        "campaigns": campaigns(
            packages, groupings, graph.ioc_sightings(db), graph.report_sites(db)
        ),
        "lifecycle": lifecycle(graph.lifecycle_dates(db)),
        "paper_agreement": paper_agreement_numbers(db),
        **paper,
    }


def _families(db: sqlite3.Connection) -> dict[str, Any]:
    return family_stats(graph.family_sizes(db), graph.family_coverage(db))


def _dependency(
    db: sqlite3.Connection, packages: Packages, groupings: Groupings | None = None
) -> dict[str, Any]:
    edges = (groupings or graph.groupings(db)).dependency_edges
    return dependency_numbers(packages, edges, graph.package_edges(db, name_only=True))


def store_numbers(db: sqlite3.Connection) -> dict[str, Any]:
    """The report's `store` numbers: the package-versions `stats` counts, and records per
    source with and without duplicates."""
    return {
        "package_versions": read.package_version_count(db),  # the number `stats` prints
        "records": records_with_and_without_duplicates(read.claims(db)),
    }


def sources_numbers(db: sqlite3.Connection) -> dict[str, Any]:
    """The report's sources section (RQ1), from the active claims and their provenance."""
    return sources_section(
        read.claims(db), read.label_counts(db), read.coverage(db), read.withdrawn_claims(db)
    )


def paper_rules_numbers(db: sqlite3.Connection) -> dict[str, Any]:
    """RQ1 by the paper's rules, and the reproduction table against malgraph's own rules."""
    counted = paper_rules(read.paper_rows(db))
    return {
        "counted": counted,
        "reproduction": reproduction(counted, stats(db), read.paper_clusters(db, LABELLER)),
    }


def paper_agreement_numbers(db: sqlite3.Connection) -> dict[str, Any]:
    """The agreement with the paper's labelling: its groups read, what malgraph holds for
    them read, then compared."""
    groups = read.label_groups(db, LABELLER)
    return agreement(groups, read.label_facts(db, questions(groups)))
