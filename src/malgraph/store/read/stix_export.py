"""The STIX export's reader: the selected sources, packages, claims, reports, IoCs, families,
campaigns and relations, each streamed from a cursor in the order of its natural key.

Selected: a claim that is active and matches every non-empty field of the Selection; a package
one of those claims names; a report naming a selected package (cited by a selected claim, or
mentioned or linked); a campaign holding one; an IoC seen in a selected claim (or the feed record
it came in), report or campaign; a relation (of a selected kind) whose two ends are selected."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

from malgraph.core.identity import purl as purl_of
from malgraph.core.kinds import EdgeKind, NodeType
from malgraph.core.selection import Selection
from malgraph.core.stix_export import (
    ClaimKey,
    NamedPackage,
    RelationEnd,
    StixCampaign,
    StixClaim,
    StixFamily,
    StixIoc,
    StixPackage,
    StixRelation,
    StixReport,
    StixSource,
)

_SELECTED = """WITH claims AS (SELECT r.id, r.parent_id, r.package_id, r.source_id
    FROM records r JOIN sources s ON s.id = r.source_id JOIN packages p ON p.id = r.package_id
    WHERE r.role = 'claim' AND r.withdrawn IS NULL
    AND (:no_ecosystems OR p.ecosystem IN (SELECT value FROM json_each(:ecosystems)))
    AND (:no_sources OR s.name IN (SELECT value FROM json_each(:sources)))
    AND (:since IS NULL OR coalesce(r.published, r.imported) >= :since)),
  chosen AS (SELECT DISTINCT package_id AS id FROM claims),
  carriers AS (SELECT id FROM claims UNION SELECT parent_id FROM claims
    WHERE parent_id IS NOT NULL),
  named(report_id, package_id, how) AS (
    SELECT rr.report_id, c.package_id, 'cited' FROM record_reports rr
    JOIN claims c ON rr.record_id IN (c.id, c.parent_id)
    UNION SELECT report_id, package_id, 'mention:' || how FROM report_mentions
    WHERE package_id IN chosen
    UNION SELECT report_id, package_id, 'link' FROM report_link_packages
    WHERE package_id IN chosen),
  held(campaign_id, package_id) AS (SELECT DISTINCT m.campaign_id, r.package_id
    FROM campaign_members m JOIN records r ON r.id = m.record_id
    WHERE r.withdrawn IS NULL AND r.package_id IN chosen)
"""


def _params(selection: Selection) -> dict[str, Any]:
    return {
        "no_ecosystems": not selection.ecosystems,
        "ecosystems": orjson.dumps(sorted(selection.ecosystems)).decode(),
        "no_sources": not selection.sources,
        "sources": orjson.dumps(sorted(selection.sources)).decode(),
        "since": selection.since,
    }


def _rows(db: sqlite3.Connection, query: str, selection: Selection) -> sqlite3.Cursor:
    return db.execute(_SELECTED + query, _params(selection))


def _strings(text: str | None) -> tuple[str, ...]:
    found = orjson.loads(text) if text else []
    return tuple(sorted({s for s in found if isinstance(s, str)}))


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    found = orjson.loads(text) if text else []
    return tuple(sorted({(a, b) for a, b in found}))


def stix_sources(db: sqlite3.Connection, selection: Selection) -> Iterator[StixSource]:
    """The sources of the selected claims and campaigns, by name."""
    rows = _rows(
        db,
        "SELECT name, kind FROM sources WHERE id IN (SELECT source_id FROM claims)"
        " OR id IN (SELECT c.source_id FROM campaigns c JOIN held h ON h.campaign_id = c.id)"
        " ORDER BY name",
        selection,
    )
    for name, kind in rows:
        yield StixSource(name, kind)


def stix_packages(db: sqlite3.Connection, selection: Selection) -> Iterator[StixPackage]:
    """The selected packages by ecosystem and name, with the span of their claims' dates."""
    rows = _rows(
        db,
        "SELECT p.ecosystem, p.name,"
        " (SELECT min(coalesce(r.published, r.imported)) FROM claims c JOIN records r"
        " ON r.id = c.id WHERE c.package_id = p.id),"
        " (SELECT max(max(coalesce(r.published, ''), coalesce(r.modified, ''),"
        " coalesce(r.imported, ''))) FROM claims c JOIN records r ON r.id = c.id"
        " WHERE c.package_id = p.id),"
        " (SELECT json_group_array(s.name) FROM claims c JOIN sources s ON s.id = c.source_id"
        " WHERE c.package_id = p.id),"
        " (SELECT json_group_array(version) FROM package_versions WHERE package_id = p.id)"
        " FROM packages p WHERE p.id IN chosen ORDER BY p.ecosystem, p.name",
        selection,
    )
    for eco, name, first, last, sources, versions in rows:
        purl = purl_of(eco, name)
        yield StixPackage(
            eco, name, purl, first, last or None, _strings(sources), _strings(versions)
        )


