"""What changed between two package-versions: code, description, declared dependencies; each
answer is 'changed', 'unchanged' or 'unknown' (a side lacks the facts), never a guess."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import zlib
from collections import defaultdict
from functools import cache

import orjson

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
    """Per package-version, read once or on demand: its analysed archives, their token streams,
    manifests and declared dependencies, and what records say of description and dependencies
    (a record naming no version speaks for every version of its package)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.archives: dict[int, set[str]] = defaultdict(set)
        for version, sha256 in db.execute(
            "SELECT a.package_version_id, a.sha256 FROM artifacts a JOIN code_analyses c"
            " ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
        ):
            self.archives[version].add(sha256)
        self.ecosystem = dict(
            db.execute(
                "SELECT pv.id, p.ecosystem FROM package_versions pv"
                " JOIN packages p ON p.id = pv.package_id"
            )
        )
        self.record_descriptions: dict[int, set[str]] = defaultdict(set)
        self.record_dependencies: dict[int, set[str]] = defaultdict(set)
        for version, description, dependencies in db.execute(
            "WITH said AS (SELECT id, package_id, description, dependencies FROM records"
            " WHERE withdrawn IS NULL AND (description IS NOT NULL OR dependencies IS NOT NULL))"
            " SELECT rv.version_id, s.description, s.dependencies FROM said s"
            " JOIN record_versions rv ON rv.record_id = s.id"
            " UNION ALL SELECT pv.id, s.description, s.dependencies FROM said s"
            " JOIN package_versions pv ON pv.package_id = s.package_id"
            " WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = s.id)"
        ):
            if _text(description):
                self.record_descriptions[version].add(_text(description))
            for written in orjson.loads(dependencies) if dependencies else ():
                name = _dependency_name(self.ecosystem[version], written)
                if name:
                    self.record_dependencies[version].add(name)

    def code(self, a: int, b: int) -> str:
        """Unchanged when the two share an archive or a (non-empty) normalised token stream:
        renaming, restringing and reformatting do not count as a code change."""
        if not self.archives.get(a) or not self.archives.get(b):
            return UNKNOWN
        if self.archives[a] & self.archives[b]:
            return UNCHANGED
        streams = [{d for s in self.archives[v] if (d := self._digest(s))} for v in (a, b)]
        return UNCHANGED if streams[0] & streams[1] else CHANGED

    def description(self, a: int, b: int) -> str:
        """Unchanged when the two share a description (whitespace collapsed)."""
        return _compare(self._descriptions(a), self._descriptions(b), overlap=True)

    def dependencies(self, a: int, b: int) -> str:
        """Unchanged when the sets of declared dependency names are equal."""
        return _compare(self._dependencies(a), self._dependencies(b), overlap=False)

    def _descriptions(self, version: int) -> frozenset[str] | None:
        """From the package's own manifests where its code was analysed, else from records."""
        found = {d for s in self.archives.get(version, ()) for d in self._manifests(s)[1]}
        found = found or self.record_descriptions.get(version, set())
        return frozenset(found) or None

    def _dependencies(self, version: int) -> frozenset[str] | None:
        """From code with at least one manifest (then an empty set is known to be empty),
        else from records; None when neither says."""
        archives = [s for s in sorted(self.archives.get(version, ())) if self._manifests(s)[0]]
        if archives:
            return frozenset(n for s in archives for n in self._declared(s))
        said = self.record_dependencies.get(version)
        return frozenset(said) if said else None

    @cache  # noqa: B019  (one instance per analysis run; the cache dies with it)
    def _digest(self, sha256: str) -> str | None:
        row = self.db.execute(
            "SELECT tokens FROM code_analyses WHERE sha256 = ?", (sha256,)
        ).fetchone()
        stream = zlib.decompress(row[0]) if row and row[0] is not None else b""
        return hashlib.sha256(stream).hexdigest() if stream.strip() else None

    @cache  # noqa: B019
    def _manifests(self, sha256: str) -> tuple[bool, frozenset[str]]:
        """(any manifest at all, the non-empty descriptions in them)."""
        (text,) = self.db.execute(
            "SELECT manifests FROM code_analyses WHERE sha256 = ?", (sha256,)
        ).fetchone()
        manifests = orjson.loads(text)
        return bool(manifests), frozenset(
            _text(m.get("description")) for m in manifests if _text(m.get("description"))
        )

    @cache  # noqa: B019
    def _declared(self, sha256: str) -> frozenset[str]:
        rows = self.db.execute(
            "SELECT DISTINCT ecosystem, name FROM code_dependencies WHERE sha256 = ?", (sha256,)
        )
        return frozenset(canonical_name(eco, name) for eco, name in rows)


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _dependency_name(ecosystem: str, written: object) -> str | None:
    match = _DEPENDENCY_NAME.match(written) if isinstance(written, str) else None
    return canonical_name(ecosystem, match.group(1)) if match else None
