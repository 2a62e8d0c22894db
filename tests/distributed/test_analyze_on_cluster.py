"""`analyze --scheduler` on a real LocalCluster of two worker processes: the same rows as the
local path, no archive lost or stored twice when a worker or the client is killed mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from malgraph.artifacts.cache import cache_for
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.distributed.analyze import ClusterRun, analyze_on_cluster, results_url
from malgraph.pipeline.distributed.worker import Batch, analyze_batch
from malgraph.store import Store
from malgraph.store.read.code import archives_to_analyze
from tests.distributed.corpus import copy_store, corpus_store, sample_store
from tests.distributed.stored_code import stored_code

CORPUS = 1200
Rows = dict[str, list[tuple[Any, ...]]]


class Analysed:
    """An unanalysed store, and the rows the local path stores for it."""

    def __init__(self, store: Path, local: Rows) -> None:
        self.store, self.local = store, local

    def copy(self, to: Path) -> Path:
        return copy_store(self.store, to / self.store.name)


def _analysed_locally(store_path: Path, scratch: Path) -> Analysed:
    local = copy_store(store_path, scratch / "local" / store_path.name)
    with Store(local) as store:
        analyze_stored(store, cache_for(store.path), jobs=1)
        return Analysed(store_path, stored_code(store))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    folder = tmp_path_factory.mktemp("corpus")
    return _analysed_locally(corpus_store(folder / "corpus" / "c.db", CORPUS), folder)


def _on_cluster(
    path: Path,
    scheduler: str,
    partition_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    redo: bool = False,
) -> tuple[Rows, int]:
    """Analyse the store on the cluster: its stored rows, and how many archives were analysed."""
    with Store(path) as store, Client(scheduler, set_as_default=False) as client:
        results = results_url(store.path, None, None)
        run = ClusterRun(results, partition_size=partition_size, temporary_results=True)
        summary = analyze_on_cluster(
            store, cache_for(path), client, run, redo=redo, progress=progress
        )
        return stored_code(store), summary.analyzed


def test_the_cluster_stores_what_the_local_path_stores(
    corpus: Analysed, scheduler: str, tmp_path: Path
) -> None:
    path = corpus.copy(tmp_path)
    seen: list[tuple[int, int]] = []
    rows, analysed = _on_cluster(path, scheduler, progress=lambda *done: seen.append(done))
    assert analysed == CORPUS and len(rows["code_analyses"]) == CORPUS
    assert rows == corpus.local
    assert seen[-1] == (CORPUS, CORPUS)  # progress reached the end
    assert not Path(results_url(path, None, None).removeprefix("file://")).exists()
    assert _on_cluster(path, scheduler)[1] == 0  # nothing left to analyse


def test_the_bundled_sample_holds_no_archive_and_leaves_nothing(
    scheduler: str, tmp_path: Path
) -> None:
    path = sample_store(tmp_path / "sample" / "sample.db")
    local = _analysed_locally(path, tmp_path).local
    rows, analysed = _on_cluster(path, scheduler)
    assert analysed == 0 and rows == local


def test_a_worker_killed_mid_run_loses_no_archive_and_stores_none_twice(
    corpus: Analysed, dask_cluster: LocalCluster, scheduler: str, tmp_path: Path
) -> None:
    path = corpus.copy(tmp_path)
    with Client(scheduler, set_as_default=False) as client:
        pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_one_worker(done: int, total: int) -> None:
        if not killed:  # after the first partition is merged, others still running
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)

    rows, _ = _on_cluster(path, scheduler, partition_size=25, progress=kill_one_worker)
    assert killed
    with Client(scheduler, set_as_default=False) as client:
        assert killed[0] not in client.run(os.getpid).values()  # a new worker took its place
    assert len(rows["code_analyses"]) == len({row[0] for row in rows["code_analyses"]}) == CORPUS
    assert rows == corpus.local


def _analysed_count(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM code_analyses").fetchone()[0])


def _cli(path: Path, scheduler: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "malgraph", "--db", str(path), "analyze"]
    options = ["--scheduler", scheduler, "--partition-size", "20"]
    return subprocess.Popen([*command, *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_until_idle(scheduler: str) -> None:
    """Until the tasks the killed client left have finished or been forgotten."""
    with Client(scheduler, set_as_default=False) as client:
        while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
            time.sleep(0.2)


def test_a_killed_client_is_resumed_by_running_the_command_again(
    corpus: Analysed, scheduler: str, tmp_path: Path
) -> None:
    path = corpus.copy(tmp_path)
    first = _cli(path, scheduler)
    while _analysed_count(path) == 0 and first.poll() is None:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stopped_at = _analysed_count(path)
    assert 0 < stopped_at < CORPUS
    _wait_until_idle(scheduler)
    second = _cli(path, scheduler)
    _, errors = second.communicate(timeout=600)
    assert second.returncode == 0, errors.decode()
    with Store(path) as store:
        assert stored_code(store) == corpus.local


def test_partitions_left_by_a_stopped_client_are_merged_first(
    corpus: Analysed, scheduler: str, tmp_path: Path
) -> None:
    """As a client killed after its workers published, before it merged: the next run merges
    those partitions, then analyses only the rest."""
    path = corpus.copy(tmp_path)
    with Store(path) as store:
        left = archives_to_analyze(store.db)[:150]
    results = results_url(path, None, None)
    tasks = tuple((sha, (str(cache_for(path).path(sha)),)) for sha, _places in left)
    analyze_batch(Batch("1ef7", tasks, results))  # left by a stopped client
    seen: list[tuple[int, int]] = []
    rows, analysed = _on_cluster(path, scheduler, progress=lambda *done: seen.append(done))
    assert analysed == CORPUS and seen[-1] == (CORPUS - 150, CORPUS - 150)
    assert rows == corpus.local


def test_a_redo_run_resumed_does_not_redo_what_its_partitions_held(
    corpus: Analysed, scheduler: str, tmp_path: Path
) -> None:
    """A --redo run killed after its workers published some partitions: run again with
    --redo, it merges them and redoes only the rest, each archive once."""
    path = corpus.copy(tmp_path)
    with Store(path) as store:
        analyze_stored(store, cache_for(path), jobs=1)
        left = archives_to_analyze(store.db, redo=True)[:150]
    results = results_url(path, None, None)
    tasks = tuple((sha, (str(cache_for(path).path(sha)),)) for sha, _places in left)
    analyze_batch(Batch("2ef7", tasks, results))  # left by the killed --redo run
    seen: list[tuple[int, int]] = []
    rows, analysed = _on_cluster(
        path, scheduler, progress=lambda *done: seen.append(done), redo=True
    )
    assert analysed == CORPUS and seen[-1] == (CORPUS - 150, CORPUS - 150)
    assert rows == corpus.local
