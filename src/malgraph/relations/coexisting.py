"""The co-existing relation: packages named by the same report or joined in one campaign.

It is stored as membership (report -> package, campaign -> record), never as a clique of
package-package edges: one report naming 5,000 packages is 5,000 rows, not 12 million.
"Co-reported with X" is answered from the membership at query time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from malgraph.core.relations import KnownPackage, ReportMention, ReportText
from malgraph.relations.mentions import find_mentions


def report_mentions(
    reports: Iterable[ReportText], packages: Iterable[KnownPackage]
) -> list[ReportMention]:
    """Every mention, in each report's text, of a known package (the membership to store)."""
    known: dict[str, set[str]] = defaultdict(set)
    ids: dict[tuple[str, str], int] = {}
    for package in packages:
        known[package.ecosystem].add(package.name)
        ids[(package.ecosystem, package.name)] = package.id
    return [
        ReportMention(report.id, ids[(m.ecosystem, m.name)], m.start, m.matched, m.context, m.how)
        for report in reports
        for m in find_mentions(report.text, known)
    ]
