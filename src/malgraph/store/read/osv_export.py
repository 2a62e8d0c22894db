"""The OSV export's reader: selected packages one at a time, in purl order, each with the claims,
reports, families, campaigns and related packages its merged record carries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

from malgraph.core.kinds import EdgeKind
from malgraph.core.model import Scope
from malgraph.core.osv_export import (
    OsvCampaign,
    OsvClaim,
    OsvDuplicated,
    OsvFamily,
    OsvPackage,
    OsvReference,
    OsvRelated,
)
from malgraph.core.selection import Selection

# A package is selected when one of its active claims matches every non-empty field of the
# selection; `:pkg` names the package (a column or a parameter).
_SELECTED = """EXISTS (SELECT 1 FROM records sr JOIN sources ss ON ss.id = sr.source_id
    JOIN packages sp ON sp.id = sr.package_id
    WHERE sr.package_id = {pkg} AND sr.role = 'claim' AND sr.withdrawn IS NULL
    AND (:no_ecosystems OR sp.ecosystem IN (SELECT value FROM json_each(:ecosystems)))
    AND (:no_sources OR ss.name IN (SELECT value FROM json_each(:sources)))
    AND (:since IS NULL OR coalesce(sr.published, sr.imported) >= :since))"""


def _params(selection: Selection) -> dict[str, Any]:
    return {
        "no_ecosystems": not selection.ecosystems,
        "ecosystems": orjson.dumps(sorted(selection.ecosystems)).decode(),
        "no_sources": not selection.sources,
        "sources": orjson.dumps(sorted(selection.sources)).decode(),
        "since": selection.since,
    }


def osv_packages(
    db: sqlite3.Connection, selection: Selection, list_report: int
) -> Iterator[OsvPackage]:
    """The selected packages in purl order. Related packages are kept when they are selected
    too and their kind is selected (co-existing, which is no stored edge kind, only when no
    kinds are); a report naming more than `list_report` packages is a list and makes no
    co-existing link."""
    params = _params(selection)
    rows = db.execute(
        "SELECT p.id, p.ecosystem, p.ecosystem_known, p.name, p.purl FROM packages p"
        f" WHERE {_SELECTED.format(pkg='p.id')} ORDER BY p.purl, p.id",
        params,
    )
    for pid, ecosystem, known, name, purl in rows:
        yield OsvPackage(
            ecosystem=ecosystem,
            ecosystem_known=bool(known),
            name=name,
            purl=purl,
            claims=_claims(db, pid),
            last_change=_last_change(db, pid),
            first_detection=_first_detection(db, pid),
            references=_references(db, pid),
            families=_families(db, pid),
            campaigns=_campaigns(db, pid),
            duplicated=_duplicated(db, pid) if _kept(selection, EdgeKind.DUPLICATED) else (),
            related=_related(db, pid, selection, params, list_report),
        )


def _kept(selection: Selection, kind: EdgeKind) -> bool:
    return not selection.kinds or kind in selection.kinds


def _strings(text: str | None) -> tuple[str, ...]:
    found = orjson.loads(text) if text else None
    return tuple(s for s in found if isinstance(s, str)) if isinstance(found, list) else ()


def _claims(db: sqlite3.Connection, pid: int) -> tuple[OsvClaim, ...]:
    rows = db.execute(
        "SELECT s.name, r.source_record_id, r.scope, (SELECT json_group_array(pv.version)"
        " FROM record_versions rv JOIN package_versions pv ON pv.id = rv.version_id"
        " WHERE rv.record_id = r.id), r.ranges, coalesce(r.published, pr.published),"
        " r.modified, r.imported, r.raw_sha256, coalesce(r.summary, pr.summary),"
        " coalesce(r.details, pr.details), r.aliases, pr.aliases, ps.name, pr.source_record_id"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        " LEFT JOIN records pr ON pr.id = r.parent_id LEFT JOIN sources ps ON ps.id = pr.source_id"
        " WHERE r.package_id = ? AND r.role = 'claim' AND r.withdrawn IS NULL"
        " ORDER BY s.name, r.source_record_id, r.id",
        (pid,),
    )
    claims = []
    for source, ident, scope, versions, ranges, published, modified, imported, *rest in rows:
        sha256, summary, details, aliases, feed_aliases, feed, feed_id = rest
        claims.append(
            OsvClaim(
                source=source,
                record_id=ident,
                scope=Scope(scope),
                versions=tuple(sorted(set(_strings(versions)))),
                ranges=tuple(orjson.loads(ranges) if ranges else ()),
                published=published,
                modified=modified,
                imported=imported,
                raw_sha256=sha256,
                summary=summary,
                details=details,
                aliases=_strings(aliases) + _strings(feed_aliases),
                feed=feed,
                feed_record_id=feed_id,
            )
        )
    return tuple(claims)


def _last_change(db: sqlite3.Connection, pid: int) -> str | None:
    """The latest date the store holds of the package: its records' dates (any role, withdrawn
    ones too: a withdrawal is a change), their documents', and its families' last update."""
    (latest,) = db.execute(
        "SELECT max(d) FROM (SELECT max(coalesce(r.published, ''), coalesce(r.modified, ''),"
        " coalesce(r.imported, ''), coalesce(r.withdrawn, ''), coalesce(r.removed, ''),"
        " coalesce(doc.modified, '')) AS d FROM records r LEFT JOIN records pr ON pr.id ="
        " r.parent_id LEFT JOIN documents doc ON doc.sha256 ="
        " coalesce(r.document_sha256, pr.document_sha256) WHERE r.package_id = :p"
        " UNION ALL SELECT f.updated_at FROM family_members m JOIN families f"
        " ON f.id = m.family_id JOIN package_versions pv ON pv.id = m.package_version_id"
        " WHERE pv.package_id = :p)",
        {"p": pid},
    ).fetchone()
    return str(latest) if latest else None


def _first_detection(db: sqlite3.Connection, pid: int) -> tuple[str, str] | None:
    """The earliest date an active claim or a code sample gives, with who gave it."""
    row = db.execute(
        "SELECT seen, who FROM (SELECT nullif(min(coalesce(r.published, '9'),"
        " coalesce(r.modified, '9'), coalesce(r.imported, '9')), '9') AS seen, s.name AS who"
        " FROM records r JOIN sources s ON s.id = r.source_id WHERE r.package_id = :p"
        " AND r.role = 'claim' AND r.withdrawn IS NULL UNION ALL SELECT a.detected, s.name"
        " FROM artifacts a JOIN sources s ON s.id = a.source_id JOIN package_versions pv"
        " ON pv.id = a.package_version_id WHERE pv.package_id = :p)"
        " WHERE seen IS NOT NULL ORDER BY seen, who LIMIT 1",
        {"p": pid},
    ).fetchone()
    return (row[0], row[1]) if row else None


def _references(db: sqlite3.Connection, pid: int) -> tuple[OsvReference, ...]:
    """The reports the package's active records cite (one type per URL: the first by name)."""
    rows = db.execute(
        "SELECT rp.url, min(rr.ref_type) FROM record_reports rr JOIN records r"
        " ON r.id = rr.record_id JOIN reports rp ON rp.id = rr.report_id"
        " WHERE r.package_id = ? AND r.withdrawn IS NULL AND rp.kind = 'url'"
        " GROUP BY rp.url ORDER BY rp.url",
        (pid,),
    )
    return tuple(OsvReference(url, kind) for url, kind in rows)


