"""The read model of the relations: report texts and package names for mentions, code items
for the similar relation, claims and declared dependencies for the dependency relation, and
the families stored now."""

from __future__ import annotations

import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterator

import orjson

from malgraph.core.kinds import DependencyKind, ImportKind
from malgraph.core.model import Scope
from malgraph.core.relations import (
    ArchiveDependencies,
    CodeImport,
    CodeItem,
    DeclaredDependency,
    KnownPackage,
    ListedDependencies,
    ReportText,
    StoredCodeItem,
    StoredFamilies,
    TargetClaim,
    VersionFacts,
)
from malgraph.store.read.graph import release_times


def all_packages(db: sqlite3.Connection) -> list[KnownPackage]:
    """Every package the store knows, with its id."""
    return [KnownPackage(*row) for row in db.execute("SELECT id, ecosystem, name FROM packages")]


def report_texts(db: sqlite3.Connection) -> Iterator[ReportText]:
    """Every report that has text, one at a time."""
    for row in db.execute("SELECT id, text FROM reports WHERE text IS NOT NULL"):
        yield ReportText(*row)


_READABLE = (
    " FROM artifacts a JOIN code_analyses c ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
)


def code_item_count(db: sqlite3.Connection) -> int:
    """How many package-versions have readable analysed code."""
    sql = "SELECT count(DISTINCT a.package_version_id)" + _READABLE
    return int(db.execute(sql).fetchone()[0])


_FIRST_ARTIFACT = (
    " AND a.id = (SELECT min(b.id) FROM artifacts b JOIN code_analyses d ON d.sha256 ="
    "  b.sha256 WHERE b.package_version_id = a.package_version_id"
    "  AND d.status != 'unreadable') ORDER BY a.package_version_id"
)


def _files(db: sqlite3.Connection, sha256: str) -> tuple[tuple[str, str, str | None, int], ...]:
    return tuple(
        db.execute(
            "SELECT path, file_sha256, normalised_sha256, tokens FROM code_files"
            " WHERE sha256 = ? ORDER BY path",
            (sha256,),
        )
    )


def code_items(db: sqlite3.Connection) -> Iterator[CodeItem]:
    """One item per package-version with readable analysed code: its first such artifact."""
    rows = db.execute(
        "SELECT a.package_version_id, a.sha256, c.tokens" + _READABLE + _FIRST_ARTIFACT
    )
    for version, sha256, tokens in rows:
        files = _files(db, sha256)
        yield CodeItem(version, sha256, files, zlib.decompress(tokens).decode() if tokens else "")


def stored_code_items(db: sqlite3.Connection, method: str) -> Iterator[StoredCodeItem]:
    """The items of `code_items`, in the same order (ascending key), with their archive's
    stored sketch made by `method` instead of the token stream (none stored: no stream)."""
    rows = db.execute(
        "SELECT a.package_version_id, a.sha256, s.stream_sha256, s.sketch"
        " FROM artifacts a JOIN code_analyses c ON c.sha256 = a.sha256"
        " LEFT JOIN code_sketches s ON s.sha256 = a.sha256 AND s.method = ?"
        " WHERE c.status != 'unreadable'" + _FIRST_ARTIFACT,
        (method,),
    )
    for version, sha256, stream, sketch in rows:
        comparable = sketch is not None
        yield StoredCodeItem(
            version, sha256, _files(db, sha256), stream if comparable else None, sketch
        )


def unsketched_items(db: sqlite3.Connection, method: str) -> Iterator[CodeItem]:
    """The code of every readable analysed archive an artifact holds that has no sketch made
    by `method` (key -1: an archive, not a package-version)."""
    wanted = db.execute(
        "SELECT c.sha256 FROM code_analyses c WHERE c.status != 'unreadable'"
        " AND c.tokens IS NOT NULL AND EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 ="
        " c.sha256) AND NOT EXISTS (SELECT 1 FROM code_sketches s WHERE s.sha256 = c.sha256"
        " AND s.method = ?) ORDER BY c.sha256",
        (method,),
    ).fetchall()  # the keys only, so that the caller may write between items
    for (sha256,) in wanted:
        item = archive_item(db, sha256)
        if item is not None:
            yield item


