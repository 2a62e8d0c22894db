"""`ingest archives`: folders of package archives -> one claim per package-version, of a source
the user names, with each archive as its artifact, copied into the code store.

Files are read in a process pool (the identity only: the capped in-memory reader and the
manifest parsers; nothing is unpacked or run) and grouped by package-version; each batch of
package-versions is one transaction, written as documents of the source, so the duplicated
relation and `analyze` / `relate` see them like any other. Each file's stat is kept per source,
so a re-run reads only new or changed files; an archive is copied into the cache before its
rows are written, so a killed run leaves a consistent store and the next one finishes it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

import malgraph.pipeline.duplicated as duplicated
from malgraph.analysis.archive_identity import Identity, Unplaced, identify
from malgraph.artifacts.cache import Cache
from malgraph.artifacts.layouts import read_place
from malgraph.artifacts.local import ARCHIVE_SUFFIXES
from malgraph.core.errors import InputError, RejectedInput
from malgraph.core.identity import canonical_name, canonical_version, ecosystem_of
from malgraph.core.inputs import display_path
from malgraph.core.model import Artifact, Document, Problem
from malgraph.core.rows import InputFileRow
from malgraph.core.source_names import SourceEntry
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES
from malgraph.pipeline.relate import refresh_mentions
from malgraph.sources.base import claim
from malgraph.store import Store
from malgraph.store.labels import source_names
from malgraph.store.read.code import current_artifacts, documents_holding
from malgraph.store.read.inputs import known_inputs
from malgraph.store.rows import document_rows
from malgraph.store.writer import Accepted, Writer

KIND = "archives"
DESCRIPTION = (
    "a folder of package archives (npm .tgz, sdists, wheels, .gem, DataDog sample zips), "
    "placed by their own metadata, else their path: `ingest archives DIR... [--source NAME]`"
)
ARTIFACT_KIND = "local-archive"
POOL_THRESHOLD = 32  # below this many files a pool costs more than it saves
BATCH_SIZE = 500  # package-versions per transaction
Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class ArchivesReport:
    files: int = 0  # archives found
    unchanged: int = 0  # not read again: same stat as when last registered for the source
    placed: Counter[str] = field(default_factory=Counter)  # by 'metadata' / 'path'
    outcomes: Counter[str] = field(default_factory=Counter)  # package-versions: added, ...
    ignored: int = 0  # files that are no archive by name, and symlinks
    unplaced: list[Problem] = field(default_factory=list)  # read, but not placed
    rejected: list[Problem] = field(default_factory=list)  # unreadable, corrupt, too large
    warnings: list[Problem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unplaced and not self.rejected


@dataclass(frozen=True, slots=True)
class _Job:
    path: str
    display: str  # absolute, printable: the artifact's location
    size: int
    mtime_ns: int
    source: str
    depth: int  # how many of the path's parts lie inside the folder given
    seen_before: bool  # registered by an earlier run (and changed since)


@dataclass(frozen=True, slots=True)
class _Read:
    job: _Job
    sha256: str
    found: Identity | Unplaced


def ingest_archives(
    store: Store,
    cache: Cache,
    folders: Sequence[str],
    *,
    source: str | None = None,
    jobs: int | None = None,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    source_aliases: Sequence[SourceEntry] | None = None,
) -> ArchivesReport:
    """Register every archive under `folders` as a claim and an artifact of `source` (by
    default each folder's own name). Files that cannot be placed are reported, not guessed;
    under `strict` any of them stops the run before anything is written. Source names go
    through the store's alias table (with `source_aliases`, a user's, as `ingest` does)."""
    report = ArchivesReport()
    with store.transaction():
        names = source_names(store.db, source_aliases)
        duplicated.repoint(store.db, names)
    todo = _plan(store, folders, source, report)
    reads: list[_Read] = []
    for done, read in enumerate(_read_all(todo, cache, jobs), start=1):
        reads.append(read)
        if progress:
            progress(done, len(todo))
    reads.sort(key=lambda r: r.job.display)
    placed = _sort_out(reads, report)
    if strict and (report.rejected or report.unplaced):
        first = (report.rejected + report.unplaced)[0]
        raise RejectedInput(f"{first.path}: {first.reason}")
    _left_behind(store, reads, placed)
    _write(
        store,
        Writer(store.db, names),
        placed,
        {read.job.display for read in reads},
        batch_size,
        report,
    )
    return report


def _plan(
    store: Store, folders: Sequence[str], source: str | None, report: ArchivesReport
) -> list[_Job]:
    """The archives to read: every one under the folders, less those unchanged since the run
    that registered them for the same source."""
    for folder in folders:
        if not os.path.exists(folder):
            raise InputError(f"{display_path(folder)}: no such file or directory")
    todo: list[_Job] = []
    for folder in folders:
        root = Path(os.path.abspath(folder))
        named = source or (root.name if root.is_dir() else root.parent.name) or KIND
        if named not in report.sources:
            report.sources.append(named)
        known = known_inputs(store.db, _stat_key(named, ""))
        for path in _archives_under(root, report):
            st = os.stat(path)
            shown = display_path(str(path))
            before = known.get(_stat_key(named, shown))
            if before == (st.st_size, st.st_mtime_ns):
                report.unchanged += 1
            else:
                depth = len(path.relative_to(root).parts) if root.is_dir() else 1
                todo.append(
                    _Job(
                        str(path),
                        shown,
                        st.st_size,
                        st.st_mtime_ns,
                        named,
                        depth,
                        before is not None,
                    )
                )
            report.files += 1
    return todo


def _archives_under(root: Path, report: ArchivesReport) -> Iterator[Path]:
    if not root.is_dir():
        yield root  # a file named on the command line is read whatever its name
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_symlink() or not name.lower().endswith(ARCHIVE_SUFFIXES):
                report.ignored += 1  # a link may point anywhere; other files are no archives
                continue
            if not stat.S_ISREG(path.lstat().st_mode):  # a FIFO or a device would block a read
                report.rejected.append(Problem(display_path(str(path)), "not a regular file"))
                continue
            yield path


def _stat_key(source: str, display: str) -> str:
    """input_files is keyed by path for the document sources; an archive's stat is kept per
    source under its own key, so neither kind of ingest takes the other's file as done."""
    return f"{KIND}:{source}:{display}"


