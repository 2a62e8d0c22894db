"""MinHash sketches of normalised token streams, vectorised with numpy: the input of the
near-duplicate tier of the similar relation (banding is in relations/lsh.py).

A sketch is one-permutation hashing (OPH) with optimal densification (Shrivastava, ICML 2017):
every k-shingle is hashed once, the hash picks one of `permutations` bins and the sketch keeps
each bin's minimum; an empty bin copies the bin that a fixed probe sequence reaches first. Two
sketches agree at a position with probability equal to the Jaccard index of the shingle sets,
as with classic MinHash, but the cost is one hash per shingle instead of one per shingle and
permutation. That is why datasketch (classic MinHash) is not a dependency; benchmarks/similar.py
compares the two on the same shingle hashes.

Everything is a fixed function of the tokens and the seed: blake2b for token ids, splitmix64
for mixing; no Python `hash()` (salted per process) and no numpy random streams (not promised
stable across numpy versions), so sketches and edges are the same on every run and platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U16 = npt.NDArray[np.uint16]
I64 = npt.NDArray[np.int64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PROBES = 32  # probe columns precomputed per bin; sparser sketches continue one column at a time


def splitmix64(x: U64) -> U64:
    """The splitmix64 finaliser, elementwise: a fixed bijective mix of 64-bit words."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def constants(seed: int, salt: int, count: int) -> U64:
    """`count` odd 64-bit words fixed by (seed, salt)."""
    base = np.uint64((seed * 0x100000001B3 + salt * 0x1F3D5B79) & (2**64 - 1))
    return splitmix64(np.arange(count, dtype=np.uint64) + base) | np.uint64(1)


class TokenIds(dict[str, int]):
    """Token -> 64-bit id (blake2b), computed once per distinct token: streams have a few
    hundred distinct tokens (keywords, operators, API names, I/S/N) however long they are. A
    hostile stream can hold any character as an operator, and one sketcher serves a whole
    process, so past MAX_TOKENS the table starts again (ids are a fixed function of the token:
    nothing changes but the time)."""

    MAX_TOKENS = 100_000

    def __missing__(self, token: str) -> int:
        if len(self) >= self.MAX_TOKENS:
            self.clear()
        digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8)
        value = int.from_bytes(digest.digest(), "little")
        self[token] = value
        return value


class Sketcher:
    """Sketches for one (shingle, permutations, seed): the constants and probe table are
    built once and shared by every stream."""

    def __init__(self, shingle: int, permutations: int, seed: int) -> None:
        if shingle < 1 or not 1 <= permutations <= 4096:
            raise ValueError("shingle must be >= 1 and permutations in 1..4096")
        self.shingle, self.permutations, self.seed = shingle, permutations, seed
        self.ids = TokenIds()
        self._weights = constants(seed, 1, shingle)
        self._salt = constants(seed, 2, 1)[0]
        self._probes = self._probe(np.arange(permutations, dtype=np.uint64), _PROBES)

    def _probe(self, bins: U64, count: int, start: int = 0) -> I64:
        """Probe sequence of each bin: columns start..start+count-1, each a bin number."""
        steps = np.arange(start, start + count, dtype=np.uint64)
        mixed = splitmix64(splitmix64(bins[:, None] * np.uint64(0x10001) + self._salt) ^ steps)
        return ((mixed >> np.uint64(32)) * np.uint64(self.permutations) >> np.uint64(32)).astype(
            np.int64
        )

    def shingles(self, tokens: Sequence[str]) -> U64:
        """Mixed 64-bit hashes of the k-shingles of `tokens`, in stream order (with repeats)."""
        k, n = self.shingle, len(tokens)
        if n < k:
            return np.zeros(0, dtype=np.uint64)
        ids = np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.uint64, count=n)
        m = n - k + 1
        # A weighted sum of the k token ids, wrapping at 2**64, then mixed: order-sensitive.
        h = ids[:m] * self._weights[0]
        for j in range(1, k):
            h += ids[j : j + m] * self._weights[j]
        return splitmix64(h ^ self._salt)

    def sketch(self, tokens: Sequence[str]) -> U16 | None:
        """The OPH sketch of the stream's shingle set, or None when the stream is shorter than
        one shingle. Each position keeps the low 16 bits of its minimum (b-bit minwise
        hashing): two different minima then agree by chance once in 65,536, a bias of at most
        0.00002 on the estimate, for half the memory of 32 bits (512 bytes at 256 positions)."""
        h = self.shingles(tokens)
        if h.size == 0:
            return None
        h.sort()
        p = np.uint64(self.permutations)
        # Bins from the top 32 bits: monotone in h, so a bin's first entry after sorting is its
        # minimum; the low bits kept below are independent of the bin.
        bins = ((h >> np.uint64(32)) * p >> np.uint64(32)).astype(np.int64)
        first = np.flatnonzero(np.concatenate(([True], bins[1:] != bins[:-1])))
        values = np.zeros(self.permutations, dtype=np.uint64)
        filled = np.zeros(self.permutations, dtype=bool)
        values[bins[first]] = h[first]
        filled[bins[first]] = True
        empty = np.flatnonzero(~filled)
        column = 0
        while empty.size:
            if column < _PROBES:
                target = self._probes[empty, column]
            else:
                target = self._probe(empty.astype(np.uint64), 1, column)[:, 0]
            hit = filled[target]
            values[empty[hit]] = values[target[hit]]
            empty = empty[~hit]
            column += 1
        return (values & np.uint64(0xFFFF)).astype(np.uint16)
