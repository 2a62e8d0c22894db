"""Who says what, as the read model gives it to the analyses: claim counts per source and
label, code coverage per source, the store's totals, the paper's sheet rows and its labelling
(groups of package-versions) with what malgraph holds for the same packages. Plain values:
the store fills them (malgraph.store.read.sources), the insights count them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from malgraph.core.graph import Availability
from malgraph.core.kinds import LabelKind, MemberRole

Package = tuple[str, str]  # ecosystem, canonical name
Version = tuple[str, str, str]  # ecosystem, canonical name, canonical version


class StoreCounts(NamedTuple):
    """The store's totals `stats` opens with (claims withdrawn or not, as asked)."""

    records: int  # claims
    withdrawn_records: int  # withdrawn claims, always
    packages: int  # packages some claim names
    package_versions: int  # see store.read.sources.package_version_count
    documents: int
    reports: int
    unknown_ecosystems: tuple[str, ...]
    edges: Mapping[str, int]  # relation kind -> edges


class LabelCount(NamedTuple):
    """The claims of one canonical source under one label its inputs gave it."""

    source: str
    label: str
    claims: int


class Coverage(NamedTuple):
    """One source's claims and how many have code: its own (a sample it holds, or its
    "tracked" status), or any source's of the same package-version (`filled`)."""

    source: str
    records: int
    own: int
    filled: int


class ReportLinkCount(NamedTuple):
    """One ecosystem's report-to-package links, and how many reach a claimed package."""

    ecosystem: str
    links: int
    to_claimed_packages: int


@dataclass(frozen=True, slots=True)
class CodeCounts:
    """How much code the store holds, and per claiming source its package-versions with
    code and without (the paper's tracked / untracked)."""

    artifacts: int
    available_package_versions: int
    analyses: Mapping[str, int]  # outcome -> archives analysed
    availability: Mapping[str, Availability]  # per claiming source


class PaperRow(NamedTuple):
    """One row of the paper's malware sheets, as the store keeps it."""

    source: str  # as the sheet labelled it
    sheet: str
    name_version: str
    tracked: bool


class Clusters(NamedTuple):
    """The paper's similar clusters as its graph files gave them (`ingest paper .../KG`)."""

    clusters: int
    members_as_given: int  # distinct package-versions as the paper spelled them
    members: int  # distinct package-versions by malgraph's normalised identities


@dataclass(frozen=True, slots=True)
class Member:
    """A package(-version) in one of a labeller's groups, in the role the group gives it."""

    ecosystem: str
    name: str
    version: str | None
    role: MemberRole

    @property
    def package(self) -> Package:
        return self.ecosystem, self.name


@dataclass(frozen=True, slots=True)
class Group:
    """One group of another study's labelling (a cluster, a report's packages, a pair)."""

    kind: LabelKind
    key: str
    document: str  # the file it came from
    members: frozenset[Member]


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What malgraph holds for one package-version: the version at all, analysed code, and
    the code family it falls in (None: its code is like no other's)."""

    known: bool
    has_code: bool
    family: str | None


class LabelQuestions(NamedTuple):
    """What the agreement with a labelling asks malgraph about (see LabelFacts)."""

    clustered: frozenset[Version]  # the versions of its code clusters
    duplicated: frozenset[Version]  # the versions it calls duplicated
    packages: frozenset[Package]  # every package it names
    report_keys: frozenset[str]  # the URL keys of the reports it groups packages by


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """What malgraph holds for the packages of another study's labelling, as the agreement
    compares it: code of the clustered versions, links from the grouped reports, its own
    depends-on pairs, sources of the duplicated versions and the packages it knows."""

    code: Mapping[Version, CodeFacts]
    links: Mapping[str, frozenset[Package]]  # report URL key -> packages it links to
    pairs: frozenset[tuple[Package, Package]]  # depending, depended on
    sources: Mapping[Version, int]  # sources with an active claim naming the version
    known: frozenset[Package]
