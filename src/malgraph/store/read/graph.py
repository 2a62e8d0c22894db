"""The read model of the graph over time: packages and their release times, families,
dependency links, the packages reports and campaigns name, IoCs, the facts of change between
versions and the dates of each life cycle, as the typed values of malgraph.core.graph."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import TypeVar

import orjson

from malgraph.core.graph import (
    NAME_ONLY_STEP,
    ArchiveFacts,
    Availability,
    ChangeFacts,
    CoveringClaim,
    Detection,
    Family,
    FamilyCoverage,
    FamilyMember,
    Groupings,
    IocSightings,
    LifecycleDates,
    MemberFacts,
    NamedCampaign,
    PackageEdge,
    PackageName,
    PackagePurl,
    Packages,
    RecordSays,
    SiteCount,
    StoredIoc,
    VersionOf,
)
from malgraph.core.kinds import DependencyVia, EdgeKind, IocKind, NodeType

T = TypeVar("T")


def _sets(rows: Iterable[tuple[int, T]]) -> dict[int, frozenset[T]]:
    out: dict[int, set[T]] = defaultdict(set)
    for key, member in rows:
        out[key].add(member)
    return {key: frozenset(members) for key, members in out.items()}


def release_times(db: sqlite3.Connection) -> dict[int, str]:
    """The earliest release time any source or registry gives, per package-version."""
    return dict(
        db.execute(
            "SELECT version_id, min(released) FROM ("
            " SELECT rv.version_id, r.released FROM records r"
            " JOIN record_versions rv ON rv.record_id = r.id"
            " WHERE r.released IS NOT NULL AND r.role = 'claim' AND r.withdrawn IS NULL"
            " UNION ALL SELECT package_version_id, released FROM registry_observations"
            " WHERE released IS NOT NULL) GROUP BY version_id"
        )
    )


def availability(db: sqlite3.Connection) -> dict[str, Availability]:
    """Per source that makes claims: its package-versions with code (an artifact from anyone)
    and without, the paper's tracked / untracked."""
    rows = db.execute(
        "SELECT s.name, count(DISTINCT rv.version_id), count(DISTINCT a.package_version_id)"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        " JOIN record_versions rv ON rv.record_id = r.id"
        " LEFT JOIN artifacts a ON a.package_version_id = rv.version_id"
        " WHERE r.role = 'claim' AND r.withdrawn IS NULL GROUP BY s.name ORDER BY s.name"
    )
    return {source: Availability(n, held, n - held) for source, n, held in rows}


def packages(db: sqlite3.Connection) -> Packages:
    """Every package, every package-version, and the release times."""
    names = {
        pid: PackageName(eco, name, purl)
        for pid, eco, name, purl in db.execute("SELECT id, ecosystem, name, purl FROM packages")
    }
    versions = {
        version: VersionOf(package, names[package].name, number, names[package].ecosystem)
        for version, package, number in db.execute(
            "SELECT id, package_id, version FROM package_versions"
        )
    }
    return Packages(names, versions, release_times(db))


def family_packages(db: sqlite3.Connection) -> dict[str, frozenset[int]]:
    """Family id -> the packages holding a version of it."""
    return {
        family: frozenset(held)
        for family, held in _sets_by_text(
            db.execute(
                "SELECT DISTINCT m.family_id, pv.package_id FROM family_members m"
                " JOIN package_versions pv ON pv.id = m.package_version_id"
            )
        ).items()
    }


