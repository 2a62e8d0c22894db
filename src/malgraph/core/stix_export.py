"""What the STIX export reads of the store: the sources, packages, claims, reports, IoCs,
families, campaigns and relations of a selection, as store/read/stix_export returns them.
Packages are named by their purl (packageurl-python's spelling), claims by their source, the
source's own id and the package: keys that do not depend on the order a store was built in."""

from __future__ import annotations

from typing import NamedTuple

from malgraph.core.kinds import EdgeKind


class StixSource(NamedTuple):
    name: str
    kind: str  # the store's source kind: feed or origin


class StixPackage(NamedTuple):
    ecosystem: str
    name: str
    purl: str
    first_seen: str | None  # the earliest date an active claim gives
    last_seen: str | None  # the latest date an active claim gives
    sources: tuple[str, ...]  # who claims it, sorted
    versions: tuple[str, ...]  # the versions the store knows of it, sorted


class ClaimKey(NamedTuple):
    """A claim as a source states it: its id for the report, and the package."""

    source: str
    record_id: str
    purl: str


class StixClaim(NamedTuple):
    """One source's claim on a package (claims sharing the key merged)."""

    key: ClaimKey
    published: str | None  # published, else imported
    modified: str | None
    summary: str | None
    versions: tuple[str, ...]
    iocs: tuple[tuple[str, str], ...]  # (kind, value) seen in the claim or its feed record
    references: tuple[str, ...]  # URLs of the reports it cites


class NamedPackage(NamedTuple):
    """A package a report names, and how: cited (by a claim), or a mention or link's `how`."""

    purl: str
    how: str


class StixReport(NamedTuple):
    url_key: str
    url: str
    site: str
    title: str | None
    published: str | None
    packages: tuple[NamedPackage, ...]
    iocs: tuple[tuple[str, str], ...]


class StixIoc(NamedTuple):
    kind: str
    value: str
    first_seen: str | None  # the earliest date of a claim, report or campaign it is seen in
    packages: tuple[str, ...]  # purls of the selected packages whose records carry it
    campaigns: tuple[tuple[str, str], ...]  # (source, key) of the campaigns naming it


class StixFamily(NamedTuple):
    id: str
    size: int
    ecosystems: tuple[str, ...]
    first_release: str | None
    last_release: str | None
    members: tuple[tuple[str, tuple[str, ...]], ...]  # (purl, its versions in the family)


class StixCampaign(NamedTuple):
    source: str
    key: str
    name: str
    category: str | None
    created: str | None
    description: str | None
    refs: tuple[str, ...]
    members: tuple[str, ...]  # purls of the selected packages it holds


class RelationEnd(NamedTuple):
    """An end of a stored relation: a package (and version), or a claim on one."""

    purl: str
    version: str | None
    claim: ClaimKey | None


class StixRelation(NamedTuple):
    kind: EdgeKind
    source: RelationEnd
    target: RelationEnd
    evidence: object  # the stored evidence, decoded
    confidence: float
    step: str