def _families(db: sqlite3.Connection, pid: int) -> tuple[OsvFamily, ...]:
    found: dict[tuple[str, int], list[str]] = {}
    for fid, size, version in db.execute(
        "SELECT f.id, f.size, pv.version FROM family_members m JOIN families f"
        " ON f.id = m.family_id JOIN package_versions pv ON pv.id = m.package_version_id"
        " WHERE pv.package_id = ? ORDER BY f.id, pv.version",
        (pid,),
    ):
        found.setdefault((fid, size), []).append(version)
    return tuple(OsvFamily(fid, size, tuple(v)) for (fid, size), v in found.items())


def _campaigns(db: sqlite3.Connection, pid: int) -> tuple[OsvCampaign, ...]:
    rows = db.execute(
        "SELECT DISTINCT s.name, c.name, c.category FROM campaigns c"
        " JOIN sources s ON s.id = c.source_id JOIN campaign_members m ON m.campaign_id = c.id"
        " JOIN records r ON r.id = m.record_id WHERE r.package_id = ? AND r.withdrawn IS NULL"
        " ORDER BY 1, 2, 3",
        (pid,),
    )
    return tuple(OsvCampaign(*row) for row in rows)


def _duplicated(db: sqlite3.Connection, pid: int) -> tuple[OsvDuplicated, ...]:
    """Pairs of sources whose claims on the package agree, per edge kind."""
    found: dict[tuple[str, str, str], int] = {}
    for kind, a, b in db.execute(
        "SELECT e.kind, sa.name, sb.name FROM records ra CROSS JOIN edges e"
        " ON e.src_type = 'record' AND e.src_id = ra.id"
        " AND e.kind IN ('duplicated', 'duplicated_package') JOIN records rb ON rb.id = e.dst_id"
        " JOIN sources sa ON sa.id = ra.source_id JOIN sources sb ON sb.id = rb.source_id"
        " WHERE ra.package_id = ? AND ra.withdrawn IS NULL AND rb.withdrawn IS NULL",
        (pid,),
    ):
        key = (kind, *sorted((a, b)))
        found[key] = found.get(key, 0) + 1
    return tuple(OsvDuplicated(k, (a, b), n) for (k, a, b), n in sorted(found.items()))


