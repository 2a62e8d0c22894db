"""The explorer's typed values (`malgraph serve`): what the search indexes, the pages of
reports, campaigns, IoCs and sources, and the links of the neighbourhood graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from malgraph.core.kinds import EdgeKind, IocKind, SearchKind, WebLinkKind

JsonObject = Mapping[str, Any]  # evidence, as stored


@dataclass(frozen=True, slots=True)
class PackageRef:
    ecosystem: str
    name: str


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """One searchable thing: the text a user may type (a name, purl, title, IoC value or
    id), what it is, and the key of its page (`ecosystem/name` for a package, else an id)."""

    kind: SearchKind
    text: str
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class ReportRef:
    id: int
    url: str
    title: str | None


@dataclass(frozen=True, slots=True)
class ReportPage:
    id: int
    url: str
    site: str
    title: str | None
    published: str | None
    kind: str  # 'url' or 'file'
    packages: tuple[PackageRef, ...]
    iocs: tuple[IocRef, ...]


@dataclass(frozen=True, slots=True)
class IocRef:
    id: int
    kind: IocKind
    value: str  # as stored: refanged; pages show it defanged


@dataclass(frozen=True, slots=True)
class IocPage:
    id: int
    kind: IocKind
    value: str
    written: tuple[str, ...]  # how sources wrote it
    packages: tuple[PackageRef, ...]
    reports: tuple[ReportRef, ...]


@dataclass(frozen=True, slots=True)
class CampaignPage:
    id: int
    source: str
    key: str
    name: str
    category: str | None
    created: str | None
    description: str | None
    refs: tuple[str, ...]
    packages: tuple[PackageRef, ...]


@dataclass(frozen=True, slots=True)
class SourcePage:
    name: str
    kind: str
    records: int
    packages: int
    shown: tuple[PackageRef, ...]  # the first packages by name


@dataclass(frozen=True, slots=True)
class PackageLink:
    """A stored relation between a package and another, lifted to packages: its kind, how
    many stored edges join them, and the strongest edge's confidence and evidence."""

    kind: EdgeKind
    other: PackageRef
    outgoing: bool
    edges: int
    confidence: float
    evidence: JsonObject


@dataclass(frozen=True, slots=True)
class GroupLink:
    """A package's membership of a family, report, campaign or IoC sighting."""

    kind: WebLinkKind
    key: str  # the family, report, campaign or IoC id
    label: str


@dataclass(frozen=True, slots=True)
class SourceCount:
    source: str
    records: int
    packages: int
