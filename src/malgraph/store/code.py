"""Writing package code into the store: artifacts and where they came from, registry
observations, and the static features of each archive (by content). store.read.code reads
them back."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

from malgraph.core.code import ANALYZER_VERSION, Analysis


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
