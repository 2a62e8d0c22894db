"""OSV records (ossf/malicious-packages, osv.dev zips, any OSV feed), validated and expanded.

A record of ossf/malicious-packages merges the reports of several sources; its
`database_specific["malicious-packages-origins"]` names them. Each origin becomes a claim of
its own source, so a package reported by GHSA and ReversingLabs counts for both.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

import jsonschema_rs
import orjson

from malgraph.core.dates import normalise_time
from malgraph.core.identity import UnsafeName, ecosystem_of
from malgraph.core.iocs import iocs_from_osv
from malgraph.core.model import Document, Problem, Record, Reference, Role, Scope
from malgraph.core.rows import (
    CitationRow,
    DocumentRows,
    IocRow,
    RecordRow,
    RecordRows,
    VersionRow,
    citation_rows,
    ioc_rows,
    json_or_none,
    package_row,
    version_rows,
)
from malgraph.sources.base import file_time
from malgraph.sources.inputs import InputFile

ORIGINS_KEY = "malicious-packages-origins"

# Home-database id prefix -> the feed that publishes it.
FEEDS = {"MAL": "ossf-malicious-packages", "LWA": "leitwacht", "GHSA": "ghsa", "PYSEC": "pysec"}


class OsvSource:
    name: str = "osv"
    suffixes: tuple[str, ...] = (".json",)
    containers: bool = True
    description: str = (
        "OSV JSON records: an ossf/malicious-packages tree, single files, or an osv.dev zip; "
        "merged origins count as their own sources"
    )

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | DocumentRows | Problem:
        if item.inner.name == "index.json" and _is_index(raw):
            return Document(
                item.display,
                sha256,
                "osv",
                f"index/{item.inner.as_posix()}",
                file_time(item),
                (),
                (INDEX,),
            )
        return parse_osv(raw, item.display, sha256)


INDEX = "a feed's index of its records (id -> file), not a record: the records are read (skipped)"


def _is_index(raw: bytes) -> bool:
    """leitwacht publishes `index.json` beside its `osv/` tree: an object of record ids, each
    naming its file. An OSV record has an `id` of its own."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(doc, dict) or not doc or "id" in doc:
        return False
    return all(isinstance(v, dict) and "file" in v for v in doc.values())


@cache
def _schemas() -> tuple[Any, re.Pattern[str]]:
    """The OSV schema with its two registry lists (id prefixes, ecosystems) relaxed to
    strings: those lists grow every month, so an unlisted value is a warning, not a reject."""
    text = resources.files("malgraph.data").joinpath("osv-schema.json").read_text("utf-8")
    schema = json.loads(text)
    prefix = re.compile(schema["$defs"]["prefix"]["pattern"])
    schema["$defs"]["prefix"] = {"type": "string", "minLength": 1}
    schema["$defs"]["ecosystemWithSuffix"] = {"type": "string", "minLength": 1}
    return jsonschema_rs.validator_for(schema), prefix


def _schema_errors(doc: Any) -> list[str]:
    validator, _ = _schemas()
    if validator.is_valid(doc):
        return []
    errors = []
    for error in validator.iter_errors(doc):
        where = "/".join(str(p) for p in error.instance_path) or "(top)"
        message = error.message if len(error.message) <= 200 else error.message[:200] + " …"
        errors.append(f"{where}: {message}")
    return sorted(errors)


# Plain strings: enum attribute lookups cost more than the rest of a claim.
_ALL, _RANGE, _LISTED, _UNKNOWN = (
    s.value for s in (Scope.ALL, Scope.RANGE, Scope.LISTED, Scope.UNKNOWN)
)
_CLAIM, _MERGED = Role.CLAIM.value, Role.MERGED.value


def _scope(versions: list[str], ranges: list[Any]) -> str:
    for rng in ranges:
        events = rng.get("events") or []
        if events and all(list(e.items()) == [("introduced", "0")] for e in events):
            return _ALL
    if ranges:
        return _RANGE
    return _LISTED if versions else _UNKNOWN


class _Malformed(ValueError):
    """A part the schema leaves free-form (database_specific) has the wrong shape."""


class _Origin(NamedTuple):
    """One origin of a merged record, checked: it becomes a claim of its own source."""

    source: str
    id: str
    versions: list[str]
    ranges: list[Any]
    modified: str | None
    imported: str | None
    sha256: str

    def claim_row(self, name_given: str, withdrawn: str | None) -> RecordRow:
        """The claim's row: it carries no texts of its own."""
        return RecordRow(
            source_record_id=self.id,
            role=_CLAIM,
            name_given=name_given,
            scope=_scope(self.versions, self.ranges),
            versions=orjson.dumps(self.versions).decode(),
            ranges=json_or_none(self.ranges),
            modified=self.modified,
            withdrawn=withdrawn,
            imported=self.imported,
            raw_sha256=self.sha256,
        )


