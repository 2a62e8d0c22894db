"""The explorer's read model (`malgraph serve`): the searchable names, the pages of reports,
campaigns, IoCs, families and sources, and the links around one package or group, as the
typed values of malgraph.core.web. Every function only reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import orjson

from malgraph.core.graph import Family, FamilyMember
from malgraph.core.kinds import EdgeKind, IocKind, SearchKind, WebLinkKind
from malgraph.core.web import (
    CampaignPage,
    GroupLink,
    IocPage,
    IocRef,
    PackageLink,
    PackageRef,
    ReportPage,
    ReportRef,
    SearchEntry,
    SourceCount,
    SourcePage,
)


def search_entries(db: sqlite3.Connection) -> Iterator[SearchEntry]:
    """Everything the search finds: packages by name and purl, IoCs by value, reports by
    title and URL, families and campaigns by id and name, sources by name."""
    for eco, name, purl in db.execute("SELECT ecosystem, name, purl FROM packages"):
        key = f"{eco}/{name}"
        yield SearchEntry(SearchKind.PACKAGE, name, key, f"{name} ({eco})")
        yield SearchEntry(SearchKind.PACKAGE, unquote(purl), key, f"{name} ({eco})")
    for ident, kind, value in db.execute("SELECT id, kind, value FROM iocs"):
        yield SearchEntry(SearchKind.IOC, value, str(ident), f"{kind}: {value}")
    for ident, url, title in db.execute("SELECT id, url, title FROM reports"):
        label = title or url
        yield SearchEntry(SearchKind.REPORT, url, str(ident), label)
        if title:
            yield SearchEntry(SearchKind.REPORT, title, str(ident), label)
    for (ident,) in db.execute("SELECT id FROM families"):
        yield SearchEntry(SearchKind.FAMILY, ident, ident, ident)
    for ident, key, name in db.execute("SELECT id, key, name FROM campaigns"):
        yield SearchEntry(SearchKind.CAMPAIGN, name, str(ident), name)
        if key != name:
            yield SearchEntry(SearchKind.CAMPAIGN, key, str(ident), name)
    for (name,) in db.execute("SELECT name FROM sources"):
        yield SearchEntry(SearchKind.SOURCE, name, name, name)


def package_id(db: sqlite3.Connection, ref: PackageRef) -> int | None:
    """The package stored under exactly this ecosystem and canonical name."""
    row = db.execute(
        "SELECT id FROM packages WHERE ecosystem = ? AND name = ?", (ref.ecosystem, ref.name)
    ).fetchone()
    return None if row is None else int(row[0])


# The stored edges touching a package through any of its ends (the package, its versions,
# its records), with the other end lifted to its package.
_PACKAGE_EDGES = """
    WITH ends(type, id) AS (
        SELECT 'package', :p
        UNION ALL SELECT 'package_version', id FROM package_versions WHERE package_id = :p
        UNION ALL SELECT 'record', id FROM records WHERE package_id = :p),
    touching(kind, other_type, other_id, confidence, evidence, outgoing) AS (
        SELECT e.kind, e.dst_type, e.dst_id, e.confidence, e.evidence, 1 FROM ends
        JOIN edges e ON e.src_type = ends.type AND e.src_id = ends.id
        UNION ALL SELECT e.kind, e.src_type, e.src_id, e.confidence, e.evidence, 0 FROM ends
        JOIN edges e ON e.dst_type = ends.type AND e.dst_id = ends.id)
    SELECT t.kind, p.ecosystem, p.name, t.outgoing, t.confidence, t.evidence FROM touching t
    LEFT JOIN package_versions pv ON t.other_type = 'package_version' AND pv.id = t.other_id
    LEFT JOIN records r ON t.other_type = 'record' AND r.id = t.other_id
    JOIN packages p ON p.id = CASE t.other_type WHEN 'package' THEN t.other_id
        WHEN 'package_version' THEN pv.package_id ELSE r.package_id END
    WHERE p.id != :p
