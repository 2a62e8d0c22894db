"""A document turned into store rows, short of the ids only the writer can give.

Pure and picklable, so it runs in the parser processes: canonical names, purls, report keys
and JSON encoding all happen there, and the single writer only numbers and inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

import orjson

from malgraph.core.identity import (
    UnsafeName,
    canonical_name,
    canonical_version,
    check_name,
    ecosystem_of,
    purl,
)
from malgraph.core.iocs import iocs_from_osv, iocs_in_text
from malgraph.core.model import (
    Artifact,
    Campaign,
    Document,
    LabelGroup,
    Record,
    ReportLink,
    SecurityReport,
)
from malgraph.core.urls import url_key

_T = TypeVar("_T")
_R = TypeVar("_R")

REPORT_REFERENCE_TYPES = frozenset({"ARTICLE", "REPORT", "WEB"})

# Record columns in insert order: the four ids the writer fills, then RecordRows.values.
# What every claim has comes first, so a claim without texts stops early: the columns after
# its last value are NULL, and not binding them saves a third of its insert.
RECORD_COLUMNS = (
    "id",
    "source_id",
    "parent_id",
    "package_id",
    "source_record_id",
    "role",
    "name_given",
    "scope",
    "versions",
    "ranges",
    "published",
    "modified",
    "withdrawn",
    "imported",
    "raw_sha256",
    "released",
    "removed",
    "aliases",
    "refs",
    "credits",
    "iocs",
    "summary",
    "details",
    "document_sha256",
    "available",
    "dependencies",
    "description",
    "given",
)

_VALUE_INDEX = {name: i for i, name in enumerate(RECORD_COLUMNS[4:])}

Ioc = tuple[str, str, str]  # kind, normalised value, as written


class CampaignRows(NamedTuple):
    key: str
    values: tuple[Any, ...]  # name, category, created, description, refs (JSON)
    iocs: tuple[Ioc, ...]


class ReportRows(NamedTuple):
    key: str
    url: str
    site: str
    values: tuple[Any, ...]  # title, published, kind, text
    iocs: tuple[Ioc, ...]


class ArtifactRows(NamedTuple):
    source: str
    package: tuple[str, str, int, str]  # as RecordRows.package
    version: tuple[str, str]  # canonical version, purl
    values: tuple[Any, ...]  # sha256, location, kind, detected


class LinkRows(NamedTuple):
    key: str  # the report's url key
    url: str
    site: str
    values: tuple[Any, ...]  # ecosystem, canonical name, canonical version or None, name given,
    # evidence (JSON)


class RecordRows(NamedTuple):
    source: str
    package: tuple[str, str, int, str]  # ecosystem, canonical name, known, purl
    versions: tuple[tuple[str, str], ...]  # (canonical version, purl)
    citations: tuple[tuple[str, str, str, str], ...]  # (url key, url, site, reference type)
    values: tuple[Any, ...]  # the record columns after the ids; may stop early (NULLs)
    iocs: tuple[Ioc, ...]
    campaigns: tuple[CampaignRows, ...]
    children: tuple[RecordRows, ...]

    def column(self, name: str) -> Any:
        """One of `values` by its column name."""
        index = _VALUE_INDEX[name]
        return self.values[index] if index < len(self.values) else None


class LabelRows(NamedTuple):
    """Another study's group: its members as (ecosystem, canonical name, canonical version or
    None, as given, role)."""

    labeller: str
    kind: str
    key: str
    members: tuple[tuple[str, str, str | None, str, str], ...]


class DocumentRows(NamedTuple):
    """Named tuples, not dataclasses: they cross a process boundary and unpickle 2-3x faster."""

    path: str
    sha256: str
    feed: str
    key: str
    modified: str
    warnings: tuple[str, ...]
    rejected: tuple[str, ...]
    records: tuple[RecordRows, ...]
    reports: tuple[ReportRows, ...]
    campaigns: tuple[CampaignRows, ...]
    artifacts: tuple[ArtifactRows, ...]
    links: tuple[LinkRows, ...] = ()
    sites: tuple[tuple[str, str, int | None], ...] = ()  # site, category, reports
    labels: tuple[LabelRows, ...] = ()


def json_or_none(value: Any) -> str | None:
    """JSON text of a value, or NULL for an empty or missing one."""
    return orjson.dumps(value).decode() if value else None


def package_key(ecosystem: str, known: bool, name_given: str) -> tuple[str, str, int, str]:
    """RecordRows.package: (ecosystem, canonical name, known, purl). Every package name on its
    way to the store passes here: a name no registry allows raises UnsafeName."""
    check_name(name_given)
    check_name(ecosystem, "ecosystem")  # an unknown one is kept verbatim, so it is data too
    name = canonical_name(ecosystem, name_given)
    return ecosystem, name, int(known), purl(ecosystem, name)


def version_rows(ecosystem: str, name: str, versions: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """RecordRows.versions: (canonical version, purl), sorted and without repeats."""
    canonical = sorted({canonical_version(ecosystem, v) for v in versions})
    return tuple((v, purl(ecosystem, name, v)) for v in canonical)


def citation_rows(references: Iterable[dict[str, str]]) -> tuple[tuple[str, str, str, str], ...]:
    """RecordRows.citations: the references that are reports ({"type", "url"} each)."""
    citations = []
    for ref in references:
        kind = ref["type"].upper()
        keyed = url_key(ref["url"]) if kind in REPORT_REFERENCE_TYPES else None
        if keyed:
            citations.append((keyed[0], ref["url"], keyed[1], kind))
    return tuple(citations)


def ioc_tuples(found: Iterable[Any]) -> tuple[Ioc, ...]:
    return tuple((i.kind, i.value, i.as_written) for i in found)


def record_rows(record: Record, document_sha256: str | None) -> RecordRows:
    """Rows of a record; only top-level records name their document (children have a parent)."""
    package = package_key(record.ecosystem, record.ecosystem_known, record.name_given)
    references = [{"type": r.type, "url": r.url} for r in record.references]
    values = (
        record.source_record_id,
        record.role.value,
        record.name_given,
        record.scope.value,
        orjson.dumps(record.versions).decode(),
        json_or_none(record.ranges),
        record.published,
        record.modified,
        record.withdrawn,
        record.imported,
        record.raw_sha256,
        record.released,
        record.removed,
        json_or_none(record.aliases),
        json_or_none(references),
        json_or_none(record.credits),
        json_or_none(record.iocs),
        record.summary,
        record.details,
        document_sha256,
        None if record.available is None else int(record.available),
        json_or_none(record.dependencies),
        record.description,
        record.given,
    )
    return RecordRows(
        source=record.source,
        package=package,
        versions=version_rows(package[0], package[1], record.versions),
        citations=citation_rows(references),
        values=values,
        iocs=ioc_tuples(iocs_from_osv(record.iocs)),
        campaigns=tuple(_campaign_rows(c) for c in record.campaigns),
        children=tuple(record_rows(o, None) for o in record.origins),
    )


def _campaign_rows(campaign: Campaign) -> CampaignRows:
    values = (
        campaign.name,
        campaign.category,
        campaign.created,
        campaign.description,
        json_or_none(campaign.references),
    )
    found = [ioc for text in campaign.iocs for ioc in iocs_in_text(text)]
    return CampaignRows(campaign.key, values, ioc_tuples(found))


def _report_rows(report: SecurityReport) -> ReportRows:
    kind = "file" if report.key.startswith("file:") else "url"
    values = (report.title, report.published, kind, report.text or None)
    return ReportRows(
        report.key, report.url, report.site, values, ioc_tuples(iocs_in_text(report.text))
    )


def _package(ecosystem: str, name_given: str) -> tuple[str, str, int, str]:
    eco = ecosystem_of(ecosystem)
    return package_key(eco.name, eco.known, name_given)


def _artifact_rows(artifact: Artifact) -> ArtifactRows:
    package = _package(artifact.ecosystem, artifact.name)
    version = canonical_version(package[0], artifact.version)
    return ArtifactRows(
        artifact.source,
        package,
        (version, purl(package[0], package[1], version)),
        (artifact.sha256, artifact.location, artifact.kind, artifact.detected),
    )


def _link_rows(link: ReportLink) -> LinkRows | None:
    """A link by the package's identity, not its node: the package joins it once a claim
    names it. None when the URL is not a report's."""
    keyed = url_key(link.url)
    if keyed is None:
        return None
    eco, name, _, _ = _package(link.ecosystem, link.name)
    version = canonical_version(eco, link.version) if link.version else None
    values = (eco, name, version, link.name, orjson.dumps(dict(link.evidence)).decode())
    return LinkRows(keyed[0], link.url, keyed[1], values)


