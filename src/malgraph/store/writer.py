"""Writing prepared documents into the store, a batch per transaction.

The caller holds the transaction; a batch is written whole or not at all. Within it the
duplicated relation gains the edges of the batch's new records, and a replaced record takes
its edges with it, so edges always match the records they stand on, even when a run is
killed between batches.

Ids are numbered here rather than by SQLite so that a batch goes in with one executemany
per table. The id maps are checked against `PRAGMA data_version` at the start of every
batch, so another process writing the same store between two batches is noticed.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from malgraph.core.model import ClaimView, Edge, Role, Scope
from malgraph.core.source_names import SourceNames, label_key
from malgraph.relations.duplicated import duplicated_edges
from malgraph.sources.inputs import InputFile
from malgraph.store.read.sources import claims
from malgraph.store.rows import (
    RECORD_COLUMNS,
    ArtifactRows,
    CampaignRows,
    DocumentRows,
    LabelRows,
    RecordRows,
    ReportRows,
)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A prepared document with the input it came from."""

    item: InputFile
    rows: DocumentRows


_CLAIM = Role.CLAIM.value
# The tables whose record_id points at a record.
_RECORD_REFERENCES = ("record_versions", "record_reports", "campaign_members", "ioc_sightings")


def _ids(db: sqlite3.Connection, sql: str) -> dict[Any, int]:
    return {tuple(key) if len(key) > 1 else key[0]: int(i) for *key, i in db.execute(sql)}


class _IdMap:
    """Key -> id for one table, with new ids numbered after the table's largest."""

    def __init__(self, db: sqlite3.Connection, table: str, key_sql: str) -> None:
        self.ids = _ids(db, key_sql)
        self.next = int(db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])
        self.new: list[tuple[Any, ...]] = []

    def get(self, key: Any, *row: Any) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = self.next
            self.next += 1
            self.new.append((found, *row))
        return found


class _Labels:
    """Label as given -> (label id, source id, source name). A label new to the store
    counts as the source the aliases name, else as that of an unlisted label sharing its
    key, else as a source of its own (store.labels.repoint settles the names at the end of
    a run)."""

    def __init__(self, db: sqlite3.Connection, names: SourceNames, sources: _IdMap) -> None:
        self.names, self.sources = names, sources
        self.found: dict[str, tuple[int, int, str]] = {
            label: (int(lid), int(sid), name)
            for lid, label, sid, name in db.execute(
                "SELECT l.id, l.label, l.source_id, s.name FROM source_labels l"
                " JOIN sources s ON s.id = l.source_id"
            )
        }
        self.unlisted = {
            label_key(label): (sid, name)
            for label, (_, sid, name) in self.found.items()
            if names.listed(label) is None
        }
        self.next = int(
            db.execute("SELECT coalesce(max(id), 0) + 1 FROM source_labels").fetchone()[0]
        )
        self.new: list[tuple[int, str, int]] = []

    def get(self, label: str, kind: str) -> tuple[int, int, str]:
        found = self.found.get(label)
        if found is None:
            name = self.names.listed(label)
            if name is None:
                key = label_key(label)
                if key not in self.unlisted:
                    name = label.strip()
                    self.unlisted[key] = (self.sources.get(name, name, kind), name)
                source, name = self.unlisted[key]
            else:
                source = self.sources.get(name, name, kind)
            found = self.found[label] = (self.next, source, name)
            self.new.append((self.next, label, source))
            self.next += 1
        return found


def _package_id(maps: dict[str, _IdMap], package: tuple[str, str, int, str]) -> int:
    eco, name, known, package_purl = package
    return maps["packages"].get((eco, name), eco, name, known, package_purl)


def _version_id(maps: dict[str, _IdMap], package: int, version: tuple[str, str]) -> int:
    return maps["package_versions"].get((package, version[0]), package, *version)


def _sightings(
    maps: dict[str, _IdMap],
    iocs: Sequence[tuple[str, str, str]],
    record: int | None = None,
    report: int | None = None,
    campaign: int | None = None,
) -> list[tuple[Any, ...]]:
    """ioc_sightings rows for IoCs seen in exactly one of a record, a report or a campaign."""
    return [
        (maps["iocs"].get((kind, value), kind, value), record, report, campaign, written)
        for kind, value, written in iocs
    ]


