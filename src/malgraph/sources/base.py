"""The interface every source implements: one file per source, listed in sources.SOURCES."""

from __future__ import annotations

from typing import Protocol

from malgraph.model import Document, Problem


class Source(Protocol):
    name: str  # what `malgraph ingest NAME` calls it
    description: str  # one line for `malgraph sources`
    suffixes: tuple[str, ...]  # file endings picked up when walking a directory

    def parse(self, raw: bytes, path: str, sha256: str) -> Document | Problem:
        """One input's bytes -> a validated Document, or the reason it was rejected. Pure."""
        ...