"""


def package_links(db: sqlite3.Connection, package: int) -> list[PackageLink]:
    """The package's stored relations to other packages, one per kind, direction and other
    package, with the strongest edge's evidence; strongest first."""
    best: dict[tuple[str, str, str, int], list[Any]] = {}
    for kind, eco, name, outgoing, confidence, evidence in db.execute(
        _PACKAGE_EDGES, {"p": package}
    ):
        held = best.get((kind, eco, name, outgoing))
        if held is None:
            best[(kind, eco, name, outgoing)] = [1, confidence, evidence]
            continue
        held[0] += 1
        if confidence > held[1]:
            held[1:] = [confidence, evidence]
    links = [
        PackageLink(
            EdgeKind(kind), PackageRef(eco, name), bool(out), n, conf, orjson.loads(evidence)
        )
        for (kind, eco, name, out), (n, conf, evidence) in best.items()
    ]
    return sorted(links, key=lambda link: (-link.confidence, link.kind, link.other.name))


def group_links(db: sqlite3.Connection, package: int) -> list[GroupLink]:
    """The package's family, reports, campaigns and IoCs."""
    rows = db.execute(
        "SELECT DISTINCT 'family', m.family_id, m.family_id FROM family_members m"
        " JOIN package_versions pv ON pv.id = m.package_version_id WHERE pv.package_id = :p"
        " UNION SELECT 'report', rp.id, coalesce(rp.title, rp.url) FROM reports rp"
        " WHERE rp.id IN (SELECT rr.report_id FROM record_reports rr JOIN records r"
        " ON r.id = rr.record_id WHERE r.package_id = :p"
        " UNION SELECT report_id FROM report_mentions WHERE package_id = :p"
        " UNION SELECT report_id FROM report_link_packages WHERE package_id = :p)"
        " UNION SELECT 'campaign', c.id, c.name FROM campaigns c JOIN campaign_members m"
        " ON m.campaign_id = c.id JOIN records r ON r.id = m.record_id WHERE r.package_id = :p"
        " UNION SELECT 'ioc', i.id, i.kind || ': ' || i.value FROM iocs i WHERE i.id IN ("
        " SELECT g.ioc_id FROM ioc_sightings g JOIN records r ON r.id = g.record_id"
        " WHERE r.package_id = :p UNION SELECT c.ioc_id FROM code_iocs c"
        " JOIN artifacts a ON a.sha256 = c.sha256 JOIN package_versions pv"
        " ON pv.id = a.package_version_id WHERE pv.package_id = :p)",
        {"p": package},
    )
    return [GroupLink(WebLinkKind(kind), str(key), label) for kind, key, label in rows]


_MEMBERS = {
    WebLinkKind.FAMILY: "SELECT DISTINCT pv.package_id FROM family_members m"
    " JOIN package_versions pv ON pv.id = m.package_version_id WHERE m.family_id = :k",
    WebLinkKind.REPORT: "SELECT r.package_id FROM record_reports rr JOIN records r"
    " ON r.id = rr.record_id WHERE rr.report_id = :k"
    " UNION SELECT package_id FROM report_mentions WHERE report_id = :k"
    " UNION SELECT package_id FROM report_link_packages WHERE report_id = :k",
    WebLinkKind.CAMPAIGN: "SELECT DISTINCT r.package_id FROM campaign_members m"
    " JOIN records r ON r.id = m.record_id WHERE m.campaign_id = :k",
    WebLinkKind.IOC: "SELECT r.package_id FROM ioc_sightings g JOIN records r"
    " ON r.id = g.record_id WHERE g.ioc_id = :k UNION SELECT pv.package_id FROM code_iocs c"
    " JOIN artifacts a ON a.sha256 = c.sha256 JOIN package_versions pv"
    " ON pv.id = a.package_version_id WHERE c.ioc_id = :k",
}


def group_members(
    db: sqlite3.Connection, kind: WebLinkKind, key: str, limit: int
) -> tuple[tuple[PackageRef, ...], int]:
    """The first `limit` packages of a family, report, campaign or IoC by name, and how many
    it has in all."""
    members = f"SELECT p.ecosystem, p.name FROM packages p WHERE p.id IN ({_MEMBERS[kind]})"
    (total,) = db.execute(f"SELECT count(*) FROM ({members})", {"k": key}).fetchone()
    rows = db.execute(f"{members} ORDER BY p.name, p.ecosystem LIMIT :n", {"k": key, "n": limit})
    return tuple(PackageRef(eco, name) for eco, name in rows), int(total)


