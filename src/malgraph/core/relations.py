"""The typed inputs and outputs of the relations: what the read model gives them (report
texts, code items, dependency sources, families already stored) and what the store keeps of
their results (mentions, families). Plain values; no reader or writer here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from malgraph.core.kinds import DependencyKind, ImportKind
from malgraph.core.model import Scope


class KnownPackage(NamedTuple):
    """A package the store knows, as mentions look it up."""

    id: int
    ecosystem: str  # OSV spelling
    name: str  # canonical


class ReportText(NamedTuple):
    """A security report that has text."""

    id: int
    text: str


class ReportMention(NamedTuple):
    """A report naming a stored package (a row of the co-existing membership)."""

    report_id: int
    package_id: int
    start: int
    matched: str
    context: str
    how: str


@dataclass(frozen=True, slots=True)
class CodeItem:
    """One package-version's code (one archive)."""

    key: int  # the package-version id
    archive_sha256: str
    files: tuple[tuple[str, str, str | None, int], ...]  # (path, sha256, normalised_sha256,
    # tokens): FileFacts of every file, in any order
    tokens: str  # normalised token stream of the code files in path order, space-separated


@dataclass(frozen=True, slots=True)
class StoredCodeItem:
    """One package-version's code as its stored digests and sketch: a CodeItem without its
    token stream, for a similar relation run whose sketches are already made."""

    key: int  # the package-version id
    archive_sha256: str
    files: tuple[tuple[str, str, str | None, int], ...]  # as CodeItem.files
    stream_sha256: str | None  # of its own token stream; None when too short to compare
    sketch: bytes | None  # the stored sketch of that stream (uint16, little-endian)


class TargetClaim(NamedTuple):
    """One active claim on a package, with one version it names (None: none)."""

    package_id: int
    ecosystem: str
    name: str
    scope: Scope
    version: str | None


class DeclaredDependency(NamedTuple):
    """A dependency a manifest of an archive declares."""

    ecosystem: str
    name: str
    spec: str | None
    kind: DependencyKind
    file: str
    line: int | None
    snippet: str | None


class CodeImport(NamedTuple):
    """An import in an archive's code."""

    module: str
    kind: ImportKind
    relative: bool
    file: str
    line: int | None
    snippet: str | None


@dataclass(frozen=True, slots=True)
class ArchiveDependencies:
    """What one analysed archive says it needs, and the package-versions holding it."""

    sha256: str
    versions: tuple[int, ...]  # package-version ids
    paths: tuple[str, ...]  # its files
    manifest_names: tuple[str, ...]  # the names its manifests give the package itself
    declared: tuple[DeclaredDependency, ...]
    imports: tuple[CodeImport, ...]


class ListedDependencies(NamedTuple):
    """A source's list of the packages a claimed package depends on."""

    record_id: int
    package_id: int
    ecosystem: str
    source: str
    names: tuple[str, ...]
    versions: tuple[int, ...]  # the package-versions the claim names (none: the package)


class VersionFacts(NamedTuple):
    """What names a family: a member's ecosystem, purl and earliest known release."""

    ecosystem: str
    purl: str
    released: str | None


@dataclass(frozen=True, slots=True)
class StoredFamilies:
    """The families the store holds now: each member's family, and every family id."""

    family_of: Mapping[int, str]  # package-version id -> family id
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class NewFamily:
    """A code family to store: its id, its members, and their ecosystems and release dates."""

    id: str
    members: tuple[int, ...]  # package-version ids, sorted
    ecosystems: tuple[str, ...]  # sorted
    first_release: str | None
    last_release: str | None
    undated: int  # members with no known release


@dataclass(frozen=True, slots=True)
class FamilyNaming:
    """Families with ids that outlive re-runs, and the old ids no cluster keeps."""

    families: tuple[NewFamily, ...]  # in cluster order
    dissolved: tuple[str, ...]  # sorted
    new: int  # families whose id is new
