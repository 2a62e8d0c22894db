"""The read model of package code for the code steps (pipeline.fetch_code, analyze_code,
ingest_archives): which package-versions lack code, what registries last said, which archives
are to be analysed, and what the documents of archives hold. Reads only; every value is typed
(malgraph.core.code)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from malgraph.core.code import ANALYZER_VERSION, ArchivePlaces, HeldArtifact, Removal, VersionRef
from malgraph.core.identity import canonical_name, canonical_version
from malgraph.core.kinds import RegistryStatus


def versions_without_code(
    db: sqlite3.Connection, ecosystems: Sequence[str], limit: int | None = None
) -> list[VersionRef]:
    marks = ",".join("?" * len(ecosystems))
    rows = db.execute(
        "SELECT pv.id, p.ecosystem, CASE WHEN p.ecosystem = 'PyPI' THEN p.name ELSE"
        " coalesce((SELECT r.name_given FROM records r WHERE r.package_id = p.id"
        "  AND r.role = 'claim' GROUP BY r.name_given ORDER BY count(*) DESC, r.name_given"
        "  LIMIT 1), p.name) END, pv.version"
        " FROM package_versions pv"
        f" JOIN packages p ON p.id = pv.package_id WHERE p.ecosystem IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.package_version_id = pv.id)"
        " ORDER BY p.ecosystem, p.name, pv.version LIMIT ?",
        (*ecosystems, -1 if limit is None else limit),
    )
    return [VersionRef(int(i), eco, name, version) for i, eco, name, version in rows]


def removed_at(db: sqlite3.Connection) -> set[Removal]:
    """(package-version, registry) pairs whose latest observation says removed."""
    rows = db.execute(
        "SELECT package_version_id, registry, status FROM registry_observations o"
        " WHERE observed_at = (SELECT max(observed_at) FROM registry_observations"
        "  WHERE package_version_id = o.package_version_id AND registry = o.registry)"
    )
    return {
        Removal(version, registry)
        for version, registry, status in rows
        if status == RegistryStatus.REMOVED
    }


def find_version(db: sqlite3.Connection, ecosystem: str, name: str, version: str) -> int | None:
    row = db.execute(
        "SELECT pv.id FROM package_versions pv JOIN packages p ON p.id = pv.package_id"
        " WHERE p.ecosystem = ? AND p.name = ? AND pv.version = ?",
        (ecosystem, canonical_name(ecosystem, name), canonical_version(ecosystem, version)),
    ).fetchone()
    return int(row[0]) if row else None


def archives_to_analyze(db: sqlite3.Connection, redo: bool = False) -> list[ArchivePlaces]:
    """Each archive content not yet analysed by this analyzer, with every place it lies."""
    rows = db.execute(
        "SELECT sha256, json_group_array(location) FROM artifacts WHERE ?1 OR sha256 NOT IN"
        " (SELECT sha256 FROM code_analyses WHERE analyzer >= ?2) GROUP BY sha256 ORDER BY 1",
        (redo, ANALYZER_VERSION),
    )
    return [ArchivePlaces(sha256, tuple(orjson.loads(places))) for sha256, places in rows]


def archives_held(db: sqlite3.Connection, sha256s: Sequence[str]) -> set[str]:
    """Those of `sha256s` that are the content of an artifact of this store."""
    rows = db.execute(
        "SELECT DISTINCT sha256 FROM artifacts WHERE sha256 IN (SELECT value FROM json_each(?))",
        (orjson.dumps(list(sha256s)).decode(),),
    )
    return {sha256 for (sha256,) in rows}


def archives_awaited(db: sqlite3.Connection, sha256s: Sequence[str], redo: bool) -> set[str]:
    """Those of `sha256s` that archives_to_analyze would list."""
    held = archives_held(db, sha256s)
    if redo:
        return held
    rows = db.execute(
        "SELECT sha256 FROM code_analyses WHERE analyzer >= ?"
        " AND sha256 IN (SELECT value FROM json_each(?))",
        (ANALYZER_VERSION, orjson.dumps(sorted(held)).decode()),
    )
    return held - {sha256 for (sha256,) in rows}


def current_artifacts(db: sqlite3.Connection, feed: str, key: str) -> list[HeldArtifact]:
    """The artifacts the current version of a document holds."""
    return [
        HeldArtifact(*row)
        for row in db.execute(
            "SELECT a.sha256, a.location, a.detected FROM documents d"
            " JOIN artifacts a ON a.document_sha256 = d.sha256"
            " WHERE d.current AND d.feed = ? AND d.doc_key = ? ORDER BY a.id",
            (feed, key),
        )
    ]


def documents_holding(db: sqlite3.Connection, feed: str, locations: list[str]) -> dict[str, str]:
    """Document key -> the name its claim gives, of the current documents of `feed` that hold
    an artifact at one of `locations`."""
    rows = db.execute(
        "SELECT d.doc_key, coalesce((SELECT r.name_given FROM records r"
        "  WHERE r.document_sha256 = d.sha256 AND r.parent_id IS NULL LIMIT 1), '')"
        " FROM documents d JOIN artifacts a ON a.document_sha256 = d.sha256"
        " WHERE d.current AND d.feed = ? AND a.location IN (SELECT value FROM json_each(?))",
        (feed, orjson.dumps(locations).decode()),
    )
    return {str(key): str(name) for key, name in rows}
