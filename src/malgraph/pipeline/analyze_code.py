"""`malgraph analyze`: every archive not yet analysed, in a process pool. Workers read the
archive themselves (from the cache or where a source keeps it, checking its hash) and send
back only the features, with the file scans they made; the main process alone writes the
store. A file whose scan is memoised (in the worker's memory, or in the store) is looked up,
not scanned again (pipeline.stored_scans)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.file_scan import SCAN_VERSION
from malgraph.artifacts.cache import Cache
from malgraph.core.code import Analysis
from malgraph.core.dates import now_utc
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.kinds import AnalysisStatus
from malgraph.pipeline.stored_scans import MemoUse, StoredScans
from malgraph.relations.similar import analysed_item, default_sketcher, item_sketch
from malgraph.store import Store
from malgraph.store.code import save_analysis, save_sketches
from malgraph.store.file_scans import save_file_scans
from malgraph.store.read.code import archives_to_analyze

MAX_ARCHIVE_BYTES = 64 * 2**20
COMMIT_EVERY = 50  # results per transaction: fewer commits, and a kill loses little

NO_MEMO_USE = MemoUse((), 0, 0)
Task = tuple[str, list[str]]  # an archive's sha256, and the places a copy may lie


class Found(NamedTuple):
    """One archive, as a worker sends it back."""

    sha256: str
    analysis: Analysis | None  # None: no readable copy
    sketch: CodeSketchRow | None  # its code's sketch; None: no code to sketch
    memo: MemoUse  # the file scans it made, to store with the analysis


@dataclass
class AnalyzeSummary:
    analyzed: int = 0
    by_status: dict[AnalysisStatus, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # sha256: no readable copy found
    files_scanned: int = 0  # distinct file contents scanned, summed over archives
    files_recalled: int = 0  # distinct file contents whose scan came from the memo


def analyze_stored(
    store: Store,
    cache: Cache,
    *,
    jobs: int | None = None,
    redo: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> AnalyzeSummary:
    summary = AnalyzeSummary()
    tasks = [
        (sha, [str(cache.path(sha)), *places])
        for sha, places in archives_to_analyze(store.db, redo)
    ]
    pending: list[tuple[Analysis, Found]] = []
    for done, found in enumerate(_in_pool(tasks, jobs, store.path), start=1):
        if found.analysis is None:
            summary.missing.append(found.sha256)
        else:
            pending.append((found.analysis, found))
            status = found.analysis.status
            summary.analyzed += 1
            summary.by_status[status] = summary.by_status.get(status, 0) + 1
            summary.files_scanned += found.memo.scanned
            summary.files_recalled += found.memo.recalled
        if len(pending) >= COMMIT_EVERY or done == len(tasks):
            _save(store, pending)
        if progress:
            progress(done, len(tasks))
    _save(store, pending)
    return summary


def _save(store: Store, pending: list[tuple[Analysis, Found]]) -> None:
    """The analyses with their sketches and the file scans they made, in one transaction: a
    sketch never outlives or precedes its analysis, and a run cut short leaves no scan behind
    that no stored analysis made."""
    if pending:
        at = now_utc()
        with store.transaction() as db:
            for analysis, found in pending:
                save_analysis(db, found.sha256, analysis, at)
            save_sketches(db, [found.sketch for _, found in pending if found.sketch])
            save_file_scans(db, SCAN_VERSION, [s for _, found in pending for s in found.memo.made])
        pending.clear()


def _in_pool(tasks: list[Task], jobs: int | None, store_path: Path) -> Iterator[Found]:
    if len(tasks) <= 1 or jobs == 1:
        memo = StoredScans(store_path)
        try:
            yield from (analyze_one(task, memo) for task in tasks)
        finally:
            memo.close()
        return
    # fork: workers start at once with the grammars loaded; they only read files and compute.
    context = multiprocessing.get_context("fork")
    processes = jobs or os.cpu_count() or 1
    with context.Pool(processes, initializer=_start_worker, initargs=(store_path,)) as pool:
        yield from pool.imap_unordered(_analyze_in_worker, tasks, chunksize=16)


_worker_memo: StoredScans | None = None  # each pool worker's own, made by _start_worker


def _start_worker(store_path: Path) -> None:
    global _worker_memo  # a pool worker's state: it lives as long as the worker
    os.nice(5)
    _worker_memo = StoredScans(store_path)


def _analyze_in_worker(task: Task) -> Found:
    return analyze_one(task, _worker_memo)


def analyze_one(task: Task, memo: StoredScans | None = None) -> Found:
    """Analyse the first copy of the archive whose content still has the expected hash, and
    sketch its code as the similar relation does."""
    sha256, places = task
    for place in map(Path, places):
        try:
            if not place.is_file():
                continue
            if place.stat().st_size > MAX_ARCHIVE_BYTES:
                reason = f"archive over {MAX_ARCHIVE_BYTES >> 20} MiB, not read"
                refused = Analysis(AnalysisStatus.UNREADABLE, None, reason, (), None)
                return Found(sha256, refused, None, NO_MEMO_USE)
            data = place.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == sha256:
            analysis = analyze_archive(data, place.name, memo=memo)
            use = memo.take() if memo is not None else NO_MEMO_USE
            return Found(sha256, analysis, _sketch(sha256, analysis), use)
    return Found(sha256, None, None, NO_MEMO_USE)


def _sketch(sha256: str, analysis: Analysis) -> CodeSketchRow | None:
    if analysis.features is None or analysis.status is AnalysisStatus.UNREADABLE:
        return None
    return item_sketch(analysed_item(sha256, analysis.features), default_sketcher())