def _sets_by_text(rows: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    for key, member in rows:
        out[key].add(member)
    return out


def package_purls(db: sqlite3.Connection) -> Iterator[PackagePurl]:
    """Every package's purl, in purl order (then id), streamed."""
    for pid, purl in db.execute("SELECT id, purl FROM packages ORDER BY purl, id"):
        yield PackagePurl(pid, purl)


# Per package of `:ids`: its name and the earliest and latest of its versions' release times,
# a version's release time being the earliest any source or registry gives (as release_times).
_MEMBER_FACTS = """
    WITH mine(id) AS (SELECT value FROM json_each(:ids)),
    versions(id, package_id) AS (
        SELECT id, package_id FROM package_versions WHERE package_id IN mine),
    released(version_id, at) AS (
        SELECT rv.version_id, r.released FROM records r
        JOIN record_versions rv ON rv.record_id = r.id
        WHERE rv.version_id IN (SELECT id FROM versions) AND r.released IS NOT NULL
        AND r.role = 'claim' AND r.withdrawn IS NULL
        UNION ALL SELECT package_version_id, released FROM registry_observations
        WHERE package_version_id IN (SELECT id FROM versions) AND released IS NOT NULL),
    first(version_id, at) AS (SELECT version_id, min(at) FROM released GROUP BY version_id)
    SELECT p.id, p.ecosystem, p.name, p.purl, min(f.at), max(f.at) FROM packages p
    LEFT JOIN versions v ON v.package_id = p.id LEFT JOIN first f ON f.version_id = v.id
    WHERE p.id IN mine GROUP BY p.id
"""


def member_facts(db: sqlite3.Connection, packages: Collection[int]) -> dict[int, MemberFacts]:
    """What a campaign candidate shows of each of `packages` (its members)."""
    ids = orjson.dumps(sorted(packages)).decode()
    return {
        pid: MemberFacts(eco, name, purl, first, last)
        for pid, eco, name, purl, first, last in db.execute(_MEMBER_FACTS, {"ids": ids})
    }


def package_edges(db: sqlite3.Connection, name_only: bool = False) -> list[PackageEdge]:
    """Depends-on edges lifted to packages. Those that reach no version shown malicious (name
    only) are left out, or asked alone."""
    query = (
        "SELECT CASE e.src_type WHEN ?1 THEN e.src_id ELSE pv.package_id END, e.dst_id,"
        " e.evidence FROM edges e LEFT JOIN package_versions pv"
        " ON e.src_type = ?2 AND pv.id = e.src_id WHERE e.kind = ?3"
        f" AND e.step {'=' if name_only else '!='} ?4"
    )
    kinds = (NodeType.PACKAGE.value, NodeType.PACKAGE_VERSION.value, EdgeKind.DEPENDS_ON.value)
    return [
        PackageEdge(
            src, dst, frozenset(DependencyVia(e["via"]) for e in orjson.loads(evidence)["evidence"])
        )
        for src, dst, evidence in db.execute(query, (*kinds, NAME_ONLY_STEP))
    ]


def report_members(db: sqlite3.Connection) -> dict[int, frozenset[int]]:
    """Report id -> the packages it names: cited by a record of theirs (withdrawn records
    left out: the source took its word back), mentioned in its text, or linked to it."""
    return _sets(
        db.execute(
            "SELECT rr.report_id, r.package_id FROM record_reports rr JOIN records r"
            " ON r.id = rr.record_id WHERE r.withdrawn IS NULL"
            " UNION SELECT report_id, package_id FROM report_mentions"
            " UNION SELECT report_id, package_id FROM report_link_packages"
        )
    )


def groupings(db: sqlite3.Connection) -> Groupings:
    """Reports and the packages they name, named campaigns and theirs, families and their
    package-versions, depends-on links between packages (name-only ones left out)."""
    campaigns = [
        NamedCampaign(*row)
        for row in db.execute(
            "SELECT c.id, s.name, c.name, c.category FROM campaigns c"
            " JOIN sources s ON s.id = c.source_id ORDER BY s.name, c.name, c.key"
        )
    ]
    campaign_members = _sets(
        db.execute(
            "SELECT DISTINCT m.campaign_id, r.package_id FROM campaign_members m"
            " JOIN records r ON r.id = m.record_id"
        )
    )
    families: dict[str, set[int]] = defaultdict(set)
    for family, version in db.execute("SELECT family_id, package_version_id FROM family_members"):
        families[family].add(version)
    return Groupings(
        report_members(db),
        dict(db.execute("SELECT id, url FROM reports")),
        campaigns,
        campaign_members,
        {family: frozenset(versions) for family, versions in families.items()},
        package_edges(db),
    )


def ioc_sightings(db: sqlite3.Connection) -> IocSightings:
    """Each IoC, and the packages it was seen on: in an active record, or in their code."""
    iocs = {
        i: StoredIoc(IocKind(kind), value)
        for i, kind, value in db.execute("SELECT id, kind, value FROM iocs")
    }
    seen = _sets(
        db.execute(
            "SELECT g.ioc_id, r.package_id FROM ioc_sightings g"
            " JOIN records r ON r.id = g.record_id WHERE r.withdrawn IS NULL"
            " UNION SELECT c.ioc_id, pv.package_id FROM code_iocs c"
            " JOIN artifacts a ON a.sha256 = c.sha256"
            " JOIN package_versions pv ON pv.id = a.package_version_id"
        )
    )
    return IocSightings(iocs, seen)


def report_sites(db: sqlite3.Connection) -> dict[str, SiteCount]:
    """Category -> how many report sites a source puts in it, and how many reports the source
    counts on them."""
    return {
        category: SiteCount(sites, reports)
        for category, sites, reports in db.execute(
            "SELECT category, count(DISTINCT site), coalesce(sum(reports), 0) FROM report_sites"
            " GROUP BY 1 ORDER BY 3 DESC, 1"
        )
    }


def _archive_facts(db: sqlite3.Connection) -> dict[str, ArchiveFacts]:
    declared: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for sha256, eco, name in db.execute(
        "SELECT DISTINCT sha256, ecosystem, name FROM code_dependencies"
    ):
        declared[sha256].add((eco, name))
    out = {}
    for sha256, tokens, manifests in db.execute(
        "SELECT sha256, tokens, manifests FROM code_analyses WHERE status != 'unreadable'"
    ):
        stream = zlib.decompress(tokens) if tokens is not None else b""
        found = orjson.loads(manifests)
        out[sha256] = ArchiveFacts(
            hashlib.sha256(stream).hexdigest() if stream.strip() else None,
            bool(found),
            tuple(d for m in found if isinstance(d := m.get("description"), str)),
            frozenset(declared.get(sha256, ())),
        )
    return out


def change_facts(db: sqlite3.Connection) -> ChangeFacts:
    """Per package-version: its readable archives and what they say; what active records say
    of description and dependencies (a record naming no version speaks for every version of
    its package)."""
    archives = _sets(
        db.execute(
            "SELECT a.package_version_id, a.sha256 FROM artifacts a JOIN code_analyses c"
            " ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
        )
    )
    records = [
        RecordSays(version, description, tuple(orjson.loads(deps)) if deps else ())
        for version, description, deps in db.execute(
            "WITH said AS (SELECT id, package_id, description, dependencies FROM records"
            " WHERE withdrawn IS NULL AND (description IS NOT NULL OR dependencies IS NOT NULL))"
            " SELECT rv.version_id, s.description, s.dependencies FROM said s"
            " JOIN record_versions rv ON rv.record_id = s.id"
            " UNION ALL SELECT pv.id, s.description, s.dependencies FROM said s"
            " JOIN package_versions pv ON pv.package_id = s.package_id"
            " WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = s.id)"
        )
    ]
    return ChangeFacts(archives, _archive_facts(db), records)


_COVERED = """
    WITH claims AS (
        SELECT r.id, r.package_id, s.name AS source, r.removed,
            nullif(min(coalesce(r.published, '9'), coalesce(r.modified, '9'),
                       coalesce(r.imported, '9')), '9') AS seen
        FROM records r JOIN sources s ON s.id = r.source_id
        WHERE r.role = 'claim' AND r.withdrawn IS NULL)
    SELECT rv.version_id, c.source, c.seen, c.removed FROM claims c
    JOIN record_versions rv ON rv.record_id = c.id
    UNION ALL SELECT pv.id, c.source, c.seen, c.removed FROM claims c
    JOIN package_versions pv ON pv.package_id = c.package_id
    WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = c.id)
"""
_SAMPLES = """
    SELECT a.package_version_id, s.name, a.detected FROM artifacts a
    JOIN sources s ON s.id = a.source_id WHERE a.detected IS NOT NULL
"""
_REPORTS = """
    SELECT pv.id, 'report:' || rp.site, rp.published FROM reports rp JOIN (
        SELECT rr.report_id, r.package_id FROM record_reports rr
        JOIN records r ON r.id = rr.record_id
        UNION SELECT report_id, package_id FROM report_mentions
        UNION SELECT report_id, package_id FROM report_link_packages) m ON m.report_id = rp.id
    JOIN package_versions pv ON pv.package_id = m.package_id WHERE rp.published IS NOT NULL
"""
_REMOVED = """
    SELECT package_version_id, min(observed_at) FROM registry_observations
    WHERE status = 'removed' GROUP BY package_version_id
"""


def lifecycle_dates(db: sqlite3.Connection) -> LifecycleDates:
    """The active claims covering each package-version (by naming it, or by naming no version
    of its package), the detection dates samples and reports give, registries' removals."""
    return LifecycleDates(
        [CoveringClaim(*row) for row in db.execute(_COVERED)],
        [Detection(*row) for query in (_SAMPLES, _REPORTS) for row in db.execute(query)],
        dict(db.execute(_REMOVED)),
        release_times(db),
        dict(
            db.execute(
                "SELECT pv.id, p.ecosystem FROM package_versions pv"
                " JOIN packages p ON p.id = pv.package_id"
            )
        ),
        int(db.execute("SELECT count(*) FROM package_versions").fetchone()[0]),
    )


def family_sizes(db: sqlite3.Connection) -> list[int]:
    """The size of every family."""
    return [size for (size,) in db.execute("SELECT size FROM families")]


def family_coverage(db: sqlite3.Connection) -> dict[str, FamilyCoverage]:
    """Per ecosystem: package-versions with readable analysed code, how many of them are in a
    family, and in how many families."""
    return {
        eco: FamilyCoverage(available, members, count)
        for eco, available, members, count in db.execute(
            "SELECT p.ecosystem, count(DISTINCT pv.id), count(DISTINCT m.package_version_id),"
            " count(DISTINCT m.family_id) FROM package_versions pv"
            " JOIN packages p ON p.id = pv.package_id JOIN artifacts a ON a.package_version_id ="
            " pv.id JOIN code_analyses c ON c.sha256 = a.sha256 AND c.status != 'unreadable'"
            " LEFT JOIN family_members m ON m.package_version_id = pv.id GROUP BY p.ecosystem"
        )
    }


def families(db: sqlite3.Connection) -> list[Family]:
    """Every family with its members, largest first."""
    members: dict[str, list[FamilyMember]] = {}
    for fid, eco, name, version, purl in db.execute(
        "SELECT m.family_id, p.ecosystem, p.name, pv.version, pv.purl FROM family_members m"
        " JOIN package_versions pv ON pv.id = m.package_version_id"
        " JOIN packages p ON p.id = pv.package_id ORDER BY m.family_id, p.name, pv.version"
    ):
        members.setdefault(fid, []).append(FamilyMember(eco, name, version, purl))
    return [
        Family(
            fid,
            size,
            tuple(orjson.loads(ecosystems)),
            first,
            last,
            undated,
            tuple(members.get(fid, ())),
        )
        for fid, size, ecosystems, first, last, undated in db.execute(
            "SELECT id, size, ecosystems, first_release, last_release, undated FROM families"
            " ORDER BY size DESC, id"
        )
    ]
