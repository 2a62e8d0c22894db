"""What the workers reach and what the client merges: a store named relative to the client's
working folder, a download URL recorded as an archive's place, workers that join mid-run,
and a results folder shared by two stores."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, Scheduler
from distributed.diagnostics.plugin import SchedulerPlugin

from malgraph.artifacts.cache import cache_for
from malgraph.core.dates import now_utc
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.distributed.analyze import (
    ClusterRun,
    analyze_on_cluster,
    location_url,
    results_url,
    worker_paths,
)
from malgraph.pipeline.distributed.worker import Batch, analyze_batch
from malgraph.store import Store
from malgraph.store.code import add_artifact
from malgraph.store.read.code import find_version
from tests.distributed.cli_run import analyze_cli
from tests.distributed.corpus import copy_store, corpus_store
from tests.distributed.loopback import loopback_cluster
from tests.distributed.stored_code import stored_code
from tests.inert_packages import tar_gz

SMALL = 20


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """An unanalysed store of SMALL archives whose recorded places are gone (only the cache
    holds them), and the rows the local path stores for it."""
    folder = tmp_path_factory.mktemp("reach")
    path = corpus_store(folder / "corpus" / "c.db", SMALL)
    shutil.rmtree(path.parent / "inputs")
    local = copy_store(path, folder / "local" / "c.db")
    with Store(local) as store:
        analyze_stored(store, cache_for(local), jobs=1)
        return path, stored_code(store)


def test_a_store_named_relative_to_the_client_is_found_by_the_workers(
    small: tuple[Path, Any], scheduler: str, tmp_path: Path
) -> None:
    """The default `--db malgraph.db` is relative: the workers, in another working folder,
    get the cache's absolute paths."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    code, said = analyze_cli(Path(path.name), scheduler, cwd=tmp_path)
    assert code == 0, said
    assert f"analysed {SMALL} archive(s)" in said and "not found" not in said
    with Store(path) as store:
        assert stored_code(store) == local


