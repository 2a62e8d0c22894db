"""Which packages belong together, as the store records it: report and campaign membership,
dependency links lifted to packages, families (relations.components joins them)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from malgraph.relations.dependency import NAME_ONLY_STEP

LIST_REPORT = 200  # a report naming more packages than this is a list, not a campaign signal


def report_members(db: sqlite3.Connection) -> dict[int, set[int]]:
    """Report id -> the packages it names: cited by a record of theirs (withdrawn records
    left out: the source took its word back), mentioned in its text, or linked to it."""
    out: dict[int, set[int]] = defaultdict(set)
    for report, package in db.execute(
        "SELECT rr.report_id, r.package_id FROM record_reports rr JOIN records r"
        " ON r.id = rr.record_id WHERE r.withdrawn IS NULL"
        " UNION SELECT report_id, package_id FROM report_mentions"
        " UNION SELECT report_id, package_id FROM report_link_packages"
    ):
        out[report].add(package)
    return dict(out)


def campaign_members(db: sqlite3.Connection) -> dict[int, set[int]]:
    """Named campaign id -> the packages of its member records."""
    out: dict[int, set[int]] = defaultdict(set)
    for campaign, package in db.execute(
        "SELECT DISTINCT m.campaign_id, r.package_id FROM campaign_members m"
        " JOIN records r ON r.id = m.record_id"
    ):
        out[campaign].add(package)
    return dict(out)


def package_edges(
    db: sqlite3.Connection, name_only: bool = False
) -> list[tuple[int, int, float, str]]:
    """Depends-on edges lifted to packages: (depending, depended on, confidence, evidence).
    Those that reach no version shown malicious (name only) are left out, or asked alone."""
    query = (
        "SELECT CASE e.src_type WHEN 'package' THEN e.src_id ELSE pv.package_id END, e.dst_id,"
        " e.confidence, e.evidence FROM edges e LEFT JOIN package_versions pv"
        " ON e.src_type = 'package_version' AND pv.id = e.src_id WHERE e.kind = 'depends_on'"
        f" AND e.step {'=' if name_only else '!='} ?"
    )
    return list(db.execute(query, (NAME_ONLY_STEP,)))


def dependency_links(db: sqlite3.Connection) -> list[tuple[int, int]]:
    """Depends-on edges lifted to packages (depending, depended on), distinct and sorted."""
    return sorted({(src, dst) for src, dst, _, _ in package_edges(db)})


def family_versions(db: sqlite3.Connection) -> dict[str, set[int]]:
    """Family id -> its member package-versions."""
    out: dict[str, set[int]] = defaultdict(set)
    for family, version in db.execute("SELECT family_id, package_version_id FROM family_members"):
        out[family].add(version)
    return dict(out)


def package_of_version(db: sqlite3.Connection) -> dict[int, int]:
    return dict(db.execute("SELECT id, package_id FROM package_versions"))


def versions_of_packages(db: sqlite3.Connection) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for version, package in db.execute("SELECT id, package_id FROM package_versions ORDER BY id"):
        out[package].append(version)
    return dict(out)


def package_names(db: sqlite3.Connection) -> dict[int, tuple[str, str, str]]:
    """Package id -> (ecosystem, name, purl)."""
    return {
        pid: (eco, name, p)
        for pid, eco, name, p in db.execute("SELECT id, ecosystem, name, purl FROM packages")
    }


def report_labels(db: sqlite3.Connection) -> dict[int, str]:
    """Report id -> how the report names it: the URL, or for a write-up read from a file, its
    path inside the archive (or its file name), so that the numbers do not depend on where
    the inputs lay."""
    return {rid: _portable(url) for rid, url in db.execute("SELECT id, url FROM reports")}


def _portable(url: str) -> str:
    if not url.startswith("file:"):
        return url
    return "file:" + (url.rsplit("!", 1)[1] if "!" in url else url.rsplit("/", 1)[-1])
