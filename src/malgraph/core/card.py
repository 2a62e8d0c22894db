"""The package card: everything the store knows about one package, as typed values.

`store.read.card` builds it; the CLI prints it (`malgraph show`) or writes it as JSON. Each
value's `as_json()` gives the JSON object `show --format json` prints, with the keys it has
always had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from malgraph.core.kinds import (
    AnalysisStatus,
    EdgeKind,
    IocKind,
    RegistryStatus,
    SimilarTier,
    SourceKind,
)
from malgraph.core.model import Role, Scope

JsonObject = Mapping[str, Any]  # a JSON document kept as stored (edge evidence)


def _plain(value: Any) -> Any:
    """A card value as plain JSON types: dataclasses as objects, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        as_json = getattr(value, "as_json", None)
        if as_json is not None:
            return as_json()
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


@dataclass(frozen=True)
class CardRecord:
    """One record on the package: a source's claim, or a claim a feed record merges."""

    id: int
    source: str
    source_kind: SourceKind
    source_record_id: str
    role: Role
    parent_id: int | None
    name_given: str | None
    scope: Scope
    versions: tuple[str, ...]
    published: str | None
    modified: str | None
    withdrawn: str | None
    imported: str | None
    aliases: tuple[str, ...]
    summary: str | None
    label: str


@dataclass(frozen=True)
class CardReport:
    """A report about the package, and how it is joined to it (`via`)."""

    url: str
    site: str | None
    title: str | None
    published: str | None
    via: str


@dataclass(frozen=True)
class CardCampaign:
    source: str
    name: str
    category: str | None
    created: str | None


@dataclass(frozen=True)
class CardIoc:
    kind: IocKind
    value: str


@dataclass(frozen=True)
class CoreportedPackage:
    """A package sharing a report or a campaign with this one, and what joins them."""

    ecosystem: str
    name: str
    purl: str
    reports: tuple[str, ...]
    campaigns: tuple[str, ...]


@dataclass(frozen=True)
class VersionDates:
    """One version's dates: release, first detection (and by whom), removal seen."""

    version: str
    released: str | None = None
    first_detected: str | None = None
    detected_by: str | None = None
    removal_observed: str | None = None
    removal_seen_by: str | None = None


@dataclass(frozen=True)
class ArtifactFeatures:
    """The main static features of an analysed archive."""

    files: int
    languages: tuple[str, ...]
    install_hooks: tuple[str, ...]
    findings: Mapping[str, int]  # sensitive-call category -> count
    obfuscation: tuple[str, ...]
    skipped_members: int
    dependencies: tuple[str, ...]
    iocs: tuple[str, ...]


@dataclass(frozen=True)
class CardArtifact:
    """An archive of one version, where it came from, and (once analysed) its features."""

    sha256: str
    source: str
    location: str
    kind: str  # an ArtifactKind; a DataDog sample's names its intent folder after it
    fetched_at: str | None
    analysis: AnalysisStatus | None  # None: not analysed yet
    reason: str | None
    features: ArtifactFeatures | None

    def as_json(self) -> dict[str, Any]:
        """The features sit beside the artifact's own keys, as they always have."""
        own = _fields(self)
        features = own.pop("features")
        return {**own, **(features or {})}


@dataclass(frozen=True)
class RegistryObservation:
    registry: str
    status: RegistryStatus
    detail: str | None
    released: str | None
    observed_at: str


@dataclass(frozen=True)
class VersionCode:
    version: str
    artifacts: tuple[CardArtifact, ...]
    registries: tuple[RegistryObservation, ...]


@dataclass(frozen=True)
class FamilyRef:
    id: str
    size: int
    first_release: str | None
    last_release: str | None


@dataclass(frozen=True)
class Neighbour:
    """A package-version whose code is similar, with the tier and score of the edge."""

    ecosystem: str
    name: str
    version: str
    tier: SimilarTier
    score: float


@dataclass(frozen=True)
class VersionSimilarity:
    version: str
    family: FamilyRef | None
    neighbours: tuple[Neighbour, ...]


@dataclass(frozen=True)
class DependencyLink:
    """A package at the other end of a depends-on edge, with the edge's evidence."""

    ecosystem: str
    name: str
    version: str | None  # the depending version, when the edge starts at one
    confidence: float
    evidence: tuple[JsonObject, ...]


@dataclass(frozen=True)
class DependencyLinks:
    pulls_in: tuple[DependencyLink, ...] = ()
    pulled_in_by: tuple[DependencyLink, ...] = ()


@dataclass(frozen=True)
class CardEdge:
    """A stored edge starting at one of the package's records."""

    kind: EdgeKind
    src: int
    dst: int
    confidence: float
    step: str
    evidence: JsonObject


@dataclass(frozen=True)
class PackageCard:
    ecosystem: str
    name: str
    purl: str
    versions: tuple[str, ...]
    sources: tuple[str, ...]
    records: tuple[CardRecord, ...]
    reports: tuple[CardReport, ...]
    campaigns: tuple[CardCampaign, ...]
    iocs: tuple[CardIoc, ...]
    coreported: tuple[CoreportedPackage, ...]
    timeline: tuple[VersionDates, ...]
    code: tuple[VersionCode, ...]
    similarity: tuple[VersionSimilarity, ...]
    dependency: DependencyLinks
    edges: tuple[CardEdge, ...]

    def as_json(self) -> dict[str, Any]:
        """The card as a JSON object (the keys `show --json` has always printed)."""
        return _fields(self)
