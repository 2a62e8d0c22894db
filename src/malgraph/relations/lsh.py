"""LSH banding over MinHash sketches: which pairs of streams to compare, verified by their
sketches' agreement, and which verified pairs to keep as edges, with numpy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from malgraph.relations.minhash import I64, U16, U64, constants, splitmix64

_WINDOW = 32  # buckets of up to 33 rows give all their pairs; larger ones are spanned
SPAN_REACH = 2  # a spanned bucket's member is compared with this many members before it


def band_keys(sketches: U16, band: int, rows: int) -> U64:
    """One band's key per row: the band's `rows` sketch values mixed into one word."""
    part = sketches[:, band * rows : (band + 1) * rows].astype(np.uint64)
    key = (part * constants(7, 3, rows)).sum(axis=1, dtype=np.uint64)
    return splitmix64(key + np.uint64(band))


def first_bands(sketches: U16, pairs: I64, bands: int, rows: int, chunk: int = 8192) -> I64:
    """The first band each pair shares (all its rows equal), or -1 when none is."""
    out = np.empty(pairs.shape[0], dtype=np.int64)
    for start in range(0, pairs.shape[0], chunk):
        a, b = pairs[start : start + chunk, 0], pairs[start : start + chunk, 1]
        out[start : start + chunk] = pair_first_bands(sketches[a], sketches[b], bands, rows)
    return out


def pair_first_bands(left: U16, right: U16, bands: int, rows: int) -> I64:
    """The first band each row of `left` shares with the same row of `right`, or -1."""
    same = (left[:, : bands * rows] == right[:, : bands * rows]).reshape(-1, bands, rows)
    banded = same.all(axis=2)
    return np.where(banded.any(axis=1), banded.argmax(axis=1), -1).astype(np.int64)


def choose_bands(permutations: int, threshold: float, target: float = 0.995) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest chance candidates) for which a pair at
    exactly `threshold` Jaccard still shares a band with probability >= `target`:
    1 - (1 - t**r)**b. At 256 permutations and 0.4 that is 85 bands of 3 rows (0.9964); 64 of
    4 rows would give 0.81. Fewer rows make more chance candidates: 128 permutations need 2
    rows at 0.4 (the README's Performance section has what that costs)."""
    best = (permutations, 1)
    for rows in range(1, permutations + 1):
        bands = permutations // rows
        if 1 - (1 - threshold**rows) ** bands >= target:
            best = (bands, rows)
    return best


