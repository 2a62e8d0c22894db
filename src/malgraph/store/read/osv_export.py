"""The OSV export's reader: selected packages one at a time, in purl order, each with the claims,
reports, families, campaigns and related packages its merged record carries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

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

# The same when the selection has no field: a package with an active claim, without the joins
# a field would need.
_ACTIVE = """EXISTS (SELECT 1 FROM records sr WHERE sr.package_id = {pkg} AND sr.role = 'claim'
    AND sr.withdrawn IS NULL)"""


def _selected(selection: Selection, pkg: str) -> str:
    """The condition that the package `pkg` names is selected."""
    fields = selection.ecosystems or selection.sources or selection.since
    return (_SELECTED if fields else _ACTIVE).format(pkg=pkg)


def _params(selection: Selection) -> dict[str, Any]:
    return {
        "no_ecosystems": not selection.ecosystems,
        "ecosystems": orjson.dumps(sorted(selection.ecosystems)).decode(),
        "no_sources": not selection.sources,
        "sources": orjson.dumps(sorted(selection.sources)).decode(),
        "since": selection.since,
    }


CHUNK = 100  # packages read together: each part of a record is one query a chunk


def osv_packages(
    db: sqlite3.Connection, selection: Selection, list_report: int, related_listed: int
) -> Iterator[OsvPackage]:
    """The selected packages in purl order. Related packages are kept when they are selected
    too and their kind is selected (co-existing, which is no stored edge kind, only when no
    kinds are); a report naming more than `list_report` packages is a list and makes no
    co-existing link. Of each kind the first `related_listed` are listed (by kind, the most
    edges first, then by purl) and all are counted. Read CHUNK packages at a time: memory holds
    one chunk and the selected packages' ids (ints, against which each related package is
    checked), never the graph."""
    params = _params(selection)
    params["lists"] = _list_reports(db, list_report) if not selection.kinds else "[]"
    selected = frozenset(
        pid
        for (pid,) in db.execute(
            f"SELECT p.id FROM packages p WHERE {_selected(selection, 'p.id')}", params
        )
    )
    rows = db.execute(
        "SELECT p.id, p.ecosystem, p.ecosystem_known, p.name, p.purl FROM packages p"
        f" WHERE {_selected(selection, 'p.id')} ORDER BY p.purl, p.id",
        params,
    )
    while chunk := rows.fetchmany(CHUNK):
        yield from _packages(db, chunk, selection, params, _Kept(selected, related_listed))


def _packages(
    db: sqlite3.Connection,
    chunk: list[tuple[int, str, int, str, str]],
    selection: Selection,
    params: dict[str, Any],
    kept: _Kept,
) -> Iterator[OsvPackage]:
    ids = {"ids": orjson.dumps([row[0] for row in chunk]).decode()}
    claims = _claims(db, ids)
    last_change = _last_change(db, ids)
    first_detection = _first_detection(db, ids)
    references = _references(db, ids)
    families = _families(db, ids)
    named = _campaigns(db, ids)
    duplicated = _duplicated(db, ids) if _kept(selection, EdgeKind.DUPLICATED) else {}
    related, related_counts = _related(db, ids, selection, params, kept)
    for pid, ecosystem, known, name, purl in chunk:
        yield OsvPackage(
            ecosystem=ecosystem,
            ecosystem_known=bool(known),
            name=name,
            purl=purl,
            claims=tuple(claims.get(pid, ())),
            last_change=last_change.get(pid),
            first_detection=first_detection.get(pid),
            references=tuple(references.get(pid, ())),
            families=families.get(pid, ()),
            campaigns=tuple(named.get(pid, ())),
            duplicated=duplicated.get(pid, ()),
            related=related.get(pid, ()),
            related_counts=related_counts.get(pid, {}),
            package_id=pid,
        )


def _list_reports(db: sqlite3.Connection, list_report: int) -> str:
    """The reports naming more than `list_report` packages (lists, joining nothing), as a JSON
    array: found once an export, not once a chunk."""
    lists = db.execute(
        f"SELECT report_id FROM ({_NAMED}) GROUP BY report_id HAVING count(*) > ? ORDER BY 1",
        (list_report,),
    )
    return orjson.dumps([report for (report,) in lists]).decode()


def _kept(selection: Selection, kind: EdgeKind) -> bool:
    return not selection.kinds or kind in selection.kinds


def _strings(text: str | None) -> tuple[str, ...]:
    found = orjson.loads(text) if text else None
    return tuple(s for s in found if isinstance(s, str)) if isinstance(found, list) else ()


def _by_package(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows whose first column is a package id, grouped by it, each group in row order."""
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for pid, *rest in rows:
        grouped.setdefault(pid, []).append(tuple(rest))
    return grouped


