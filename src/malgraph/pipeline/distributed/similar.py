"""`relate --kinds similar --scheduler`: the similar relation with its near-duplicate search on a
`dask.distributed` cluster, giving the same edges and families as the local run.

The client reads the stored digests and sketches once, in key order: tiers 0-2 (identical
archives, files and streams) are digest groups it forms as the local run does, and each
distinct stream's sketch goes, in batches, to a Parquet partition of the work folder (an fsspec
URL every worker reaches). The workers then band the sketches, group the (band, key) rows into
buckets by a shuffle, make each bucket's candidate pairs, deduplicate them by a second shuffle,
and verify them against both sketches (two range-partitioned joins); only the verified pairs
and the few pairs of large buckets come back. No step holds every sketch in one place.

Spanning the large buckets (lsh.near_pairs) is one union-find threaded through the buckets in
band order, so it runs on the client over the verified pairs of those buckets' neighbours,
which is what the local run checks; the client then keeps each stream's best edges
(lsh.sparsify), names the families and writes, with the local run's functions.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from malgraph.pipeline.relate import SimilarSummary, refresh_sketches, store_similar
from malgraph.relations import lsh
from malgraph.relations.embedding import EmbeddingBackend
from malgraph.relations.minhash import I64, U16
from malgraph.relations.similar import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_THRESHOLD,
    SKETCH_METHOD,
    NearPairs,
    NearParameters,
    StoredSimilar,
    near_parameters,
)
from malgraph.store import Store
from malgraph.store.read import relations as read

if TYPE_CHECKING:
    from dask.dataframe import DataFrame
    from distributed import Client

# A sketch partition's rows: at most 50,000 sketches of 512 bytes (25 MB, one worker task's
# input), fewer when that leaves workers idle: PARTITIONS_PER_WORKER partitions each, but no
# partition under MIN_SKETCHES_PER_PARTITION rows (a task's fixed cost would dominate).
SKETCHES_PER_PARTITION = 50_000
MIN_SKETCHES_PER_PARTITION = 1_000
PARTITIONS_PER_WORKER = 4
# Banded rows (band, key, row: 24 bytes) a shuffle partition holds: 48 MB.
BANDED_ROWS_PER_PARTITION = 2_000_000
# A sketch travels as 64 little-endian uint64 columns: numeric Parquet and shuffles, no bytes.
WORDS = DEFAULT_PERMUTATIONS // 4
_WORD_COLUMNS = [f"w{j}" for j in range(WORDS)]
# Dask's peer-to-peer shuffle: workers exchange shards directly, spilling to their disks, so
# no shuffle step passes through the scheduler or the client.
SHUFFLE = "p2p"
STAGES = ("export", "buckets", "large buckets", "pairs", "verify")

Progress = Callable[[int, int], None]


def _words(sketches: Sequence[bytes]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """Stored sketches (uint16, little-endian) as rows of 64-bit words."""
    return np.frombuffer(b"".join(sketches), dtype="<u8").reshape(-1, WORDS).astype(np.uint64)


def _sketches(frame: pd.DataFrame, suffix: str = "") -> U16:
    """A frame's word columns back as the uint16 sketch matrix lsh works on."""
    words = frame[[c + suffix for c in _WORD_COLUMNS]].to_numpy(dtype=np.uint64)
    return np.ascontiguousarray(words.astype("<u8")).view("<u2").astype(np.uint16)


class SketchExport(AbstractContextManager["SketchExport"]):
    """Writes sketch rows 0, 1, 2, ... to Parquet partitions of `per_partition` rows in a
    folder of this run's own under `folder` (an fsspec URL), one partition at a time: runs
    sharing `folder` never read or remove one another's sketches."""

    def __init__(self, folder: str, per_partition: int = SKETCHES_PER_PARTITION) -> None:
        self.folder = f"{folder.rstrip('/')}/malgraph-similar-sketches-{uuid.uuid4().hex}"
        self.per_partition = per_partition
        self.paths: list[str] = []
        self.rows = 0
        self._pending: list[bytes] = []

    def add(self, sketch: bytes) -> None:
        self._pending.append(sketch)
        if len(self._pending) >= self.per_partition:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        words = _words(self._pending)
        rows = np.arange(self.rows, self.rows + words.shape[0], dtype=np.int64)
        table = pa.table({"row": rows, **{c: words[:, j] for j, c in enumerate(_WORD_COLUMNS)}})
        path = f"{self.folder}/part-{len(self.paths):05d}.parquet"
        with fsspec.open(path, "wb", auto_mkdir=True) as out:
            pq.write_table(table, out)
        self.paths.append(path)
        self.rows += words.shape[0]
        self._pending.clear()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self._flush()

    def clear(self) -> None:
        """Removes this run's folder and its partitions."""
        files, root = fsspec.core.url_to_fs(self.folder)
        if files.exists(root):
            files.rm(root, recursive=True)

    def divisions(self) -> tuple[int, ...]:
        """The row ranges of the partitions, as Dask divisions (the last one inclusive)."""
        starts = list(range(0, self.rows, self.per_partition))
        return (*starts, self.rows - 1)


