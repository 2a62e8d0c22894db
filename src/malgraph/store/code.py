"""Package code in the store: artifacts and where they came from, registry observations, and
the static features of each archive (by content)."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import orjson

from malgraph.core.code import ANALYZER_VERSION, Analysis
from malgraph.core.identity import canonical_name, canonical_version


class VersionRef(NamedTuple):
    id: int
    ecosystem: str
    name: str  # PyPI: PEP 503 (its APIs accept it); else as sources spell it most often, since
    version: str  # npm has legacy mixed-case names (`JSONStream`): a wrong case looks removed


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
    return [VersionRef(*row) for row in rows]


def removed_at(db: sqlite3.Connection) -> set[tuple[int, str]]:
    """(package-version, registry) pairs whose latest observation says removed."""
    rows = db.execute(
        "SELECT package_version_id, registry, status FROM registry_observations o"
        " WHERE observed_at = (SELECT max(observed_at) FROM registry_observations"
        "  WHERE package_version_id = o.package_version_id AND registry = o.registry)"
    )
    return {(version, registry) for version, registry, status in rows if status == "removed"}


def find_version(db: sqlite3.Connection, ecosystem: str, name: str, version: str) -> int | None:
    row = db.execute(
        "SELECT pv.id FROM package_versions pv JOIN packages p ON p.id = pv.package_id"
        " WHERE p.ecosystem = ? AND p.name = ? AND pv.version = ?",
        (ecosystem, canonical_name(ecosystem, name), canonical_version(ecosystem, version)),
    ).fetchone()
    return int(row[0]) if row else None


def code_source(db: sqlite3.Connection, name: str) -> int:
    """A place code comes from (a registry, a mirror, a local folder) is a source of kind
    'code': it holds artifacts but makes no claims."""
    db.execute("INSERT OR IGNORE INTO sources(name, kind) VALUES (?, 'code')", (name,))
    return int(db.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])


def add_artifact(
    db: sqlite3.Connection,
    version_id: int,
    source: str,
    sha256: str,
    location: str,
    kind: str,
    fetched_at: str,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO artifacts(package_version_id, source_id, sha256, location, kind,"
        " fetched_at) VALUES (?, ?, ?, ?, ?, ?)",
        (version_id, code_source(db, source), sha256, location, kind, fetched_at),
    )


def add_observation(
    db: sqlite3.Connection,
    version_id: int,
    registry: str,
    status: str,
    detail: str,
    released: str | None,
    observed_at: str,
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO registry_observations VALUES (?, ?, ?, ?, ?, ?)",
        (version_id, registry, status, detail, released, observed_at),
    )


def archives_to_analyze(db: sqlite3.Connection, redo: bool = False) -> list[tuple[str, list[str]]]:
    """Each archive content not yet analysed by this analyzer, with every place it lies."""
    rows = db.execute(
        "SELECT sha256, json_group_array(location) FROM artifacts WHERE ?1 OR sha256 NOT IN"
        " (SELECT sha256 FROM code_analyses WHERE analyzer >= ?2) GROUP BY sha256 ORDER BY 1",
        (redo, ANALYZER_VERSION),
    )
    return [(sha256, orjson.loads(places)) for sha256, places in rows]


def save_analysis(db: sqlite3.Connection, sha256: str, analysis: Analysis, at: str) -> None:
    """Replace what is stored for this archive content; call inside a transaction."""
    db.execute("DELETE FROM code_analyses WHERE sha256 = ?", (sha256,))
    f = analysis.features

    def dump(items: Iterable[Any]) -> str:
        return orjson.dumps(list(items)).decode()  # orjson writes dataclasses natively

    db.execute(
        "INSERT INTO code_analyses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sha256,
            ANALYZER_VERSION,
            analysis.status,
            analysis.format,
            analysis.reason,
            orjson.dumps(analysis.skipped).decode(),
            orjson.dumps(f.problems if f else ()).decode(),
            dump(f.manifests if f else ()),
            dump(f.install_hooks if f else ()),
            dump(f.findings if f else ()),
            dump(f.obfuscation if f else ()),
            zlib.compress(f.tokens.encode()) if f else None,
            at,
        ),
    )
    if f is None:
        return
    db.executemany(
        "INSERT OR IGNORE INTO code_files VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (sha256, x.path, x.sha256, x.size, x.language, x.normalised_sha256, x.tokens)
            for x in f.files
        ],
    )
    db.executemany(
        "INSERT INTO code_dependencies(sha256, ecosystem, name, spec, kind, file, line, snippet)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (sha256, d.ecosystem, d.name, d.spec, d.kind, d.file, d.line, d.snippet)
            for d in f.dependencies
        ],
    )
    db.executemany(
        "INSERT INTO code_imports(sha256, module, kind, relative, file, line, snippet)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(sha256, i.module, i.kind, i.relative, i.file, i.line, i.snippet) for i in f.imports],
    )
    for ioc in f.iocs:
        db.execute("INSERT OR IGNORE INTO iocs(kind, value) VALUES (?, ?)", (ioc.kind, ioc.value))
        db.execute(
            "INSERT OR IGNORE INTO code_iocs SELECT id, ?, ?, ?, ? FROM iocs"
            " WHERE kind = ? AND value = ?",
            (sha256, ioc.file, ioc.line, ioc.as_written, ioc.kind, ioc.value),
        )


def current_artifacts(
    db: sqlite3.Connection, feed: str, key: str
) -> list[tuple[str, str, str | None]]:
    """(sha256, location, detected) of the artifacts the current version of a document holds."""
    return list(
        db.execute(
            "SELECT a.sha256, a.location, a.detected FROM documents d"
            " JOIN artifacts a ON a.document_sha256 = d.sha256"
            " WHERE d.current AND d.feed = ? AND d.doc_key = ? ORDER BY a.id",
            (feed, key),
        )
    )


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
    return dict(rows)


def stat_cache(db: sqlite3.Connection, prefix: str) -> dict[str, tuple[int, int]]:
    """The input files whose stat was kept under keys starting with `prefix`: key -> (size,
    mtime_ns)."""
    rows = db.execute(
        "SELECT path, size, mtime_ns FROM input_files WHERE path >= ? AND path < ?",
        (prefix, prefix + "\U0010ffff"),
    )
    return {key: (size, mtime) for key, size, mtime in rows}


def remember_input(db: sqlite3.Connection, key: str, size: int, mtime_ns: int, sha256: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO input_files VALUES (?, ?, ?, ?)", (key, size, mtime_ns, sha256)
    )