# Other packages joined by stored edges, per direction: similar edges join package-versions
# both ways; a depends-on edge starts at a package-version (or a package) and ends at a package.
_EDGES = """
    WITH mine AS (SELECT id FROM package_versions WHERE package_id = :p)
    SELECT 'similar', o.package_id, e.confidence FROM edges e JOIN package_versions o
        ON o.id = CASE WHEN e.src_id IN (SELECT id FROM mine) THEN e.dst_id ELSE e.src_id END
        WHERE e.kind = 'similar' AND (e.src_id IN (SELECT id FROM mine)
        OR e.dst_id IN (SELECT id FROM mine)) AND o.package_id != :p
    UNION ALL SELECT 'depends_on', e.dst_id, e.confidence FROM edges e
        WHERE e.kind = 'depends_on' AND e.dst_type = 'package' AND e.dst_id != :p
        AND ((e.src_type = 'package_version' AND e.src_id IN (SELECT id FROM mine))
        OR (e.src_type = 'package' AND e.src_id = :p))
    UNION ALL SELECT 'depended_on_by', coalesce(pv.package_id, e.src_id), e.confidence
        FROM edges e LEFT JOIN package_versions pv
        ON e.src_type = 'package_version' AND pv.id = e.src_id
        WHERE e.kind = 'depends_on' AND e.dst_type = 'package' AND e.dst_id = :p
        AND coalesce(pv.package_id, e.src_id) != :p
"""
# Packages sharing a report (not a list) or a named campaign with this one: a report names a
# package when a record of it cites the report, the report's text mentions it, or links it.
_COEXISTING = """
    WITH mine(report_id) AS (
        SELECT rr.report_id FROM records r JOIN record_reports rr ON rr.record_id = r.id
        WHERE r.package_id = :p AND r.withdrawn IS NULL
        UNION SELECT report_id FROM report_mentions WHERE package_id = :p
        UNION SELECT report_id FROM report_link_packages WHERE package_id = :p),
    named(report_id, package_id) AS (
        SELECT rr.report_id, r.package_id FROM record_reports rr JOIN records r
        ON r.id = rr.record_id WHERE rr.report_id IN mine AND r.withdrawn IS NULL
        UNION SELECT report_id, package_id FROM report_mentions WHERE report_id IN mine
        UNION SELECT report_id, package_id FROM report_link_packages WHERE report_id IN mine),
    small AS (SELECT report_id FROM named GROUP BY report_id HAVING count(*) <= :list_report),
    campaigns AS (SELECT DISTINCT m.campaign_id FROM campaign_members m JOIN records r
        ON r.id = m.record_id WHERE r.package_id = :p AND r.withdrawn IS NULL)
    SELECT 'co-existing', package_id, NULL FROM named
        WHERE report_id IN small AND package_id != :p
    UNION ALL SELECT DISTINCT 'co-existing', r.package_id, NULL FROM campaign_members m
        JOIN records r ON r.id = m.record_id WHERE m.campaign_id IN campaigns
        AND r.package_id != :p AND r.withdrawn IS NULL
"""
_KINDS = {"similar": EdgeKind.SIMILAR, "depends_on": EdgeKind.DEPENDS_ON}
_KINDS["depended_on_by"] = EdgeKind.DEPENDS_ON


def _related(
    db: sqlite3.Connection,
    pid: int,
    selection: Selection,
    params: dict[str, Any],
    list_report: int,
) -> tuple[OsvRelated, ...]:
    """Related packages by kind, with the number of edges (or shared reports and campaigns)
    and the strongest confidence, those not selected left out."""
    found: dict[tuple[str, int], list[float | None]] = {}
    queries = [_EDGES] + ([_COEXISTING] if not selection.kinds else [])
    for query in queries:
        for kind, other, confidence in db.execute(query, {"p": pid, "list_report": list_report}):
            if kind in _KINDS and not _kept(selection, _KINDS[kind]):
                continue
            found.setdefault((kind, other), []).append(confidence)
    purls = dict(
        db.execute(
            "SELECT id, purl FROM packages WHERE id IN (SELECT value FROM json_each(:others))"
            f" AND {_SELECTED.format(pkg='packages.id')}",
            {**params, "others": orjson.dumps(sorted({o for _, o in found})).decode()},
        )
    )
    related = []
    for (kind, other), scores in found.items():
        if other in purls:
            best = max((s for s in scores if s is not None), default=None)
            related.append(OsvRelated(kind, purls[other], len(scores), best))
    return tuple(sorted(related))