def read_sketch_partition(path: str) -> pd.DataFrame:
    """One exported partition, indexed by row (runs on a worker)."""
    with fsspec.open(path, "rb") as source:
        return pq.read_table(source).to_pandas().set_index("row")


def banded_frame(part: pd.DataFrame, bands: int, rows: int) -> pd.DataFrame:
    band, key, row = lsh.banded(part.index.to_numpy(np.int64), _sketches(part), bands, rows)
    return pd.DataFrame({"band": band, "key": key, "row": row})


def candidate_frame(part: pd.DataFrame, n: int) -> pd.DataFrame:
    """The candidate pairs of the buckets in this partition (rows of n), a small bucket's pair
    once however many of its bands made it (fewer rows for the shuffle on the pair)."""
    found = lsh.bucket_pairs(
        part["band"].to_numpy(np.int64), part["key"].to_numpy(np.uint64), part["row"].to_numpy()
    )
    small = found[:, 2] < 0
    codes = np.unique(found[small, 0] * n + found[small, 1])
    once = pd.DataFrame({"a": codes // n, "b": codes % n, "band": -1, "key": 0})
    large = pd.DataFrame(found[~small], columns=["a", "b", "band", "key"])
    return pd.concat([once, large], ignore_index=True)


def unique_pairs(part: pd.DataFrame, n: int) -> pd.DataFrame:
    """Each candidate pair once, `small` when any band made it a small bucket's pair."""
    codes = part["a"].to_numpy(np.int64) * n + part["b"].to_numpy(np.int64)
    unique, inverse = np.unique(codes, return_inverse=True)
    small = np.zeros(unique.shape[0], dtype=bool)
    np.logical_or.at(small, inverse, part["band"].to_numpy() < 0)
    return pd.DataFrame({"a": unique // n, "b": unique % n, "small": small})


def verified_frame(part: pd.DataFrame, near: NearParameters) -> pd.DataFrame:
    """The pairs whose sketches (columns w*_a and w*_b) agree at >= near.agree positions."""
    left, right = _sketches(part, "_a"), _sketches(part, "_b")
    matches = np.count_nonzero(left == right, axis=1).astype(np.int64)
    keep = matches >= near.agree
    first = lsh.pair_first_bands(left[keep], right[keep], near.bands, near.rows)
    return pd.DataFrame(
        {
            "a": part["a"].to_numpy(np.int64)[keep],
            "b": part["b"].to_numpy(np.int64)[keep],
            "small": part["small"].to_numpy(bool)[keep],
            "matches": matches[keep],
            "first": first,
        }
    )


def _meta(**columns: Any) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


@dataclass
class NearSearch:
    """The near-duplicate candidate search over exported sketch partitions, one stage a
    method; each persists its result on the workers, so stages can be timed one by one."""

    client: Client
    export: SketchExport
    near: NearParameters
    stage_done: Callable[[str], None] = lambda stage: None
    _sketches: DataFrame | None = field(default=None, init=False)

    def sketches(self) -> DataFrame:
        # Dask is a heavy optional extra: loaded only by a run given --scheduler.
        import dask.dataframe as dd  # noqa: PLC0415

        if self._sketches is None:
            meta = _meta(**dict.fromkeys(_WORD_COLUMNS, np.uint64))
            meta.index = pd.Index([], dtype=np.int64, name="row")
            frame = dd.from_map(  # type: ignore[no-untyped-call]
                read_sketch_partition,
                self.export.paths,
                meta=meta,
                divisions=self.export.divisions(),
            )
            self._sketches = self.client.persist(frame)
        return self._sketches

    def candidates(self) -> DataFrame:
        """Band every sketch, gather each (band, key) bucket by a shuffle on the key, and
        make its candidate pairs."""
        banded = self.sketches().map_partitions(  # type: ignore[no-untyped-call]
            banded_frame,
            self.near.bands,
            self.near.rows,
            meta=_meta(band=np.int64, key=np.uint64, row=np.int64),
        )
        banded_rows = self.export.rows * self.near.bands
        parts = max(len(self.export.paths), math.ceil(banded_rows / BANDED_ROWS_PER_PARTITION))
        buckets = banded.shuffle(on="key", npartitions=parts, shuffle_method=SHUFFLE)
        found = buckets.map_partitions(
            candidate_frame,
            self.export.rows,
            meta=_meta(a=np.int64, b=np.int64, band=np.int64, key=np.int64),
        )
        return self._done("buckets", found)

    def large_buckets(self, candidates: DataFrame) -> I64:
        """The pairs of large buckets (to span on the client), as lsh.bucket_pairs rows."""
        large = self.client.compute(candidates[candidates["band"] >= 0]).result()
        self.stage_done("large buckets")
        rows: I64 = large[["a", "b", "band", "key"]].to_numpy(np.int64).reshape(-1, 4)
        return rows

    def pairs(self, candidates: DataFrame) -> DataFrame:
        """Each candidate pair once, by a shuffle on the pair."""
        n = self.export.rows
        coded = candidates.assign(code=candidates["a"] * n + candidates["b"])
        pairs = coded.shuffle(
            on="code", npartitions=len(self.export.paths), shuffle_method=SHUFFLE
        ).map_partitions(unique_pairs, n, meta=_meta(a=np.int64, b=np.int64, small=bool))
        return self._done("pairs", pairs)

    def verify(self, pairs: DataFrame) -> pd.DataFrame:
        """Join each pair with both sketches (pairs range-partitioned like the sketches, by
        one end then the other) and keep those that agree enough."""
        sketches, divisions = self.sketches(), self.export.divisions()
        by_a = pairs.set_index("a", drop=False, divisions=divisions, shuffle_method=SHUFFLE).merge(
            sketches.rename(columns={c: f"{c}_a" for c in _WORD_COLUMNS}),
            left_index=True,
            right_index=True,
        )
        by_b = by_a.set_index("b", drop=False, divisions=divisions, shuffle_method=SHUFFLE).merge(
            sketches.rename(columns={c: f"{c}_b" for c in _WORD_COLUMNS}),
            left_index=True,
            right_index=True,
        )
        meta = _meta(a=np.int64, b=np.int64, small=bool, matches=np.int64, first=np.int64)
        found = by_b.map_partitions(verified_frame, self.near, meta=meta)
        verified: pd.DataFrame = self.client.compute(found).result()
        self.stage_done("verify")
        return verified

    def _done(self, stage: str, frame: DataFrame) -> DataFrame:
        # Dask is a heavy optional extra: loaded only by a run given --scheduler.
        from distributed import wait  # noqa: PLC0415

        persisted: DataFrame = self.client.persist(frame)
        wait(persisted)
        self.stage_done(stage)
        return persisted

    def run(self) -> NearPairs:
        """Every verified near pair of the exported rows, as lsh.near_pairs gives them, with
        their agreements and first shared bands."""
        n = self.export.rows
        if n < 2:
            empty = np.zeros(0, dtype=np.int64)
            return NearPairs(np.zeros((0, 2), dtype=np.int64), empty, empty)
        # Dask's shuffles find the client to run on as the current one.
        with self.client.as_current():
            candidates = self.candidates()
            large = self.large_buckets(candidates)
            verified = self.verify(self.pairs(candidates)).sort_values(["a", "b"])
        a, b = verified["a"].to_numpy(np.int64), verified["b"].to_numpy(np.int64)
        joined = lsh.spanned(n, large, a * n + b)
        keep = verified["small"].to_numpy(bool) | np.isin(a * n + b, joined)
        return NearPairs(
            np.stack((a[keep], b[keep]), axis=1),
            verified["matches"].to_numpy(np.int64)[keep],
            verified["first"].to_numpy(np.int64)[keep],
        )


def partition_size(items: int, workers: int) -> int:
    """Sketches a partition: enough partitions to keep every worker busy, none too small."""
    wanted = math.ceil(items / max(1, workers * PARTITIONS_PER_WORKER))
    return max(MIN_SKETCHES_PER_PARTITION, min(SKETCHES_PER_PARTITION, wanted))


def refresh_similar_on_cluster(
    store: Store,
    client: Client,
    work: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: EmbeddingBackend | None = None,
    progress: Progress | None = None,
) -> SimilarSummary:
    """refresh_similar with the near-duplicate search on the cluster of `client`; `work` is a
    folder (fsspec URL) the client writes and every worker reads. `progress` counts the items
    exported, then one step per cluster stage."""
    refresh_sketches(store)
    total = read.code_item_count(store.db)
    steps = total + len(STAGES) - 1

    def report(done: int) -> None:
        if progress is not None:
            progress(done, steps)

    similar = StoredSimilar(threshold)
    size = partition_size(total, len(client.scheduler_info()["workers"]))
    with SketchExport(work, size) as export:
        for count, item in enumerate(read.stored_code_items(store.db, SKETCH_METHOD), 1):
            if similar.add(item):
                assert item.sketch is not None  # a representative has a stored sketch
                export.add(item.sketch)
            if count % 100 == 0:
                report(count)
    report(total)
    finished = iter(range(total + 1, steps + 1))
    search = NearSearch(
        client, export, near_parameters(threshold), lambda _: report(next(finished))
    )
    try:
        edges = similar.edges(search.run())
    finally:
        export.clear()
    return store_similar(store, similar.keys, edges, model)
