"""What the OSV export reads of one package: its active claims, the feed records they came in,
its reports, families, campaigns and related packages, as store/read/osv_export returns them."""

from __future__ import annotations

from typing import Any, NamedTuple

from malgraph.core.model import Scope


class OsvClaim(NamedTuple):
    """One active claim of a source on the package, with the feed record it came in (if any)."""

    source: str
    record_id: str  # the source's own id for its report
    scope: Scope
    versions: tuple[str, ...]  # canonical, as the store holds them
    ranges: tuple[Any, ...]  # OSV ranges as the source gave them
    published: str | None
    modified: str | None
    imported: str | None
    raw_sha256: str
    summary: str | None  # the claim's own, else its feed record's
    details: str | None
    aliases: tuple[str, ...]  # the claim's and its feed record's aliases
    feed: str | None  # the feed whose merged record carried the claim
    feed_record_id: str | None


class OsvRelated(NamedTuple):
    """Another package joined to this one by a relation, with how much evidence joins them."""

    kind: str  # similar, depends_on, depended_on_by, co-existing
    purl: str
    edges: int  # edges, or for co-existing the reports and campaigns shared
    confidence: float | None  # the strongest edge's (None for co-existing)


class OsvDuplicated(NamedTuple):
    """Two sources agreeing on the package (a duplicated or duplicated_package edge)."""

    kind: str
    sources: tuple[str, str]
    edges: int


class OsvFamily(NamedTuple):
    id: str
    size: int
    versions: tuple[str, ...]  # the package's own versions in the family


class OsvCampaign(NamedTuple):
    """A campaign a source names that holds the package."""

    source: str
    name: str
    category: str | None


class OsvReference(NamedTuple):
    url: str
    type: str  # as the source gave it (not yet mapped to OSV's list)


class OsvPackage(NamedTuple):
    """Everything one OSV record of the export merges."""

    ecosystem: str
    ecosystem_known: bool
    name: str
    purl: str
    claims: tuple[OsvClaim, ...]
    last_change: str | None  # the latest date the store holds of the package's records
    first_detection: tuple[str, str] | None  # (date, who): a claim's or a sample's
    references: tuple[OsvReference, ...]
    families: tuple[OsvFamily, ...]
    campaigns: tuple[OsvCampaign, ...]
    duplicated: tuple[OsvDuplicated, ...]
    related: tuple[OsvRelated, ...]  # the first listed of each kind (see osv_packages)
    related_counts: dict[str, int]  # kind -> how many related packages of it, listed or not
    package_id: int  # the store's id of the package
