"""The OSV export: one OSV record a malicious package, every source's claim on it merged.

Layout: `OUT/osv/<ecosystem>/<name>/<id>.json`, as ossf/malicious-packages lays out its tree
(ecosystem and name percent-encoded into one safe folder each; the file name is the id alone,
so two packages never share a file whatever their names). The id is `x_MGRAPH-` and 20 hex
digits of the SHA-256 of the package's purl: the same package keeps its id across exports, and
`x_` is how the OSV schema admits a database outside its registered prefixes.

The claims go in `database_specific["malicious-packages-origins"]`, the shape ossf's records
use, so `malgraph ingest osv` (or any reader of that feed) recovers each source's claim;
`database_specific["malgraph"]` carries the rest of the provenance and the relations.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, overload
from urllib.parse import quote

import orjson
from packageurl import PackageURL

from malgraph.core.kinds import ExportFormat
from malgraph.core.model import Scope
from malgraph.core.osv_export import OsvClaim, OsvPackage
from malgraph.core.selection import Selection
from malgraph.export.candidates import candidate_components
from malgraph.export.summary import ExportSummary
from malgraph.export.uris import uris
from malgraph.insights.campaigns import (
    confidence,
    evidence_counts,
)
from malgraph.insights.groups import LIST_REPORT
from malgraph.store.read.graph_export import sorting_on_disk
from malgraph.store.read.osv_export import osv_packages

PREFIX = "x_MGRAPH"
SCHEMA_VERSION = "1.6.0"
ORIGINS_KEY = "malicious-packages-origins"
ALL_VERSIONS = {"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}
PROGRESS_EVERY = 100  # records between two progress calls
WRITING_THREADS = 2  # threads making the records' folders and files
BATCH = 32  # records handed to a writing thread at once
IN_FLIGHT = 8  # batches built and not yet written: what the writing threads may hold
RELATED_LISTED = 50  # related packages listed per kind (a report of 200 packages joins 199)
_NAME_LIMIT = 120  # characters of a folder name; the file name keeps records apart anyway
_SHA256 = re.compile(r"[0-9a-f]{64}")


# A package purl (no version, no qualifiers) that packageurl-python writes back unchanged: of a
# type whose parts it only lowercases (pypi also turning `_` into `-`) or leaves as they are,
# holding no character it would encode or change. The store writes nearly every purl so, and
# those skip the parse; tests/export/test_osv.py holds both ways equal.
_PLAIN_PURL = re.compile(
    r"pkg:(?:pypi/[a-z0-9.-]+"
    r"|(?:npm|composer)/(?:(?:%40)?[a-z0-9._-]+/)?[a-z0-9._-]+"
    r"|(?:cargo|gem|golang|maven|nuget)/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*)"
)


@lru_cache(maxsize=1 << 10)  # a record names its own purl thrice
def canonical_purl(purl: str) -> str:
    """The purl as packageurl-python writes it (the stored text when it does not parse)."""
    if _PLAIN_PURL.fullmatch(purl):
        return purl
    try:
        return str(PackageURL.from_string(purl).to_string())
    except ValueError:
        return purl


# A package is named again by every record relating it, anywhere in purl order: the cache
# holds a few hundred thousand ids (bounded, whatever the size of the graph).
@lru_cache(maxsize=1 << 18)
def osv_id(purl: str) -> str:
    """The package's record id: stable for as long as its purl is."""
    return f"{PREFIX}-{hashlib.sha256(canonical_purl(purl).encode()).hexdigest()[:20]}"


