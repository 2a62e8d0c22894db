"""`analyze --scheduler` on clusters set up as operators do: workers with several threads,
workers of another malgraph version, folders named relative to the client's working folder,
and a results folder holding files of the operator's own."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client

from malgraph.artifacts.cache import cache_for
from malgraph.core.code import ANALYZER_VERSION
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.distributed.analyze import ClusterRun, analyze_on_cluster, results_url
from malgraph.pipeline.distributed.partitions import ResultsFolder, results_of
from malgraph.pipeline.distributed.worker import Batch, analyze_at, analyze_batch
from malgraph.store import Store
from tests.distributed.cli_run import analyze_cli
from tests.distributed.corpus import copy_store, corpus_store
from tests.distributed.loopback import loopback_cluster
from tests.distributed.stored_code import stored_code
from tests.inert_packages import tar_gz

SMALL = 40
SOURCE = Path(__file__).resolve().parents[2] / "src" / "malgraph"
OTHER_VERSION = ANALYZER_VERSION + 1


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """An unanalysed store of SMALL archives, and the rows the local path stores for it."""
    folder = tmp_path_factory.mktemp("small")
    path = corpus_store(folder / "corpus" / "c.db", SMALL)
    local = copy_store(path, folder / "local" / "c.db")
    with Store(local) as store:
        analyze_stored(store, cache_for(local), jobs=1)
        return path, stored_code(store)


def _large_archives(folder: Path, count: int) -> list[tuple[str, tuple[str, ...]]]:
    """Archives of one large inert Python file each, full of hints: their scans take long
    enough that a worker's two threads scan at the same time."""
    folder.mkdir()
    tasks = []
    for index in range(count):
        line = f"x{index} = eval(exec('http://h{index}.example.invalid/p')) # base64 {index}\n"
        data = tar_gz({f"big{index}-1.0/big{index}/__init__.py": (line * 6000).encode()})
        (folder / f"big{index}.tar.gz").write_bytes(data)
        tasks.append((hashlib.sha256(data).hexdigest(), (str(folder / f"big{index}.tar.gz"),)))
    return tasks


def test_a_worker_with_two_threads_stores_what_the_local_path_stores(
    small: tuple[Path, object], tmp_path: Path
) -> None:
    """Tasks without retries first (a retry would hide a failed scan), then a whole run."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    tasks = _large_archives(tmp_path / "large", 12)
    results = (tmp_path / "large-results").as_uri()
    batches = [Batch(f"{n:04x}", (task,), results) for n, task in enumerate(tasks)]
    with (
        loopback_cluster(n_workers=1, threads_per_worker=2) as cluster,
        Client(cluster, set_as_default=False) as client,
        Store(path) as store,
    ):
        published = client.gather(client.map(analyze_batch, batches, retries=0, pure=False))
        assert published == [batch.id for batch in batches]
        run = ClusterRun(results_url(path, None, None), partition_size=5, temporary_results=True)
        summary = analyze_on_cluster(store, cache_for(path), client, run)
        assert summary.analyzed == SMALL
        assert stored_code(store) == local
    folder = ResultsFolder(results)
    for batch, (sha256, places) in zip(batches, tasks, strict=True):
        assert results_of(folder.read(batch.id)) == [analyze_at(sha256, places)]


def test_the_operators_own_files_in_the_results_folder_are_left_untouched(
    small: tuple[Path, object], scheduler: str, tmp_path: Path
) -> None:
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    results = Path(results_url(path, None, None).removeprefix("file://"))
    results.mkdir()
    own = results / "my-export.parquet"
    own.write_bytes(b"PAR1 the operator's own file PAR1")
    (results / ".malgraph-0a1b.parquet.partial-5eed").write_bytes(b"left by a killed worker")
    code, said = analyze_cli(path, scheduler)
    assert code == 0, said
    assert f"analysed {SMALL} archive(s)" in said and "memo" not in said  # workers keep none
    assert [p.name for p in results.iterdir()] == ["my-export.parquet"]
    assert own.read_bytes() == b"PAR1 the operator's own file PAR1"
    with Store(path) as store:
        assert stored_code(store) == local


def test_folders_named_relative_to_the_client_reach_the_workers(
    small: tuple[Path, object], scheduler: str, tmp_path: Path
) -> None:
    """The workers' working folder is not the client's: they get absolute URLs."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    code_root = cache_for(path).root
    options = ("--results", "out", "--archives-root", code_root.name)
    code, errors = analyze_cli(path, scheduler, *options, cwd=tmp_path)
    assert code == 0, errors
    assert (tmp_path / "out").is_dir() and not any((tmp_path / "out").iterdir())
    assert not (Path.cwd() / "out").exists()
    with Store(path) as store:
        assert stored_code(store) == local


