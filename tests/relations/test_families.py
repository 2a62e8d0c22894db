"""Code families from similar edges, on a small edge set built by hand."""

from __future__ import annotations

from malgraph.relations.families import families
from malgraph.relations.similar import SimilarEdge


def edge(a: int, b: int, tier: str = "near-duplicate", score: float = 1.0) -> SimilarEdge:
    return SimilarEdge(a, b, tier, score, {})


EDGES = [
    edge(1, 2, "identical-archive"),
    edge(2, 3, score=0.8),
    edge(3, 4, score=0.45),  # weak: joins no family at strong=0.5
    edge(10, 11, "identical-files"),
    edge(11, 12, "identical-normalised"),
    edge(20, 21, score=0.5),
    edge(7, 30, score=0.9),  # 30 is not among the keys
]


def test_components_over_strong_edges_ordered_by_smallest_key() -> None:
    keys = [1, 2, 3, 4, 5, 7, 10, 11, 12, 20, 21]
    assert families(keys, EDGES, strong=0.5) == [{1, 2, 3}, {10, 11, 12}, {20, 21}]
    assert families(reversed(keys), EDGES[::-1], strong=0.5) == [{1, 2, 3}, {10, 11, 12}, {20, 21}]


def test_strong_decides_which_near_duplicates_join() -> None:
    keys = [1, 2, 3, 4, 10, 11, 12, 20, 21]
    assert families(keys, EDGES, strong=0.4) == [{1, 2, 3, 4}, {10, 11, 12}, {20, 21}]
    # Identical tiers join whatever `strong` is.
    assert families(keys, EDGES, strong=0.95) == [{1, 2}, {10, 11, 12}]


def test_edges_outside_the_keys_are_ignored_and_singletons_dropped() -> None:
    assert families([7, 30], EDGES) == [{7, 30}]
    assert families([7, 2, 3], EDGES, strong=0.5) == [{2, 3}]
    assert families([5], EDGES) == []
    assert families([], []) == []
