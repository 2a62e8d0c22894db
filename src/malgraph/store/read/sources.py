"""The read model of provenance: the claims sources make, their counts per source and label,
the code they hold, the store's totals, and the MalGraph paper's sheet rows and labelling with
what malgraph holds for the same packages. Reads only; every value is typed
(malgraph.core.provenance), the counting is the insights'."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence, Set

import orjson

from malgraph.core.kinds import LabelKind, MemberRole
from malgraph.core.model import ClaimView, Scope
from malgraph.core.provenance import (
    Clusters,
    CodeCounts,
    CodeFacts,
    Coverage,
    Group,
    LabelCount,
    LabelFacts,
    LabelQuestions,
    Member,
    Package,
    PaperRow,
    ReportLinkCount,
    StoreCounts,
    Version,
)
from malgraph.store.read.graph import availability

_ACTIVE = "r.role = 'claim' AND (?1 OR r.withdrawn IS NULL)"


def claims(
    db: sqlite3.Connection,
    package_ids: Sequence[int] | None = None,
    include_withdrawn: bool = False,
) -> list[ClaimView]:
    """Stored claims (of these packages, or all), withdrawn ones only if asked, with their
    canonical versions."""
    sql = (
        "SELECT r.id, s.name, r.source_record_id, p.ecosystem, r.package_id, p.purl, r.scope,"
        " (SELECT group_concat(pv.version, char(31)) FROM record_versions rv"
        "  JOIN package_versions pv ON pv.id = rv.version_id WHERE rv.record_id = r.id),"
        " (SELECT label FROM source_labels WHERE id = r.label_id)"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        f" JOIN packages p ON p.id = r.package_id WHERE {_ACTIVE}"
    )
    if package_ids is None:
        rows = db.execute(sql, (include_withdrawn,))
    else:  # not "?2 IS NULL OR ...": that would keep SQLite from the package index
        sql += " AND r.package_id IN (SELECT value FROM json_each(?2))"
        rows = db.execute(sql, (include_withdrawn, orjson.dumps(list(package_ids)).decode()))
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


def _count(db: sqlite3.Connection, sql: str, *args: object) -> int:
    return int(db.execute(sql, args).fetchone()[0])


def withdrawn_claims(db: sqlite3.Connection) -> int:
    """Claims their source has withdrawn (left out of every count but this one)."""
    return _count(db, "SELECT count(*) FROM records WHERE role = 'claim' AND withdrawn IS NOT NULL")


def store_counts(db: sqlite3.Connection, include_withdrawn: bool = False) -> StoreCounts:
    """The store's totals, withdrawn claims counted only if asked (but in their own total)."""
    active = (include_withdrawn,)
    return StoreCounts(
        records=_count(db, f"SELECT count(*) FROM records r WHERE {_ACTIVE}", *active),
        withdrawn_records=withdrawn_claims(db),
        packages=_count(
            db, f"SELECT count(DISTINCT r.package_id) FROM records r WHERE {_ACTIVE}", *active
        ),
        package_versions=package_version_count(db, include_withdrawn),
        documents=_count(db, "SELECT count(*) FROM documents"),
        reports=_count(db, "SELECT count(*) FROM reports"),
        unknown_ecosystems=tuple(
            row[0]
            for row in db.execute(
                "SELECT DISTINCT ecosystem FROM packages WHERE NOT ecosystem_known ORDER BY 1"
            )
        ),
        edges=dict(db.execute("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY kind")),
    )


def package_version_count(db: sqlite3.Connection, include_withdrawn: bool = False) -> int:
    """The store's one count of package-versions: distinct versions some active claim lists
    (`stats` prints it; the report's header reads it too). A claim of every version, a range
    or unknown versions names none (see insights.overlap)."""
    return _count(
        db,
        "SELECT count(DISTINCT rv.version_id) FROM record_versions rv"
        f" JOIN records r ON r.id = rv.record_id WHERE {_ACTIVE} AND r.scope = 'listed'",
        include_withdrawn,
    )


def report_link_counts(db: sqlite3.Connection) -> list[ReportLinkCount]:
    """Per ecosystem: the report-to-package links, and how many reach a package some claim
    names (the others wait, by name, for one)."""
    return [
        ReportLinkCount(*row)
        for row in db.execute(
            "SELECT l.ecosystem, count(*), count(p.id) FROM report_links l LEFT JOIN packages p"
            " ON p.ecosystem = l.ecosystem AND p.name = l.name GROUP BY 1 ORDER BY 1"
        )
    ]


