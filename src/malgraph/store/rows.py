"""The model path: a validated Document turned into typed rows (core.rows) for the writer.

Pure and picklable, so it runs in the parser processes: canonical names, purls, report keys
and JSON encoding all happen there, and the single writer only numbers and inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

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
from malgraph.core.rows import (
    ArtifactRow,
    ArtifactRows,
    CampaignRow,
    CampaignRows,
    DocumentRows,
    LabelMemberRow,
    LabelRows,
    LinkRow,
    LinkRows,
    PackageRow,
    RecordRow,
    RecordRows,
    ReportKey,
    ReportRow,
    ReportRows,
    SiteRow,
    VersionRow,
    citation_rows,
    ioc_rows,
    json_or_none,
    package_row,
    version_rows,
)
from malgraph.core.urls import url_key

_T = TypeVar("_T")
_R = TypeVar("_R")


def record_rows(record: Record, document_sha256: str | None) -> RecordRows:
    """Rows of a record; only top-level records name their document (children have a parent)."""
    package = package_row(record.ecosystem, record.ecosystem_known, record.name_given)
    references = [{"type": r.type, "url": r.url} for r in record.references]
    row = RecordRow(
        source_record_id=record.source_record_id,
        role=record.role.value,
        name_given=record.name_given,
        scope=record.scope.value,
        versions=orjson.dumps(record.versions).decode(),
        ranges=json_or_none(record.ranges),
        published=record.published,
        modified=record.modified,
        withdrawn=record.withdrawn,
        imported=record.imported,
        raw_sha256=record.raw_sha256,
        released=record.released,
        removed=record.removed,
        aliases=json_or_none(record.aliases),
        refs=json_or_none(references),
        credits=json_or_none(record.credits),
        iocs=json_or_none(record.iocs),
        summary=record.summary,
        details=record.details,
        document_sha256=document_sha256,
        available=None if record.available is None else int(record.available),
        dependencies=json_or_none(record.dependencies),
        description=record.description,
        given=record.given,
    )
    return RecordRows(
        source=record.source,
        package=package,
        versions=version_rows(package.ecosystem, package.name, record.versions),
        citations=citation_rows(references),
        row=row,
        iocs=ioc_rows(iocs_from_osv(record.iocs)),
        campaigns=tuple(_campaign_rows(c) for c in record.campaigns),
        children=tuple(record_rows(o, None) for o in record.origins),
    )


def _campaign_rows(campaign: Campaign) -> CampaignRows:
    row = CampaignRow(
        name=campaign.name,
        category=campaign.category,
        created=campaign.created,
        description=campaign.description,
        refs=json_or_none(campaign.references),
    )
    found = [ioc for text in campaign.iocs for ioc in iocs_in_text(text)]
    return CampaignRows(campaign.key, row, ioc_rows(found))


def _report_rows(report: SecurityReport) -> ReportRows:
    kind = "file" if report.key.startswith("file:") else "url"
    row = ReportRow(
        title=report.title, published=report.published, kind=kind, text=report.text or None
    )
    key = ReportKey(report.key, report.url, report.site)
    return ReportRows(key, row, ioc_rows(iocs_in_text(report.text)))


def _package(ecosystem: str, name_given: str) -> PackageRow:
    eco = ecosystem_of(ecosystem)
    return package_row(eco.name, eco.known, name_given)


def _artifact_rows(artifact: Artifact) -> ArtifactRows:
    package = _package(artifact.ecosystem, artifact.name)
    version = canonical_version(package.ecosystem, artifact.version)
    row = ArtifactRow(
        sha256=artifact.sha256,
        location=artifact.location,
        kind=artifact.kind,
        detected=artifact.detected,
    )
    return ArtifactRows(
        artifact.source,
        package,
        VersionRow(version, purl(package.ecosystem, package.name, version)),
        row,
    )


def _link_rows(link: ReportLink) -> LinkRows | None:
    """A link by the package's identity, not its node: the package joins it once a claim
    names it. None when the URL is not a report's."""
    keyed = url_key(link.url)
    if keyed is None:
        return None
    package = _package(link.ecosystem, link.name)
    version = canonical_version(package.ecosystem, link.version) if link.version else None
    row = LinkRow(
        ecosystem=package.ecosystem,
        name=package.name,
        version=version,
        name_given=link.name,
        evidence=orjson.dumps(dict(link.evidence)).decode(),
    )
    return LinkRows(ReportKey(keyed[0], link.url, keyed[1]), row)


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
        members.append(LabelMemberRow(eco, canonical_name(eco, m.name), version, m.given, m.role))
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
        path=doc.path,
        sha256=doc.sha256,
        feed=doc.feed,
        key=doc.key,
        modified=doc.modified,
        warnings=doc.warnings,
        rejected=tuple(rejected),
        records=records,
        reports=tuple(_report_rows(r) for r in doc.reports),
        campaigns=tuple(_campaign_rows(c) for c in doc.campaigns),
        artifacts=artifacts,
        links=links,
        sites=tuple(SiteRow(s.site, s.category, s.reports) for s in doc.sites),
        labels=labels,
    )


def _kept(to_rows: Callable[[_T], _R], items: Iterable[_T], rejected: list[str]) -> Iterator[_R]:
    for item in items:
        try:
            yield to_rows(item)
        except UnsafeName as exc:
            rejected.append(str(exc))