def _read_all(todo: list[_Job], cache: Cache, jobs: int | None) -> Iterator[_Read]:
    tasks = [(job, cache.root) for job in todo]
    # One process unless asked: reading a sample is quick, and a pool measured no faster
    # (benchmarks/ingest_archives.py; the figures are in the README's Performance section).
    workers = jobs or 1
    if workers <= 1 or len(todo) < POOL_THRESHOLD:
        yield from map(_read, tasks)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_read, tasks, chunksize=8)


def _read(task: tuple[_Job, Path]) -> _Read:
    """One archive: its bytes (capped), its identity, and its copy in the cache when placed."""
    job, cache_root = task
    if job.size > MAX_ARCHIVE_BYTES:
        return _Read(job, "", Unplaced(f"over {MAX_ARCHIVE_BYTES >> 20} MiB, not read", True))
    try:
        with open(job.path, "rb") as fh:
            data = fh.read(MAX_ARCHIVE_BYTES + 1)
    except OSError as exc:
        return _Read(job, "", Unplaced(f"unreadable: {exc.strerror or exc}", True))
    if len(data) > MAX_ARCHIVE_BYTES:
        return _Read(job, "", Unplaced(f"over {MAX_ARCHIVE_BYTES >> 20} MiB, not read", True))
    parts = Path(job.path).parts
    try:
        found = identify(data, parts[-1], read_place(parts, job.depth))
    except Exception as exc:  # a hostile file that trips a parser costs itself, not the run
        found = Unplaced(f"could not be read: {type(exc).__name__}: {exc}", True)
    if isinstance(found, Identity):
        sha256 = Cache(cache_root).put(data)  # the file first, then the rows that name it
    else:
        sha256 = hashlib.sha256(data).hexdigest()
    return _Read(job, sha256, found)


_Key = tuple[str, str]  # source, document key (archives/<ecosystem>/<name>@<version>, canonical)


@dataclass
class _Group:
    """One package-version of one source: the archives of it read now."""

    name: str  # as the first archive's metadata or path writes it
    version: str
    reads: list[_Read] = field(default_factory=list)


