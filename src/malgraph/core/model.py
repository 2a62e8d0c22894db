"""Domain values shared by sources, the store and relations. Frozen, typed, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from malgraph.core.kinds import EdgeKind, LabelKind, MemberRole, NodeType


class Scope(StrEnum):
    """Which versions a record says are malicious. Unknown is a value, not a missing field."""

    LISTED = "listed"  # exactly the versions given
    ALL = "all"  # every version (OSV range introduced "0", nothing fixed)
    RANGE = "range"  # a bounded range; the named versions, if any, are examples
    UNKNOWN = "unknown"  # the source did not say


class Role(StrEnum):
    """A claim is one source's own word; a merged record only bundles claims (OSV origins)."""

    CLAIM = "claim"
    MERGED = "merged"


@dataclass(frozen=True, slots=True)
class Reference:
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class Campaign:
    """A named attack campaign as a source describes it; packages join it through claims."""

    key: str  # unique within its source
    name: str
    category: str | None = None
    created: str | None = None
    description: str | None = None
    references: tuple[str, ...] = ()
    iocs: tuple[str, ...] = ()  # as the source writes them


@dataclass(frozen=True, slots=True)
class SecurityReport:
    """A security write-up ingested as a document (not only cited by URL)."""

    key: str  # url_key for a web page, "file:<path>" for a local file
    url: str
    site: str
    title: str | None
    published: str | None
    text: str


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A report naming a package, as a list of the reports' packages gives it: evidence that
    they co-exist, never a claim that the package is malicious."""

    url: str  # the report
    ecosystem: str
    name: str
    version: str | None  # None: the row names no version
    evidence: tuple[tuple[str, str], ...] = ()  # the row's own words (status, where), in order


@dataclass(frozen=True, slots=True)
class ReportSite:
    """A site that publishes reports, with the category a source puts it in."""

    site: str
    category: str
    reports: int | None = None  # how many of the source's reports are on the site


@dataclass(frozen=True, slots=True)
class Artifact:
    """A source's copy of a package-version's code (registered, never unpacked here)."""

    source: str
    ecosystem: str
    name: str
    version: str
    sha256: str
    location: str
    kind: str
    detected: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One source's claim about one package, or a feed record merging several such claims."""

    source: str
    source_record_id: str
    ecosystem: str  # OSV spelling, or the input's own when unknown
    ecosystem_known: bool
    name_given: str
    scope: Scope
    versions: tuple[str, ...] = ()
    ranges: tuple[Any, ...] = ()
    published: str | None = None  # when the source published this claim
    modified: str | None = None
    withdrawn: str | None = None
    imported: str | None = None  # when an aggregating feed took the claim in
    released: str | None = None  # what the source says of the package's release ...
    removed: str | None = None  # ... and of its removal from the registry
    aliases: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Any, ...] = ()
    iocs: dict[str, Any] = field(default_factory=dict)
    summary: str | None = None
    details: str | None = None
    raw_sha256: str = ""
    available: bool | None = None  # the source says it holds the package's code
    dependencies: tuple[str, ...] = ()  # as the source lists them
    description: str | None = None  # the package's own description
    campaigns: tuple[Campaign, ...] = ()
    origins: tuple[Record, ...] = ()  # the claims a merged record bundles
    given: str | None = None  # the record's package-version as its source wrote it, when one text

    @property
    def role(self) -> Role:
        return Role.MERGED if self.origins else Role.CLAIM


@dataclass(frozen=True, slots=True)
class LabelMember:
    """One member of another study's group, as that study names it."""

    ecosystem: str  # OSV spelling, or the input's own when unknown
    name: str
    version: str | None  # None: the study names the package, not a version
    given: str  # the text the study wrote (a name_version, a node id, a file name)
    role: MemberRole = MemberRole.MEMBER  # in a dependency pair FROM (the dependent) or TO


@dataclass(frozen=True, slots=True)
class LabelGroup:
    """A group another study drew over packages (the MalGraph paper's code clusters, graph
    components, report groups, dependency pairs): its labelling, never malgraph's relations."""

    labeller: str
    kind: LabelKind
    key: str  # unique within its kind and document: a cluster id, a component, a report URL
    members: tuple[LabelMember, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """One input file (or zip member) that passed validation: the unit of one transaction."""

    path: str
    sha256: str
    feed: str  # the source that published the file (e.g. ossf-malicious-packages)
    key: str  # what makes two files versions of one document: an OSV id, a list's name
    modified: str  # orders versions of one document; the latest is kept
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()  # kept, but worth saying
    rejected: tuple[str, ...] = ()  # parts left out (a bad row of a list), each with why
    reports: tuple[SecurityReport, ...] = ()  # write-ups the document carries
    campaigns: tuple[Campaign, ...] = ()  # campaigns it describes, with or without members
    artifacts: tuple[Artifact, ...] = ()
    links: tuple[ReportLink, ...] = ()  # reports naming packages (not claims)
    sites: tuple[ReportSite, ...] = ()  # report sites' categories
    labels: tuple[LabelGroup, ...] = ()  # another study's groups, kept apart from relations


@dataclass(frozen=True, slots=True)
class Problem:
    """An input that was rejected (or kept with a warning), with where and why."""

    path: str
    reason: str
    rejected: bool = True


@dataclass(frozen=True, slots=True)
class Edge:
    """A relation between two nodes, with what proves it and which step made it."""

    kind: EdgeKind
    src: tuple[NodeType, int]  # (node type, id)
    dst: tuple[NodeType, int]
    evidence: dict[str, Any]
    confidence: float
    step: str


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A stored claim as relations and analyses see it."""

    record_id: int
    source: str
    source_record_id: str
    ecosystem: str
    package_id: int
    package_purl: str
    scope: Scope
    versions: frozenset[str]  # canonical
    label: str = ""  # the source as its input named it (see source_names); "" when the same