_IN_CHUNK = "IN (SELECT value FROM json_each(:ids))"


def _claims(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, list[OsvClaim]]:
    rows = db.execute(
        "SELECT r.package_id, s.name, r.source_record_id, r.scope, (SELECT"
        " json_group_array(pv.version) FROM record_versions rv JOIN package_versions pv"
        " ON pv.id = rv.version_id WHERE rv.record_id = r.id), r.ranges,"
        " coalesce(r.published, pr.published), r.modified, r.imported, r.raw_sha256,"
        " coalesce(r.summary, pr.summary), coalesce(r.details, pr.details), r.aliases,"
        " pr.aliases, ps.name, pr.source_record_id"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        " LEFT JOIN records pr ON pr.id = r.parent_id LEFT JOIN sources ps ON ps.id = pr.source_id"
        f" WHERE r.package_id {_IN_CHUNK} AND r.role = 'claim' AND r.withdrawn IS NULL"
        " ORDER BY r.package_id, s.name, r.source_record_id, r.id",
        ids,
    )
    claims: dict[int, list[OsvClaim]] = {}
    for pid, source, ident, scope, versions, ranges, published, modified, *rest in rows:
        imported, sha256, summary, details, aliases, feed_aliases, feed, feed_id = rest
        claims.setdefault(pid, []).append(
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
    return claims


def _last_change(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, str]:
    """The latest date the store holds of each package: its records' dates (any role, withdrawn
    ones too: a withdrawal is a change), their documents', and its families' last update."""
    rows = db.execute(
        "SELECT p, max(d) FROM (SELECT r.package_id AS p, max(coalesce(r.published, ''),"
        " coalesce(r.modified, ''), coalesce(r.imported, ''), coalesce(r.withdrawn, ''),"
        " coalesce(r.removed, ''), coalesce(doc.modified, '')) AS d FROM records r"
        " LEFT JOIN records pr ON pr.id = r.parent_id LEFT JOIN documents doc ON doc.sha256 ="
        f" coalesce(r.document_sha256, pr.document_sha256) WHERE r.package_id {_IN_CHUNK}"
        " UNION ALL SELECT pv.package_id, f.updated_at FROM family_members m JOIN families f"
        " ON f.id = m.family_id JOIN package_versions pv ON pv.id = m.package_version_id"
        f" WHERE pv.package_id {_IN_CHUNK}) GROUP BY p",
        ids,
    )
    return {pid: str(latest) for pid, latest in rows if latest}


def _first_detection(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, tuple[str, str]]:
    """The earliest date an active claim or a code sample gives, with who gave it."""
    rows = db.execute(
        "SELECT p, seen, who FROM (SELECT r.package_id AS p, nullif(min(coalesce(r.published,"
        " '9'), coalesce(r.modified, '9'), coalesce(r.imported, '9')), '9') AS seen, s.name"
        " AS who FROM records r JOIN sources s ON s.id = r.source_id"
        f" WHERE r.package_id {_IN_CHUNK} AND r.role = 'claim' AND r.withdrawn IS NULL"
        " UNION ALL SELECT pv.package_id, a.detected, s.name FROM artifacts a"
        " JOIN sources s ON s.id = a.source_id JOIN package_versions pv"
        f" ON pv.id = a.package_version_id WHERE pv.package_id {_IN_CHUNK})"
        " WHERE seen IS NOT NULL ORDER BY p, seen, who",
        ids,
    )
    first: dict[int, tuple[str, str]] = {}
    for pid, seen, who in rows:
        first.setdefault(pid, (seen, who))
    return first


def _references(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, list[OsvReference]]:
    """The reports the package's active records cite (one type per URL: the first by name)."""
    rows = db.execute(
        "SELECT r.package_id, rp.url, min(rr.ref_type) FROM record_reports rr JOIN records r"
        " ON r.id = rr.record_id JOIN reports rp ON rp.id = rr.report_id"
        f" WHERE r.package_id {_IN_CHUNK} AND r.withdrawn IS NULL AND rp.kind = 'url'"
        " GROUP BY r.package_id, rp.url ORDER BY r.package_id, rp.url",
        ids,
    )
    return {
        pid: [OsvReference(url, kind) for url, kind in found]
        for pid, found in _by_package(rows).items()
    }


def _families(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, tuple[OsvFamily, ...]]:
    rows = db.execute(
        "SELECT pv.package_id, f.id, f.size, pv.version FROM family_members m JOIN families f"
        " ON f.id = m.family_id JOIN package_versions pv ON pv.id = m.package_version_id"
        f" WHERE pv.package_id {_IN_CHUNK} ORDER BY pv.package_id, f.id, pv.version",
        ids,
    )
    families = {}
    for pid, members in _by_package(rows).items():
        found: dict[tuple[str, int], list[str]] = {}
        for fid, size, version in members:
            found.setdefault((fid, size), []).append(version)
        families[pid] = tuple(OsvFamily(fid, size, tuple(v)) for (fid, size), v in found.items())
    return families


def _campaigns(db: sqlite3.Connection, ids: dict[str, str]) -> dict[int, list[OsvCampaign]]:
    rows = db.execute(
        "SELECT DISTINCT r.package_id, s.name, c.name, c.category FROM campaigns c"
        " JOIN sources s ON s.id = c.source_id JOIN campaign_members m ON m.campaign_id = c.id"
        f" JOIN records r ON r.id = m.record_id WHERE r.package_id {_IN_CHUNK}"
        " AND r.withdrawn IS NULL ORDER BY 1, 2, 3, 4",
        ids,
    )
    return {pid: [OsvCampaign(*row) for row in found] for pid, found in _by_package(rows).items()}


def _duplicated(
    db: sqlite3.Connection, ids: dict[str, str]
) -> dict[int, tuple[OsvDuplicated, ...]]:
    """Pairs of sources whose claims on the package agree, per edge kind."""
    rows = db.execute(
        "SELECT ra.package_id, e.kind, sa.name, sb.name FROM records ra CROSS JOIN edges e"
        " ON e.src_type = 'record' AND e.src_id = ra.id"
        " AND e.kind IN ('duplicated', 'duplicated_package') JOIN records rb ON rb.id = e.dst_id"
        " JOIN sources sa ON sa.id = ra.source_id JOIN sources sb ON sb.id = rb.source_id"
        f" WHERE ra.package_id {_IN_CHUNK} AND ra.withdrawn IS NULL AND rb.withdrawn IS NULL",
        ids,
    )
    duplicated = {}
    for pid, pairs in _by_package(rows).items():
        found: dict[tuple[str, str, str], int] = {}
        for kind, a, b in pairs:
            key = (kind, *sorted((a, b)))
            found[key] = found.get(key, 0) + 1
        duplicated[pid] = tuple(
            OsvDuplicated(k, (a, b), n) for (k, a, b), n in sorted(found.items())
        )
    return duplicated


# Other packages joined by stored edges, per direction: similar edges join package-versions
# both ways; a depends-on edge starts at a package-version (or a package) and ends at a package.
_EDGES = f"""
    WITH chunk(p) AS (SELECT value FROM json_each(:ids)),
    mine(p, v) AS (SELECT package_id, id FROM package_versions WHERE package_id {_IN_CHUNK})
    SELECT m.p AS p, 'similar' AS kind, o.package_id AS other, e.confidence AS confidence
        FROM mine m JOIN edges e
        ON e.src_type = 'package_version' AND e.src_id = m.v AND e.kind = 'similar'
        JOIN package_versions o ON o.id = e.dst_id WHERE o.package_id != m.p
    UNION ALL SELECT m.p, 'similar', o.package_id, e.confidence FROM mine m JOIN edges e
        ON e.dst_type = 'package_version' AND e.dst_id = m.v AND e.kind = 'similar'
        JOIN package_versions o ON o.id = e.src_id WHERE o.package_id != m.p
    UNION ALL SELECT m.p, 'depends_on', e.dst_id, e.confidence FROM mine m JOIN edges e
        ON e.src_type = 'package_version' AND e.src_id = m.v AND e.kind = 'depends_on'
        WHERE e.dst_type = 'package' AND e.dst_id != m.p
    UNION ALL SELECT c.p, 'depends_on', e.dst_id, e.confidence FROM chunk c JOIN edges e
        ON e.src_type = 'package' AND e.src_id = c.p AND e.kind = 'depends_on'
        WHERE e.dst_type = 'package' AND e.dst_id != c.p
    UNION ALL SELECT c.p, 'depended_on_by', coalesce(pv.package_id, e.src_id), e.confidence
        FROM chunk c JOIN edges e ON e.dst_type = 'package' AND e.dst_id = c.p
        AND e.kind = 'depends_on' LEFT JOIN package_versions pv
        ON e.src_type = 'package_version' AND pv.id = e.src_id
        WHERE coalesce(pv.package_id, e.src_id) != c.p
"""
# A report names a package when an active record of it cites the report, the report's text
# mentions it, or links it.
_NAMED = """
    SELECT rr.report_id, r.package_id FROM record_reports rr JOIN records r
    ON r.id = rr.record_id WHERE r.withdrawn IS NULL
    UNION SELECT report_id, package_id FROM report_mentions
    UNION SELECT report_id, package_id FROM report_link_packages
"""
# Packages sharing a report (not a list: `:lists`) or a named campaign with this one.
_COEXISTING = f"""
    WITH chunk(p) AS (SELECT value FROM json_each(:ids)),
    mine(p, report_id) AS (
        SELECT r.package_id, rr.report_id FROM records r JOIN record_reports rr
        ON rr.record_id = r.id WHERE r.package_id {_IN_CHUNK} AND r.withdrawn IS NULL
        UNION SELECT package_id, report_id FROM report_mentions WHERE package_id {_IN_CHUNK}
        UNION SELECT package_id, report_id FROM report_link_packages
        WHERE package_id {_IN_CHUNK}),
    reports(report_id) AS (SELECT DISTINCT report_id FROM mine
        WHERE report_id NOT IN (SELECT value FROM json_each(:lists))),
    named(report_id, package_id) AS (
        SELECT rr.report_id, r.package_id FROM record_reports rr JOIN records r
        ON r.id = rr.record_id WHERE rr.report_id IN reports AND r.withdrawn IS NULL
        UNION SELECT report_id, package_id FROM report_mentions WHERE report_id IN reports
        UNION SELECT report_id, package_id FROM report_link_packages
        WHERE report_id IN reports),
    campaigns(p, campaign_id) AS (SELECT DISTINCT r.package_id, m.campaign_id
        FROM campaign_members m JOIN records r ON r.id = m.record_id
        WHERE r.package_id {_IN_CHUNK} AND r.withdrawn IS NULL)
    SELECT mine.p AS p, 'co-existing' AS kind, named.package_id AS other, NULL AS confidence
        FROM mine JOIN named
        ON named.report_id = mine.report_id
        WHERE named.package_id != mine.p
    UNION ALL SELECT DISTINCT c.p, 'co-existing', r.package_id, NULL FROM campaigns c
        JOIN campaign_members m ON m.campaign_id = c.campaign_id
        JOIN records r ON r.id = m.record_id WHERE r.package_id != c.p AND r.withdrawn IS NULL
"""
_KINDS = {"similar": EdgeKind.SIMILAR, "depends_on": EdgeKind.DEPENDS_ON}
_KINDS["depended_on_by"] = EdgeKind.DEPENDS_ON


class _Kept(NamedTuple):
    """Which related packages a record keeps: selected ones, the first `listed` of a kind."""

    selected: frozenset[int]
    listed: int


def _related(
    db: sqlite3.Connection,
    ids: dict[str, str],
    selection: Selection,
    params: dict[str, Any],
    kept: _Kept,
) -> tuple[dict[int, tuple[OsvRelated, ...]], dict[int, dict[str, int]]]:
    """Related packages by kind, with the number of edges (or shared reports and campaigns)
    and the strongest confidence, those not selected left out; in the order a record lists
    them: by kind, the most edges first, then by purl; only the first `kept.listed` of a kind
    made into objects, all counted. Co-existing comes first of the kinds, so its query runs
    first and each query's rows come in that order."""
    related: dict[int, list[OsvRelated]] = {}
    counts: dict[int, dict[str, int]] = {}
    queries = ([_COEXISTING] if not selection.kinds else []) + [_EDGES]
    for query in queries:
        rows = db.execute(
            f"SELECT x.p, x.kind, x.other, o.purl, count(*), max(x.confidence) FROM ({query})"
            " AS x JOIN packages o ON o.id = x.other GROUP BY x.p, x.kind, x.other"
            " ORDER BY x.p, x.kind, count(*) DESC, o.purl, max(x.confidence)",
            {**params, **ids},
        )
        for pid, kind, other, purl, edges, best in rows:
            if other not in kept.selected or (
                kind in _KINDS and not _kept(selection, _KINDS[kind])
            ):
                continue
            kinds = counts.setdefault(pid, {})
            before = kinds.get(kind, 0)
            kinds[kind] = before + 1
            if before < kept.listed:
                related.setdefault(pid, []).append(OsvRelated(kind, purl, edges, best))
    return {pid: tuple(found) for pid, found in related.items()}, counts
