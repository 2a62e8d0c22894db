"""LSH banding: pairs from shared bands verified by agreement, near-linear pairs for huge
buckets, and the edges kept per stream."""

from __future__ import annotations

import numpy as np

from malgraph.relations.lsh import (
    agreements,
    banded,
    bucket_pairs,
    choose_bands,
    first_bands,
    near_pairs,
    spanned,
    sparsify,
)
from malgraph.relations.minhash import Sketcher
from tests.relations.code_samples import STREAM, exact


def test_bands_are_chosen_so_a_pair_at_the_threshold_is_a_candidate() -> None:
    assert choose_bands(128, 0.5) == (42, 3)
    for permutations, threshold in ((64, 0.4), (128, 0.6), (256, 0.5)):
        bands, rows = choose_bands(permutations, threshold)
        assert bands * rows <= permutations
        assert 1 - (1 - threshold**rows) ** bands >= 0.995


def test_rows_sharing_a_band_and_agreeing_enough_are_pairs() -> None:
    sketches = np.array(
        [
            [1, 1, 2, 2, 3, 3],
            [1, 1, 9, 9, 9, 9],
            [7, 7, 8, 8, 3, 3],
            [5, 5, 5, 5, 5, 5],
            [1, 6, 2, 6, 3, 6],
        ],
        dtype=np.uint16,
    )
    pairs, agree = near_pairs(sketches, 3, 2, 2)  # 3 bands of 2 rows; 2 positions must agree
    assert pairs.tolist() == [[0, 1], [0, 2]]  # 0 and 4 agree at 3 positions but in no band
    assert agree.tolist() == [2, 2]
    assert near_pairs(sketches, 3, 2, 3)[0].shape == (0, 2)
    assert near_pairs(sketches[:1], 3, 2, 1)[0].shape == (0, 2)


def test_a_huge_bucket_is_spanned_not_paired() -> None:
    same = np.zeros((1000, 16), dtype=np.uint16)  # one bucket in every band
    pairs, _ = near_pairs(same, 8, 2, 8)
    assert pairs.tolist() == [[i, i + 1] for i in range(999)]
    assert len(near_pairs(same[:33], 8, 2, 8)[0]) == 33 * 32 // 2  # small buckets: all pairs
    # Two kinds in one bucket: each row joins the previous row of its kind (one or two back).
    mixed = np.zeros((100, 16), dtype=np.uint16)
    mixed[1::2, 2:] = 7  # odd rows differ outside the first band
    pairs, _ = near_pairs(mixed, 8, 2, 8)
    assert len(pairs) == 98 and all(b - a == 2 for a, b in pairs.tolist())


def test_banding_and_verification_find_the_near_copy() -> None:
    sketcher = Sketcher(5, 128, 1)
    copy = [*STREAM[:100], "if", "I", ":", "I", "=", "N", *STREAM[100:]]
    unrelated = [*reversed(STREAM)]
    matrix = np.stack([sketcher.sketch(s) for s in (STREAM, copy, unrelated)])  # type: ignore[misc]
    pairs, agree = near_pairs(matrix, *choose_bands(128, 0.5), 64)
    assert pairs.tolist() == [[0, 1]]
    assert abs(agree[0] / 128 - exact(sketcher, STREAM, copy)) < 0.1


def test_sparsify_keeps_each_rows_best_pairs_and_the_components() -> None:
    # A clique of 12 rows (all pairs agree 100 - a - b) and one weak pair joining row 20.
    pairs = np.array([(a, b) for a in range(12) for b in range(a + 1, 12)] + [(11, 20)])
    matches = np.array([100 - a - b for a, b in pairs[:-1].tolist()] + [40])
    kept = sparsify(pairs, matches, 2)
    chosen = {tuple(p) for p in pairs[kept].tolist()}
    assert (0, 1) in chosen and (0, 2) in chosen and (11, 20) in chosen  # best, and the bridge
    assert (0, 11) in chosen and (1, 11) in chosen and (10, 11) not in chosen  # 11's 2 best
    assert len(chosen) <= 3 * 13
    assert len(chosen) < len(pairs)
    parent = list(range(21))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in chosen:
        parent[root(a)] = root(b)
    assert len({root(x) for x in (*range(12), 20)}) == 1


def test_the_first_shared_band_is_named() -> None:
    sketches = np.array(
        [[1, 2, 3, 4, 5, 6], [0, 2, 3, 4, 5, 6], [0, 0, 0, 0, 5, 6]], dtype=np.uint16
    )
    pairs = np.array([[0, 1], [0, 2], [1, 2]])
    # Bands of 2 rows: 0-1 share bands 1 and 2, 0-2 band 2, 1-2 band 2.
    assert first_bands(sketches, pairs, 3, 2).tolist() == [1, 2, 2]
    assert first_bands(sketches[:, ::-1].copy(), pairs, 3, 2).tolist() == [0, 0, 0]
    assert first_bands(sketches, np.array([[0, 2]]), 2, 2).tolist() == [-1]


def _planted(n: int) -> np.ndarray:
    """Random sketches with planted clusters of near-copies, one of 200 (large buckets)."""
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 65536, size=(n, 256), dtype=np.uint16)
    start = 0
    for size in [200, *rng.integers(2, 40, 40).tolist()]:
        seed = rows[start].copy()
        for i in range(start, start + size):
            rows[i] = np.where(rng.random(256) < rng.uniform(0.1, 0.5), rows[i], seed)
        start += size
    return rows[rng.permutation(n)]


def test_near_pairs_found_a_partition_at_a_time_are_the_same() -> None:
    """banded per sketch partition, bucket_pairs per key partition, then one verification and
    the large buckets spanned over the verified pairs: near_pairs' pairs, exactly."""
    sketches, n = _planted(2000), 2000
    bands, rows = choose_bands(256, 0.4)
    expected, matches = near_pairs(sketches, bands, rows, 103)
    parts = [banded(p, sketches[p], bands, rows) for p in np.array_split(np.arange(n), 3)]
    band, key, row = (np.concatenate([p[i] for p in parts]) for i in range(3))
    shard = (key % np.uint64(4)).astype(np.int64)
    found = np.concatenate(
        [bucket_pairs(band[shard == s], key[shard == s], row[shard == s]) for s in range(4)]
    )
    codes, inverse = np.unique(found[:, 0] * n + found[:, 1], return_inverse=True)
    small = np.zeros(codes.shape[0], dtype=bool)
    np.logical_or.at(small, inverse, found[:, 2] < 0)
    pairs = np.stack((codes // n, codes % n), axis=1)
    agree = agreements(sketches, pairs) >= 103
    joined = spanned(n, found[found[:, 2] >= 0], codes[agree])
    assert joined.size > 100 and (found[:, 2] >= 0).any()
    kept = agree & (small | np.isin(codes, joined))
    assert np.array_equal(pairs[kept], expected)
    assert np.array_equal(agreements(sketches, pairs[kept]), matches)
