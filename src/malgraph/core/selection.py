"""What a reader takes from the store: all of it, or the part a user selects (by ecosystem,
source, date and relation kind). Exports and the Python API share it."""

from __future__ import annotations

from dataclasses import dataclass

from malgraph.core.kinds import EdgeKind


@dataclass(frozen=True, slots=True)
class Selection:
    """Empty fields select everything. A package is selected when one of its active claims
    matches every non-empty field; edges are kept when both ends are selected."""

    ecosystems: frozenset[str] = frozenset()  # OSV spellings
    sources: frozenset[str] = frozenset()  # canonical source names (see source_names)
    since: str | None = None  # ISO 8601 date: claims published (else imported) on or after
    kinds: frozenset[EdgeKind] = frozenset()  # relation kinds to keep

    @property
    def everything(self) -> bool:
        return not (self.ecosystems or self.sources or self.since or self.kinds)
