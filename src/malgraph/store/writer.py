"""Writing validated documents into the store, a batch per transaction.

The caller holds the transaction; a batch is written whole or not at all. Within it the
duplicated relation is recomputed for every package the batch touched, so edges always match
the records they stand on, even when a run is killed between batches.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from malgraph.identity import canonical_name, canonical_version, purl
from malgraph.model import Document, Edge, Record, Scope
from malgraph.relations.duplicated import DUPLICATED, DUPLICATED_PACKAGE, ClaimView
from malgraph.relations.duplicated import duplicated_edges as _duplicated_edges
from malgraph.sources.inputs import InputFile
from malgraph.urls import url_key

REPORT_REFERENCE_TYPES = frozenset({"ARTICLE", "REPORT", "WEB"})

_RECORD_COLUMNS = (
    "id, source_id, source_record_id, parent_id, role, package_id, name_given, scope, versions,"
    " ranges, published, modified, withdrawn, imported, aliases, refs, credits, iocs, summary,"
    " details, raw_sha256, document_sha256"
)


def _json(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value else None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A parsed document with the input it came from."""

    item: InputFile
    document: Document


class Writer:
    """Writes batches through one connection. Its id caches hold only rows that exist in the
    store or in the open transaction: call `forget()` after a rollback."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._ids: dict[tuple[str, ...], int] = {}

    def forget(self) -> None:
        self._ids.clear()

    def _get_or_create(
        self,
        key: tuple[str, ...],
        insert: str,
        args: tuple[Any, ...],
        select: str,
        select_args: tuple[Any, ...],
    ) -> int:
        found = self._ids.get(key)
        if found is None:
            row = self.db.execute(insert + " ON CONFLICT DO NOTHING RETURNING id", args).fetchone()
            if row is None:
                row = self.db.execute(select, select_args).fetchone()
            found = self._ids[key] = int(row[0])
        return found

    def source_id(self, name: str, kind: str) -> int:
        return self._get_or_create(
            ("source", name),
            "INSERT INTO sources(name, kind) VALUES (?, ?)",
            (name, kind),
            "SELECT id FROM sources WHERE name = ?",
            (name,),
        )

    def package_id(self, record: Record) -> int:
        name = canonical_name(record.ecosystem, record.name_given)
        return self._get_or_create(
            ("package", record.ecosystem, name),
            "INSERT INTO packages(ecosystem, name, ecosystem_known, purl) VALUES (?, ?, ?, ?)",
            (record.ecosystem, name, int(record.ecosystem_known), purl(record.ecosystem, name)),
            "SELECT id FROM packages WHERE ecosystem = ? AND name = ?",
            (record.ecosystem, name),
        )

    def version_id(self, package_id: int, ecosystem: str, name: str, version: str) -> int:
        return self._get_or_create(
            ("version", str(package_id), version),
            "INSERT INTO package_versions(package_id, version, purl) VALUES (?, ?, ?)",
            (package_id, version, purl(ecosystem, name, version)),
            "SELECT id FROM package_versions WHERE package_id = ? AND version = ?",
            (package_id, version),
        )

    def report_id(self, url: str) -> int | None:
        keyed = url_key(url)
        if keyed is None:
            return None
        key, site = keyed
        return self._get_or_create(
            ("report", key),
            "INSERT INTO reports(url_key, url, site) VALUES (?, ?, ?)",
            (key, url, site),
            "SELECT id FROM reports WHERE url_key = ?",
            (key,),
        )

    # -- batches -------------------------------------------------------------------------

    def write_batch(
        self,
        batch: Sequence[Accepted],
        container: InputFile | None = None,
        container_sha256: str | None = None,
    ) -> Counter[str]:
        """Write one batch inside the caller's transaction; count outcomes per document."""
        outcomes: Counter[str] = Counter()
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        next_id = int(
            self.db.execute("SELECT value FROM meta WHERE key = 'next_record_id'").fetchone()[0]
        )
        rows = _Rows()
        touched: set[int] = set()
        for accepted, outcome in self._decide(batch):
            doc, item = accepted.document, accepted.item
            if outcome == "replaced":
                touched |= self._delete(doc)
            if outcome in ("added", "replaced"):
                for record in doc.records:
                    next_id, package = self._add_record(record, doc, None, next_id, rows)
                    touched.add(package)
            outcomes[outcome] += 1
            if outcome != "unchanged":
                rows.documents.append((doc.sha256, doc.feed, item.display, outcome, now))
            if item.member is None:
                rows.inputs.append((item.display, item.size, item.mtime_ns, doc.sha256))
        rows.flush(self.db)
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_record_id'", (next_id,))
        self._relate(touched)
        if container is not None and container_sha256 is not None:
            self.mark_input(container, container_sha256)
        return outcomes

    def mark_input(self, item: InputFile, sha256: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO input_files(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
            (item.display, item.size, item.mtime_ns, sha256),
        )

    def _decide(self, batch: Sequence[Accepted]) -> Iterable[tuple[Accepted, str]]:
        """added / replaced / stale / unchanged per document. Of several versions of one
        record, the latest (modified, then content hash) wins, whatever the input order."""
        best: dict[tuple[str, str], Accepted] = {}
        for accepted in batch:
            doc = accepted.document
            key = (doc.feed, doc.record_id)
            held = best.get(key)
            if held is None or (doc.modified, doc.sha256) > (
                held.document.modified,
                held.document.sha256,
            ):
                best[key] = accepted
        seen: set[str] = set()
        for accepted in batch:
            doc = accepted.document
            known = self.db.execute("SELECT 1 FROM documents WHERE sha256 = ?", (doc.sha256,))
            if doc.sha256 in seen or known.fetchone():
                yield accepted, "unchanged"
            elif best[(doc.feed, doc.record_id)] is not accepted:
                yield accepted, "stale"
            else:
                seen.add(doc.sha256)
                current = self.db.execute(
                    "SELECT r.modified, r.document_sha256 FROM records r JOIN sources s"
                    " ON s.id = r.source_id WHERE s.name = ? AND r.source_record_id = ?"
                    " AND r.parent_id IS NULL LIMIT 1",
                    (doc.feed, doc.record_id),
                ).fetchone()
                if current is None:
                    yield accepted, "added"
                elif (doc.modified, doc.sha256) > (current[0] or "", current[1]):
                    yield accepted, "replaced"
                else:
                    yield accepted, "stale"

    def _delete(self, doc: Document) -> set[int]:
        """Remove the stored version of a document's records (and their edges)."""
        rows = self.db.execute(
            "SELECT r.id, r.package_id FROM records r JOIN sources s ON s.id = r.source_id"
            " WHERE s.name = ? AND r.source_record_id = ? AND r.parent_id IS NULL",
            (doc.feed, doc.record_id),
        ).fetchall()
        parents = orjson.dumps([r[0] for r in rows]).decode()
        family = (
            "SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?1))"
            " OR parent_id IN (SELECT value FROM json_each(?1))"
        )
        self.db.execute(
            f"DELETE FROM edges WHERE (src_type = 'record' AND src_id IN ({family}))"
            f" OR (dst_type = 'record' AND dst_id IN ({family}))",
            (parents,),
        )
        self.db.execute(
            "DELETE FROM records WHERE id IN (SELECT value FROM json_each(?))", (parents,)
        )
        return {r[1] for r in rows}

    def _add_record(
        self, record: Record, doc: Document, parent: int | None, next_id: int, rows: _Rows
    ) -> tuple[int, int]:
        record_id = next_id
        package = self.package_id(record)
        name = canonical_name(record.ecosystem, record.name_given)
        kind = "feed" if parent is None else "origin"
        rows.records.append(
            (
                record_id,
                self.source_id(record.source, kind),
                record.source_record_id,
                parent,
                record.role.value,
                package,
                record.name_given,
                record.scope.value,
                orjson.dumps(record.versions).decode(),
                _json(record.ranges),
                record.published,
                record.modified,
                record.withdrawn,
                record.imported,
                _json(record.aliases),
                _json([{"type": r.type, "url": r.url} for r in record.references]),
                _json(record.credits),
                _json(record.iocs),
                record.summary,
                record.details,
                record.raw_sha256,
                doc.sha256,
            )
        )
        versions = {canonical_version(record.ecosystem, v) for v in record.versions}
        for version in sorted(versions):
            rows.versions.append(
                (record_id, self.version_id(package, record.ecosystem, name, version))
            )
        for ref in record.references:
            if ref.type.upper() in REPORT_REFERENCE_TYPES:
                report = self.report_id(ref.url)
                if report is not None:
                    rows.reports.append((record_id, report, ref.type.upper()))
        next_id += 1
        for origin in record.origins:
            next_id, _ = self._add_record(origin, doc, record_id, next_id, rows)
        return next_id, package

    def _relate(self, packages: set[int]) -> None:
        """Recompute the duplicated relation of these packages from their current claims."""
        if not packages:
            return
        ids = orjson.dumps(sorted(packages)).decode()
        self.db.execute(
            "DELETE FROM edges WHERE kind IN (?, ?) AND src_type = 'record' AND src_id IN"
            " (SELECT id FROM records WHERE package_id IN (SELECT value FROM json_each(?)))",
            (DUPLICATED, DUPLICATED_PACKAGE, ids),
        )
        edges = duplicated_edges_of(self.db, ids)
        self.db.executemany(
            "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence,"
            " step) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (e.kind, *e.src, *e.dst, orjson.dumps(e.evidence).decode(), e.confidence, e.step)
                for e in edges
            ],
        )