def label_counts(db: sqlite3.Connection, include_withdrawn: bool = False) -> list[LabelCount]:
    """Per canonical source and label as its inputs gave it, its claims (withdrawn ones only
    if asked), by source then label."""
    return [
        LabelCount(*row)
        for row in db.execute(
            "SELECT s.name, coalesce(l.label, s.name), count(*) FROM records r"
            " JOIN sources s ON s.id = r.source_id"
            " LEFT JOIN source_labels l ON l.id = r.label_id"
            " WHERE r.role = 'claim' AND (?1 OR r.withdrawn IS NULL)"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            (include_withdrawn,),
        )
    ]


def code_counts(db: sqlite3.Connection) -> CodeCounts:
    """Artifacts, the package-versions they are of, archives analysed by outcome, and per
    claiming source its package-versions with code and without."""
    return CodeCounts(
        artifacts=_count(db, "SELECT count(*) FROM artifacts"),
        available_package_versions=_count(
            db, "SELECT count(DISTINCT package_version_id) FROM artifacts"
        ),
        analyses=dict(
            db.execute("SELECT status, count(*) FROM code_analyses GROUP BY 1 ORDER BY 1")
        ),
        availability=availability(db),
    )


def coverage(db: sqlite3.Connection, include_withdrawn: bool = False) -> list[Coverage]:
    """Per source: its claims, those whose code it holds itself (a "tracked" status, or a
    sample of its own of the claim's versions), and those with code from any source of the
    same package-version. Only a claim that names its versions (scope listed) can be filled,
    or fill another: code of some version is not code of the version claimed."""
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
    return [
        Coverage(source, int(total), int(own), int(filled)) for source, total, own, filled in rows
    ]


def paper_rows(db: sqlite3.Connection) -> list[PaperRow]:
    """The stored claims that came from rows of the paper's malware sheets."""
    found = db.execute(
        "SELECT l.label, r.source_record_id, r.given, r.available FROM records r"
        " JOIN source_labels l ON l.id = r.label_id"
        " WHERE r.role = 'claim' AND r.given IS NOT NULL AND r.source_record_id LIKE 'paper/%'"
    )
    # the record id is paper/<Source>/<sheet>/<ID>: the sheet is next to last
    return [
        PaperRow(label, ident.rsplit("/", 2)[-2], given, available == 1)
        for label, ident, given, available in found
    ]


def paper_clusters(db: sqlite3.Connection, labeller: str) -> Clusters:
    """How many similar clusters a labeller drew, and their distinct members as it spelled
    them and as malgraph normalised them."""
    found = db.execute(
        "SELECT count(DISTINCT g.id), count(DISTINCT m.ecosystem || '/' || m.given),"
        " count(DISTINCT m.ecosystem || '/' || m.name || '@' || coalesce(m.version, ''))"
        " FROM label_groups g JOIN label_members m ON m.group_id = g.id"
        " WHERE g.labeller = ? AND g.kind = ?",
        (labeller, LabelKind.SIMILAR),
    ).fetchone()
    return Clusters(*found)


def label_groups(db: sqlite3.Connection, labeller: str) -> list[Group]:
    """Every stored group of one labeller, in a stable order."""
    members: dict[int, set[Member]] = defaultdict(set)
    for group, eco, name, version, role in db.execute(
        "SELECT m.group_id, m.ecosystem, m.name, m.version, m.role FROM label_members m"
        " JOIN label_groups g ON g.id = m.group_id WHERE g.labeller = ?",
        (labeller,),
    ):
        members[group].add(Member(eco, name, version, MemberRole(role)))
    return [
        Group(LabelKind(kind), key, path, frozenset(members[group]))
        for group, kind, key, path in db.execute(
            "SELECT g.id, g.kind, g.key, coalesce(d.path, g.document_sha256) FROM label_groups g"
            " LEFT JOIN documents d ON d.sha256 = g.document_sha256 WHERE g.labeller = ?"
            " ORDER BY g.kind, g.key, g.id",
            (labeller,),
        )
    ]


def _listed(values: object) -> str:
    return orjson.dumps(values).decode()


# The (ecosystem, name[, version]) triples asked, as a table.
_ASKED = (
    "WITH w(eco, name, version) AS (SELECT json_extract(value, '$[0]'),"
    " json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
)


