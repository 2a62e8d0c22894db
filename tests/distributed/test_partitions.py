"""The worker's side without a cluster: archives read under the local path's cap, results
round-tripped through a Parquet partition, a partition published twice kept once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from malgraph.core.code import ANALYZER_VERSION
from malgraph.core.errors import InputError
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES, analyze_one
from malgraph.pipeline.distributed.analyze import (
    ClusterSummary,
    location_url,
    merge_partition,
    results_url,
    task_key,
)
from malgraph.pipeline.distributed.partitions import ResultsFolder, partition_table, results_of
from malgraph.pipeline.distributed.worker import Batch, analyze_at, analyze_batch, read_capped
from malgraph.pipeline.store import open_store
from tests.inert_packages import npm_package, sdist


def _archives(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    places = {}
    for name, data in (("a.tgz", npm_package("a", "1.0.0")), ("b.tar.gz", sdist("b", "1.0"))):
        (folder / name).write_bytes(data)
        places[hashlib.sha256(data).hexdigest()] = folder / name
    return places


def test_a_worker_finds_what_the_local_path_finds(tmp_path: Path) -> None:
    places = _archives(tmp_path / "archives")
    huge = tmp_path / "huge.tgz"
    with huge.open("wb") as sparse:
        sparse.truncate(MAX_ARCHIVE_BYTES + 1)  # over the cap, without writing 64 MiB
    tasks = [(sha, [str(tmp_path / "gone"), str(path)]) for sha, path in places.items()]
    tasks += [("0" * 64, [str(huge)]), ("1" * 64, [str(tmp_path / "gone")])]
    for sha256, where in tasks:
        local = analyze_one((sha256, where))
        at = analyze_at(sha256, tuple(Path(p).as_uri() for p in where))
        assert tuple(at) == (local.sha256, local.analysis, local.sketch)


def test_a_partition_holds_the_same_typed_results(tmp_path: Path) -> None:
    places = _archives(tmp_path / "archives")
    found = [analyze_at(sha, (str(path),)) for sha, path in places.items()]
    found.append(analyze_at("2" * 64, ()))
    assert found[0].analysis is not None and found[0].analysis.features is not None
    assert results_of(partition_table(found)) == found


def test_a_batch_run_twice_leaves_one_partition(tmp_path: Path) -> None:
    places = _archives(tmp_path / "archives")
    results = (tmp_path / "results").as_uri()
    batch = Batch("ba7c41", tuple((sha, (str(path),)) for sha, path in places.items()), results)
    assert analyze_batch(batch) == analyze_batch(batch) == "ba7c41"
    folder = ResultsFolder(results)
    assert folder.finished() == ["ba7c41"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["malgraph-ba7c41.parquet"]
    assert [r.sha256 for r in results_of(folder.read("ba7c41"))] == list(places)


def test_results_beside_the_store_only_when_the_file_system_is_shared(tmp_path: Path) -> None:
    store = tmp_path / "m.db"
    assert results_url(store, None, None) == (tmp_path / "m.db.dask-results").as_uri()
    assert results_url(store, "file:///mnt/archives", None).endswith("/m.db.dask-results")
    assert results_url(store, "s3://bucket/code", "s3://bucket/results") == "s3://bucket/results"
    with pytest.raises(InputError, match="--results"):
        results_url(store, "s3://bucket/code", None)


def test_rows_of_another_analyzer_version_are_left_to_analyse_again(tmp_path: Path) -> None:
    places = _archives(tmp_path / "archives")
    found = [analyze_at(sha, (str(path),)) for sha, path in places.items()]
    table = partition_table(found)
    older = table.set_column(1, "analyzer", pa.array([ANALYZER_VERSION - 1, ANALYZER_VERSION]))
    assert results_of(older) == found[1:]


def test_only_files_of_our_name_pattern_are_partitions(tmp_path: Path) -> None:
    places = _archives(tmp_path / "archives")
    folder = ResultsFolder((tmp_path / "results").as_uri())
    folder.publish(
        "0a1b", partition_table([analyze_at(sha, (str(p),)) for sha, p in places.items()])
    )
    own = {
        "export.parquet": b"PAR1 the operator's own",
        "malgraph-notes.parquet": b"not hex",
        "0a1b.parquet": b"no prefix",
    }
    for name, data in own.items():
        (tmp_path / "results" / name).write_bytes(data)
    stale = tmp_path / "results" / ".malgraph-0a1b.parquet.partial-5eed"
    stale.write_bytes(b"left by a killed worker")
    assert folder.finished() == ["0a1b"]
    folder.remove_partials()
    folder.remove("0a1b")
    folder.remove_if_empty()
    assert {p.name: p.read_bytes() for p in (tmp_path / "results").iterdir()} == own


def test_a_file_of_our_pattern_with_other_columns_is_refused_and_kept(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    other = pa.table({"name": ["x", "y"], "count": [1, 2]})
    pq.write_table(other, results / "malgraph-0ff1ce.parquet")
    (results / "malgraph-0ddba11.parquet").write_bytes(b"not Parquet at all")
    folder = ResultsFolder(results.as_uri())
    assert folder.finished() == ["0ddba11", "0ff1ce"]
    for batch_id in folder.finished():
        with pytest.raises(InputError, match=f"malgraph-{batch_id}.parquet: named as a malgraph"):
            folder.read(batch_id)
    assert pq.read_table(results / "malgraph-0ff1ce.parquet") == other


def test_a_relative_folder_is_sent_to_workers_as_an_absolute_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert location_url("results") == (tmp_path / "results").as_uri()
    assert location_url("s3://bucket/results") == "s3://bucket/results"
    assert results_url(tmp_path / "m.db", None, "out") == (tmp_path / "out").as_uri()
    beside = (tmp_path / "m.db.dask-results").as_uri()
    assert results_url(tmp_path / "m.db", "code", None) == beside  # a local root is shared


class _NoLengthFileSystem(MemoryFileSystem):
    """A server that does not say how long a file is (HTTP without Content-Length)."""

    protocol = "nolength"

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.removeprefix("nolength://")))

    def size(self, path: str) -> None:
        return None


def test_an_archive_of_unknown_length_is_still_read_under_the_cap() -> None:
    fsspec.register_implementation("nolength", _NoLengthFileSystem, clobber=True)
    files = _NoLengthFileSystem()
    files.pipe("/small.tgz", b"small")
    with files.open("/huge.tgz", "wb") as huge:
        for _ in range(MAX_ARCHIVE_BYTES >> 20):
            huge.write(bytes(1 << 20))
        huge.write(b"!")
    assert read_capped("nolength:///small.tgz") == b"small"
    assert read_capped("nolength:///huge.tgz") is None
    files.rm(["/small.tgz", "/huge.tgz"])


def test_a_batch_of_two_results_folders_has_two_task_keys(tmp_path: Path) -> None:
    """The scheduler runs one task per key: two stores of the same archives on one scheduler
    must not share a task, or one store's partition goes to the other's folder."""
    tasks = (("a" * 64, ("/x/a.tgz",)),)
    mine, again = (Batch("ab12", tasks, (tmp_path / "r1").as_uri()) for _ in range(2))
    theirs = Batch("ab12", tasks, (tmp_path / "r2").as_uri())
    assert task_key(mine) == task_key(again)
    assert task_key(mine) != task_key(theirs)


def test_a_partition_another_run_took_is_told_and_an_unseen_folder_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "results").mkdir()
    summary = ClusterSummary()
    with open_store(tmp_path / "m.db") as store:
        taken = ResultsFolder((tmp_path / "results").as_uri())
        assert merge_partition(store, taken, "ab12", summary) == 0
        assert any("another run sharing" in notice for notice in summary.notices)
        unseen = ResultsFolder((tmp_path / "elsewhere").as_uri())
        with pytest.raises(InputError, match="does not see them"):
            merge_partition(store, unseen, "ab12", summary)