def stix_claims(db: sqlite3.Connection, selection: Selection) -> Iterator[StixClaim]:
    """The selected claims by (source, the source's id, package); claims sharing that key
    (a source repeating itself) are merged."""
    rows = _rows(
        db,
        "SELECT s.name, r.source_record_id, p.ecosystem, p.name,"
        " coalesce(r.published, pr.published, r.imported), r.modified,"
        " coalesce(r.summary, pr.summary),"
        " (SELECT json_group_array(v.version) FROM record_versions rv JOIN package_versions v"
        " ON v.id = rv.version_id WHERE rv.record_id = r.id),"
        " (SELECT json_group_array(json_array(i.kind, i.value)) FROM ioc_sightings w"
        " JOIN iocs i ON i.id = w.ioc_id WHERE w.record_id IN (r.id, r.parent_id)),"
        " (SELECT json_group_array(rep.url) FROM record_reports rr JOIN reports rep"
        " ON rep.id = rr.report_id WHERE rr.record_id IN (r.id, r.parent_id)"
        " AND rep.kind = 'url')"
        " FROM claims c JOIN records r ON r.id = c.id JOIN sources s ON s.id = r.source_id"
        " JOIN packages p ON p.id = r.package_id LEFT JOIN records pr ON pr.id = r.parent_id"
        " ORDER BY s.name, r.source_record_id, p.ecosystem, p.name, r.id",
        selection,
    )
    held: StixClaim | None = None
    for source, ident, eco, name, published, modified, summary, versions, iocs, refs in rows:
        claim = StixClaim(
            ClaimKey(source, ident, purl_of(eco, name)),
            published,
            modified,
            summary,
            _strings(versions),
            _pairs(iocs),
            _strings(refs),
        )
        if held is not None and held.key == claim.key:
            held = _merged(held, claim)
            continue
        if held is not None:
            yield held
        held = claim
    if held is not None:
        yield held


def _merged(one: StixClaim, other: StixClaim) -> StixClaim:
    def earliest(a: str | None, b: str | None) -> str | None:
        return min(filter(None, (a, b)), default=None)

    return StixClaim(
        one.key,
        earliest(one.published, other.published),
        max(filter(None, (one.modified, other.modified)), default=None),
        one.summary or other.summary,
        tuple(sorted({*one.versions, *other.versions})),
        tuple(sorted({*one.iocs, *other.iocs})),
        tuple(sorted({*one.references, *other.references})),
    )


def stix_reports(db: sqlite3.Connection, selection: Selection) -> Iterator[StixReport]:
    """The reports naming a selected package, by url_key, with how each package is named."""
    rows = _rows(
        db,
        "SELECT rep.url_key, rep.url, rep.site, rep.title, rep.published,"
        " (SELECT json_group_array(json_array(p.ecosystem, p.name, n.how)) FROM named n"
        " JOIN packages p ON p.id = n.package_id WHERE n.report_id = rep.id),"
        " (SELECT json_group_array(json_array(i.kind, i.value)) FROM ioc_sightings w"
        " JOIN iocs i ON i.id = w.ioc_id WHERE w.report_id = rep.id)"
        " FROM reports rep WHERE rep.id IN (SELECT report_id FROM named) ORDER BY rep.url_key",
        selection,
    )
    for key, url, site, title, published, named, iocs in rows:
        packages = sorted({NamedPackage(purl_of(e, n), how) for e, n, how in orjson.loads(named)})
        yield StixReport(key, url, site, title, published, tuple(packages), _pairs(iocs))


def stix_iocs(db: sqlite3.Connection, selection: Selection) -> Iterator[StixIoc]:
    """The IoCs seen in a selected claim (or its feed record), report or campaign, by kind and
    value, with the packages and campaigns they point to."""
    rows = _rows(
        db,
        """, seen(ioc_id, package_id, campaign_id, date) AS (
            SELECT w.ioc_id, r.package_id, NULL, coalesce(r.published, r.imported)
            FROM ioc_sightings w JOIN records r ON r.id = w.record_id
            WHERE w.record_id IN carriers AND r.package_id IN chosen
            UNION ALL SELECT w.ioc_id, NULL, NULL, rep.published FROM ioc_sightings w
            JOIN reports rep ON rep.id = w.report_id
            WHERE w.report_id IN (SELECT report_id FROM named)
            UNION ALL SELECT w.ioc_id, NULL, c.id, c.created FROM ioc_sightings w
            JOIN campaigns c ON c.id = w.campaign_id
            WHERE w.campaign_id IN (SELECT campaign_id FROM held))
        SELECT i.kind, i.value, (SELECT min(date) FROM seen WHERE ioc_id = i.id),
            (SELECT json_group_array(DISTINCT json_array(p.ecosystem, p.name)) FROM seen
             JOIN packages p ON p.id = seen.package_id WHERE seen.ioc_id = i.id),
            (SELECT json_group_array(DISTINCT json_array(s.name, c.key)) FROM seen
             JOIN campaigns c ON c.id = seen.campaign_id JOIN sources s ON s.id = c.source_id
             WHERE seen.ioc_id = i.id)
        FROM iocs i WHERE i.id IN (SELECT ioc_id FROM seen) ORDER BY i.kind, i.value""",
        selection,
    )
    for kind, value, first, packages, campaigns in rows:
        purls = tuple(sorted({purl_of(e, n) for e, n in orjson.loads(packages)}))
        yield StixIoc(kind, value, first, purls, _pairs(campaigns))


