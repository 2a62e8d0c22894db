"""Read-side queries: the cards the CLI shows (the facts analyses need are the read
model's, malgraph.store.read). No writes."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from malgraph.core.identity import canonical_name, ecosystem_of
from malgraph.insights.dependency import dependency_card
from malgraph.relations.coexisting import coreported
from malgraph.store.code import code_card
from malgraph.store.families import similarity_card


def version_dates(db: sqlite3.Connection, package_id: int) -> list[dict[str, Any]]:
    """Per package-version: the release time sources give, and when it was first detected,
    i.e. the earliest date any source (claim, sample) or report (citing or naming the
    package) gives, with who gave it. Claims on all or unknown versions count for each."""
    rows = db.execute(
        """
        WITH versions AS (SELECT id, version FROM package_versions WHERE package_id = :p),
        claims AS (
            SELECT r.id, r.released, s.name AS source,
                min(coalesce(r.published, '9'), coalesce(r.modified, '9'),
                    coalesce(r.imported, '9')) AS seen
            FROM records r JOIN sources s ON s.id = r.source_id
            WHERE r.package_id = :p AND r.role = 'claim' AND r.withdrawn IS NULL),
        dated(version_id, released, seen, who) AS (
            SELECT rv.version_id, c.released, c.seen, c.source FROM claims c
            JOIN record_versions rv ON rv.record_id = c.id
            UNION ALL SELECT v.id, c.released, c.seen, c.source FROM claims c, versions v
            WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = c.id)
            UNION ALL SELECT a.package_version_id, NULL, a.detected, s.name FROM artifacts a
            JOIN sources s ON s.id = a.source_id JOIN versions v ON v.id = a.package_version_id
            UNION ALL SELECT o.package_version_id, o.released, NULL, o.registry
            FROM registry_observations o JOIN versions v ON v.id = o.package_version_id
            UNION ALL SELECT v.id, NULL, rp.published, rp.url FROM versions v, reports rp
            WHERE rp.published IS NOT NULL AND rp.id IN (
                SELECT rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
                WHERE r.package_id = :p
                UNION SELECT report_id FROM report_mentions WHERE package_id = :p
                UNION SELECT report_id FROM report_link_packages WHERE package_id = :p))
        SELECT v.version, d.released, nullif(d.seen, '9'), d.who
        FROM versions v LEFT JOIN dated d ON d.version_id = v.id ORDER BY v.version
        """,
        {"p": package_id},
    )
    out: dict[str, dict[str, Any]] = {}
    for version, released, seen, who in rows:
        dates = out.setdefault(
            version,
            {
                "version": version,
                "released": None,
                "first_detected": None,
                "detected_by": None,
                "removal_observed": None,
                "removal_seen_by": None,
            },
        )
        if released and (dates["released"] is None or released < dates["released"]):
            dates["released"] = released
        if seen and (dates["first_detected"] is None or seen < dates["first_detected"]):
            dates["first_detected"], dates["detected_by"] = seen, who
    for version, observed, registry in db.execute(
        "SELECT pv.version, min(o.observed_at), o.registry FROM registry_observations o"
        " JOIN package_versions pv ON pv.id = o.package_version_id"
        " WHERE pv.package_id = ? AND o.status = 'removed' GROUP BY pv.id",
        (package_id,),
    ):
        out[version]["removal_observed"], out[version]["removal_seen_by"] = observed, registry
    return list(out.values())


def _loads(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def find_packages(db: sqlite3.Connection, name: str, ecosystem: str | None) -> list[int]:
    """Packages called `name` (canonicalised per ecosystem), in one ecosystem or all."""
    ecosystems = (
        [ecosystem_of(ecosystem).name]
        if ecosystem
        else [row[0] for row in db.execute("SELECT DISTINCT ecosystem FROM packages")]
    )
    ids = []
    for eco in ecosystems:
        row = db.execute(
            "SELECT id FROM packages WHERE ecosystem = ? AND name = ?",
            (eco, canonical_name(eco, name)),
        ).fetchone()
        if row:
            ids.append(int(row[0]))
    return ids


def package_card(db: sqlite3.Connection, package_id: int) -> dict[str, Any]:
    """Everything the store knows about one package: records, sources, reports, edges."""
    eco, name, purl = db.execute(
        "SELECT ecosystem, name, purl FROM packages WHERE id = ?", (package_id,)
    ).fetchone()
    records = []
    for row in db.execute(
        "SELECT r.id, s.name, s.kind, r.source_record_id, r.role, r.parent_id, r.name_given,"
        " r.scope, r.versions, r.published, r.modified, r.withdrawn, r.imported, r.aliases,"
        " r.summary, coalesce(l.label, s.name) FROM records r JOIN sources s ON s.id = r.source_id"
        " LEFT JOIN source_labels l ON l.id = r.label_id"
        " WHERE r.package_id = ? ORDER BY r.parent_id IS NOT NULL, s.name, r.source_record_id",
        (package_id,),
    ):
        keys = (
            "id",
            "source",
            "source_kind",
            "source_record_id",
            "role",
            "parent_id",
            "name_given",
            "scope",
            "versions",
            "published",
            "modified",
            "withdrawn",
            "imported",
            "aliases",
            "summary",
            "label",
        )
        record = dict(zip(keys, row, strict=True))
        record["versions"] = _loads(record["versions"]) or []
        record["aliases"] = _loads(record["aliases"]) or []
        records.append(record)
    reports = [
        {"url": url, "site": site, "title": title, "published": published, "via": via}
        for url, site, title, published, via in db.execute(
            "SELECT rp.url, rp.site, rp.title, rp.published, group_concat(DISTINCT via) FROM ("
            " SELECT rr.report_id, lower(rr.ref_type) AS via FROM record_reports rr"
            " JOIN records r ON r.id = rr.record_id WHERE r.package_id = :p"
            " UNION SELECT report_id, 'mention: ' || matched FROM report_mentions"
            " WHERE package_id = :p UNION SELECT report_id,"
            " 'linked' || coalesce('@' || version, '') FROM report_link_packages"
            " WHERE package_id = :p)"
            " AS links JOIN reports rp ON rp.id = links.report_id"
            " GROUP BY rp.id ORDER BY rp.published, rp.url",
            {"p": package_id},
        )
    ]
    campaigns = [
        {"source": source, "name": name, "category": category, "created": created}
        for source, name, category, created in db.execute(
            "SELECT DISTINCT s.name, c.name, c.category, c.created FROM campaigns c"
            " JOIN sources s ON s.id = c.source_id JOIN campaign_members m ON m.campaign_id = c.id"
            " JOIN records r ON r.id = m.record_id WHERE r.package_id = ? ORDER BY c.name",
            (package_id,),
        )
    ]
    iocs = [
        {"kind": kind, "value": value}
        for kind, value in db.execute(
            "SELECT DISTINCT i.kind, i.value FROM iocs i JOIN ioc_sightings g ON g.ioc_id = i.id"
            " JOIN records r ON r.id = g.record_id WHERE r.package_id = ? ORDER BY 1, 2",
            (package_id,),
        )
    ]
    edges = [
        {
            "kind": kind,
            "src": src,
            "dst": dst,
            "confidence": conf,
            "step": step,
            "evidence": _loads(evidence),
        }
        for kind, src, dst, conf, step, evidence in db.execute(
            "SELECT e.kind, e.src_id, e.dst_id, e.confidence, e.step, e.evidence FROM edges e"
            " JOIN records r ON r.id = e.src_id WHERE e.src_type = 'record'"
            " AND r.package_id = ? ORDER BY e.kind, e.id",
            (package_id,),
        )
    ]
    versions = [
        v
        for (v,) in db.execute(
            "SELECT version FROM package_versions WHERE package_id = ? ORDER BY version",
            (package_id,),
        )
    ]
    return {
        "ecosystem": eco,
        "name": name,
        "purl": purl,
        "versions": versions,
        "sources": sorted({r["source"] for r in records if r["role"] == "claim"}),
        "records": records,
        "reports": reports,
        "campaigns": campaigns,
        "iocs": iocs,
        "coreported": coreported(db, package_id),
        "timeline": version_dates(db, package_id),
        "code": code_card(db, package_id),
        "similarity": similarity_card(db, package_id),
        "dependency": dependency_card(db, package_id),
        "edges": edges,
    }


def holds_records(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None
