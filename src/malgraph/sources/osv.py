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
from malgraph.core.model import Document, Problem, Role, Scope
from malgraph.sources.base import file_time
from malgraph.sources.inputs import InputFile
from malgraph.store.rows import (
    DocumentRows,
    RecordRows,
    citation_rows,
    ioc_tuples,
    json_or_none,
    package_key,
    version_rows,
)

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

    def claim_values(self, name_given: str, withdrawn: str | None) -> tuple[Any, ...]:
        """RecordRows.values of the claim, up to raw_sha256: it carries no texts of its own."""
        return (
            self.id,
            _CLAIM,
            name_given,
            _scope(self.versions, self.ranges),
            orjson.dumps(self.versions).decode(),
            json_or_none(self.ranges),
            None,
            self.modified,
            withdrawn,
            self.imported,
            self.sha256,
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


def parse_osv(raw: bytes, path: str, sha256: str) -> DocumentRows | Problem:
    """One OSV file -> store rows (a record per affected package, a claim per origin under
    it), or why it was rejected.

    The largest feed goes straight to rows, skipping the Record model other sources use:
    at 200,000 files every microsecond per file is a fifth of a second.
    """
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

    doc_id: str = doc["id"]
    warnings = []
    prefix = doc_id.split("-", 1)[0]
    if not _schemas()[1].match(doc_id):
        warnings.append(f"id prefix {prefix!r} is not in the OSV list (kept)")
    feed = FEEDS.get(prefix, prefix.lower())

    db_specific = doc.get("database_specific") or {}
    try:
        origins = [_origin(o, i, doc_id) for i, o in enumerate(db_specific.get(ORIGINS_KEY) or [])]
    except _Malformed as exc:
        return Problem(path, str(exc))
    iocs = db_specific.get("iocs") or {}
    if not isinstance(iocs, dict):
        warnings.append("database_specific.iocs is not an object (ignored)")
        iocs = {}

    modified = normalise_time(doc["modified"]) or ""
    published = normalise_time(doc.get("published"))
    withdrawn = normalise_time(doc.get("withdrawn"))
    references = [
        {"type": r.get("type", ""), "url": r["url"]}
        for r in doc.get("references") or []
        if r.get("url")
    ]
    # What every affected package of the document shares, worked out once: its texts and
    # document (the rest of the columns, for other sources, stay NULL).
    shared = (
        json_or_none(doc.get("aliases")),
        json_or_none(references),
        json_or_none(doc.get("credits")),
        json_or_none(iocs),
        doc.get("summary"),
        doc.get("details"),
        sha256,
    )
    citations = citation_rows(references)
    ioc_rows = ioc_tuples(iocs_from_osv(iocs))
    role = _MERGED if origins else _CLAIM
    records, rejected = [], []
    for entry in affected:
        given = entry["package"]["name"]
        if not given.strip():
            return Problem(path, "a package name in 'affected' is empty")
        eco = ecosystem_of(entry["package"]["ecosystem"])
        try:
            package = package_key(eco.name, eco.known, given)
        except UnsafeName as exc:  # that package is left out, the others are kept
            rejected.append(str(exc))
            continue
        if not eco.known:
            warnings.append(f"unknown ecosystem {entry['package']['ecosystem']!r} (kept verbatim)")
        version_rows = _VersionRows(eco.name, package[1])
        claims = tuple(
            RecordRows(
                o.source,
                package,
                version_rows(o.versions),
                (),
                o.claim_values(given, withdrawn),
                (),
                (),
                (),
            )
            for o in origins
        )
        versions = entry.get("versions") or []
        ranges = entry.get("ranges") or []
        values = (
            doc_id,
            role,
            given,
            _scope(versions, ranges),
            orjson.dumps(versions).decode(),
            json_or_none(ranges),
            published,
            modified,
            withdrawn,
            None,
            sha256,
            None,
            None,  # imported, raw_sha256, released, removed
            *shared,
        )
        records.append(
            RecordRows(
                feed, package, version_rows(versions), citations, values, ioc_rows, (), claims
            )
        )
    if not records:
        return Problem(path, rejected[0])
    return DocumentRows(
        path,
        sha256,
        feed,
        doc_id,
        modified,
        tuple(warnings),
        tuple(rejected),
        tuple(records),
        (),
        (),
        (),
    )


class _VersionRows:
    """(canonical version, purl) rows of version lists of one package; a feed record and its
    claims often list the same versions, so each list is worked out once."""

    def __init__(self, ecosystem: str, name: str) -> None:
        self.ecosystem, self.name = ecosystem, name
        self.seen: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}

    def __call__(self, versions: list[str]) -> tuple[tuple[str, str], ...]:
        key = tuple(versions)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = version_rows(self.ecosystem, self.name, versions)
        return found
