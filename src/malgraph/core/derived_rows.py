"""Typed rows of what malgraph derives itself rather than reads from an input: the code steps'
artifacts, registry observations and static features (store.code), and the relations' edges
and families (store.edges). As in core.rows, each type stands for one table and its fields are
that table's columns by name: the store builds its statements from the fields."""

from __future__ import annotations

from typing import NamedTuple


class FetchedArtifactRow(NamedTuple):
    """An `artifacts` row of code fetched or copied (less its id): no input document holds it."""

    package_version_id: int
    source_id: int
    sha256: str
    location: str
    kind: str
    fetched_at: str


class ObservationRow(NamedTuple):
    """A `registry_observations` row: what a registry said of a package-version when asked."""

    package_version_id: int
    registry: str
    status: str
    detail: str
    released: str | None
    observed_at: str


class CodeAnalysisRow(NamedTuple):
    """A `code_analyses` row: one archive content's analysis, its lists as JSON."""

    sha256: str
    analyzer: int
    status: str
    format: str | None
    reason: str | None
    skipped: str
    problems: str
    manifests: str
    install_hooks: str
    findings: str
    obfuscation: str
    tokens: bytes | None  # zlib of the normalised token stream
    analyzed_at: str


class CodeFileRow(NamedTuple):
    """A `code_files` row."""

    sha256: str  # of the archive
    path: str
    file_sha256: str
    size: int
    language: str | None
    normalised_sha256: str | None
    tokens: int


class CodeDependencyRow(NamedTuple):
    """A `code_dependencies` row."""

    sha256: str
    ecosystem: str
    name: str
    spec: str
    kind: str
    file: str
    line: int | None
    snippet: str


class CodeImportRow(NamedTuple):
    """A `code_imports` row."""

    sha256: str
    module: str
    kind: str
    relative: bool
    file: str
    line: int
    snippet: str


class CodeIocRow(NamedTuple):
    """A `code_iocs` row (less its IoC id, looked up by the IoC's kind and value)."""

    sha256: str
    file: str
    line: int
    as_written: str


class EdgeRow(NamedTuple):
    """An `edges` row (less its id)."""

    kind: str
    src_type: str
    src_id: int
    dst_type: str
    dst_id: int
    evidence: str  # JSON
    confidence: float
    step: str


class FamilyRow(NamedTuple):
    """A `families` row."""

    id: str
    size: int
    ecosystems: str  # JSON list
    first_release: str | None
    last_release: str | None
    undated: int
    created_at: str
    updated_at: str


class FamilyMemberRow(NamedTuple):
    """A `family_members` row."""

    package_version_id: int
    family_id: str


class CodeSketchRow(NamedTuple):
    """A `code_sketches` row: the MinHash sketch of one analysed archive's own code."""

    sha256: str
    method: str
    stream_sha256: str
    sketch: bytes | None  # None: the stream is too short to sketch or compare
