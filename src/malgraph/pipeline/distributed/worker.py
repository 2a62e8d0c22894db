"""What a Dask worker runs for one batch of archives: read each through fsspec under the local
path's cap, check its hash, analyse and sketch it with the local path's functions, and
publish the batch's partition. Archives are only read: nothing is unpacked or run."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from malgraph.analysis.analyze import analyze_archive
from malgraph.core.code import Analysis
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.kinds import AnalysisStatus
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES
from malgraph.pipeline.distributed.partitions import ArchiveResult, ResultsFolder, partition_table
from malgraph.relations.similar import analysed_item, default_sketcher, item_sketch

TOO_LARGE = f"archive over {MAX_ARCHIVE_BYTES >> 20} MiB, not read"  # as the local path says


class Batch(NamedTuple):
    """Archives analysed by one task: their sha256 and every place (path or fsspec URL) a
    worker may find them, and the results folder its partition goes to."""

    id: str
    tasks: tuple[tuple[str, tuple[str, ...]], ...]
    results: str


def analyze_batch(batch: Batch) -> str:
    """The task Dask runs: publish the batch's partition under its id and return the id. Run
    twice (its worker killed), it publishes the same partition under the same name."""
    results = [analyze_at(sha256, places) for sha256, places in batch.tasks]
    ResultsFolder(batch.results).publish(batch.id, partition_table(results))
    return batch.id


def analyze_at(sha256: str, places: tuple[str, ...]) -> ArchiveResult:
    """The first copy whose content has the expected hash, analysed and sketched as the local
    path does (pipeline.analyze_code.analyze_one); None when no place holds it."""
    for place in places:
        try:
            data = read_capped(place)
        except OSError:
            continue
        if data is None:
            return ArchiveResult(
                sha256, Analysis(AnalysisStatus.UNREADABLE, None, TOO_LARGE, (), None), None
            )
        if hashlib.sha256(data).hexdigest() == sha256:
            analysis = analyze_archive(data, place.rstrip("/").rpartition("/")[2])
            return ArchiveResult(sha256, analysis, sketch_of(sha256, analysis))
    return ArchiveResult(sha256, None, None)


def read_capped(place: str) -> bytes | None:
    """The bytes at `place`, None when over the cap; OSError when there is no such file."""
    # fsspec comes with the optional dask extra: only distributed runs load it.
    from fsspec.core import url_to_fs  # noqa: PLC0415

    fs, path = url_to_fs(place)
    if not fs.isfile(path):
        raise FileNotFoundError(place)
    size = fs.size(path)  # None where the server does not say (HTTP without a length)
    if size is not None and size > MAX_ARCHIVE_BYTES:
        return None
    with fs.open(path, "rb") as source:
        data = source.read(MAX_ARCHIVE_BYTES + 1)  # the cap holds if the file grew meanwhile
    return None if len(data) > MAX_ARCHIVE_BYTES else bytes(data)


def sketch_of(sha256: str, analysis: Analysis) -> CodeSketchRow | None:
    """The sketch the local path stores beside an analysis (none for unreadable archives)."""
    if analysis.features is None or analysis.status is AnalysisStatus.UNREADABLE:
        return None
    return item_sketch(analysed_item(sha256, analysis.features), default_sketcher())
