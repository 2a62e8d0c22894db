"""Ingest: inputs -> parse (in a process pool) -> store, one transaction per batch.

Unchanged files are skipped by their stat and content hash, so a re-run reads almost
nothing. Every batch commits whole, so a killed run leaves a consistent store and the next
run picks up where it stopped.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol

import malgraph.pipeline.duplicated as duplicated
from malgraph.core.errors import RejectedInput
from malgraph.core.inputs import FileStat
from malgraph.core.model import Document, Problem
from malgraph.core.rows import DocumentRows, InputFileRow
from malgraph.core.source_names import SourceEntry
from malgraph.pipeline.relate import refresh_mentions
from malgraph.sources import SOURCES
from malgraph.sources.inputs import InputFile, ReadError, read_capped, walk, zip_members
from malgraph.store import Store
from malgraph.store.labels import source_names
from malgraph.store.read.inputs import known_inputs
from malgraph.store.rows import document_rows
from malgraph.store.writer import Accepted, Writer

POOL_THRESHOLD = 2000  # below this many files a pool costs more than it saves
BATCH_SIZE = 5000  # documents per transaction


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...


@dataclass
class IngestReport:
    outcomes: Counter[str] = field(default_factory=Counter)  # added/replaced/stale/unchanged
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    repointed: int = 0  # labels that now count as another source (the aliases changed)

    @property
    def ok(self) -> bool:
        return not self.rejected


def _parse(job: tuple[str, InputFile]) -> tuple[InputFile, DocumentRows | Problem]:
    """Read, validate and turn into rows: everything but the write, so it runs in a pool."""
    kind, item = job
    try:
        raw = read_capped(item)
    except ReadError as exc:
        return item, Problem(item.display, str(exc))
    try:
        parsed = SOURCES[kind].parse(raw, item, hashlib.sha256(raw).hexdigest())
    except Exception as exc:  # a parser's blind spot costs this file, never the run
        return item, Problem(item.display, f"could not be read ({type(exc).__name__}: {exc})")
    if isinstance(parsed, Document):
        return item, document_rows(parsed)
    return item, parsed


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plan(
    kind: str, paths: Sequence[str], known: dict[str, FileStat], report: IngestReport
) -> tuple[list[InputFile], dict[str, InputFile]]:
    """The inputs to parse (unchanged files left out) and the zips they came from."""
    suffixes, containers = SOURCES[kind].suffixes, SOURCES[kind].containers
    items: list[InputFile] = []
    zips: dict[str, InputFile] = {}
    for item in walk(paths, suffixes):
        if known.get(item.display) == (item.size, item.mtime_ns):
            report.outcomes["unchanged"] += 1
        elif item.is_zip and containers:
            members = list(zip_members(item, suffixes))
            problems = [m for m in members if isinstance(m, Problem)]
            report.rejected += problems
            items += [m for m in members if isinstance(m, InputFile)]
            if not problems:  # a zip that could not be listed is never marked as done
                zips[item.path] = item
        else:
            items.append(item)
    return items, zips


def _lower_priority() -> None:
    """Parsers yield to the writer: it is the one serial step, so it sets the pace."""
    os.nice(10)


def _parsed(
    kind: str, items: list[InputFile], workers: int
) -> Iterator[tuple[InputFile, DocumentRows | Problem]]:
    jobs = [(kind, item) for item in items]
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        yield from map(_parse, jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers, initializer=_lower_priority) as pool:
        yield from pool.imap(_parse, jobs, chunksize=64)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A run allocates millions of row tuples, none in a cycle; the collector's passes over
    a heap that grows with every batch cost much of the run and free nothing (the few cyclic
    objects a source makes, such as a spreadsheet reader's workbook, wait for the end of the
    run). The parser processes are forked inside, so they go without it too."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class _Batches:
    """The parsed documents of a run on their way to the store, a batch a transaction (one
    for the whole run under `strict`), with the zips whose members have all been written."""

    store: Store
    writer: Writer
    report: IngestReport
    strict: bool
    progress: Progress | None
    zips: dict[str, InputFile]  # path -> the zip, for those that could be listed
    remaining: Counter[str]  # zip path -> members not yet taken
    batch: list[Accepted] = field(default_factory=list)
    finished_zips: list[InputFile] = field(default_factory=list)
    zips_with_problems: set[str] = field(default_factory=set)

    def take(self, item: InputFile, result: DocumentRows | Problem) -> None:
        """One parsed input: its problems reported, its rows put in the batch."""
        rejected = (
            [result]
            if isinstance(result, Problem)
            else [Problem(item.display, reason) for reason in result.rejected]
        )
        if rejected:
            if self.strict:
                raise RejectedInput(f"{rejected[0].path}: {rejected[0].reason}")
            self.report.rejected += rejected
            self.zips_with_problems.add(item.path)  # re-read next time, to report it again
        if isinstance(result, Problem):
            if self.progress:
                self.progress.advance(1)
        else:
            stat = (item.size, item.mtime_ns) if item.member is None else None
            self.batch.append(Accepted(result, item.display, stat))
            self.report.warnings += [
                Problem(item.display, w, rejected=False) for w in result.warnings
            ]
        if item.member is not None:
            self.remaining[item.path] -= 1
            if self.remaining[item.path] == 0 and item.path in self.zips:
                self.finished_zips.append(self.zips[item.path])

    def flush(self) -> None:
        per_batch = nullcontext() if self.strict else self.store.transaction()
        try:
            with per_batch:
                written = duplicated.write_batch(self.writer, self.batch)
                self.report.outcomes.update(written.outcomes)
                for archive in self.finished_zips:
                    if archive.path not in self.zips_with_problems:
                        sha256 = _file_sha256(archive.path)
                        self.writer.mark_input(
                            InputFileRow(archive.display, archive.size, archive.mtime_ns, sha256)
                        )
        except BaseException:
            self.writer.forget()
            raise
        if self.progress:
            self.progress.advance(len(self.batch))
        self.batch.clear()
        self.finished_zips.clear()

    def finish(self) -> None:
        self.flush()
        # Zips with no member to parse (all filtered out) are done too.
        empty = [archive for path, archive in self.zips.items() if path not in self.remaining]
        if empty:
            self.finished_zips.extend(empty)
            self.flush()


def ingest(
    store: Store,
    kind: str,
    paths: Sequence[str],
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    progress: Progress | None = None,
    source_aliases: Sequence[SourceEntry] | None = None,
) -> IngestReport:
    """Ingest every input under `paths` with the named source.

    Rejected inputs are reported and skipped; under `strict` the first one raises
    RejectedInput and the whole run is rolled back. `source_aliases`, a user's table, is
    kept with the store and applied to what it holds already, as to what comes in; without
    it, the table the store was last given goes on applying.
    """
    report = IngestReport()
    with store.transaction():
        names = source_names(store.db, source_aliases)
        report.repointed = duplicated.repoint(store.db, names)
    items, zips = _plan(kind, paths, known_inputs(store.db), report)
    if strict and report.rejected:
        raise RejectedInput(f"{report.rejected[0].path}: {report.rejected[0].reason}")
    if progress:
        progress.start(len(items))
    remaining = Counter(item.path for item in items if item.member is not None)
    batches = _Batches(store, Writer(store.db, names), report, strict, progress, zips, remaining)
    whole_run = store.transaction() if strict else nullcontext()
    with _no_cycle_collection(), store.bulk_writes(), whole_run:
        for item, result in _parsed(kind, items, workers or os.cpu_count() or 1):
            batches.take(item, result)
            if len(batches.batch) >= batch_size:
                batches.flush()
        batches.finish()
    if report.outcomes["added"] or report.outcomes["replaced"]:
        with store.transaction():  # new names or new texts: find mentions afresh
            refresh_mentions(store.db)
            # New spellings of a source no table lists: the name all of them go by.
            report.repointed += duplicated.repoint(store.db, names)
    return report