def _origin(origin: Any, index: int, doc_id: str) -> _Origin:
    """Check an origin's shape (database_specific is free-form, so the schema cannot)."""
    where = f"database_specific.{ORIGINS_KEY}[{index}]"
    if not isinstance(origin, dict):
        raise _Malformed(f"{where}: not an object")
    if not isinstance(origin.get("source"), str) or not origin["source"].strip():
        raise _Malformed(f"{where}: 'source' missing or not a string")
    versions = origin.get("versions") or []
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise _Malformed(f"{where}: 'versions' is not a list of strings")
    ranges = origin.get("ranges") or []
    if not isinstance(ranges, list) or not all(isinstance(r, dict) for r in ranges):
        raise _Malformed(f"{where}: 'ranges' is not a list of objects")
    ident = origin.get("id") or origin.get("sha256") or f"{doc_id}#{index}"
    if not isinstance(ident, str):
        raise _Malformed(f"{where}: 'id' is not a string")
    modified, imported = origin.get("modified_time"), origin.get("import_time")
    return _Origin(
        origin["source"].strip(),
        ident,
        versions,
        ranges,
        normalise_time(modified),
        normalise_time(imported),
        str(origin.get("sha256") or ""),
    )


class _Header(NamedTuple):
    """What every affected package of one OSV document shares, worked out once."""

    id: str
    feed: str
    origins: list[_Origin]
    iocs: dict[str, Any]
    modified: str
    published: str | None
    withdrawn: str | None
    references: list[dict[str, str]]
    warnings: list[str]


def _checked(raw: bytes, path: str) -> dict[str, Any] | Problem:
    """The parsed document if it is an OSV record naming packages, else why not."""
    if not raw.strip():
        return Problem(path, "empty file")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Problem(path, f"not valid JSON: {exc}")
    if not isinstance(doc, dict):
        return Problem(path, f"not an OSV record: top level is a {type(doc).__name__}")
    errors = _schema_errors(doc)
    if errors:
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        return Problem(path, "OSV schema: " + "; ".join(errors[:3]) + more)
    affected = doc.get("affected") or []
    if not affected:
        return Problem(path, "names no package ('affected' is empty)")
    return doc


def _header(doc: dict[str, Any], path: str) -> _Header | Problem:
    doc_id: str = doc["id"]
    warnings = []
    prefix = doc_id.split("-", 1)[0]
    if not _schemas()[1].match(doc_id):
        warnings.append(f"id prefix {prefix!r} is not in the OSV list (kept)")
    db_specific = doc.get("database_specific") or {}
    try:
        origins = [_origin(o, i, doc_id) for i, o in enumerate(db_specific.get(ORIGINS_KEY) or [])]
    except _Malformed as exc:
        return Problem(path, str(exc))
    iocs = db_specific.get("iocs") or {}
    if not isinstance(iocs, dict):
        warnings.append("database_specific.iocs is not an object (ignored)")
        iocs = {}
    if any(not entry["package"]["name"].strip() for entry in doc["affected"]):
        return Problem(path, "a package name in 'affected' is empty")
    return _Header(
        id=doc_id,
        feed=FEEDS.get(prefix, prefix.lower()),
        origins=origins,
        iocs=iocs,
        modified=normalise_time(doc["modified"]) or "",
        published=normalise_time(doc.get("published")),
        withdrawn=normalise_time(doc.get("withdrawn")),
        references=[
            {"type": r.get("type", ""), "url": r["url"]}
            for r in doc.get("references") or []
            if r.get("url")
        ],
        warnings=warnings,
    )


def parse_osv(raw: bytes, path: str, sha256: str) -> DocumentRows | Problem:
    """One OSV file -> store rows (a record per affected package, a claim per origin under
    it), or why it was rejected.

    The largest feed goes straight to rows, skipping the Record model other sources use
    (`osv_document` is that path, kept as this one's reference: both store the same rows).
    """
    doc = _checked(raw, path)
    if isinstance(doc, Problem):
        return doc
    head = _header(doc, path)
    if isinstance(head, Problem):
        return head
    texts = _Texts(
        aliases=json_or_none(doc.get("aliases")),
        refs=json_or_none(head.references),
        credits=json_or_none(doc.get("credits")),
        iocs=json_or_none(head.iocs),
        summary=doc.get("summary"),
        details=doc.get("details"),
    )
    citations = citation_rows(head.references)
    iocs = ioc_rows(iocs_from_osv(head.iocs))
    warnings, records, rejected = list(head.warnings), [], []
    for entry in doc["affected"]:
        try:
            records.append(_affected_rows(head, entry, texts, sha256, citations, iocs))
        except UnsafeName as exc:  # that package is left out, the others are kept
            rejected.append(str(exc))
            continue
        if not records[-1].package.ecosystem_known:
            warnings.append(_unknown_ecosystem(entry))
    if not records:
        return Problem(path, rejected[0])
    return DocumentRows(
        path=path,
        sha256=sha256,
        feed=head.feed,
        key=head.id,
        modified=head.modified,
        warnings=tuple(warnings),
        rejected=tuple(rejected),
        records=tuple(records),
    )


