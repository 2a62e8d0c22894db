"""The co-existing relation: packages named by the same report or joined in one campaign.

It is stored as membership (report -> package, campaign -> record), never as a clique of
package-package edges: one report naming 5,000 packages is 5,000 rows, not 12 million.
"Co-reported with X" is answered from the membership at query time.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

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


# A package's reports: cited by one of its records, naming it in their text, or linked to it
# by a list of the packages each report named.
_REPORTS_OF = """
    SELECT rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
    WHERE r.package_id = :package
    UNION SELECT report_id FROM report_mentions WHERE package_id = :package
    UNION SELECT report_id FROM report_link_packages WHERE package_id = :package
"""
_PACKAGES_OF_REPORT = """
    SELECT r.package_id, rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
    WHERE rr.report_id IN ({reports})
    UNION SELECT package_id, report_id FROM report_mentions WHERE report_id IN ({reports})
    UNION SELECT package_id, report_id FROM report_link_packages WHERE report_id IN ({reports})
"""


def coreported(db: sqlite3.Connection, package_id: int) -> list[dict[str, Any]]:
    """Packages sharing a report or a campaign with this one, each with what joins them."""
    joined: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"reports": [], "campaigns": []})
    sql = _PACKAGES_OF_REPORT.format(reports=_REPORTS_OF)
    for other, report in db.execute(sql, {"package": package_id}):
        if other != package_id:
            joined[other]["reports"].append(
                db.execute("SELECT url FROM reports WHERE id = ?", (report,)).fetchone()[0]
            )
    for other, campaign in db.execute(
        "SELECT DISTINCT r2.package_id, c.name FROM records r JOIN campaign_members m"
        " ON m.record_id = r.id JOIN campaign_members m2 ON m2.campaign_id = m.campaign_id"
        " JOIN records r2 ON r2.id = m2.record_id JOIN campaigns c ON c.id = m.campaign_id"
        " WHERE r.package_id = ? AND r2.package_id != r.package_id",
        (package_id,),
    ):
        joined[other]["campaigns"].append(campaign)
    out = []
    for other, why in joined.items():
        eco, name, purl = db.execute(
            "SELECT ecosystem, name, purl FROM packages WHERE id = ?", (other,)
        ).fetchone()
        out.append(
            {
                "ecosystem": eco,
                "name": name,
                "purl": purl,
                "reports": sorted(set(why["reports"])),
                "campaigns": sorted(set(why["campaigns"])),
            }
        )
    return sorted(out, key=lambda p: (-len(p["reports"]) - len(p["campaigns"]), p["purl"]))
