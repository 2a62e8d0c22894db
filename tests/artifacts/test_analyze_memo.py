"""`malgraph analyze` with the file-scan memo: scans made in a run are stored with its analyses,
and a second run over the same archives takes every scan from the store, giving the same
features."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from malgraph.artifacts.cache import cache_for
from malgraph.cli import app, code  # noqa: F401  (importing registers the commands)
from malgraph.pipeline import analyze_code
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from malgraph.store.read.file_scans import file_scan_count
from tests.analysis.sharing_corpus import sharing_corpus
from tests.conftest import osv, write_json

ARCHIVES = 6
ASKED = 3 * 5 + 3 * 7  # distinct scanned contents, summed over archives (see sharing_corpus)
DISTINCT = 7 + ARCHIVES  # the shared contents, and each archive's own index.js


def _store_with_corpus(store: Store, tmp_path: Path) -> None:
    feed, folder = tmp_path / "osv", tmp_path / "archives"
    folder.mkdir()
    for i, (name, archive) in enumerate(sharing_corpus(ARCHIVES)):
        write_json(feed / f"{i}.json", osv(f"MAL-{i}", f"sharer{i}", versions=["1.0.0"]))
        (folder / name).write_bytes(archive)
    assert ingest(store, "osv", [str(feed)]).ok
    assert register_local(store, cache_for(store.path), folder).registered == ARCHIVES


def _features(db: sqlite3.Connection) -> list[object]:
    """Everything stored of the analyses but when they were made."""
    tables = ("code_files", "code_imports", "code_dependencies", "code_iocs", "code_sketches")
    analyses = "SELECT * FROM code_analyses ORDER BY sha256"
    stored = [[row[:-1] for row in db.execute(analyses)]]
    for table in tables:
        stored.append(sorted(map(repr, db.execute(f"SELECT * FROM {table}"))))
    return stored


def test_a_second_run_takes_every_scan_from_the_store(store: Store, tmp_path: Path) -> None:
    _store_with_corpus(store, tmp_path)
    first = analyze_stored(store, cache_for(store.path), jobs=2)
    assert first.analyzed == ARCHIVES and first.by_status == {"ok": ARCHIVES}
    assert first.files_scanned + first.files_recalled == ASKED
    assert first.files_scanned >= DISTINCT and first.files_recalled > 0  # shared in the run
    assert file_scan_count(store.db) == DISTINCT
    stored = _features(store.db)
    assert stored[2]  # imports were found

    again = analyze_stored(store, cache_for(store.path), jobs=2, redo=True)
    assert (again.analyzed, again.files_scanned, again.files_recalled) == (ARCHIVES, 0, ASKED)
    assert _features(store.db) == stored
    assert file_scan_count(store.db) == DISTINCT


def test_the_summary_says_how_many_files_came_from_the_memo(store: Store, tmp_path: Path) -> None:
    _store_with_corpus(store, tmp_path)
    store.close()
    runner = CliRunner()
    first = runner.invoke(app, ["--db", str(store.path), "analyze", "-j", "1"])
    assert first.exit_code == 0, first.output
    # One process: every content met a second time is taken from its memory.
    summary = " ".join(first.output.split())
    assert "analysed 6 archive(s): 6 ok; files: 13 scanned, 23 from memo" in summary
    again = runner.invoke(app, ["--db", str(store.path), "analyze", "--redo", "-f", "json"])
    assert again.exit_code == 0, again.output
    numbers = json.loads(again.output)
    assert numbers["by_status"] == {"ok": ARCHIVES}
    assert numbers["files"] == {"scanned": 0, "from_memo": ASKED}


def test_damaged_rows_are_scanned_again_and_replaced(store: Store, tmp_path: Path) -> None:
    _store_with_corpus(store, tmp_path)
    analyze_stored(store, cache_for(store.path), jobs=1)
    stored = _features(store.db)
    with store.transaction() as db:
        db.execute("UPDATE file_scans SET scan = substr(scan, 1, length(scan) - 4)")
    again = analyze_stored(store, cache_for(store.path), jobs=1, redo=True)
    assert (again.files_scanned, again.files_recalled) == (DISTINCT, ASKED - DISTINCT)
    assert _features(store.db) == stored
    third = analyze_stored(store, cache_for(store.path), jobs=1, redo=True)
    assert (third.files_scanned, third.files_recalled) == (0, ASKED)  # the rows were replaced


def test_a_run_cut_short_leaves_no_scan_without_its_analysis(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_with_corpus(store, tmp_path)
    monkeypatch.setattr(analyze_code, "COMMIT_EVERY", 2)

    def interrupt(done: int, _total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze_stored(store, cache_for(store.path), jobs=1, progress=interrupt)
    analysed = store.db.execute("SELECT count(*) FROM code_analyses").fetchone()[0]
    assert analysed == 4  # two transactions of two
    scanned = "SELECT file_sha256 FROM code_files WHERE path NOT LIKE '%package.json'"
    in_analyses = {sha for (sha,) in store.db.execute(scanned)}
    scans = {sha for (sha,) in store.db.execute("SELECT sha256 FROM file_scans")}
    # The fifth archive's files were scanned before the cut; its own index.js is not stored.
    assert scans == in_analyses and file_scan_count(store.db) < DISTINCT