class _Texts(NamedTuple):
    """The texts every affected package of a document shares, encoded once."""

    aliases: str | None
    refs: str | None
    credits: str | None
    iocs: str | None
    summary: str | None
    details: str | None


def _unknown_ecosystem(entry: dict[str, Any]) -> str:
    return f"unknown ecosystem {entry['package']['ecosystem']!r} (kept verbatim)"


def _affected_rows(
    head: _Header,
    entry: dict[str, Any],
    texts: _Texts,
    sha256: str,
    citations: tuple[CitationRow, ...],
    iocs: tuple[IocRow, ...],
) -> RecordRows:
    """The feed's record of one affected package, with a claim per origin under it."""
    given = entry["package"]["name"]
    eco = ecosystem_of(entry["package"]["ecosystem"])
    package = package_row(eco.name, eco.known, given)
    versions_of = _VersionRows(eco.name, package.name)
    claims = tuple(
        RecordRows(
            o.source,
            package,
            versions_of(o.versions),
            (),
            o.claim_row(given, head.withdrawn),
            (),
            (),
            (),
        )
        for o in head.origins
    )
    versions = entry.get("versions") or []
    ranges = entry.get("ranges") or []
    row = RecordRow(
        source_record_id=head.id,
        role=_MERGED if head.origins else _CLAIM,
        name_given=given,
        scope=_scope(versions, ranges),
        versions=orjson.dumps(versions).decode(),
        ranges=json_or_none(ranges),
        published=head.published,
        modified=head.modified,
        withdrawn=head.withdrawn,
        raw_sha256=sha256,
        aliases=texts.aliases,
        refs=texts.refs,
        credits=texts.credits,
        iocs=texts.iocs,
        summary=texts.summary,
        details=texts.details,
        document_sha256=sha256,
    )
    return RecordRows(head.feed, package, versions_of(versions), citations, row, iocs, (), claims)


def osv_document(raw: bytes, path: str, sha256: str) -> Document | Problem:
    """The same file through the Record model every other source uses; store.rows turns it
    into the rows `parse_osv` makes directly."""
    doc = _checked(raw, path)
    if isinstance(doc, Problem):
        return doc
    head = _header(doc, path)
    if isinstance(head, Problem):
        return head
    records, warnings = [], list(head.warnings)
    for entry in doc["affected"]:
        if not ecosystem_of(entry["package"]["ecosystem"]).known:
            warnings.append(_unknown_ecosystem(entry))
        records.append(_affected_record(head, doc, entry, sha256))
    return Document(
        path, sha256, head.feed, head.id, head.modified, tuple(records), tuple(warnings)
    )


def _affected_record(
    head: _Header, doc: dict[str, Any], entry: dict[str, Any], sha256: str
) -> Record:
    """The feed's Record of one affected package, its origins' claims under it."""
    eco = ecosystem_of(entry["package"]["ecosystem"])
    given = entry["package"]["name"]
    versions = entry.get("versions") or []
    ranges = entry.get("ranges") or []
    origins = tuple(
        Record(
            source=o.source,
            source_record_id=o.id,
            ecosystem=eco.name,
            ecosystem_known=eco.known,
            name_given=given,
            scope=Scope(_scope(o.versions, o.ranges)),
            versions=tuple(o.versions),
            ranges=tuple(o.ranges),
            modified=o.modified,
            withdrawn=head.withdrawn,
            imported=o.imported,
            raw_sha256=o.sha256,
        )
        for o in head.origins
    )
    return Record(
        source=head.feed,
        source_record_id=head.id,
        ecosystem=eco.name,
        ecosystem_known=eco.known,
        name_given=given,
        scope=Scope(_scope(versions, ranges)),
        versions=tuple(versions),
        ranges=tuple(ranges),
        published=head.published,
        modified=head.modified,
        withdrawn=head.withdrawn,
        aliases=tuple(doc.get("aliases") or ()),
        references=tuple(Reference(r["type"], r["url"]) for r in head.references),
        credits=tuple(doc.get("credits") or ()),
        iocs=head.iocs,
        summary=doc.get("summary"),
        details=doc.get("details"),
        raw_sha256=sha256,
        origins=origins,
    )


class _VersionRows:
    """The version rows of version lists of one package; a feed record and its claims often
    list the same versions, so each list is worked out once."""

    def __init__(self, ecosystem: str, name: str) -> None:
        self.ecosystem, self.name = ecosystem, name
        self.seen: dict[tuple[str, ...], tuple[VersionRow, ...]] = {}

    def __call__(self, versions: list[str]) -> tuple[VersionRow, ...]:
        key = tuple(versions)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = version_rows(self.ecosystem, self.name, versions)
        return found