def duplicated_edges_of(db: sqlite3.Connection, package_ids_json: str) -> list[Edge]:
    """The duplicated edges of the given packages (a JSON list of ids), from active claims."""
    rows = db.execute(
        "SELECT r.package_id, p.purl, r.id, s.name, r.source_record_id, r.scope,"
        " (SELECT group_concat(pv.version, char(31)) FROM record_versions rv"
        "  JOIN package_versions pv ON pv.id = rv.version_id WHERE rv.record_id = r.id)"
        " FROM records r JOIN sources s ON s.id = r.source_id"
        " JOIN packages p ON p.id = r.package_id"
        " WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        " AND r.package_id IN (SELECT value FROM json_each(?))",
        (package_ids_json,),
    ).fetchall()
    by_package: dict[tuple[int, str], list[ClaimView]] = defaultdict(list)
    for package, package_purl, record, source, source_record, scope, versions in rows:
        by_package[(package, package_purl)].append(
            ClaimView(
                record,
                source,
                source_record,
                Scope(scope),
                frozenset(versions.split("\x1f")) if versions else frozenset(),
            )
        )
    edges: list[Edge] = []
    for (_, package_purl), claims in sorted(by_package.items()):
        edges += _duplicated_edges(package_purl, claims)
    return edges


class _Rows:
    """Rows collected over a batch, inserted with one executemany per table."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.versions: list[tuple[int, int]] = []
        self.reports: list[tuple[int, int, str]] = []
        self.documents: list[tuple[str, str, str, str, str]] = []
        self.inputs: list[tuple[str, int, int, str]] = []

    def flush(self, db: sqlite3.Connection) -> None:
        marks = ", ".join("?" * len(_RECORD_COLUMNS.split(",")))
        db.executemany(f"INSERT INTO records({_RECORD_COLUMNS}) VALUES ({marks})", self.records)
        db.executemany("INSERT OR IGNORE INTO record_versions VALUES (?, ?)", self.versions)
        db.executemany("INSERT OR IGNORE INTO record_reports VALUES (?, ?, ?)", self.reports)
        db.executemany("INSERT OR IGNORE INTO documents VALUES (?, ?, ?, ?, ?)", self.documents)
        db.executemany("INSERT OR REPLACE INTO input_files VALUES (?, ?, ?, ?)", self.inputs)
