"""Read-side queries: the facts analyses need and the cards the CLI shows. No writes."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from malgraph.core.identity import canonical_name, ecosystem_of
from malgraph.core.model import ClaimView, Scope
from malgraph.insights.dependency import dependency_card, dependency_numbers
from malgraph.insights.families import family_stats
from malgraph.insights.overlap import source_overlap
from malgraph.relations.coexisting import coreported
from malgraph.store.code import code_card
from malgraph.store.families import similarity_card
from malgraph.store.read import graph

_ACTIVE = "r.role = 'claim' AND (?1 OR r.withdrawn IS NULL)"


def claims(
    db: sqlite3.Connection, package_ids_json: str | None = None, include_withdrawn: bool = False
) -> list[ClaimView]:
    """Stored claims (of the packages in a JSON list of ids, or all), withdrawn ones only if
    asked, with their canonical versions."""
    sql = (
        "SELECT r.id, s.name, r.source_record_id, p.ecosystem, r.package_id, p.purl, r.scope,"
        " (SELECT group_concat(pv.version, char(31)) FROM record_versions rv"
        "  JOIN package_versions pv ON pv.id = rv.version_id WHERE rv.record_id = r.id),"
        " (SELECT label FROM source_labels WHERE id = r.label_id)"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        f" JOIN packages p ON p.id = r.package_id WHERE {_ACTIVE}"
    )
    if package_ids_json is None:
        rows = db.execute(sql, (include_withdrawn,))
    else:  # not "?2 IS NULL OR ...": that would keep SQLite from the package index
        sql += " AND r.package_id IN (SELECT value FROM json_each(?2))"
        rows = db.execute(sql, (include_withdrawn, package_ids_json))
    return [
        ClaimView(
            record,
            source,
            source_record,
            eco,
            package,
            purl,
            Scope(scope),
            frozenset(versions.split("\x1f")) if versions else frozenset(),
            "" if label in (None, source) else label,
        )
        for record, source, source_record, eco, package, purl, scope, versions, label in rows
    ]


def stats(
    db: sqlite3.Connection, *, level: str = "version", include_withdrawn: bool = False
) -> dict[str, Any]:
    """The store summary and the paper's RQ1 numbers, as `malgraph stats --json` prints."""

    def one(sql: str, *args: object) -> int:
        return int(db.execute(sql, args).fetchone()[0])

    active = (include_withdrawn,)
    out: dict[str, Any] = {
        "records": one(f"SELECT count(*) FROM records r WHERE {_ACTIVE}", *active),
        "withdrawn_records": one(
            "SELECT count(*) FROM records WHERE role = 'claim' AND withdrawn IS NOT NULL"
        ),
        "packages": one(
            f"SELECT count(DISTINCT r.package_id) FROM records r WHERE {_ACTIVE}", *active
        ),
        "package_versions": package_version_count(db, include_withdrawn),
        "documents": one("SELECT count(*) FROM documents"),
        "reports": one("SELECT count(*) FROM reports"),
        "report_links": report_link_counts(db),
        "report_sites": report_site_counts(db),
        "unknown_ecosystems": [
            row[0]
            for row in db.execute(
                "SELECT DISTINCT ecosystem FROM packages WHERE NOT ecosystem_known ORDER BY 1"
            )
        ],
        "edges": dict(db.execute("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY kind")),
    }
    out.update(source_overlap(claims(db, None, include_withdrawn), level))
    out["by_label"] = label_counts(db, include_withdrawn)
    out["missing_rate"] = missing_rate(db, include_withdrawn)
    out["code"] = code_counts(db)
    out["families"] = family_stats(graph.family_sizes(db), graph.family_coverage(db))
    out["dependency"] = dependency_numbers(
        graph.packages(db), graph.package_edges(db), graph.package_edges(db, name_only=True)
    )
    return out


def package_version_count(db: sqlite3.Connection, include_withdrawn: bool = False) -> int:
    """The store's one count of package-versions: distinct versions some active claim lists
    (`stats` prints it; the report's header reads it too). A claim of every version, a range
    or unknown versions names none (see insights.overlap)."""
    return int(
        db.execute(
            "SELECT count(DISTINCT rv.version_id) FROM record_versions rv"
            f" JOIN records r ON r.id = rv.record_id WHERE {_ACTIVE} AND r.scope = 'listed'",
            (include_withdrawn,),
        ).fetchone()[0]
    )