def archive_item(db: sqlite3.Connection, sha256: str) -> CodeItem | None:
    """The analysed code of one archive (key -1: an archive, not a package-version)."""
    row = db.execute("SELECT tokens FROM code_analyses WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None or row[0] is None:
        return None
    return CodeItem(-1, sha256, _files(db, sha256), zlib.decompress(row[0]).decode())


def target_claims(db: sqlite3.Connection) -> list[TargetClaim]:
    """Every active claim, once per version it names (a claim naming none: once, no version)."""
    return [
        TargetClaim(package, eco, name, Scope(scope), version)
        for package, eco, name, scope, version in db.execute(
            "SELECT p.id, p.ecosystem, p.name, r.scope, pv.version FROM records r"
            " JOIN packages p ON p.id = r.package_id LEFT JOIN record_versions rv"
            " ON rv.record_id = r.id LEFT JOIN package_versions pv ON pv.id = rv.version_id"
            " WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        )
    ]


def package_of_versions(db: sqlite3.Connection) -> dict[int, int]:
    """Package-version id -> its package's id."""
    return dict(db.execute("SELECT id, package_id FROM package_versions"))


def archive_dependencies(db: sqlite3.Connection) -> Iterator[ArchiveDependencies]:
    """Each readable analysed archive (by sha256) with what it declares and imports."""
    holders: dict[str, list[int]] = defaultdict(list)
    for sha256, version in db.execute("SELECT DISTINCT a.sha256, a.package_version_id" + _READABLE):
        holders[sha256].append(version)
    for sha256, versions in sorted(holders.items()):
        paths = [
            p for (p,) in db.execute("SELECT path FROM code_files WHERE sha256 = ?", (sha256,))
        ]
        sql = "SELECT manifests FROM code_analyses WHERE sha256 = ?"
        [(manifests,)] = db.execute(sql, (sha256,))
        declared = db.execute(
            "SELECT ecosystem, name, spec, kind, file, line, snippet FROM code_dependencies"
            " WHERE sha256 = ?",
            (sha256,),
        )
        imports = db.execute(
            "SELECT module, kind, relative, file, line, snippet FROM code_imports WHERE sha256 = ?",
            (sha256,),
        )
        yield ArchiveDependencies(
            sha256,
            tuple(versions),
            tuple(paths),
            tuple(m["name"] for m in orjson.loads(manifests) if m.get("name")),
            tuple(
                DeclaredDependency(eco, name, spec, DependencyKind(kind), file, line, snippet)
                for eco, name, spec, kind, file, line, snippet in declared
            ),
            tuple(CodeImport(m, ImportKind(k), bool(r), f, ln, s) for m, k, r, f, ln, s in imports),
        )


def listed_dependencies(db: sqlite3.Connection) -> list[ListedDependencies]:
    """The dependency lists the active claims give."""
    rows = db.execute(
        "SELECT r.id, r.package_id, p.ecosystem, s.name, r.dependencies,"
        " (SELECT json_group_array(version_id) FROM record_versions WHERE record_id = r.id)"
        " FROM records r JOIN packages p ON p.id = r.package_id"
        " JOIN sources s ON s.id = r.source_id WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        " AND r.dependencies IS NOT NULL AND r.dependencies != '[]'"
    )
    return [
        ListedDependencies(
            record, package, eco, source, tuple(orjson.loads(names)), tuple(orjson.loads(versions))
        )
        for record, package, eco, source, names, versions in rows
    ]


def stored_families(db: sqlite3.Connection) -> StoredFamilies:
    family_of = dict(db.execute("SELECT package_version_id, family_id FROM family_members"))
    ids = frozenset(fid for (fid,) in db.execute("SELECT id FROM families"))
    return StoredFamilies(family_of, ids)


def version_facts(db: sqlite3.Connection) -> dict[int, VersionFacts]:
    """Every package-version's ecosystem, purl and earliest known release."""
    released = release_times(db)
    return {
        v: VersionFacts(eco, purl, released.get(v))
        for v, eco, purl in db.execute(
            "SELECT pv.id, p.ecosystem, pv.purl FROM package_versions pv"
            " JOIN packages p ON p.id = pv.package_id"
        )
    }