def near_pairs(sketches: U16, bands: int, rows: int, agree: int) -> tuple[I64, I64]:
    """Pairs (i, j), i < j, sorted, of rows that share a band key and whose sketches agree at
    >= `agree` positions, as an (m, 2) array, with each pair's agreeing positions.

    A bucket of up to _WINDOW + 1 rows makes all its pairs candidates, verified in bulk. A
    larger one (thousands of near-copies of one campaign) would make m**2 / 2: its rows, in
    order, are verified against the one or two before them only, and only when not already
    joined through this or an earlier band's large buckets (union-find). That spans the bucket
    with about m pairs, where a star or a ladder per band adds pairs in every band whose bucket
    differs by a member (a ladder gave 4,193 pairs for 200 near-copies over 64 bands)."""
    n = sketches.shape[0]
    parent = np.arange(n)

    def agrees(a: int, b: int) -> bool:
        return int(np.count_nonzero(sketches[a] == sketches[b])) >= agree

    codes = np.zeros(0, dtype=np.int64)
    found: list[I64] = []
    pending = 0
    joined: list[int] = []
    for band in range(bands):
        key = band_keys(sketches, band, rows)
        order = np.argsort(key, kind="stable")
        ranked = key[order]
        starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
        lengths = np.diff(np.append(starts, n))
        large = lengths > _WINDOW + 1
        reach = np.repeat(np.where(large, 0, lengths - 1), lengths)
        for offset in range(1, int(reach.max(initial=0)) + 1):
            i = np.flatnonzero((reach[:-offset] >= offset) & (ranked[:-offset] == ranked[offset:]))
            found.append(_codes(order[i], order[i + offset], n))
            pending += i.size
        if pending > max(2**20, codes.size):  # a similar pair recurs in most bands: dedupe
            codes, found, pending = np.unique(np.concatenate([codes, *found])), [], 0
        for start, length in zip(starts[large].tolist(), lengths[large].tolist(), strict=True):
            span(np.sort(order[start : start + length]), parent, agrees, joined)
    codes = np.unique(np.concatenate([codes, *found, np.array(joined, dtype=np.int64)]))
    pairs = np.stack((codes // n, codes % n), axis=1)
    matches = agreements(sketches, pairs)
    keep = matches >= agree
    return pairs[keep], matches[keep]


def _root(parent: I64, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = int(parent[x])
    return x


def span(members: I64, parent: I64, agrees: Callable[[int, int], bool], joined: list[int]) -> None:
    """Joins a large bucket's members (ascending rows of `parent`'s n): each with the first of
    the previous SPAN_REACH it agrees with enough, unless they are joined already; appends the
    joined pairs' codes (a * n + b). Buckets must come in near_pairs' order (band, then key)."""
    roots = parent[members]
    while not np.array_equal(roots, parent[roots]):
        roots = parent[roots]
    if (roots == roots[0]).all():
        return  # one bucket of the same near-copies as in an earlier band
    n = parent.shape[0]
    rows = members.tolist()
    for i in range(1, len(rows)):
        for prev in rows[max(0, i - SPAN_REACH) : i][::-1]:
            a, b = _root(parent, prev), _root(parent, rows[i])
            if a == b:
                break
            if agrees(prev, rows[i]):
                parent[max(a, b)] = min(a, b)
                joined.append(prev * n + rows[i])
                break


def sparsify(pairs: I64, matches: I64, keep: int) -> npt.NDArray[np.bool_]:
    """Which pairs to keep as edges: each row's `keep` best (most agreeing, then lowest other
    row), plus a maximum spanning forest, so that components stay exactly as all pairs would
    make them while edges stay under (keep + 1) per row: 200 near-copies make 1,600 edges at
    most, not 19,900."""
    m = pairs.shape[0]
    kept = np.zeros(m, dtype=bool)
    if m == 0:
        return kept
    ends = np.concatenate((pairs[:, 0], pairs[:, 1]))
    others = np.concatenate((pairs[:, 1], pairs[:, 0]))
    order = np.lexsort((others, -np.concatenate((matches, matches)), ends))
    ranked = ends[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    rank = np.arange(2 * m) - np.repeat(starts, np.diff(np.append(starts, 2 * m)))
    kept[order[rank < keep] % m] = True
    parent = np.arange(int(pairs.max()) + 1)
    for i in np.lexsort((pairs[:, 1], pairs[:, 0], -matches)).tolist():  # Kruskal
        a, b = _root(parent, int(pairs[i, 0])), _root(parent, int(pairs[i, 1]))
        if a != b:
            parent[max(a, b)] = min(a, b)
            kept[i] = True
    return kept


def _codes(a: I64, b: I64, n: int) -> I64:
    return np.minimum(a, b) * n + np.maximum(a, b)


def agreements(sketches: U16, pairs: I64, chunk: int = 8192) -> I64:
    """Agreeing sketch positions of each pair: / permutations, the estimated Jaccard."""
    out = np.empty(pairs.shape[0], dtype=np.int64)
    for start in range(0, pairs.shape[0], chunk):
        a, b = pairs[start : start + chunk, 0], pairs[start : start + chunk, 1]
        out[start : start + chunk] = np.count_nonzero(sketches[a] == sketches[b], axis=1)
    return out


# The same candidates near_pairs finds, a partition at a time: banded() maps sketch rows to
# (band, key, row); once rows of equal (band, key) are in one partition, bucket_pairs() gives
# each small bucket's pairs and each large bucket's neighbour pairs; the caller verifies them
# all, then spans the large buckets in order (span) over the verified neighbour pairs.


def banded(rows: I64, sketches: U16, bands: int, per_band: int) -> tuple[I64, U64, I64]:
    """(band, key, row) of every row in every band: the rows to group into buckets."""
    keys = np.concatenate([band_keys(sketches, band, per_band) for band in range(bands)])
    band = np.repeat(np.arange(bands, dtype=np.int64), rows.shape[0])
    return band, keys, np.tile(rows, bands)


def bucket_pairs(band: I64, key: U64, row: I64) -> I64:
    """The candidate pairs of the buckets (rows of equal band and key) held here whole, as
    (m, 4) rows (a, b, band, key) with a < b: band -1 (and key 0) for a pair of a small bucket
    (all its pairs are candidates); else a pair of a large bucket's members at most SPAN_REACH
    apart in ascending rows, with the bucket's band and key (the key's bits as an int64)."""
    ranked = np.argsort(key)
    same = key[ranked[1:]] == key[ranked[:-1]]
    shared = ranked[np.concatenate(([False], same)) | np.concatenate((same, [False]))]
    # Only rows whose key recurs can share a bucket: most rows are alone in theirs.
    order = shared[np.lexsort((row[shared], key[shared], band[shared]))]
    band, key, row = band[order], key[order], row[order]
    n = row.shape[0]
    edge = np.concatenate(([True], (band[1:] != band[:-1]) | (key[1:] != key[:-1])))
    bucket = np.cumsum(edge)
    lengths = np.bincount(bucket)[bucket]  # each row's bucket size
    large = lengths > _WINDOW + 1
    reach = np.where(large, SPAN_REACH, lengths - 1)
    out = [np.zeros((0, 4), dtype=np.int64)]
    for offset in range(1, int(reach.max(initial=0)) + 1):
        i = np.flatnonzero(
            (reach[: n - offset] >= offset) & (bucket[: n - offset] == bucket[offset:])
        )
        big = large[i]
        bucket_band = np.where(big, band[i], -1)
        bucket_key = np.where(big, key[i].view(np.int64), 0)
        out.append(np.stack((row[i], row[i + offset], bucket_band, bucket_key), axis=1))
    return np.concatenate(out)


def spanned(n: int, large: I64, agreeing: I64) -> I64:
    """The codes (a * n + b) of the pairs near_pairs' spanning joins over n rows, from every
    large bucket's rows of bucket_pairs (band >= 0, gathered from all partitions) and the
    sorted codes of the candidate pairs whose sketches agree enough."""
    if large.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    buckets = large[:, 3].astype(np.uint64)
    large = large[np.lexsort((large[:, 1], large[:, 0], buckets, large[:, 2]))]
    buckets = large[:, 3].astype(np.uint64)
    edge = np.concatenate(([True], (large[1:, 2] != large[:-1, 2]) | (buckets[1:] != buckets[:-1])))
    starts = np.flatnonzero(edge).tolist()
    parent = np.arange(n)
    joined: list[int] = []

    def agrees(a: int, b: int) -> bool:
        at = int(np.searchsorted(agreeing, a * n + b))
        return at < agreeing.shape[0] and int(agreeing[at]) == a * n + b

    for start, end in zip(starts, [*starts[1:], large.shape[0]], strict=True):
        span(np.unique(large[start:end, :2]), parent, agrees, joined)
    return np.array(joined, dtype=np.int64)
