"""Writing prepared documents into the store, a batch per transaction.

The caller holds the transaction; a batch is written whole or not at all. A replaced record
takes its edges with it; the batch's new claims come back to the caller (`Written`), which
relates them in the same transaction (pipeline.duplicated), so edges always match the records
they stand on, even when a run is killed between batches.

Each statement that inserts a typed row (core.rows) names its columns by the row type's
fields, so a field added there is stored, or fails loudly where the table lacks it.

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

from malgraph.core.kinds import SourceKind
from malgraph.core.model import ClaimView, Role, Scope
from malgraph.core.rows import (
    ArtifactRow,
    ArtifactRows,
    CampaignMemberRow,
    CampaignRow,
    CampaignRows,
    CitationRow,
    DocumentRow,
    DocumentRows,
    InputFileRow,
    IocRow,
    LabelMemberRow,
    LabelRows,
    LinkRow,
    PackageRow,
    RecordReportRow,
    RecordRow,
    RecordRows,
    RecordVersionRow,
    ReportKey,
    ReportRow,
    ReportRows,
    SightingRow,
    SiteRow,
    VersionRow,
)
from malgraph.core.source_names import SourceNames, label_key
from malgraph.store.columns import columns, insert_sql


@dataclass(frozen=True, slots=True)
class Accepted:
    """A prepared document with the input it came from."""

    rows: DocumentRows
    shown: str  # the input, printable: the document's path
    stat: tuple[int, int] | None = None  # a plain file's (size, mtime_ns): kept, so that an
    # unchanged file is not read again; None for a zip member or a document made in memory


@dataclass(frozen=True, slots=True)
class Written:
    """What a batch wrote: its outcomes per document, and its new claims for the relations."""

    outcomes: Counter[str]
    new_records: frozenset[int] = frozenset()
    stored_packages: tuple[int, ...] = ()  # packages of new records with claims stored before
    new_claims: dict[int, list[ClaimView]] = field(default_factory=dict)  # active claims of
    # the packages new in this batch (the only claims they have), by package


_RECORD_COLUMNS = columns(RecordRow, ("label_id", "id", "source_id", "parent_id", "package_id"))
_CAMPAIGN_DETAILS = ", ".join(f"{name} = ?" for name in CampaignRow._fields)
_INSERTS = {
    "packages": insert_sql("packages", columns(PackageRow, ("id",))),
    "package_versions": insert_sql("package_versions", columns(VersionRow, ("id", "package_id"))),
    "reports": insert_sql("reports", columns(ReportKey, ("id",))),
    "artifacts": insert_sql(
        "artifacts",
        columns(ArtifactRow, ("package_version_id", "source_id"), ("document_sha256", "label_id")),
        "INSERT OR IGNORE",
    ),
    "report_links": insert_sql(
        "report_links", columns(LinkRow, ("report_id",), ("document_sha256",))
    ),
    "report_sites": insert_sql(
        "report_sites", columns(SiteRow, (), ("document_sha256",)), "INSERT OR IGNORE"
    ),
    "label_members": insert_sql("label_members", columns(LabelMemberRow, ("group_id",))),
    "input_files": insert_sql("input_files", columns(InputFileRow), "INSERT OR REPLACE"),
    "record_versions": insert_sql("record_versions", columns(RecordVersionRow), "INSERT OR IGNORE"),
    "record_reports": insert_sql("record_reports", columns(RecordReportRow), "INSERT OR IGNORE"),
    "ioc_sightings": insert_sql("ioc_sightings", columns(SightingRow), "INSERT OR IGNORE"),
    "campaign_members": insert_sql(
        "campaign_members", columns(CampaignMemberRow), "INSERT OR IGNORE"
    ),
    "documents": insert_sql("documents", columns(DocumentRow), "INSERT OR IGNORE"),
}


def _spelled_out(row: type[tuple[Any, ...]], fields: tuple[str, ...]) -> None:
    """The statements that merge a row, or take it apart, name its columns themselves: a
    field added to its type fails here, on import, rather than go unstored."""
    if row._fields != fields:  # type: ignore[attr-defined]
        raise TypeError(f"{row.__name__} changed: the writer stores only {fields}")


_spelled_out(ReportRow, ("title", "published", "kind", "text"))
_spelled_out(IocRow, ("kind", "value", "as_written"))
_spelled_out(CitationRow, ("report", "ref_type"))


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

    def get(self, label: str, kind: SourceKind) -> tuple[int, int, str]:
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


def _package_id(maps: dict[str, _IdMap], package: PackageRow) -> int:
    return maps["packages"].get((package.ecosystem, package.name), *package)


def _version_id(maps: dict[str, _IdMap], package: int, version: VersionRow) -> int:
    return maps["package_versions"].get((package, version.version), package, *version)


def _report_id(maps: dict[str, _IdMap], report: ReportKey) -> int:
    return maps["reports"].get(report.url_key, *report)


_TEXTS = RecordRow._fields.index("released")  # what only some records have starts here
_NO_TEXTS = (None,) * (len(RecordRow._fields) - _TEXTS)


def _filled(row: RecordRow) -> tuple[Any, ...]:
    """The row without its trailing NULLs: the columns left out are NULL all the same, and
    a claim without texts binds a third fewer."""
    if row[_TEXTS:] == _NO_TEXTS:  # most claims: compared in one step
        return row[:_TEXTS]
    width = len(row)
    while row[width - 1] is None:
        width -= 1
    return row[:width]


def _sightings(
    maps: dict[str, _IdMap],
    iocs: Sequence[IocRow],
    record: int | None = None,
    report: int | None = None,
    campaign: int | None = None,
) -> list[SightingRow]:
    """ioc_sightings rows for IoCs seen in exactly one of a record, a report or a campaign."""
    return [
        SightingRow(maps["iocs"].get((kind, value), kind, value), record, report, campaign, written)
        for kind, value, written in iocs
    ]


@dataclass
class _Batch:
    records: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # by width
    versions: list[RecordVersionRow] = field(default_factory=list)
    citations: list[RecordReportRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    inputs: list[InputFileRow] = field(default_factory=list)
    sightings: list[SightingRow] = field(default_factory=list)
    members: list[CampaignMemberRow] = field(default_factory=list)
    artifacts: list[tuple[Any, ...]] = field(default_factory=list)
    campaigns: dict[int, CampaignRow] = field(default_factory=dict)  # id -> details
    reports: list[tuple[Any, ...]] = field(default_factory=list)  # written-up reports
    links: list[tuple[Any, ...]] = field(default_factory=list)  # report -> package, by name
    sites: list[tuple[Any, ...]] = field(default_factory=list)
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

    def write_batch(self, batch: Sequence[Accepted]) -> Written:
        """Write one batch inside the caller's transaction; count outcomes per document."""
        if not batch:  # the last flush, or a re-run of unchanged inputs: no id maps needed
            return Written(Counter())
        maps = self._id_maps()
        outcomes: Counter[str] = Counter()
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        next_id = int(
            self.db.execute("SELECT value FROM meta WHERE key = 'next_record_id'").fetchone()[0]
        )
        out = _Batch()
        for accepted, outcome in self._decide(batch):
            doc = accepted.rows
            if outcome == "replaced":
                self._retire(doc.feed, doc.key)
            if outcome in ("added", "replaced"):
                next_id = self._add_document(doc, next_id, maps, out)
            outcomes[outcome] += 1
            if outcome != "unchanged":
                current = outcome in ("added", "replaced")
                shown = accepted.shown
                out.documents.append(
                    DocumentRow(
                        doc.sha256, doc.feed, doc.key, doc.modified, current, shown, outcome, now
                    )
                )
            if accepted.stat and not doc.rejected:  # else re-read, to report it again
                out.inputs.append(InputFileRow(accepted.shown, *accepted.stat, doc.sha256))
        self._insert(out, maps)
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_record_id'", (next_id,))
        new_packages = {row[0] for row in maps["packages"].new}
        return Written(
            outcomes,
            frozenset(out.new_records),
            tuple(sorted(out.touched - new_packages)),
            {p: out.claims[p] for p in sorted(out.touched & new_packages) if p in out.claims},
        )

    def _add_document(
        self, doc: DocumentRows, next_id: int, maps: dict[str, _IdMap], out: _Batch
    ) -> int:
        """Number and collect the rows of a document taken in; returns the next record id."""
        for record in doc.records:
            next_id = self._add(record, None, next_id, maps, out)
        for report in doc.reports:
            self._add_report(report, doc.sha256, maps, out)
        feed = self.labels.get(doc.feed, SourceKind.FEED)
        for campaign in doc.campaigns:
            self._add_campaign(feed, campaign, maps, out)
        for artifact in doc.artifacts:
            self._add_artifact(artifact, doc.sha256, maps, out)
        for link in doc.links:
            out.links.append((_report_id(maps, link.report), *link.row, doc.sha256))
        out.sites += [(*site, doc.sha256) for site in doc.sites]
        out.labels += [(doc.sha256, group) for group in doc.labels]
        return next_id

    def mark_input(self, row: InputFileRow) -> None:
        self.db.execute(_INSERTS["input_files"], row)

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
        label = self.labels.get(
            record.source, SourceKind.FEED if parent is None else SourceKind.ORIGIN
        )
        source = label[1]
        package = _package_id(maps, record.package)
        out.touched.add(package)
        out.new_records.add(record_id)
        row = (label[0], record_id, source, parent, package, *_filled(record.row))
        out.records.setdefault(len(row), []).append(row)
        if record.row.role == _CLAIM and record.row.withdrawn is None:
            out.claims.setdefault(package, []).append(
                _claim_view(record, record_id, package, label)
            )
        out.sightings += _sightings(maps, record.iocs, record=record_id)
        for campaign in record.campaigns:
            campaign_id = self._add_campaign(label, campaign, maps, out)
            out.members.append(CampaignMemberRow(campaign_id, record_id))
        out.versions += [
            RecordVersionRow(record_id, _version_id(maps, package, v)) for v in record.versions
        ]
        for citation in record.citations:
            report = _report_id(maps, citation.report)
            out.citations.append(RecordReportRow(record_id, report, citation.ref_type))
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
        row, source = campaign.row, label[1]
        found = maps["campaigns"].get(
            (source, campaign.key), source, campaign.key, row.name, label[0]
        )
        if any(row[1:]):  # a package names its campaign; the campaign's own file describes it
            out.campaigns[found] = row
        out.sightings += _sightings(maps, campaign.iocs, campaign=found)
        return found

    def _add_artifact(
        self, artifact: ArtifactRows, document: str, maps: dict[str, _IdMap], out: _Batch
    ) -> None:
        version_id = _version_id(maps, _package_id(maps, artifact.package), artifact.version)
        label_id, source, _ = self.labels.get(artifact.source, SourceKind.FEED)
        out.artifacts.append((version_id, source, *artifact.row, document, label_id))

    def _add_report(
        self, report: ReportRows, document: str, maps: dict[str, _IdMap], out: _Batch
    ) -> None:
        found = _report_id(maps, report.report)
        out.reports.append((*report.row, document, found))
        out.sightings += _sightings(maps, report.iocs, report=found)

    def _insert(self, out: _Batch, maps: dict[str, _IdMap]) -> None:
        db = self.db
        db.executemany("INSERT INTO sources(id, name, kind) VALUES (?, ?, ?)", maps["sources"].new)
        db.executemany(
            "INSERT INTO source_labels(id, label, source_id) VALUES (?, ?, ?)", self.labels.new
        )
        for table in ("packages", "package_versions", "reports"):
            db.executemany(_INSERTS[table], maps[table].new)
        db.executemany("INSERT INTO iocs(id, kind, value) VALUES (?, ?, ?)", maps["iocs"].new)
        db.executemany(
            "INSERT INTO campaigns(id, source_id, key, name, label_id) VALUES (?, ?, ?, ?, ?)",
            maps["campaigns"].new,
        )
        db.executemany(
            f"UPDATE campaigns SET {_CAMPAIGN_DETAILS} WHERE id = ?",
            [(*row, cid) for cid, row in out.campaigns.items()],
        )
        # A report known by URL may also come as a written-up text: fill in, never blank out.
        db.executemany(
            "UPDATE reports SET title = coalesce(?1, title), published = coalesce(?2, published),"
            " kind = ?3, text = coalesce(?4, text),"
            " document_sha256 = CASE WHEN ?4 IS NULL THEN document_sha256 ELSE ?5 END"
            " WHERE id = ?6",
            out.reports,
        )
        for width, records in out.records.items():
            db.executemany(insert_sql("records", _RECORD_COLUMNS[:width]), records)
        tables: tuple[tuple[str, Sequence[tuple[Any, ...]]], ...] = (
            ("record_versions", out.versions),
            ("record_reports", out.citations),
            ("ioc_sightings", out.sightings),
            ("campaign_members", out.members),
            ("artifacts", out.artifacts),
            ("report_links", out.links),
            ("report_sites", out.sites),
            ("documents", out.documents),
        )
        for table, rows in tables:
            db.executemany(_INSERTS[table], rows)
        self._insert_labels(out.labels)
        db.executemany(_INSERTS["input_files"], out.inputs)

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
            _INSERTS["label_members"],
            [(first + i, *m) for i, (_, g) in enumerate(labels) for m in g.members],
        )


def _claim_view(
    record: RecordRows, record_id: int, package: int, label: tuple[int, int, str]
) -> ClaimView:
    """A claim as the duplicated relation will see it once stored."""
    return ClaimView(
        record_id,
        label[2],
        record.row.source_record_id,
        record.package.ecosystem,
        package,
        record.package.purl,
        Scope(record.row.scope),
        frozenset(v.version for v in record.versions),
        record.source,
    )