class CountingServer:
    """An HTTP server on the loopback that serves one archive and records every request."""

    def __init__(self, data: bytes) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(f"GET {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self) -> None:
                requests.append(f"HEAD {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/packages/p-1.0.tar.gz"


@pytest.fixture
def registry() -> Iterator[CountingServer]:
    data = tar_gz({"p-1.0/p/__init__.py": b"print('inert')\n"})
    server = CountingServer(data)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_a_recorded_download_url_is_never_fetched_by_the_workers(
    small: tuple[Path, Any], scheduler: str, registry: CountingServer, tmp_path: Path
) -> None:
    """`fetch` records the registry's URL as a place; its cache copy gone, the archive is
    not found where recorded, as on the local path, and nothing is requested."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    served = tar_gz({"p-1.0/p/__init__.py": b"print('inert')\n"})
    with Store(path) as store:
        version = find_version(store.db, "PyPI", "gen00001", "1.0")
        assert version is not None
        with store.transaction() as db:
            sha256 = hashlib.sha256(served).hexdigest()
            add_artifact(db, version, "pypi", sha256, registry.url, "registry", now_utc())
    assert worker_paths(("/cache/ab/abc", registry.url, "rel/p.tgz")) == (
        "/cache/ab/abc",
        str(Path("rel/p.tgz").absolute()),
    )
    code, said = analyze_cli(path, scheduler)
    assert code == 0, said
    assert f"analysed {SMALL} archive(s)" in said
    assert "1 archive(s) not found where recorded" in said
    assert registry.requests == []
    with Store(path) as store:
        assert stored_code(store) == local


class InFlight(SchedulerPlugin):
    """Records the most tasks the scheduler held unfinished at once, and the workers that
    ran them."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.unfinished: set[Any] = set()
        self.peak = 0
        self.workers: set[str] = set()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish in ("waiting", "queued", "no-worker", "processing"):
            self.unfinished.add(key)
        else:
            self.unfinished.discard(key)
        self.peak = max(self.peak, len(self.unfinished))
        task = self.scheduler.tasks.get(key)
        if finish == "processing" and task is not None and task.processing_on is not None:
            self.workers.add(task.processing_on.address)


def test_a_worker_that_joins_after_the_start_gets_tasks(
    small: tuple[Path, Any], tmp_path: Path
) -> None:
    """One thread at the start: four tasks in flight. A second worker joins once the first
    partition is merged; the tasks in flight are counted again, so more run at once and the
    newcomer runs some of them."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    with (
        loopback_cluster(n_workers=1, threads_per_worker=1) as cluster,
        Client(cluster, set_as_default=False) as client,
        Store(path) as store,
    ):
        client.wait_for_workers(1, timeout=120)
        first = set(client.nthreads())
        watch = InFlight(cluster.scheduler)
        cluster.scheduler.add_plugin(watch)

        def grow(done: int, _total: int) -> None:
            if len(cluster.workers) == 1:  # the first merge: add a worker, wait for it
                assert done < SMALL
                cluster.scale(2)
                client.wait_for_workers(2, timeout=120)

        run = ClusterRun(results_url(path, None, None), partition_size=1, temporary_results=True)
        summary = analyze_on_cluster(store, cache_for(path), client, run, progress=grow)
        assert summary.analyzed == SMALL
        assert stored_code(store) == local
    assert watch.peak > 4  # BATCHES_PER_THREAD for the one thread there at the start
    assert watch.workers - first  # the newcomer ran tasks


def _other_archives(folder: Path, count: int) -> list[tuple[str, tuple[str, ...]]]:
    folder.mkdir()
    tasks: list[tuple[str, tuple[str, ...]]] = []
    for index in range(count):
        data = tar_gz({f"other{index}-1.0/other{index}/__init__.py": f"x = {index}\n".encode()})
        (folder / f"other{index}.tar.gz").write_bytes(data)
        tasks.append((hashlib.sha256(data).hexdigest(), (str(folder / f"other{index}.tar.gz"),)))
    return tasks


def test_two_stores_on_one_results_folder_merge_only_their_own(
    small: tuple[Path, Any], scheduler: str, tmp_path: Path
) -> None:
    """Store B's stopped run left a partition of archives store A does not hold: A's run
    neither merges nor removes it, and says so; B's next run merges it."""
    corpus, local = small
    store_a = copy_store(corpus, tmp_path / "a" / "c.db")
    store_b = copy_store(corpus, tmp_path / "b" / "c.db")
    others = _other_archives(tmp_path / "b-archives", 3)
    with Store(store_b) as store:
        version = find_version(store.db, "PyPI", "gen00001", "1.0")
        assert version is not None
        with store.transaction() as db:
            for sha256, (place,) in others:
                add_artifact(db, version, "pypi", sha256, place, "local", now_utc())
    results = tmp_path / "shared-results"
    analyze_batch(Batch("b0b0", tuple(others), location_url(str(results))))
    left = sorted(p.name for p in results.iterdir())

    code, said = analyze_cli(store_a, scheduler, "--results", str(results))
    assert code == 0, said
    assert f"analysed {SMALL} archive(s)" in said
    assert "hold archives this store does not" in said
    assert sorted(p.name for p in results.iterdir()) == left
    with Store(store_a) as store:
        assert stored_code(store) == local

    code, said = analyze_cli(store_b, scheduler, "--results", str(results))
    assert code == 0, said
    assert f"analysed {SMALL + len(others)} archive(s)" in said
    assert not list(results.iterdir())
    with Store(store_b) as store:
        analysed = {row[0] for row in stored_code(store)["code_analyses"]}
    assert {sha256 for sha256, _places in others} <= analysed


def test_a_results_folder_only_the_workers_reach_is_told_in_one_line(
    small: tuple[Path, Any], scheduler: str, tmp_path: Path
) -> None:
    """fsspec's memory file system is one a process: each worker writes to its own, the
    client sees none of it, as with a folder mounted on the workers alone."""
    corpus, _local = small
    path = copy_store(corpus, tmp_path / "c.db")
    code, said = analyze_cli(path, scheduler, "--results", "memory://not-shared")
    assert code == 2, said
    assert "memory://not-shared: the workers published their results there" in said
    assert "internal error" not in said and "Traceback" not in said


def test_an_archives_root_holding_nothing_is_named(
    small: tuple[Path, Any], scheduler: str, tmp_path: Path
) -> None:
    corpus, _local = small
    path = copy_store(corpus, tmp_path / "c.db")
    (tmp_path / "empty").mkdir()
    code, said = analyze_cli(path, scheduler, "--archives-root", str(tmp_path / "empty"))
    assert code == 0, said
    assert f"{SMALL} archive(s) not found where recorded" in said
    assert f"no archive was found under {(tmp_path / 'empty').as_uri()}" in " ".join(said.split())
