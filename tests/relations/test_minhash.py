"""MinHash sketches: estimates near the exact Jaccard, and fixed values on every run and
platform."""

from __future__ import annotations

import math
import random

import numpy as np

from malgraph.relations.minhash import Sketcher, TokenIds, splitmix64
from tests.relations.code_samples import exact


def test_splitmix64_matches_the_reference_values() -> None:
    # From the reference C implementation seeded with 0: the first outputs.
    state = np.arange(1, 3, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    out = splitmix64(state - np.uint64(0x9E3779B97F4A7C15)).tolist()
    assert out == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]


def test_sketches_are_fixed_values_not_salted_per_process() -> None:
    # A fixed stream, not one from the tokeniser, whose rules may change.
    stream = [
        "import",
        "os",
        ",",
        "base64",
        "def",
        "I",
        "(",
        "I",
        ")",
        ":",
        "I",
        "=",
        "os",
        ".",
        "getenv",
        "(",
        "S",
        ")",
        "if",
        "I",
        ":",
        "exec",
        "(",
        "base64",
        ".",
        "b64decode",
        "(",
        "I",
        ")",
        ")",
        "return",
        "I",
        "(",
        "N",
        ")",
    ]
    sketch = Sketcher(5, 128, 1).sketch(stream)
    assert sketch is not None and sketch.dtype == np.uint16 and sketch.shape == (128,)
    # Golden values: a change of hashing would silently split every stored family.
    assert sketch[:4].tolist() == GOLDEN
    assert np.array_equal(Sketcher(5, 128, 1).sketch(list(stream)), sketch)
    assert not np.array_equal(Sketcher(5, 128, 2).sketch(stream), sketch)


GOLDEN = [41831, 14331, 23165, 45804]


def test_estimates_are_within_a_few_standard_deviations_of_the_exact_jaccard() -> None:
    rng = random.Random(3)
    vocabulary = [f"t{i}" for i in range(40)]
    sketcher = Sketcher(4, 256, 1)
    for _ in range(20):
        a = [rng.choice(vocabulary) for _ in range(rng.randint(50, 3000))]
        b = a[:]
        for _ in range(rng.randint(0, len(a))):  # mutate, insert and delete tokens
            i = rng.randrange(len(b))
            b[i : i + rng.randint(0, 2)] = [rng.choice(vocabulary)] * rng.randint(0, 2)
        j = exact(sketcher, a, b)
        sa, sb = sketcher.sketch(a), sketcher.sketch(b)
        assert sa is not None and sb is not None
        estimate = float(np.mean(sa == sb))
        assert abs(estimate - j) <= 4 * math.sqrt(j * (1 - j) / 256) + 0.02


def test_short_streams_fill_every_position_by_densification() -> None:
    sketcher = Sketcher(3, 128, 1)
    short = ["a", "b", "c", "d", "e", "f", "g"]  # 5 shingles for 128 positions
    sketch = sketcher.sketch(short)
    assert sketch is not None
    assert len(set(sketch.tolist())) <= 5  # every position copies one of the 5 minima
    assert np.array_equal(sketch, sketcher.sketch(list(short)))
    other = sketcher.sketch(["z", "y", "x", "w", "v", "u", "t"])
    assert other is not None and np.mean(sketch == other) == 0.0
    assert sketcher.sketch(["a", "b"]) is None


def test_a_shared_sketcher_stays_bounded_and_gives_what_a_fresh_one_gives(monkeypatch) -> None:
    """One sketcher serves a whole process: a hostile stream of distinct characters cannot grow
    its token table without bound, and starting the table again changes no sketch."""
    monkeypatch.setattr(TokenIds, "MAX_TOKENS", 50)
    shared = Sketcher(8, 256, 1)
    hostile = [chr(0x4E00 + i) for i in range(400)]  # 400 distinct one-character "operators"
    streams = [hostile, ["import", "os", "I", "(", "S", ")"] * 20, hostile[::-1]]
    for stream in streams:
        got = shared.sketch(stream)
        assert len(shared.ids) <= TokenIds.MAX_TOKENS
        expected = Sketcher(8, 256, 1).sketch(stream)
        assert got is not None and expected is not None
        assert got.tolist() == expected.tolist()