def report_link_counts(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per ecosystem: the report-to-package links, and how many reach a package some claim
    names (the others wait, by name, for one)."""
    return {
        eco: {"links": links, "to_claimed_packages": claimed}
        for eco, links, claimed in db.execute(
            "SELECT l.ecosystem, count(*), count(p.id) FROM report_links l LEFT JOIN packages p"
            " ON p.ecosystem = l.ecosystem AND p.name = l.name GROUP BY 1 ORDER BY 1"
        )
    }


def report_site_counts(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Category -> how many report sites a source puts in it, and how many reports the source
    counts on them."""
    return {category: n._asdict() for category, n in graph.report_sites(db).items()}


def label_counts(
    db: sqlite3.Connection, include_withdrawn: bool = False
) -> dict[str, dict[str, int]]:
    """Canonical source -> label as its inputs gave it -> claims (withdrawn ones only if
    asked): the split behind each source's count, as provenance."""
    out: dict[str, dict[str, int]] = {}
    for source, label, n in db.execute(
        "SELECT s.name, coalesce(l.label, s.name), count(*) FROM records r"
        " JOIN sources s ON s.id = r.source_id LEFT JOIN source_labels l ON l.id = r.label_id"
        " WHERE r.role = 'claim' AND (?1 OR r.withdrawn IS NULL) GROUP BY 1, 2 ORDER BY 1, 2",
        (include_withdrawn,),
    ):
        out.setdefault(source, {})[label] = n
    return out


def code_counts(db: sqlite3.Connection) -> dict[str, Any]:
    """How much code the store has: artifacts, archives analysed by outcome, and per claiming
    source how many of its package-versions have code (the paper's tracked / untracked)."""
    return {
        "artifacts": int(db.execute("SELECT count(*) FROM artifacts").fetchone()[0]),
        "available_package_versions": int(
            db.execute("SELECT count(DISTINCT package_version_id) FROM artifacts").fetchone()[0]
        ),
        "analyses": dict(
            db.execute("SELECT status, count(*) FROM code_analyses GROUP BY 1 ORDER BY 1")
        ),
        "availability": {s: a._asdict() for s, a in graph.availability(db).items()},
    }


def missing_rate(db: sqlite3.Connection, include_withdrawn: bool = False) -> dict[str, Any]:
    """The paper's missing rates: per source and overall, the share of records whose code
    their source does not hold (no "tracked" status, no sample of its own of the record's
    versions), and the share still without code after filling from any source holding code of
    the same package-version. Only a claim that names its versions (scope listed) can be
    filled, or fill another: code of some version is not code of the version claimed."""
    rows = db.execute(
        f"""
        WITH held(version_id, source_id) AS (
            SELECT rv.version_id, r.source_id FROM record_versions rv
            JOIN records r ON r.id = rv.record_id
            WHERE r.available = 1 AND r.role = 'claim' AND r.scope = 'listed'
            UNION SELECT package_version_id, source_id FROM artifacts),
        covered AS (
            SELECT r.id, r.source_id,
                coalesce(r.available, 0) = 1 OR coalesce(max(h.source_id = r.source_id), 0) AS own,
                coalesce(r.available, 0) = 1 OR count(h.version_id) > 0 AS any_source
            FROM records r
            LEFT JOIN record_versions rv ON rv.record_id = r.id AND r.scope = 'listed'
            LEFT JOIN held h ON h.version_id = rv.version_id
            WHERE {_ACTIVE} GROUP BY r.id)
        SELECT s.name, count(*), sum(own), sum(any_source)
        FROM covered c JOIN sources s ON s.id = c.source_id GROUP BY s.name ORDER BY s.name
        """,
        (include_withdrawn,),
    )
    counts = [(source, int(total), int(own), int(filled)) for source, total, own, filled in rows]
    records = sum(total for _, total, _, _ in counts)
    own_all = sum(own for _, _, own, _ in counts)
    filled_all = sum(filled for _, _, _, filled in counts)
    return {
        "overall": _missing(records, own_all, filled_all),
        "by_source": {source: _missing(total, own, n) for source, total, own, n in counts},
    }


def _missing(records: int, own: int, filled: int) -> dict[str, Any]:
    return {
        "records": records,
        "missing": round(1 - own / records, 4) if records else None,
        "missing_after_filling": round(1 - filled / records, 4) if records else None,
    }


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
