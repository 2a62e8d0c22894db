"""Typed rows: what a parsed document becomes on its way to the store, short of the ids only
the writer can give.

Each `...Row` type stands for one table (its fields are that table's columns, by name: the
writer builds its statements from the fields, so a field added here is stored, or fails
loudly where the table lacks it). The `...Rows` types bundle a row with the keys it is
numbered by. Named tuples, not dataclasses: they cross a process boundary for every input and
unpickle faster. Both the model path (store.rows) and the OSV fast path (sources.osv) build
them with the helpers below, so the two store the same thing. The writer's own rows, which only
link other rows by the ids it gives (a document's version, a record's versions, reports,
campaigns and IoC sightings), come last.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from malgraph.core.identity import canonical_name, canonical_version, check_name, purl
from malgraph.core.iocs import Ioc
from malgraph.core.urls import url_key

REPORT_REFERENCE_TYPES = frozenset({"ARTICLE", "REPORT", "WEB"})


class PackageRow(NamedTuple):
    """A `packages` row (less its id)."""

    ecosystem: str
    name: str  # canonical
    ecosystem_known: int
    purl: str


class VersionRow(NamedTuple):
    """A `package_versions` row (less its id and package)."""

    version: str  # canonical
    purl: str


class ReportKey(NamedTuple):
    """A `reports` row as far as a reference knows it (less its id)."""

    url_key: str
    url: str
    site: str


class CitationRow(NamedTuple):
    """A `record_reports` row: the report a record cites, and how the record calls it."""

    report: ReportKey
    ref_type: str


class IocRow(NamedTuple):
    """An IoC seen: its `iocs` key (kind, value) and the `ioc_sightings.as_written`."""

    kind: str
    value: str  # normalised
    as_written: str


class RecordRow(NamedTuple):
    """A `records` row, less the ids the writer gives (label, id, source, parent, package).

    What every claim has comes first: the writer leaves out the trailing NULLs of a row, so a
    claim without texts binds only its first columns."""

    source_record_id: str
    role: str
    name_given: str
    scope: str
    versions: str  # JSON list, as given
    ranges: str | None = None
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None
    imported: str | None = None
    raw_sha256: str = ""
    released: str | None = None
    removed: str | None = None
    aliases: str | None = None  # JSON
    refs: str | None = None  # JSON
    credits: str | None = None  # JSON
    iocs: str | None = None  # JSON
    summary: str | None = None
    details: str | None = None
    document_sha256: str | None = None  # top-level records only
    available: int | None = None
    dependencies: str | None = None  # JSON
    description: str | None = None
    given: str | None = None


class CampaignRow(NamedTuple):
    """A `campaigns` row's details (less its id, source and key)."""

    name: str
    category: str | None
    created: str | None
    description: str | None
    refs: str | None  # JSON list of URLs


class CampaignRows(NamedTuple):
    key: str
    row: CampaignRow
    iocs: tuple[IocRow, ...]


class ReportRow(NamedTuple):
    """A `reports` row's write-up (less its id and key)."""

    title: str | None
    published: str | None
    kind: str  # 'url' or 'file'
    text: str | None


class ReportRows(NamedTuple):
    report: ReportKey
    row: ReportRow
    iocs: tuple[IocRow, ...]


class ArtifactRow(NamedTuple):
    """An `artifacts` row (less its id, package-version, source, document and label)."""

    sha256: str
    location: str
    kind: str
    detected: str | None


class ArtifactRows(NamedTuple):
    source: str
    package: PackageRow
    version: VersionRow
    row: ArtifactRow


class LinkRow(NamedTuple):
    """A `report_links` row (less its report and document): the package by its identity."""

    ecosystem: str
    name: str  # canonical
    version: str | None  # canonical
    name_given: str
    evidence: str  # JSON


class LinkRows(NamedTuple):
    report: ReportKey
    row: LinkRow


class SiteRow(NamedTuple):
    """A `report_sites` row (less its document)."""

    site: str
    category: str
    reports: int | None


