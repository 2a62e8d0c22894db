"""Code families from similar edges, on a small edge set built by hand."""

from __future__ import annotations

import hashlib

from malgraph.core.relations import NewFamily, StoredFamilies, VersionFacts
from malgraph.relations.families import families, name_families
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


def _facts(*released: str | None) -> dict[int, VersionFacts]:
    return {
        v: VersionFacts("npm" if v % 2 else "PyPI", f"pkg:x/p{v}@1", when)
        for v, when in enumerate(released, 1)
    }


def test_a_family_keeps_the_id_of_the_stored_family_holding_most_of_its_members() -> None:
    stored = StoredFamilies(
        {1: "F-old", 2: "F-old", 3: "F-other", 5: "F-gone"},
        frozenset({"F-old", "F-other", "F-gone"}),
    )
    facts = _facts("2024-03-01", None, "2024-01-01", None, None, "2023-05-05")
    naming = name_families([{1, 2, 3}, {4, 6}], stored, facts)
    kept, fresh = naming.families
    assert kept == NewFamily("F-old", (1, 2, 3), ("PyPI", "npm"), "2024-01-01", "2024-03-01", 1)
    # A cluster no stored family reaches is named after its first-released member's purl.
    assert fresh.id == "F-" + hashlib.sha256(b"pkg:x/p6@1").hexdigest()[:10]
    assert fresh.members == (4, 6) and fresh.undated == 1
    assert naming.dissolved == ("F-gone", "F-other") and naming.new == 1


def test_a_new_id_never_reuses_a_taken_one() -> None:
    base = "F-" + hashlib.sha256(b"pkg:x/p1@1").hexdigest()[:10]
    stored = StoredFamilies({}, frozenset({base}))
    naming = name_families([{1, 2}], stored, _facts(None, None))
    assert naming.families[0].id == f"{base}-1"
    assert naming.dissolved == (base,) and naming.new == 1