def _sort_out(reads: list[_Read], report: ArchivesReport) -> dict[_Key, _Group]:
    """Placed archives grouped by package-version; the rest reported."""
    placed: dict[_Key, _Group] = {}
    for read in reads:
        found, shown = read.found, read.job.display
        if isinstance(found, Unplaced):
            (report.rejected if found.unreadable else report.unplaced).append(
                Problem(shown, found.reason)
            )
            continue
        report.placed[found.by] += 1
        report.warnings += [Problem(shown, w, rejected=False) for w in found.warnings]
        eco = ecosystem_of(found.ecosystem).name
        name, version = canonical_name(eco, found.name), canonical_version(eco, found.version)
        key = (read.job.source, f"{KIND}/{eco}/{name}@{version}")
        placed.setdefault(key, _Group(found.name, found.version)).reads.append(read)
    return placed


def _left_behind(store: Store, reads: list[_Read], placed: dict[_Key, _Group]) -> None:
    """Add the package-versions that held an archive read again now and found to be another
    package-version's, or none: they are written again without it (with no archive left, their
    claim is withdrawn from the store by an empty version of the document)."""
    changed: dict[str, list[str]] = {}
    for read in reads:
        if read.job.seen_before:
            changed.setdefault(read.job.source, []).append(read.job.display)
    for source, locations in changed.items():
        for doc_key, name in documents_holding(store.db, source, locations).items():
            if (source, doc_key) not in placed:
                placed[(source, doc_key)] = _Group(name, doc_key.rpartition("@")[2])


def _write(
    store: Store,
    writer: Writer,
    placed: dict[_Key, _Group],
    read_now: set[str],
    batch_size: int,
    report: ArchivesReport,
) -> None:
    keys = sorted(placed)
    for start in range(0, len(keys), batch_size):
        batch = keys[start : start + batch_size]
        try:
            with store.transaction():
                documents = [_document(store, key, placed[key], read_now) for key in batch]
                accepted = [document for document in documents if document is not None]
                report.rejected += [
                    Problem(a.shown, why)  # parts the rows refused
                    for a in accepted
                    for why in a.rows.rejected
                ]
                if len(accepted) < len(documents):
                    report.outcomes["unchanged"] += len(documents) - len(accepted)
                report.outcomes.update(duplicated.write_batch(writer, accepted).outcomes)
                for key in batch:
                    for read in placed[key].reads:
                        job = read.job
                        writer.mark_input(
                            InputFileRow(
                                _stat_key(job.source, job.display),
                                job.size,
                                job.mtime_ns,
                                read.sha256,
                            )
                        )
        except BaseException:
            writer.forget()
            raise
    if report.outcomes["added"] or report.outcomes["replaced"]:
        with store.transaction():  # new names: find their mentions in reports
            refresh_mentions(store.db)


def _document(store: Store, key: _Key, group: _Group, read_now: set[str]) -> Accepted | None:
    """A package-version's document: the claim, and every archive of it the source holds:
    those read now, and those registered before and not read again (from another folder, say).
    None when that is what the store holds already."""
    source, doc_key = key
    eco = doc_key.split("/", 2)[1]
    stored = {
        (location, sha256, detected)
        for sha256, location, detected in current_artifacts(store.db, source, doc_key)
    }
    held = {artifact for artifact in stored if artifact[0] not in read_now}
    for read in group.reads:
        assert isinstance(read.found, Identity)
        held.add((read.job.display, read.sha256, read.found.detected))
    if held == stored:
        return None
    artifacts = sorted(held)
    detected = min((d for _, _, d in artifacts if d), default=None)
    records = (
        (
            claim(
                source,
                eco,
                group.name,
                versions=(group.version,),
                published=detected,
                available=True,
            ),
        )
        if artifacts
        else ()
    )
    # Later than any version before; and in the hash, so that going back to an earlier set
    # of archives is a new version, not one the writer takes for known.
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sha = hashlib.sha256(orjson.dumps([source, doc_key, artifacts, modified])).hexdigest()
    where = artifacts[0][0] if artifacts else doc_key
    document = Document(
        where,
        sha,
        source,
        doc_key,
        modified,
        records,
        artifacts=tuple(
            Artifact(source, eco, group.name, group.version, sha256, location, ARTIFACT_KIND, when)
            for location, sha256, when in artifacts
        ),
    )
    # No stat for the writer to keep: an archive's stat is kept by this module under its own
    # key.
    return Accepted(document_rows(document), where)