def _label_rows(group: LabelGroup, rejected: list[str]) -> LabelRows:
    """A group's members by canonical identity; a member with an unsafe name is left out and
    listed, the rest of its group kept."""
    members = []
    for m in group.members:
        try:
            check_name(m.name)
        except UnsafeName as exc:
            rejected.append(f"{group.kind} group {group.key!r}: {exc}")
            continue
        eco = ecosystem_of(m.ecosystem).name
        version = canonical_version(eco, m.version) if m.version else None
        members.append((eco, canonical_name(eco, m.name), version, m.given, m.role))
    return LabelRows(group.labeller, group.kind, group.key, tuple(dict.fromkeys(members)))


def document_rows(doc: Document) -> DocumentRows:
    """Rows of a document; a record, artifact or link naming an unsafe package name is left out and
    listed with the document's rejected parts, the rest is kept."""
    rejected = list(doc.rejected)
    records = tuple(_kept(lambda r: record_rows(r, doc.sha256), doc.records, rejected))
    artifacts = tuple(_kept(_artifact_rows, doc.artifacts, rejected))
    links = tuple(rows for rows in _kept(_link_rows, doc.links, rejected) if rows)
    labels = tuple(_label_rows(g, rejected) for g in doc.labels)
    return DocumentRows(
        doc.path,
        doc.sha256,
        doc.feed,
        doc.key,
        doc.modified,
        doc.warnings,
        tuple(rejected),
        records,
        tuple(_report_rows(r) for r in doc.reports),
        tuple(_campaign_rows(c) for c in doc.campaigns),
        artifacts,
        links,
        tuple((s.site, s.category, s.reports) for s in doc.sites),
        labels,
    )


def _kept(to_rows: Callable[[_T], _R], items: Iterable[_T], rejected: list[str]) -> Iterator[_R]:
    for item in items:
        try:
            yield to_rows(item)
        except UnsafeName as exc:
            rejected.append(str(exc))