def family_of(db: sqlite3.Connection, family: str) -> Family | None:
    row = db.execute(
        "SELECT id, size, ecosystems, first_release, last_release, undated FROM families"
        " WHERE id = ?",
        (family,),
    ).fetchone()
    if row is None:
        return None
    members = tuple(
        FamilyMember(*member)
        for member in db.execute(
            "SELECT p.ecosystem, p.name, pv.version, pv.purl FROM family_members m"
            " JOIN package_versions pv ON pv.id = m.package_version_id"
            " JOIN packages p ON p.id = pv.package_id WHERE m.family_id = ?"
            " ORDER BY p.name, pv.version",
            (family,),
        )
    )
    fid, size, ecosystems, first, last, undated = row
    return Family(fid, size, tuple(orjson.loads(ecosystems)), first, last, undated, members)


def report_page(db: sqlite3.Connection, report: int, limit: int) -> ReportPage | None:
    row = db.execute(
        "SELECT id, url, site, title, published, kind FROM reports WHERE id = ?", (report,)
    ).fetchone()
    if row is None:
        return None
    packages, _ = group_members(db, WebLinkKind.REPORT, str(report), limit)
    iocs = tuple(
        IocRef(ident, IocKind(kind), value)
        for ident, kind, value in db.execute(
            "SELECT DISTINCT i.id, i.kind, i.value FROM iocs i JOIN ioc_sightings g"
            " ON g.ioc_id = i.id WHERE g.report_id = ? ORDER BY 2, 3",
            (report,),
        )
    )
    ident, url, site, title, published, kind = row
    return ReportPage(ident, url, site, title, published, kind, packages, iocs)


def ioc_page(db: sqlite3.Connection, ioc: int, limit: int) -> IocPage | None:
    row = db.execute("SELECT id, kind, value FROM iocs WHERE id = ?", (ioc,)).fetchone()
    if row is None:
        return None
    written = tuple(
        w
        for (w,) in db.execute(
            "SELECT DISTINCT as_written FROM ioc_sightings WHERE ioc_id = ? ORDER BY 1", (ioc,)
        )
    )
    packages, _ = group_members(db, WebLinkKind.IOC, str(ioc), limit)
    reports = tuple(
        ReportRef(*report)
        for report in db.execute(
            "SELECT DISTINCT rp.id, rp.url, rp.title FROM reports rp JOIN ioc_sightings g"
            " ON g.report_id = rp.id WHERE g.ioc_id = ? ORDER BY rp.url",
            (ioc,),
        )
    )
    return IocPage(row[0], IocKind(row[1]), row[2], written, packages, reports)


def campaign_page(db: sqlite3.Connection, campaign: int, limit: int) -> CampaignPage | None:
    row = db.execute(
        "SELECT c.id, s.name, c.key, c.name, c.category, c.created, c.description, c.refs"
        " FROM campaigns c JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
        (campaign,),
    ).fetchone()
    if row is None:
        return None
    packages, _ = group_members(db, WebLinkKind.CAMPAIGN, str(campaign), limit)
    refs = tuple(str(ref) for ref in orjson.loads(row[7] or "[]"))
    ident, source, key, name, category, created, description, _ = row
    return CampaignPage(ident, source, key, name, category, created, description, refs, packages)


def source_page(db: sqlite3.Connection, source: str, limit: int) -> SourcePage | None:
    row = db.execute("SELECT id, name, kind FROM sources WHERE name = ?", (source,)).fetchone()
    if row is None:
        return None
    records, packages = db.execute(
        "SELECT count(*), count(DISTINCT package_id) FROM records WHERE source_id = ?", (row[0],)
    ).fetchone()
    shown = tuple(
        PackageRef(eco, name)
        for eco, name in db.execute(
            "SELECT p.ecosystem, p.name FROM packages p WHERE p.id IN"
            " (SELECT package_id FROM records WHERE source_id = ?) ORDER BY p.name LIMIT ?",
            (row[0], limit),
        )
    )
    return SourcePage(row[1], row[2], records, packages, shown)


def source_counts(db: sqlite3.Connection) -> list[SourceCount]:
    """Per source that claims packages: its claims and the packages they name."""
    return [
        SourceCount(*row)
        for row in db.execute(
            "SELECT s.name, count(*), count(DISTINCT r.package_id) FROM records r"
            " JOIN sources s ON s.id = r.source_id WHERE r.role = 'claim'"
            " AND r.withdrawn IS NULL GROUP BY s.name ORDER BY 3 DESC, 1"
        )
    ]
