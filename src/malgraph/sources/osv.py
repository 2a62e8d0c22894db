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
from typing import Any

import jsonschema_rs
import orjson

from malgraph.dates import normalise_time
from malgraph.identity import ecosystem_of
from malgraph.model import Document, Problem, Record, Reference, Scope
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

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        return parse_osv(raw, item.display, sha256)


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


def _scope(versions: list[str], ranges: list[Any]) -> Scope:
    for rng in ranges:
        events = rng.get("events") or []
        if events and all(list(e.items()) == [("introduced", "0")] for e in events):
            return Scope.ALL
    if ranges:
        return Scope.RANGE
    return Scope.LISTED if versions else Scope.UNKNOWN


class _Malformed(ValueError):
    """A part the schema leaves free-form (database_specific) has the wrong shape."""


def _origin(origin: Any, index: int, doc_id: str) -> dict[str, Any]:
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
    return {**origin, "id": ident, "versions": versions, "ranges": ranges}


def parse_osv(raw: bytes, path: str, sha256: str) -> Document | Problem:
    """One OSV file -> a Document (one record per affected package), or why it was rejected."""
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

    modified = normalise_time(doc["modified"]) or ""
    published = normalise_time(doc.get("published"))
    withdrawn = normalise_time(doc.get("withdrawn"))
    references = tuple(
        Reference(r.get("type", ""), r["url"]) for r in doc.get("references") or [] if r.get("url")
    )
    iocs = db_specific.get("iocs") or {}
    if not isinstance(iocs, dict):
        warnings.append("database_specific.iocs is not an object (ignored)")
        iocs = {}
    records = []
    for entry in affected:
        package = entry["package"]
        if not package["name"].strip():
            return Problem(path, "a package name in 'affected' is empty")
        eco = ecosystem_of(package["ecosystem"])
        if not eco.known:
            warnings.append(f"unknown ecosystem {package['ecosystem']!r} (kept verbatim)")
        versions = entry.get("versions") or []
        ranges = entry.get("ranges") or []
        claims = tuple(
            Record(
                source=o["source"].strip(),
                source_record_id=o["id"],
                ecosystem=eco.name,
                ecosystem_known=eco.known,
                name_given=package["name"],
                scope=_scope(o["versions"], o["ranges"]),
                versions=tuple(o["versions"]),
                ranges=tuple(o["ranges"]),
                modified=normalise_time(o.get("modified_time")),
                imported=normalise_time(o.get("import_time")),
                withdrawn=withdrawn,
                raw_sha256=str(o.get("sha256") or ""),
            )
            for o in origins
        )
        records.append(
            Record(
                source=feed,
                source_record_id=doc_id,
                ecosystem=eco.name,
                ecosystem_known=eco.known,
                name_given=package["name"],
                scope=_scope(versions, ranges),
                versions=tuple(versions),
                ranges=tuple(ranges),
                published=published,
                modified=modified,
                withdrawn=withdrawn,
                aliases=tuple(doc.get("aliases") or ()),
                references=references,
                credits=tuple(doc.get("credits") or ()),
                iocs=iocs,
                summary=doc.get("summary"),
                details=doc.get("details"),
                raw_sha256=sha256,
                origins=claims,
            )
        )
    return Document(path, sha256, feed, doc_id, modified, tuple(records), tuple(warnings))
