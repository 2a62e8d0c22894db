"""The numbers of provenance, composed from the read model and the insights: the store summary
`malgraph stats` prints, and the report's store, sources, paper-rules and paper-agreement
numbers. The only place here that holds a connection; everything it calls below is either a
reader (store.read) or a pure insight."""

from __future__ import annotations

import sqlite3
from typing import Any

from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.duplicates import records_with_and_without_duplicates
from malgraph.insights.overlap import source_overlap
from malgraph.insights.paper_agreement import LABELLER, agreement
from malgraph.insights.paper_labels import questions
from malgraph.insights.paper_rules import paper_rules, reproduction
from malgraph.insights.sources import (
    code_numbers,
    labels_by_source,
    missing_rate,
    report_link_numbers,
    report_site_numbers,
    sources_section,
)
from malgraph.store.families import family_stats
from malgraph.store.read import sources as read


def stats(
    db: sqlite3.Connection, *, level: str = "version", include_withdrawn: bool = False
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
        "report_sites": report_site_numbers(read.report_site_counts(db)),
        "unknown_ecosystems": list(totals.unknown_ecosystems),
        "edges": dict(totals.edges),
    }
    out.update(source_overlap(read.claims(db, None, include_withdrawn), level))
    out["by_label"] = labels_by_source(read.label_counts(db, include_withdrawn))
    out["missing_rate"] = missing_rate(read.coverage(db, include_withdrawn))
    out["code"] = code_numbers(read.code_counts(db))
    out["families"] = family_stats(db)
    out["dependency"] = _dependency(db)
    return out


def _dependency(db: sqlite3.Connection) -> dict[str, Any]:
    """RQ3's numbers as insights.dependency gives them. Part B of issue 16 gives that function
    typed inputs from its own reader: this is the one call to change when it does."""
    return dependency_numbers(db)


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