@sorting_on_disk
def write_osv(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """One record a selected package, in purl order; the same store writes the same bytes."""
    _remove_earlier_records(out)
    candidates = _candidates(db)
    counts = {"records": 0, "claims": 0, "related": 0}
    with _RecordWriter(out) as writer:
        for package in osv_packages(db, selection, LIST_REPORT, RELATED_LISTED):
            record = osv_record(package, candidates.get(package.package_id, ()))
            data = orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"
            writer.write(_Record(package.ecosystem, package.name, f"{record['id']}.json", data))
            counts["records"] += 1
            counts["claims"] += len(package.claims)
            counts["related"] += sum(package.related_counts.values())
            if progress is not None and counts["records"] % PROGRESS_EVERY == 0:
                progress(counts["records"])
    if progress is not None:
        progress(counts["records"])
    return ExportSummary(ExportFormat.OSV, _RecordFiles(out, counts["records"]), counts)


def _remove_earlier_records(out: Path) -> None:
    """An OUT replaced (--force) loses the records an earlier export wrote there, or a narrower
    export would leave them beside its own and a reader of OUT would take them as this one's.
    Only files named as our records, where the layout puts them, go (and the folders they
    leave empty); links are not followed, and anything else in OUT stays."""
    base = os.path.join(out, "osv")
    for folder, _folders, files in os.walk(base, topdown=False):
        relative = os.path.relpath(folder, base)
        if relative == "." or relative.count(os.sep) > 1:  # osv/<ecosystem>[/<name>] only
            continue
        if relative.count(os.sep) == 1:
            for name in files:
                if name.startswith(f"{PREFIX}-") and name.endswith(".json"):
                    os.unlink(os.path.join(folder, name))
        with suppress(OSError):  # not empty: something of the user's is there
            os.rmdir(folder)


class _Record(NamedTuple):
    """A record to write: `osv/<ecosystem>/<name>/<file>` under OUT (the parts not yet made
    safe), and its bytes."""

    ecosystem: str
    name: str
    file: str
    data: bytes


class _RecordWriter:
    """Makes each record's folder and file on threads: that work waits on the file system
    (a folder and a file a package, the ossf layout), not on Python, so it overlaps building
    the next records. Records go to the threads BATCH at a time, at most IN_FLIGHT batches
    waiting, and a record that would leave OUT raises its error here, in the exporting
    thread."""

    def __init__(self, out: Path) -> None:
        self._folders = _Folders(out)
        self._pool = ThreadPoolExecutor(WRITING_THREADS, thread_name_prefix="osv-write")
        self._pending: deque[Future[None]] = deque()
        self._batch: list[_Record] = []

    def __enter__(self) -> _RecordWriter:
        return self

    def write(self, record: _Record) -> None:
        self._batch.append(record)
        if len(self._batch) >= BATCH:
            self._submit()

    def _submit(self) -> None:
        if len(self._pending) >= IN_FLIGHT:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write, self._batch))
        self._batch = []

    def _write(self, records: list[_Record]) -> None:
        for record in records:
            path = self._folders.make(record)
            with open(path, "wb") as file:
                file.write(record.data)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None and self._batch:
                self._submit()
            while self._pending:
                future = self._pending.popleft()
                if kind is None:
                    future.result()  # the first error of a record's file, raised here
                else:
                    future.cancel()
        finally:
            self._pool.shutdown(wait=True)


class _RecordFiles(Sequence[Path]):
    """The files of an OSV export: counted as they are written, listed (in path order) only
    when asked for, so the summary keeps no path a record."""

    def __init__(self, out: Path, count: int) -> None:
        self._out, self._count = out, count
        self._paths: tuple[Path, ...] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Path]: ...
    def __getitem__(self, index: int | slice) -> Path | Sequence[Path]:
        return self._listed()[index]

    def _listed(self) -> tuple[Path, ...]:
        if self._paths is None:
            self._paths = tuple(sorted((self._out / "osv").glob("*/*/*.json")))
        return self._paths


def _candidates(db: sqlite3.Connection) -> dict[int, tuple[dict[str, Any], ...]]:
    """Package id -> the campaign candidates holding the package (one at most: they are
    components). Candidates are the components of the whole graph, so they are worked out
    once, before the records stream, over package ids: no package's name is held."""
    joined, ids, labels = candidate_components(db)
    held: dict[int, tuple[dict[str, Any], ...]] = {}
    for members in joined.groups:
        key = min(members)
        counts = evidence_counts(labels[key])
        brief = {
            "id": ids[key],
            "size": len(members),
            "confidence": confidence(counts),
            "evidence_counts": counts,
        }
        held.update(dict.fromkeys(members, (brief,)))
    return held