@dataclass
class _Batch:
    records: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # by width
    versions: list[tuple[int, int]] = field(default_factory=list)
    citations: list[tuple[int, int, str]] = field(default_factory=list)
    documents: list[tuple[str, str, str, str, bool, str, str, str]] = field(default_factory=list)
    inputs: list[tuple[str, int, int, str]] = field(default_factory=list)
    sightings: list[tuple[int, int | None, int | None, int | None, str]] = field(
        default_factory=list
    )
    members: list[tuple[int, int]] = field(default_factory=list)
    artifacts: list[tuple[Any, ...]] = field(default_factory=list)
    campaigns: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # id -> details
    reports: list[tuple[Any, ...]] = field(default_factory=list)  # written-up reports
    links: list[tuple[Any, ...]] = field(default_factory=list)  # report -> package, by name
    sites: list[tuple[str, str, int | None, str]] = field(default_factory=list)
    labels: list[tuple[str, LabelRows]] = field(default_factory=list)  # (document, group)
    new_records: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)  # packages of the new records
    claims: dict[int, list[ClaimView]] = field(default_factory=dict)  # active, by package


class Writer:
    """Writes batches through one connection. Call `forget()` after a rollback."""

    def __init__(self, db: sqlite3.Connection, names: SourceNames | None = None) -> None:
        self.db = db
        self.names = names or SourceNames()
        self._maps: dict[str, _IdMap] | None = None
        self._labels: _Labels | None = None
        self._seen_version = -1

    def forget(self) -> None:
        self._maps = self._labels = None

    def _id_maps(self) -> dict[str, _IdMap]:
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        if self._maps is None or self._labels is None or version != self._seen_version:
            self._seen_version = version
            db = self.db
            self._maps = {
                "sources": _IdMap(db, "sources", "SELECT name, id FROM sources"),
                "packages": _IdMap(db, "packages", "SELECT ecosystem, name, id FROM packages"),
                "package_versions": _IdMap(
                    db, "package_versions", "SELECT package_id, version, id FROM package_versions"
                ),
                "reports": _IdMap(db, "reports", "SELECT url_key, id FROM reports"),
                "iocs": _IdMap(db, "iocs", "SELECT kind, value, id FROM iocs"),
                "campaigns": _IdMap(db, "campaigns", "SELECT source_id, key, id FROM campaigns"),
            }
            self._labels = _Labels(db, self.names, self._maps["sources"])
        for id_map in self._maps.values():
            id_map.new.clear()
        self._labels.new.clear()
        return self._maps

    @property
    def labels(self) -> _Labels:
        assert self._labels is not None, "labels are loaded with the id maps"
        return self._labels

    def write_batch(self, batch: Sequence[Accepted]) -> Counter[str]:
        """Write one batch inside the caller's transaction; count outcomes per document."""
        if not batch:  # the last flush, or a re-run of unchanged inputs: no id maps needed
            return Counter()
        maps = self._id_maps()
        outcomes: Counter[str] = Counter()
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        next_id = int(
            self.db.execute("SELECT value FROM meta WHERE key = 'next_record_id'").fetchone()[0]
        )
        out = _Batch()
        for accepted, outcome in self._decide(batch):
            doc, item = accepted.rows, accepted.item
            if outcome == "replaced":
                self._retire(doc.feed, doc.key)
            if outcome in ("added", "replaced"):
                for record in accepted.rows.records:
                    next_id = self._add(record, None, next_id, maps, out)
                for report in accepted.rows.reports:
                    self._add_report(report, doc.sha256, maps, out)
                feed = self.labels.get(doc.feed, "feed")
                for campaign in accepted.rows.campaigns:
                    self._add_campaign(feed, campaign, maps, out)
                for artifact in accepted.rows.artifacts:
                    self._add_artifact(artifact, doc.sha256, maps, out)
                for link in accepted.rows.links:
                    found = maps["reports"].get(link.key, link.key, link.url, link.site)
                    out.links.append((found, *link.values, doc.sha256))
                out.sites += [(*site, doc.sha256) for site in accepted.rows.sites]
                out.labels += [(doc.sha256, group) for group in accepted.rows.labels]
            outcomes[outcome] += 1
            if outcome != "unchanged":
                current = outcome in ("added", "replaced")
                out.documents.append(
                    (
                        doc.sha256,
                        doc.feed,
                        doc.key,
                        doc.modified,
                        current,
                        item.display,
                        outcome,
                        now,
                    )
                )
            if item.member is None and not doc.rejected:  # else re-read, to report it again
                out.inputs.append((item.display, item.size, item.mtime_ns, doc.sha256))
        self._insert(out, maps)
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_record_id'", (next_id,))
        self._relate(out, {row[0] for row in maps["packages"].new})
        return outcomes

    def mark_input(self, item: InputFile, sha256: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO input_files(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
            (item.display, item.size, item.mtime_ns, sha256),
        )

    def _decide(self, batch: Sequence[Accepted]) -> Iterator[tuple[Accepted, str]]:
        """added / replaced / stale / unchanged per document. Of several versions of one
        record, the latest (modified, then content hash) wins, whatever the input order."""
        docs = [a.rows for a in batch]
        known = {
            sha
            for (sha,) in self.db.execute(
                "SELECT sha256 FROM documents WHERE sha256 IN (SELECT value FROM json_each(?))",
                (orjson.dumps([d.sha256 for d in docs]).decode(),),
            )
        }
        best: dict[tuple[str, str], tuple[str, str]] = {}
        for doc in docs:
            key = (doc.feed, doc.key)
            best[key] = max(best.get(key, ("", "")), (doc.modified, doc.sha256))
        stored = self._stored_versions(docs)
        for accepted, doc in zip(batch, docs, strict=True):
            key = (doc.feed, doc.key)
            if doc.sha256 in known:
                yield accepted, "unchanged"
            elif best[key] != (doc.modified, doc.sha256):
                yield accepted, "stale"
            elif key not in stored:
                yield accepted, "added"
            elif (doc.modified, doc.sha256) > stored[key]:
                yield accepted, "replaced"
            else:
                yield accepted, "stale"
            known.add(doc.sha256)  # a second copy of the same bytes is unchanged

    def _stored_versions(self, docs: Sequence[Any]) -> dict[tuple[str, str], tuple[str, str]]:
        """(feed, key) -> (modified, sha256) of the current version in the store."""
        by_feed: dict[str, list[str]] = defaultdict(list)
        for doc in docs:
            by_feed[doc.feed].append(doc.key)
        stored = {}
        for feed, keys in by_feed.items():
            for key, modified, sha in self.db.execute(
                "SELECT doc_key, modified, sha256 FROM documents WHERE current AND feed = ?"
                " AND doc_key IN (SELECT value FROM json_each(?))",
                (feed, orjson.dumps(keys).decode()),
            ):
                stored[(feed, key)] = (modified, sha)
        return stored

    def forget_feed(self, feed: str) -> int:
        """Take back every document of a feed, with its rows and its stat-cache entries, so that
        the next ingest reads its files afresh: for a store whose documents an older reader
        made. The caller holds the transaction. Returns how many documents were taken back."""
        keys = [
            k
            for (k,) in self.db.execute(
                "SELECT doc_key FROM documents WHERE current AND feed = ?", (feed,)
            )
        ]
        for key in keys:
            self._retire(feed, key)
        self.db.execute(  # a zip member's document names its zip before the '!'
            "DELETE FROM input_files WHERE path IN (SELECT CASE WHEN instr(path, '!') THEN"
            " substr(path, 1, instr(path, '!') - 1) ELSE path END FROM documents WHERE feed = ?)",
            (feed,),
        )
        self.db.execute("DELETE FROM documents WHERE feed = ?", (feed,))
        self.forget()
        return len(keys)

    def _retire(self, feed: str, key: str) -> None:
        """Remove the records (and their edges) of a document's current version."""
        (sha,) = self.db.execute(
            "SELECT sha256 FROM documents WHERE current AND feed = ? AND doc_key = ?", (feed, key)
        ).fetchone()
        family = [
            i
            for (i,) in self.db.execute(
                "SELECT id FROM records WHERE document_sha256 = ?1 AND parent_id IS NULL UNION ALL"
                " SELECT c.id FROM records c JOIN records p ON c.parent_id = p.id"
                " WHERE p.document_sha256 = ?1 AND p.parent_id IS NULL",
                (sha,),
            )
        ]
        ids = (orjson.dumps(family).decode(),)
        listed = "IN (SELECT value FROM json_each(?))"
        # Spelled out, not left to ON DELETE CASCADE: ingest writes without foreign-key checks.
        for table in _RECORD_REFERENCES:
            self.db.execute(f"DELETE FROM {table} WHERE record_id {listed}", ids)
        self.db.execute(f"DELETE FROM edges WHERE src_type = 'record' AND src_id {listed}", ids)
        self.db.execute(f"DELETE FROM edges WHERE dst_type = 'record' AND dst_id {listed}", ids)
        self.db.execute(f"DELETE FROM records WHERE id {listed}", ids)
        self.db.execute(
            "DELETE FROM ioc_sightings WHERE report_id IN"
            " (SELECT id FROM reports WHERE document_sha256 = ?)",
            (sha,),
        )
        self.db.execute(
            "UPDATE reports SET text = NULL, document_sha256 = NULL WHERE document_sha256 = ?",
            (sha,),
        )
        for table in ("artifacts", "report_links", "report_sites"):
            self.db.execute(f"DELETE FROM {table} WHERE document_sha256 = ?", (sha,))
        self.db.execute(
            "DELETE FROM label_members WHERE group_id IN"
            " (SELECT id FROM label_groups WHERE document_sha256 = ?)",
            (sha,),
        )
        self.db.execute("DELETE FROM label_groups WHERE document_sha256 = ?", (sha,))
        self.db.execute("UPDATE documents SET current = 0 WHERE sha256 = ?", (sha,))

    def _add(
        self,
        record: RecordRows,
        parent: int | None,
        next_id: int,
        maps: dict[str, _IdMap],
        out: _Batch,
    ) -> int:
        record_id = next_id
        label = self.labels.get(record.source, "feed" if parent is None else "origin")
        source = label[1]
        package = _package_id(maps, record.package)
        out.touched.add(package)
        out.new_records.add(record_id)
        row = (label[0], record_id, source, parent, package, *record.values)
        out.records.setdefault(len(row), []).append(row)
        if record.column("role") == _CLAIM and record.column("withdrawn") is None:
            out.claims.setdefault(package, []).append(
                ClaimView(  # duplicated may link it
                    record_id,
                    label[2],
                    record.column("source_record_id"),
                    record.package[0],
                    package,
                    record.package[3],
                    Scope(record.column("scope")),
                    frozenset(v for v, _ in record.versions),
                    record.source,
                )
            )
        out.sightings += _sightings(maps, record.iocs, record=record_id)
        for campaign in record.campaigns:
            out.members.append((self._add_campaign(label, campaign, maps, out), record_id))
        out.versions += [(record_id, _version_id(maps, package, v)) for v in record.versions]
        for key, url, site, ref_type in record.citations:
            out.citations.append((record_id, maps["reports"].get(key, key, url, site), ref_type))
        next_id += 1
        for child in record.children:
            next_id = self._add(child, record_id, next_id, maps, out)
        return next_id

    def _add_campaign(
        self,
        label: tuple[int, int, str],
        campaign: CampaignRows,
        maps: dict[str, _IdMap],
        out: _Batch,
    ) -> int:
        name, *details = campaign.values
        source = label[1]
        found = maps["campaigns"].get((source, campaign.key), source, campaign.key, name, label[0])
        if any(details):  # a package names its campaign; the campaign's own file describes it
            out.campaigns[found] = campaign.values
        out.sightings += _sightings(maps, campaign.iocs, campaign=found)
        return found

    def _add_artifact(
        self, artifact: ArtifactRows, document: str, maps: dict[str, _IdMap], out: _Batch
    ) -> None:
        version_id = _version_id(maps, _package_id(maps, artifact.package), artifact.version)
        label_id, source, _ = self.labels.get(artifact.source, "feed")
        out.artifacts.append((version_id, source, *artifact.values, document, label_id))

    def _add_report(
        self, report: ReportRows, document: str, maps: dict[str, _IdMap], out: _Batch
    ) -> None:
        found = maps["reports"].get(report.key, report.key, report.url, report.site)
        out.reports.append((*report.values, document, found))
        out.sightings += _sightings(maps, report.iocs, report=found)

    def _insert(self, out: _Batch, maps: dict[str, _IdMap]) -> None:
        db = self.db
        db.executemany("INSERT INTO sources(id, name, kind) VALUES (?, ?, ?)", maps["sources"].new)
        db.executemany(
            "INSERT INTO source_labels(id, label, source_id) VALUES (?, ?, ?)", self.labels.new
        )
        db.executemany(
            "INSERT INTO packages(id, ecosystem, name, ecosystem_known, purl)"
            " VALUES (?, ?, ?, ?, ?)",
            maps["packages"].new,
        )
        db.executemany(
            "INSERT INTO package_versions(id, package_id, version, purl) VALUES (?, ?, ?, ?)",
            maps["package_versions"].new,
        )
        db.executemany(
            "INSERT INTO reports(id, url_key, url, site) VALUES (?, ?, ?, ?)", maps["reports"].new
        )
        db.executemany("INSERT INTO iocs(id, kind, value) VALUES (?, ?, ?)", maps["iocs"].new)
        db.executemany(
            "INSERT INTO campaigns(id, source_id, key, name, label_id) VALUES (?, ?, ?, ?, ?)",
            maps["campaigns"].new,
        )
        db.executemany(
            "UPDATE campaigns SET name = ?, category = ?, created = ?, description = ?, refs = ?"
            " WHERE id = ?",
            [(*values, cid) for cid, values in out.campaigns.items()],
        )
        # A report known by URL may also come as a written-up text: fill in, never blank out.
        db.executemany(
            "UPDATE reports SET title = coalesce(?1, title), published = coalesce(?2, published),"
            " kind = ?3, text = coalesce(?4, text),"
            " document_sha256 = CASE WHEN ?4 IS NULL THEN document_sha256 ELSE ?5 END"
            " WHERE id = ?6",
            out.reports,
        )
        for width, rows in out.records.items():
            columns = ", ".join(("label_id", *RECORD_COLUMNS[: width - 1]))
            marks = ", ".join("?" * width)
            db.executemany(f"INSERT INTO records({columns}) VALUES ({marks})", rows)
        db.executemany("INSERT OR IGNORE INTO record_versions VALUES (?, ?)", out.versions)
        db.executemany("INSERT OR IGNORE INTO record_reports VALUES (?, ?, ?)", out.citations)
        db.executemany("INSERT OR IGNORE INTO ioc_sightings VALUES (?, ?, ?, ?, ?)", out.sightings)
        db.executemany("INSERT OR IGNORE INTO campaign_members VALUES (?, ?)", out.members)
        db.executemany(
            "INSERT OR IGNORE INTO artifacts(package_version_id, source_id, sha256, location, kind,"
            " detected, document_sha256, label_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            out.artifacts,
        )
        db.executemany("INSERT INTO report_links VALUES (?, ?, ?, ?, ?, ?, ?)", out.links)
        db.executemany("INSERT OR IGNORE INTO report_sites VALUES (?, ?, ?, ?)", out.sites)
        db.executemany(
            "INSERT OR IGNORE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)", out.documents
        )
        self._insert_labels(out.labels)
        db.executemany("INSERT OR REPLACE INTO input_files VALUES (?, ?, ?, ?)", out.inputs)

    def _insert_labels(self, labels: Sequence[tuple[str, LabelRows]]) -> None:
        """Another study's groups, numbered here as every other row is."""
        if not labels:
            return
        (first,) = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM label_groups").fetchone()
        self.db.executemany(
            "INSERT INTO label_groups(id, labeller, kind, key, document_sha256)"
            " VALUES (?, ?, ?, ?, ?)",
            [(first + i, g.labeller, g.kind, g.key, sha) for i, (sha, g) in enumerate(labels)],
        )
        self.db.executemany(
            "INSERT INTO label_members VALUES (?, ?, ?, ?, ?, ?)",
            [(first + i, *m) for i, (_, g) in enumerate(labels) for m in g.members],
        )

    def _relate(self, out: _Batch, new_packages: set[int]) -> None:
        """Add the duplicated edges that the batch's new records make. Edges among older
        records already exist, and those of removed records went with them. A package new in
        this batch has only the claims in memory; the others are read back from the store."""
        if not out.new_records:
            return
        edges = duplicated_edges_of(
            self.db, orjson.dumps(sorted(out.touched - new_packages)).decode(), out.new_records
        )
        for package in sorted(out.touched & new_packages):
            package_claims = out.claims.get(package, [])
            if len(package_claims) > 1:
                edges += duplicated_edges(package_claims[0].package_purl, package_claims)
        insert_edges(self.db, edges)


def insert_edges(db: sqlite3.Connection, edges: Sequence[Edge]) -> None:
    db.executemany(
        "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence,"
        " step) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.kind, *e.src, *e.dst, orjson.dumps(e.evidence).decode(), e.confidence, e.step)
            for e in edges
        ],
    )


def duplicated_edges_of(
    db: sqlite3.Connection, package_ids_json: str, new: set[int] | None = None
) -> list[Edge]:
    """The duplicated edges of the given packages (a JSON list of ids), from active claims;
    with `new`, only those that include one of these records."""
    by_package: dict[tuple[int, str], list[ClaimView]] = defaultdict(list)
    for claim in claims(db, package_ids_json):
        by_package[(claim.package_id, claim.package_purl)].append(claim)
    edges: list[Edge] = []
    for (_, package_purl), package_claims in sorted(by_package.items()):
        edges += duplicated_edges(package_purl, package_claims, new)
    return edges
