"""The worker's side without a cluster: archives read under the local path's cap, results
round-tripped through a Parquet partition, a partition published twice kept once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from malgraph.core.code import ANALYZER_VERSION
from malgraph.core.errors import InputError
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES, analyze_one
from malgraph.pipeline.distributed.analyze import results_url
from malgraph.pipeline.distributed.partitions import ResultsFolder, partition_table, results_of
from malgraph.pipeline.distributed.worker import Batch, analyze_at, analyze_batch
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
    batch = Batch("batch-1", tuple((sha, (str(path),)) for sha, path in places.items()), results)
    assert analyze_batch(batch) == analyze_batch(batch) == "batch-1"
    folder = ResultsFolder(results)
    assert folder.finished() == ["batch-1"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["batch-1.parquet"]
    assert [r.sha256 for r in results_of(folder.read("batch-1"))] == list(places)


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
