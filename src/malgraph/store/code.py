"""Writing package code into the store: artifacts and where they came from, registry
observations, and the static features of each archive (by content). store.read.code reads
them back."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

from malgraph.core.code import ANALYZER_VERSION, Analysis, Features
from malgraph.core.derived_rows import (
    CodeAnalysisRow,
    CodeDependencyRow,
    CodeFileRow,
    CodeImportRow,
    CodeIocRow,
    CodeSketchRow,
    FetchedArtifactRow,
    ObservationRow,
)
from malgraph.store.columns import columns, insert_sql

_ADD_ARTIFACT = insert_sql("artifacts", columns(FetchedArtifactRow), "INSERT OR IGNORE")
_ADD_OBSERVATION = insert_sql("registry_observations", columns(ObservationRow), "INSERT OR REPLACE")
_ADD_ANALYSIS = insert_sql("code_analyses", columns(CodeAnalysisRow))
_ADD_FILES = insert_sql("code_files", columns(CodeFileRow), "INSERT OR IGNORE")
_ADD_DEPENDENCIES = insert_sql("code_dependencies", columns(CodeDependencyRow))
_ADD_IMPORTS = insert_sql("code_imports", columns(CodeImportRow))
_ADD_SKETCH = insert_sql("code_sketches", columns(CodeSketchRow), "INSERT OR REPLACE")
_ADD_IOC = (  # the IoC's id found by its kind and value, as the writer numbered it
    f"INSERT OR IGNORE INTO code_iocs({', '.join(columns(CodeIocRow, ('ioc_id',)))})"
    f" SELECT id, {', '.join('?' * len(CodeIocRow._fields))} FROM iocs"
    " WHERE kind = ? AND value = ?"
)


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
    row = FetchedArtifactRow(
        version_id, code_source(db, source), sha256, location, kind, fetched_at
    )
    db.execute(_ADD_ARTIFACT, row)


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
        _ADD_OBSERVATION,
        ObservationRow(version_id, registry, status, detail, released, observed_at),
    )


def _dump(items: Iterable[Any]) -> str:
    return orjson.dumps(list(items)).decode()  # orjson writes dataclasses natively


def save_analysis(db: sqlite3.Connection, sha256: str, analysis: Analysis, at: str) -> None:
    """Replace what is stored for this archive content; call inside a transaction."""
    db.execute("DELETE FROM code_analyses WHERE sha256 = ?", (sha256,))
    f = analysis.features
    row = CodeAnalysisRow(
        sha256,
        ANALYZER_VERSION,
        analysis.status,
        analysis.format,
        analysis.reason,
        orjson.dumps(analysis.skipped).decode(),
        orjson.dumps(f.problems if f else ()).decode(),
        _dump(f.manifests if f else ()),
        _dump(f.install_hooks if f else ()),
        _dump(f.findings if f else ()),
        _dump(f.obfuscation if f else ()),
        zlib.compress(f.tokens.encode()) if f else None,
        at,
    )
    db.execute(_ADD_ANALYSIS, row)
    if f is not None:
        _save_features(db, sha256, f)


def _save_features(db: sqlite3.Connection, sha256: str, f: Features) -> None:
    db.executemany(
        _ADD_FILES,
        [
            CodeFileRow(sha256, x.path, x.sha256, x.size, x.language, x.normalised_sha256, x.tokens)
            for x in f.files
        ],
    )
    db.executemany(
        _ADD_DEPENDENCIES,
        [
            CodeDependencyRow(
                sha256, d.ecosystem, d.name, d.spec, d.kind, d.file, d.line, d.snippet
            )
            for d in f.dependencies
        ],
    )
    db.executemany(
        _ADD_IMPORTS,
        [
            CodeImportRow(sha256, i.module, i.kind, i.relative, i.file, i.line, i.snippet)
            for i in f.imports
        ],
    )
    for ioc in f.iocs:
        db.execute("INSERT OR IGNORE INTO iocs(kind, value) VALUES (?, ?)", (ioc.kind, ioc.value))
        db.execute(
            _ADD_IOC, (*CodeIocRow(sha256, ioc.file, ioc.line, ioc.as_written), ioc.kind, ioc.value)
        )


def save_sketches(db: sqlite3.Connection, rows: Iterable[CodeSketchRow]) -> None:
    """Replace the sketches of these analysed archives; call inside a transaction (with their
    analysis, or after it)."""
    db.executemany(_ADD_SKETCH, rows)
