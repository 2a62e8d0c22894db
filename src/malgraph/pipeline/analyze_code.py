"""`malgraph analyze`: every archive not yet analysed, in a process pool. Workers read the
archive themselves (from the cache or where a source keeps it, checking its hash) and send
back only the features; the main process alone writes the store."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from malgraph.analysis.analyze import analyze_archive
from malgraph.artifacts.cache import Cache
from malgraph.core.code import Analysis
from malgraph.core.dates import now_utc
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.kinds import AnalysisStatus
from malgraph.relations.similar import analysed_item, default_sketcher, item_sketch
from malgraph.store import Store
from malgraph.store.code import save_analysis, save_sketches
from malgraph.store.read.code import archives_to_analyze

MAX_ARCHIVE_BYTES = 64 * 2**20
COMMIT_EVERY = 50  # results per transaction: fewer commits, and a kill loses little

# An archive's sha256, its analysis (None: no readable copy) and its code's sketch (None: no
# code to sketch).
Found = tuple[str, Analysis | None, CodeSketchRow | None]
Analysed = tuple[str, Analysis, CodeSketchRow | None]


@dataclass
class AnalyzeSummary:
    analyzed: int = 0
    by_status: dict[AnalysisStatus, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # sha256: no readable copy found


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
    pending: list[Analysed] = []
    for done, (sha256, analysis, sketch) in enumerate(_in_pool(tasks, jobs), start=1):
        if analysis is None:
            summary.missing.append(sha256)
        else:
            pending.append((sha256, analysis, sketch))
            summary.analyzed += 1
            summary.by_status[analysis.status] = summary.by_status.get(analysis.status, 0) + 1
        if len(pending) >= COMMIT_EVERY or done == len(tasks):
            _save(store, pending)
        if progress:
            progress(done, len(tasks))
    _save(store, pending)
    return summary


def _save(store: Store, pending: list[Analysed]) -> None:
    """The analyses with their sketches, in one transaction: a sketch never outlives or
    precedes its analysis."""
    if pending:
        at = now_utc()
        with store.transaction() as db:
            for sha256, analysis, _sketch in pending:
                save_analysis(db, sha256, analysis, at)
            save_sketches(db, [sketch for _sha, _analysis, sketch in pending if sketch])
        pending.clear()


def _in_pool(tasks: list[tuple[str, list[str]]], jobs: int | None) -> Iterator[Found]:
    if len(tasks) <= 1 or jobs == 1:
        yield from map(analyze_one, tasks)
        return
    # fork: workers start at once with the grammars loaded; they only read files and compute.
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs or os.cpu_count() or 1, initializer=os.nice, initargs=(5,)) as pool:
        yield from pool.imap_unordered(analyze_one, tasks, chunksize=16)


def analyze_one(task: tuple[str, list[str]]) -> Found:
    """Analyse the first copy of the archive whose content still has the expected hash, and
    sketch its code as the similar relation does."""
    sha256, places = task
    for place in map(Path, places):
        try:
            if not place.is_file():
                continue
            if place.stat().st_size > MAX_ARCHIVE_BYTES:
                reason = f"archive over {MAX_ARCHIVE_BYTES >> 20} MiB, not read"
                return sha256, Analysis(AnalysisStatus.UNREADABLE, None, reason, (), None), None
            data = place.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == sha256:
            analysis = analyze_archive(data, place.name)
            return sha256, analysis, _sketch(sha256, analysis)
    return sha256, None, None


def _sketch(sha256: str, analysis: Analysis) -> CodeSketchRow | None:
    if analysis.features is None or analysis.status is AnalysisStatus.UNREADABLE:
        return None
    return item_sketch(analysed_item(sha256, analysis.features), default_sketcher())