def code_facts(db: sqlite3.Connection, versions: Set[Version]) -> dict[Version, CodeFacts]:
    """For each package-version asked: whether the store has it, analysed code, a family."""
    out: dict[Version, CodeFacts] = {}
    for eco, name, version, version_id, has_code, family in db.execute(
        _ASKED + "SELECT w.eco, w.name, w.version, pv.id, EXISTS (SELECT 1 FROM artifacts a"
        " JOIN code_analyses c ON c.sha256 = a.sha256 AND c.status != 'unreadable'"
        " WHERE a.package_version_id = pv.id), m.family_id FROM w"
        " LEFT JOIN packages p ON p.ecosystem = w.eco AND p.name = w.name"
        " LEFT JOIN package_versions pv ON pv.package_id = p.id AND pv.version = w.version"
        " LEFT JOIN family_members m ON m.package_version_id = pv.id",
        (_listed(sorted(versions)),),
    ):
        out[(eco, name, version)] = CodeFacts(version_id is not None, bool(has_code), family)
    return out


def claimed_packages(db: sqlite3.Connection, packages: Set[Package]) -> frozenset[Package]:
    """Those of the packages asked that the store has a claim on."""
    return frozenset(
        (eco, name)
        for eco, name in db.execute(
            _ASKED + "SELECT p.ecosystem, p.name FROM w JOIN packages p"
            " ON p.ecosystem = w.eco AND p.name = w.name",
            (_listed(sorted(packages)),),
        )
    )


def report_links(db: sqlite3.Connection, keys: Set[str]) -> dict[str, frozenset[Package]]:
    """For the report URL keys asked that the store has as reports: the packages it links to
    each (a record citing it, or its text naming the package)."""
    rows = db.execute(
        "SELECT id, url_key FROM reports WHERE url_key IN (SELECT value FROM json_each(?))",
        (_listed(sorted(keys)),),
    ).fetchall()
    ids = {report: key for report, key in rows}
    out: dict[str, set[Package]] = {key: set() for key in ids.values()}
    for report, eco, name in db.execute(
        "SELECT l.report_id, p.ecosystem, p.name FROM (SELECT rr.report_id, r.package_id"
        " FROM record_reports rr JOIN records r ON r.id = rr.record_id WHERE r.withdrawn IS NULL"
        " UNION SELECT report_id, package_id FROM report_mentions) l"
        " JOIN packages p ON p.id = l.package_id WHERE l.report_id IN"
        " (SELECT value FROM json_each(?))",
        (_listed(sorted(ids)),),
    ):
        out[ids[report]].add((eco, name))
    return {key: frozenset(packages) for key, packages in out.items()}


def dependency_pairs(db: sqlite3.Connection) -> frozenset[tuple[Package, Package]]:
    """malgraph's depends-on edges lifted to packages: (depending, depended on)."""
    return frozenset(
        ((se, sn), (de, dn))
        for se, sn, de, dn in db.execute(
            "SELECT DISTINCT sp.ecosystem, sp.name, dp.ecosystem, dp.name FROM edges e"
            " LEFT JOIN package_versions pv ON e.src_type = 'package_version' AND pv.id = e.src_id"
            " JOIN packages sp ON sp.id = CASE e.src_type WHEN 'package' THEN e.src_id"
            " ELSE pv.package_id END JOIN packages dp ON dp.id = e.dst_id"
            " WHERE e.kind = 'depends_on'"
        )
    )


def sources_per_version(db: sqlite3.Connection, versions: Set[Version]) -> dict[Version, int]:
    """How many sources have an active claim naming each package-version asked (two or more
    is what malgraph's duplicated relation links); absent ones are left out."""
    return {
        (eco, name, version): count
        for eco, name, version, count in db.execute(
            _ASKED + "SELECT p.ecosystem, p.name, pv.version, count(DISTINCT r.source_id) FROM w"
            " JOIN packages p ON p.ecosystem = w.eco AND p.name = w.name"
            " JOIN package_versions pv ON pv.package_id = p.id AND pv.version = w.version"
            " JOIN record_versions rv ON rv.version_id = pv.id JOIN records r"
            " ON r.id = rv.record_id AND r.role = 'claim' AND r.withdrawn IS NULL GROUP BY pv.id",
            (_listed(sorted(versions)),),
        )
    }


def label_facts(db: sqlite3.Connection, asked: LabelQuestions) -> LabelFacts:
    """What malgraph holds for the packages of a labelling: the answers to `asked`."""
    return LabelFacts(
        code=code_facts(db, asked.clustered),
        links=report_links(db, asked.report_keys),
        pairs=dependency_pairs(db),
        sources=sources_per_version(db, asked.duplicated),
        known=claimed_packages(db, asked.packages),
    )