def safe_part(text: str) -> str:
    """One path component from hostile text: percent-encoded, never `.`/`..`, bounded."""
    part = quote(text, safe="")[:_NAME_LIMIT]
    cut = part.rfind("%", len(part) - 2)
    if cut != -1:  # never end inside a %XX escape
        part = part[:cut]
    if part.startswith("."):
        part = "%2E" + part[1:]
    return part or "_"


class _Folders:
    """Makes the records' folders, and refuses a record that would leave OUT through a link
    already there (an OUT replaced with --force). Resolving every record's path walks every
    folder above it, so only what could hold a link is resolved: each ecosystem's folder once,
    and a package's folder when it exists already (a folder made now holds nothing). Paths
    are strings joined by os.path: a Path object a record would cost more than the rest."""

    def __init__(self, out: Path) -> None:
        self._out, self._root = out, out.resolve()
        self._base = os.path.join(out, "osv")
        self._checked: dict[str, str] = {}  # ecosystem -> its folder, checked and made

    def _inside(self, path: str, what: str) -> None:
        if not Path(path).resolve().is_relative_to(self._root):
            raise ValueError(f"{what}: its record would leave {self._out}")

    def make(self, record: _Record) -> str:
        """The record's file path, its folder made."""
        what = f"{record.ecosystem}/{record.name}"
        parent = self._checked.get(record.ecosystem)
        if parent is None:
            parent = os.path.join(self._base, safe_part(record.ecosystem))
            self._inside(parent, what)
            os.makedirs(parent, exist_ok=True)
            self._checked[record.ecosystem] = parent
        folder = os.path.join(parent, safe_part(record.name))
        path = os.path.join(folder, record.file)
        try:
            os.mkdir(folder)
        except FileExistsError:
            self._inside(path, what)
        return path


def osv_record(package: OsvPackage, candidates: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The package's OSV record, keys in a fixed order."""
    claims = package.claims
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": osv_id(package.purl),
        "modified": _timestamp(package.last_change) or _EPOCH,
    }
    published = min(filter(None, (_first_seen(c) for c in claims)), default=None)
    if published:
        record["published"] = published
    aliases = sorted({i for c in claims for i in _osv_ids(c)})
    if aliases:
        record["aliases"] = aliases
    related = _related(package)
    related_ids = sorted({link["id"] for links in related.values() for link in links})
    if related_ids:
        record["related"] = related_ids
    record["summary"] = f"Malicious code in {package.name} ({package.ecosystem})"
    record["details"] = _details(claims)
    record["affected"] = [_affected(package)]
    types: dict[str, str] = {}  # URLs that are URIs once trimmed (a schema's `uri`), sorted
    for ref in package.references:
        types.setdefault(ref.url.strip(), ref.type)
    references = [{"type": _reference_type(types[u]), "url": u} for u in uris(sorted(types))]
    if references:
        record["references"] = references
    record["database_specific"] = {
        ORIGINS_KEY: [_origin(c) for c in claims],
        "malgraph": _provenance(package, tuple(candidates), related),
    }
    return record


_EPOCH = "1970-01-01T00:00:00Z"


def _timestamp(text: str | None) -> str | None:
    """A store date as OSV writes times (the store keeps the UTC second, or a plain date)."""
    if not text:
        return None
    return text if "T" in text else f"{text[:10]}T00:00:00Z"


def _first_seen(claim: OsvClaim) -> str | None:
    dates = [d for d in (claim.published, claim.modified, claim.imported) if d]
    return _timestamp(min(dates)) if dates else None