class OtherWorker:
    """A worker process of another malgraph, on a scheduler of its own."""

    def __init__(self, address: str, process: subprocess.Popen[bytes]) -> None:
        self.address, self.process = address, process

    def stop(self) -> None:
        """Ends the worker, and with it any task it was still running."""
        if self.process.poll() is None:
            self.process.kill()  # not a graceful close: that waits for the task running
        self.process.wait(timeout=60)


@pytest.fixture
def other_version_worker(tmp_path: Path) -> Iterator[OtherWorker]:
    """A scheduler whose one worker runs another malgraph: a copy of this source with its
    analyzer version raised, first on the worker's path."""
    other = tmp_path / "other-malgraph"
    shutil.copytree(SOURCE, other / "malgraph", ignore=shutil.ignore_patterns("__pycache__"))
    versioned = other / "malgraph" / "core" / "code.py"
    text = versioned.read_text()
    changed = re.sub(r"(?m)^ANALYZER_VERSION = \d+", f"ANALYZER_VERSION = {OTHER_VERSION}", text)
    assert changed != text
    versioned.write_text(changed)
    with loopback_cluster(n_workers=0) as cluster:
        address = str(cluster.scheduler_address)
        command = [sys.executable, "-m", "distributed.cli.dask_worker", address]
        options = ["--nthreads", "1", "--no-nanny", "--host", "127.0.0.1", "--no-dashboard"]
        environment = {**os.environ, "PYTHONPATH": str(other)}
        process = subprocess.Popen([*command, *options], env=environment, stderr=subprocess.DEVNULL)
        worker = OtherWorker(address, process)
        try:
            with Client(address, set_as_default=False) as client:
                client.wait_for_workers(1, timeout=120)  # it compiles its copy first
                versions = client.run(
                    lambda: importlib.import_module("malgraph.core.code").ANALYZER_VERSION
                )
                assert list(versions.values()) == [OTHER_VERSION]
            yield worker
        finally:
            worker.stop()


def test_workers_of_another_analyzer_version_stop_the_run(
    small: tuple[Path, object], other_version_worker: OtherWorker, scheduler: str, tmp_path: Path
) -> None:
    """Their partition is refused with one line naming both versions, and kept; the next run,
    on matching workers, says it analyses those archives again and stores what the local
    path stores."""
    corpus, local = small
    path = copy_store(corpus, tmp_path / "c.db")
    code, errors = analyze_cli(path, other_version_worker.address)
    other_version_worker.stop()  # nothing of it written after this point
    assert code == 2
    assert f"workers run analyzer version {OTHER_VERSION}, this client {ANALYZER_VERSION}" in (
        errors
    )
    assert "Traceback" not in errors
    told = [line for line in errors.splitlines() if "analyzer version" in line]
    assert len(told) == 1 and str(ANALYZER_VERSION) in told[0]  # one line, both versions
    with Store(path) as store:
        assert stored_code(store)["code_analyses"] == []
    results = Path(results_url(path, None, None).removeprefix("file://"))
    assert any(p.name.startswith("malgraph-") for p in results.iterdir())
    code, errors = analyze_cli(path, scheduler)
    assert code == 0, errors
    assert f"earlier run by analyzer version {OTHER_VERSION}" in errors
    assert not results.exists()
    with Store(path) as store:
        assert stored_code(store) == local
