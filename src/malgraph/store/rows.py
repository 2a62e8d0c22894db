"""A document turned into store rows, short of the ids only the writer can give.

Pure and picklable, so it runs in the parser processes: canonical names, purls, report keys
and JSON encoding all happen there, and the single writer only numbers and inserts.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from malgraph.identity import canonical_name, canonical_version, purl
from malgraph.model import Document, Record
from malgraph.urls import url_key

REPORT_REFERENCE_TYPES = frozenset({"ARTICLE", "REPORT", "WEB"})

# Record columns in insert order: the four ids the writer fills, then RecordRows.values.
RECORD_COLUMNS = (
    "id, source_id, parent_id, package_id, source_record_id, role, name_given, scope, versions,"
    " ranges, published, modified, withdrawn, imported, released, removed, aliases, refs, credits,"
    " iocs, summary,"
    " details, raw_sha256, document_sha256"
)


class RecordRows(NamedTuple):
    source: str
    package: tuple[str, str, int, str]  # ecosystem, canonical name, known, purl
    versions: tuple[tuple[str, str], ...]  # (canonical version, purl)
    reports: tuple[tuple[str, str, str, str], ...]  # (url key, url, site, reference type)
    values: tuple[Any, ...]  # the record columns after the ids
    children: tuple[RecordRows, ...]


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


def _json(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value else None


def record_rows(record: Record, document_sha256: str | None) -> RecordRows:
    """Rows of a record; only top-level records name their document (children have a parent)."""
    eco = record.ecosystem
    name = canonical_name(eco, record.name_given)
    versions = sorted({canonical_version(eco, v) for v in record.versions})
    reports = []
    for ref in record.references:
        kind = ref.type.upper()
        keyed = url_key(ref.url) if kind in REPORT_REFERENCE_TYPES else None
        if keyed:
            reports.append((keyed[0], ref.url, keyed[1], kind))
    values = (
        record.source_record_id, record.role.value, record.name_given, record.scope.value,
        orjson.dumps(record.versions).decode(), _json(record.ranges), record.published,
        record.modified, record.withdrawn, record.imported, record.released, record.removed,
        _json(record.aliases),
        _json([{"type": r.type, "url": r.url} for r in record.references]),
        _json(record.credits), _json(record.iocs), record.summary, record.details,
        record.raw_sha256, document_sha256,
    )  # fmt: skip
    return RecordRows(
        source=record.source,
        package=(eco, name, int(record.ecosystem_known), purl(eco, name)),
        versions=tuple((v, purl(eco, name, v)) for v in versions),
        reports=tuple(reports),
        values=values,
        children=tuple(record_rows(o, None) for o in record.origins),
    )


def document_rows(doc: Document) -> DocumentRows:
    return DocumentRows(
        doc.path, doc.sha256, doc.feed, doc.key, doc.modified, doc.warnings, doc.rejected,
        tuple(record_rows(r, doc.sha256) for r in doc.records),
    )  # fmt: skip
