"""Typed facts about the graph over time, as the read model (store.read.graph) hands them to
insights: packages and their versions, release times, families, dependency links, the
packages reports and campaigns name, IoCs, what changed between versions, life-cycle dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from malgraph.core.kinds import DependencyVia, IocKind

# The step of a depends-on edge that names its target without showing a malicious version
# reached: the relation writes it, the dependency-hidden counts and campaigns leave it out.
NAME_ONLY_STEP = "dependency/name-only"


class PackageName(NamedTuple):
    ecosystem: str
    name: str
    purl: str


class VersionOf(NamedTuple):
    """A package-version: its package, and the name and number that break release-time ties."""

    package: int
    name: str
    version: str
    ecosystem: str


class PackageEdge(NamedTuple):
    """A depends-on edge lifted to packages, with the kinds of evidence (`via`) it holds."""

    src: int  # the depending package
    dst: int  # the package depended on
    vias: frozenset[DependencyVia]


class StoredIoc(NamedTuple):
    """An IoC as the store keeps it (the `iocs` table), apart from where it was found."""

    kind: IocKind
    value: str


class NamedCampaign(NamedTuple):
    """A campaign a source names (kam193): its id, source, name and category."""

    id: int
    source: str
    name: str
    category: str | None


class SiteCount(NamedTuple):
    """Report sites a source puts in one category, and the reports it counts on them."""

    sites: int
    reports: int


class Availability(NamedTuple):
    """A claiming source's package-versions, with code (from anyone) and without."""

    package_versions: int
    available: int
    unavailable: int


class FamilyCoverage(NamedTuple):
    """Per ecosystem: package-versions with readable code, those in families, the families."""

    available: int
    in_families: int
    families: int


class FamilyMember(NamedTuple):
    ecosystem: str
    name: str
    version: str
    purl: str


class Family(NamedTuple):
    id: str
    size: int
    ecosystems: tuple[str, ...]
    first_release: str | None
    last_release: str | None
    undated: int
    members: tuple[FamilyMember, ...]


class Packages(NamedTuple):
    """Every package and package-version the store knows, and the earliest release time any
    source or registry gives a package-version."""

    names: Mapping[int, PackageName]  # package id -> its name
    versions: Mapping[int, VersionOf]  # package-version id -> what it is a version of
    released: Mapping[int, str]  # package-version id -> release time

    def versions_of(self) -> dict[int, list[int]]:
        """Package id -> its package-versions, in id order."""
        out: dict[int, list[int]] = {}
        for version in sorted(self.versions):
            out.setdefault(self.versions[version].package, []).append(version)
        return out


class MemberFacts(NamedTuple):
    """What a campaign candidate shows of a member package: its name, and the earliest and the
    latest of its versions' release times (None when no version is dated)."""

    ecosystem: str
    name: str
    purl: str
    first_release: str | None
    last_release: str | None


class PackagePurl(NamedTuple):
    id: int
    purl: str


class Groupings(NamedTuple):
    """What joins packages, as the store records it."""

    report_members: Mapping[int, frozenset[int]]  # report id -> the packages it names
    report_urls: Mapping[int, str]  # report id -> its URL
    campaigns: Sequence[NamedCampaign]  # in source, name, key order
    campaign_members: Mapping[int, frozenset[int]]  # campaign id -> its packages
    family_versions: Mapping[str, frozenset[int]]  # family id -> its package-versions
    dependency_edges: Sequence[PackageEdge]  # name-only ones left out


class IocSightings(NamedTuple):
    iocs: Mapping[int, StoredIoc]  # ioc id -> what it is
    packages: Mapping[int, frozenset[int]]  # ioc id -> packages seen with it (record or code)


class ArchiveFacts(NamedTuple):
    """What an analysed archive says about change: its token stream's digest (None when empty),
    whether it has a manifest, the descriptions its manifests give, the dependencies it
    declares as (ecosystem, name) as written."""

    digest: str | None
    has_manifest: bool
    descriptions: tuple[str, ...]
    declared: frozenset[tuple[str, str]]


class RecordSays(NamedTuple):
    """What an active record says of a package-version it covers."""

    version: int
    description: str | None
    dependencies: tuple[object, ...]  # as the source wrote them


class ChangeFacts(NamedTuple):
    archives: Mapping[int, frozenset[str]]  # package-version -> its readable archives
    archive_facts: Mapping[str, ArchiveFacts]  # archive sha256 -> its facts
    records: Sequence[RecordSays]


class Detection(NamedTuple):
    """A date someone gives a package-version: a detector (a source, 'report:<site>') and when."""

    version: int
    who: str
    when: str | None


class CoveringClaim(NamedTuple):
    """An active claim covering a package-version: its source, when it saw it, its removal."""

    version: int
    source: str
    seen: str | None
    removed: str | None


class LifecycleDates(NamedTuple):
    claims: Sequence[CoveringClaim]
    detections: Sequence[Detection]  # samples' detection times, citing reports' publication
    removals: Mapping[int, str]  # package-version -> first seen removed by a registry
    released: Mapping[int, str]
    ecosystem: Mapping[int, str]  # package-version -> its ecosystem
    package_versions: int  # every package-version in the store