@cache
def _schema() -> Any:
    text = resources.files("malgraph.data").joinpath("osv-schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _registered() -> re.Pattern[str]:
    """The OSV schema's registered id prefixes: an id of one of them can be an alias."""
    return re.compile(_schema()["$defs"]["prefix"]["pattern"].replace("x_|", ""))


@cache
def _reference_types() -> frozenset[str]:
    return frozenset(_schema()["properties"]["references"]["items"]["properties"]["type"]["enum"])


def _reference_type(given: str) -> str:
    """The source's type of reference if OSV has it, else WEB."""
    return given.upper() if given.upper() in _reference_types() else "WEB"


def _osv_ids(claim: OsvClaim) -> list[str]:
    ids = [claim.record_id, claim.feed_record_id or "", *claim.aliases]
    return [i for i in ids if _registered().match(i)]


def _details(claims: tuple[OsvClaim, ...]) -> str:
    sources = sorted({c.source for c in claims})
    lines = [f"Reported by {len(sources)} source(s): {', '.join(sources)}."]
    seen: set[str] = set()
    for claim in claims:
        text = (claim.details or claim.summary or "").strip()
        if text and text not in seen:
            seen.add(text)
            lines.append(f"\n{claim.source} ({claim.record_id}):\n{text}")
    return "\n".join(lines)


def _affected(package: OsvPackage) -> dict[str, Any]:
    """The package with the union of the versions and ranges its claims give."""
    entry: dict[str, Any] = {
        "package": {
            "ecosystem": package.ecosystem,
            "name": package.name,
            "purl": canonical_purl(package.purl),
        }
    }
    ranges: dict[bytes, Any] = {}
    for claim in package.claims:
        for rng in _ranges(claim):
            ranges.setdefault(orjson.dumps(rng, option=orjson.OPT_SORT_KEYS), rng)
    if ranges:
        entry["ranges"] = [ranges[key] for key in sorted(ranges)]
    versions = sorted({v for c in package.claims for v in c.versions})
    if versions:
        entry["versions"] = versions
    return entry


def _ranges(claim: OsvClaim) -> list[Any]:
    if claim.ranges:
        return list(claim.ranges)
    return [ALL_VERSIONS] if claim.scope is Scope.ALL else []


def _origin(claim: OsvClaim) -> dict[str, Any]:
    """A claim as ossf/malicious-packages writes an origin."""
    origin: dict[str, Any] = {"source": claim.source, "id": claim.record_id}
    if claim.versions:
        origin["versions"] = list(claim.versions)
    ranges = _ranges(claim)
    if ranges:
        origin["ranges"] = ranges
    if claim.modified:
        origin["modified_time"] = _timestamp(claim.modified)
    if claim.imported:
        origin["import_time"] = _timestamp(claim.imported)
    if _SHA256.fullmatch(claim.raw_sha256):
        origin["sha256"] = claim.raw_sha256
    return origin


def _provenance(
    package: OsvPackage,
    candidates: tuple[dict[str, Any], ...],
    related: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """malgraph's own view: who claims what and when, and what the graph relates."""
    notes = [
        f"{c.source} ({c.record_id}) names no version: the versions it means are unknown"
        for c in package.claims
        if c.scope is Scope.UNKNOWN
    ]
    first = package.first_detection
    return {
        "purl": canonical_purl(package.purl),
        "sources": [_source(c) for c in package.claims],
        "first_detection": {"date": _timestamp(first[0]), "by": first[1]} if first else None,
        "families": [f._asdict() for f in package.families],
        "campaigns": {
            "named": [c._asdict() for c in package.campaigns],
            "candidates": list(candidates),
        },
        "duplicated": [
            {"kind": d.kind, "sources": list(d.sources), "edges": d.edges}
            for d in package.duplicated
        ],
        "related": related,
        "related_counts": dict(sorted(package.related_counts.items())),
        "notes": notes,
    }


def _related(package: OsvPackage) -> dict[str, list[dict[str, Any]]]:
    """Related packages by kind, the RELATED_LISTED best joined of each kind (most evidence
    first, as the read model lists them; `related_counts` gives how many there are)."""
    related: dict[str, list[dict[str, Any]]] = {}
    for r in package.related:
        link: dict[str, Any] = {"id": osv_id(r.purl), "purl": r.purl, "evidence": r.edges}
        if r.confidence is not None:
            link["confidence"] = r.confidence
        related.setdefault(r.kind, []).append(link)
    return related


def _source(claim: OsvClaim) -> dict[str, Any]:
    return {
        "source": claim.source,
        "id": claim.record_id,
        "feed": claim.feed,
        "feed_id": claim.feed_record_id,
        "scope": str(claim.scope),
        "versions": len(claim.versions),
        "published": _timestamp(claim.published),
        "modified": _timestamp(claim.modified),
        "imported": _timestamp(claim.imported),
    }