class LabelMemberRow(NamedTuple):
    """A `label_members` row (less its group)."""

    ecosystem: str
    name: str  # canonical
    version: str | None  # canonical
    given: str
    role: str


class LabelRows(NamedTuple):
    """Another study's group (a `label_groups` row, less its id and document) and members."""

    labeller: str
    kind: str
    key: str
    members: tuple[LabelMemberRow, ...]


class RecordRows(NamedTuple):
    source: str  # the label the input gives its source
    package: PackageRow
    versions: tuple[VersionRow, ...]
    citations: tuple[CitationRow, ...]
    row: RecordRow
    iocs: tuple[IocRow, ...]
    campaigns: tuple[CampaignRows, ...]
    children: tuple[RecordRows, ...]


class DocumentRows(NamedTuple):
    """One input document's rows, and what the parser said about it."""

    path: str
    sha256: str
    feed: str
    key: str
    modified: str
    warnings: tuple[str, ...]
    rejected: tuple[str, ...]
    records: tuple[RecordRows, ...]
    reports: tuple[ReportRows, ...] = ()
    campaigns: tuple[CampaignRows, ...] = ()
    artifacts: tuple[ArtifactRows, ...] = ()
    links: tuple[LinkRows, ...] = ()
    sites: tuple[SiteRow, ...] = ()
    labels: tuple[LabelRows, ...] = ()


class InputFileRow(NamedTuple):
    """An `input_files` row: a plain file's stat, so that an unchanged file is not read
    again."""

    path: str
    size: int
    mtime_ns: int
    sha256: str


class DocumentRow(NamedTuple):
    """A `documents` row: a version of an input document, and what became of it."""

    sha256: str
    feed: str
    doc_key: str
    modified: str
    current: bool
    path: str  # the input, printable
    outcome: str  # added, replaced or stale
    ingested_at: str


class RecordVersionRow(NamedTuple):
    """A `record_versions` row: a version a record names."""

    record_id: int
    version_id: int


class RecordReportRow(NamedTuple):
    """A `record_reports` row: a report a record cites (see CitationRow)."""

    record_id: int
    report_id: int
    ref_type: str


class SightingRow(NamedTuple):
    """An `ioc_sightings` row: an IoC seen in exactly one of a record, a report or a campaign."""

    ioc_id: int
    record_id: int | None
    report_id: int | None
    campaign_id: int | None
    as_written: str


class CampaignMemberRow(NamedTuple):
    """A `campaign_members` row."""

    campaign_id: int
    record_id: int


def json_or_none(value: Any) -> str | None:
    """JSON text of a value, or NULL for an empty or missing one."""
    return orjson.dumps(value).decode() if value else None


def package_row(ecosystem: str, known: bool, name_given: str) -> PackageRow:
    """Every package name on its way to the store passes here: a name no registry allows
    raises UnsafeName."""
    check_name(name_given)
    check_name(ecosystem, "ecosystem")  # an unknown one is kept verbatim, so it is data too
    name = canonical_name(ecosystem, name_given)
    return PackageRow(ecosystem, name, int(known), purl(ecosystem, name))


def version_rows(ecosystem: str, name: str, versions: Iterable[str]) -> tuple[VersionRow, ...]:
    """A package's versions, canonical, sorted and without repeats."""
    canonical = sorted({canonical_version(ecosystem, v) for v in versions})
    return tuple(VersionRow(v, purl(ecosystem, name, v)) for v in canonical)


def citation_rows(references: Iterable[dict[str, str]]) -> tuple[CitationRow, ...]:
    """The references ({"type", "url"} each) that are reports."""
    citations = []
    for ref in references:
        kind = ref["type"].upper()
        keyed = url_key(ref["url"]) if kind in REPORT_REFERENCE_TYPES else None
        if keyed:
            citations.append(CitationRow(ReportKey(keyed[0], ref["url"], keyed[1]), kind))
    return tuple(citations)


def ioc_rows(found: Iterable[Ioc]) -> tuple[IocRow, ...]:
    return tuple(IocRow(i.kind, i.value, i.as_written) for i in found)