def stix_families(db: sqlite3.Connection, selection: Selection) -> Iterator[StixFamily]:
    """The families holding a version of a selected package, by id, with those members."""
    rows = _rows(
        db,
        "SELECT f.id, f.size, f.ecosystems, f.first_release, f.last_release,"
        " (SELECT json_group_array(json_array(p.ecosystem, p.name, v.version))"
        " FROM family_members m JOIN package_versions v ON v.id = m.package_version_id"
        " JOIN packages p ON p.id = v.package_id WHERE m.family_id = f.id"
        " AND p.id IN chosen) AS members"
        " FROM families f WHERE f.id IN (SELECT m.family_id FROM family_members m"
        " JOIN package_versions v ON v.id = m.package_version_id WHERE v.package_id IN chosen)"
        " ORDER BY f.id",
        selection,
    )
    for fid, size, ecosystems, first, last, members in rows:
        versions: dict[str, set[str]] = {}
        for eco, name, version in orjson.loads(members):
            versions.setdefault(purl_of(eco, name), set()).add(version)
        held = tuple((purl, tuple(sorted(v))) for purl, v in sorted(versions.items()))
        yield StixFamily(fid, size, _strings(ecosystems), first, last, held)


def stix_campaigns(db: sqlite3.Connection, selection: Selection) -> Iterator[StixCampaign]:
    """The campaigns sources name that hold a selected package, by source and key."""
    rows = _rows(
        db,
        "SELECT s.name, c.key, c.name, c.category, c.created, c.description, c.refs,"
        " (SELECT json_group_array(json_array(p.ecosystem, p.name)) FROM held h"
        " JOIN packages p ON p.id = h.package_id WHERE h.campaign_id = c.id)"
        " FROM campaigns c JOIN sources s ON s.id = c.source_id"
        " WHERE c.id IN (SELECT campaign_id FROM held) ORDER BY s.name, c.key",
        selection,
    )
    for source, key, name, category, created, description, refs, members in rows:
        purls = tuple(sorted({purl_of(e, n) for e, n in orjson.loads(members)}))
        yield StixCampaign(source, key, name, category, created, description, _strings(refs), purls)


# An edge's end as (ecosystem, name, version, source, source's id), by the end's type.
_END = {
    NodeType.RECORD: "SELECT json_array(p.ecosystem, p.name, NULL, s.name, r.source_record_id)"
    " FROM records r JOIN packages p ON p.id = r.package_id JOIN sources s ON s.id = r.source_id"
    " WHERE r.id = e.{end}_id AND r.id IN (SELECT id FROM claims)",
    NodeType.PACKAGE: "SELECT json_array(p.ecosystem, p.name, NULL, NULL, NULL) FROM packages p"
    " WHERE p.id = e.{end}_id AND p.id IN chosen",
    NodeType.PACKAGE_VERSION: "SELECT json_array(p.ecosystem, p.name, v.version, NULL, NULL)"
    " FROM package_versions v JOIN packages p ON p.id = v.package_id"
    " WHERE v.id = e.{end}_id AND p.id IN chosen",
}


def _end_json(end: str) -> str:
    cases = " ".join(
        f"WHEN '{kind}' THEN ({query.format(end=end)})" for kind, query in _END.items()
    )
    return f"CASE e.{end}_type {cases} END"


def _end(parts: list[str | None]) -> RelationEnd:
    eco, name, version, source, ident = parts
    assert eco is not None and name is not None  # a selected end always names a package
    purl = purl_of(eco, name)
    claim = ClaimKey(source, ident, purl) if source is not None and ident is not None else None
    return RelationEnd(purl, version, claim)


def stix_relations(db: sqlite3.Connection, selection: Selection) -> Iterator[StixRelation]:
    """The stored relations of the selected kinds between selected ends, by kind and ends."""
    kinds = selection.kinds or frozenset(EdgeKind)
    params = {**_params(selection), "kinds": orjson.dumps(sorted(kinds)).decode()}
    query = (
        f"SELECT * FROM (SELECT e.id, e.kind, {_end_json('src')} AS src,"
        f" {_end_json('dst')} AS dst, e.evidence, e.confidence, e.step FROM edges e"
        " WHERE e.kind IN (SELECT value FROM json_each(:kinds)))"
        " WHERE src IS NOT NULL AND dst IS NOT NULL ORDER BY kind, src, dst, id"
    )
    for _, kind, src, dst, evidence, confidence, step in db.execute(_SELECTED + query, params):
        yield StixRelation(
            EdgeKind(kind),
            _end(orjson.loads(src)),
            _end(orjson.loads(dst)),
            orjson.loads(evidence),
            confidence,
            step,
        )
