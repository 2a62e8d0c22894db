"""The interface every source implements: one file per source, listed in sources.SOURCES."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from malgraph.core.identity import ecosystem_of
from malgraph.core.model import Campaign, Document, Problem, Record, Reference, Scope
from malgraph.core.rows import DocumentRows
from malgraph.sources.inputs import InputFile


class Source(Protocol):
    name: str  # what `malgraph ingest NAME` calls it
    description: str  # one line for `malgraph sources`
    suffixes: tuple[str, ...]  # file endings picked up when walking a directory
    containers: bool  # whether a .zip holds inputs (osv.dev's all.zip) or is one (a sample)

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | DocumentRows | Problem:
        """One input's bytes -> a validated Document, or the reason it was rejected. Pure.
        A source as large as the OSV feed may go straight to store rows instead."""
        ...


def text_of(raw: bytes, item: InputFile) -> str | Problem:
    """A text input's content, or why it is not usable text."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Problem(item.display, f"not UTF-8 text: {exc}")
    return text if text.strip() else Problem(item.display, "empty file")


def file_time(item: InputFile) -> str:
    """A file's mtime as a store timestamp: orders versions of a document that has no date."""
    return datetime.fromtimestamp(item.mtime_ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def claim(
    source: str,
    ecosystem: str,
    name: str,
    *,
    ident: str | None = None,
    versions: tuple[str, ...] = (),
    published: str | None = None,
    released: str | None = None,
    removed: str | None = None,
    urls: tuple[str, ...] = (),
    details: str | None = None,
    scope: Scope | None = None,
    campaigns: tuple[Campaign, ...] = (),
    available: bool | None = None,
    dependencies: tuple[str, ...] = (),
    description: str | None = None,
    given: str | None = None,
) -> Record:
    """A source's plain claim "this package (these versions) is malicious", as lists give."""
    eco = ecosystem_of(ecosystem)
    versions = tuple(v for v in versions if v)
    return Record(
        source=source,
        source_record_id=ident
        or f"{eco.name}/{name}" + (f"@{','.join(versions)}" if versions else ""),
        ecosystem=eco.name,
        ecosystem_known=eco.known,
        name_given=name,
        scope=scope or (Scope.LISTED if versions else Scope.UNKNOWN),
        versions=versions,
        published=published,
        released=released,
        removed=removed,
        references=tuple(Reference("REPORT", url) for url in dict.fromkeys(urls)),
        details=details,
        campaigns=campaigns,
        available=available,
        dependencies=dependencies,
        description=description,
        given=given,
    )
