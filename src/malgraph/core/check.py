"""What `malgraph check` reads from the store and what it finds: the claims on the packages a
project names, the dependency and similar edges of those whose code the store holds, and the
findings made of them (`Finding.as_json` is the stable JSON of `check --format json`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from malgraph.core.check_inputs import InputProblem
from malgraph.core.kinds import FindingKind, Severity, SimilarTier
from malgraph.core.model import Scope

JsonObject = Mapping[str, Any]
PackageKey = tuple[str, str]  # (ecosystem, canonical name)


@dataclass(frozen=True, slots=True)
class StoredClaim:
    """One source's claim that a package (some or all of its versions) is malicious."""

    source: str
    source_id: str
    scope: Scope
    versions: tuple[str, ...]  # canonical; for a range, the examples the source named
    ranges: tuple[Any, ...]  # OSV ranges as the source gave them
    published: str | None
    modified: str | None
    withdrawn: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "id": self.source_id,
            "scope": self.scope.value,
            "versions": list(self.versions),
            "published": self.published,
            "modified": self.modified,
            "withdrawn": self.withdrawn,
        }


@dataclass(frozen=True, slots=True)
class PackageClaims:
    """Every claim (withdrawn ones too) on one package of the store."""

    ecosystem: str
    name: str  # canonical
    claims: tuple[StoredClaim, ...]


@dataclass(frozen=True, slots=True)
class VersionRef:
    """A package-version of the store."""

    id: int
    ecosystem: str
    name: str  # canonical
    version: str  # canonical


@dataclass(frozen=True, slots=True)
class PullsIn:
    """A stored depends-on edge: `source` (a package-version, or its package when `version`
    is None) pulls in the malicious package `target`."""

    ecosystem: str
    name: str
    version: str | None
    target_ecosystem: str
    target_name: str
    confidence: float
    name_only: bool  # the link names the target but shows no malicious version admitted
    evidence: tuple[JsonObject, ...]


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A package-version of the store whose code is like the code checked, by one tier of the
    similar relation; `claimed` when an active claim makes its package malicious."""

    ecosystem: str
    name: str
    version: str
    tier: SimilarTier
    score: float
    family: str | None
    claimed: bool
    evidence: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing `malgraph check` found about one package a project names."""

    kind: FindingKind
    severity: Severity
    ecosystem: str
    name: str  # as the project file writes it
    version: str | None  # None where the finding is package-wide or the file pins none
    file: str  # the manifest, lockfile, SBOM or archive it came from
    sources: tuple[str, ...]  # the sources whose claims stand behind it
    evidence: JsonObject
    path: tuple[str, ...] = ()  # direct dependency ... parent, where the lockfile says

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "ecosystem": self.ecosystem,
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "path": list(self.path),
            "sources": list(self.sources),
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one `malgraph check` run read and found."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # manifests, lockfiles and SBOMs read
    archives: tuple[str, ...]  # package archives read
    packages: int  # distinct (package, version, file) entries checked
    problems: tuple[InputProblem, ...]  # what could not be read, and why
    # Analysed archives whose sketch the store lacks, sketched in memory to compare archives
    # with them (`malgraph relate` stores them).
    unsketched: int = 0
