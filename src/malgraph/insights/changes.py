"""What changed between two package-versions: code, description, declared dependencies; each
answer is 'changed', 'unchanged' or 'unknown' (a side lacks the facts), never a guess."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping

from malgraph.core.graph import ChangeFacts, VersionOf
from malgraph.core.identity import canonical_name

CHANGED, UNCHANGED, UNKNOWN = "changed", "unchanged", "unknown"
# The name at the head of a dependency as sources write it: 'requests>=2', '@s/p@^1', 'x[y]'.
_DEPENDENCY_NAME = re.compile(r"\s*(@?[^\s<>=!~^;\[\](),@]+)")


def _compare(a: frozenset[str] | None, b: frozenset[str] | None, *, overlap: bool) -> str:
    if a is None or b is None:
        return UNKNOWN
    same = bool(a & b) if overlap else a == b
    return UNCHANGED if same else CHANGED


class VersionFacts:
    """Per package-version: its analysed archives, their token streams, manifests and declared
    dependencies, and what records say of description and dependencies (a record naming no
    version speaks for every version of its package)."""

    def __init__(self, facts: ChangeFacts, versions: Mapping[int, VersionOf]) -> None:
        self.archives = facts.archives
        self.about = facts.archive_facts
        self.record_descriptions: dict[int, set[str]] = defaultdict(set)
        self.record_dependencies: dict[int, set[str]] = defaultdict(set)
        for said in facts.records:
            if _text(said.description):
                self.record_descriptions[said.version].add(_text(said.description))
            for written in said.dependencies:
                name = _dependency_name(versions[said.version].ecosystem, written)
                if name:
                    self.record_dependencies[said.version].add(name)

    def code(self, a: int, b: int) -> str:
        """Unchanged when the two share an archive or a (non-empty) normalised token stream:
        renaming, restringing and reformatting do not count as a code change."""
        if not self.archives.get(a) or not self.archives.get(b):
            return UNKNOWN
        if self.archives[a] & self.archives[b]:
            return UNCHANGED
        streams = [{d for s in self.archives[v] if (d := self.about[s].digest)} for v in (a, b)]
        return UNCHANGED if streams[0] & streams[1] else CHANGED

    def description(self, a: int, b: int) -> str:
        """Unchanged when the two share a description (whitespace collapsed)."""
        return _compare(self._descriptions(a), self._descriptions(b), overlap=True)

    def dependencies(self, a: int, b: int) -> str:
        """Unchanged when the sets of declared dependency names are equal."""
        return _compare(self._dependencies(a), self._dependencies(b), overlap=False)

    def _descriptions(self, version: int) -> frozenset[str] | None:
        """From the package's own manifests where its code was analysed, else from records."""
        found = {
            _text(d)
            for s in self.archives.get(version, ())
            for d in self.about[s].descriptions
            if _text(d)
        }
        found = found or self.record_descriptions.get(version, set())
        return frozenset(found) or None

    def _dependencies(self, version: int) -> frozenset[str] | None:
        """From code with at least one manifest (then an empty set is known to be empty),
        else from records; None when neither says."""
        archives = [s for s in self.archives.get(version, ()) if self.about[s].has_manifest]
        if archives:
            return frozenset(
                canonical_name(eco, name) for s in archives for eco, name in self.about[s].declared
            )
        said = self.record_dependencies.get(version)
        return frozenset(said) if said else None


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _dependency_name(ecosystem: str, written: object) -> str | None:
    match = _DEPENDENCY_NAME.match(written) if isinstance(written, str) else None
    return canonical_name(ecosystem, match.group(1)) if match else None
