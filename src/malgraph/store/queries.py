"""Read-side queries: the facts analyses need (the package card: store.read.card). No writes."""

from __future__ import annotations

import sqlite3
from typing import Any

from malgraph.core.model import ClaimView, Scope
from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.overlap import source_overlap
from malgraph.store.code import availability
from malgraph.store.families import family_stats

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
    out["families"] = family_stats(db)
    out["dependency"] = dependency_numbers(db)
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
    return {
        category: {"sites": sites, "reports": reports}
        for category, sites, reports in db.execute(
            "SELECT category, count(DISTINCT site), coalesce(sum(reports), 0) FROM report_sites"
            " GROUP BY 1 ORDER BY 3 DESC, 1"
        )
    }


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
        "availability": availability(db),
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
