"""The similar relation: each tier on small packages, determinism, and near-linear edges for
large groups of copies."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from malgraph.core.code import token_digest
from malgraph.core.relations import CodeItem, StoredCodeItem
from malgraph.relations.families import families
from malgraph.relations.lsh import first_bands, near_pairs
from malgraph.relations.minhash import Sketcher
from malgraph.relations.similar import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    DEFAULT_SHINGLE,
    SKETCH_METHOD,
    DuplicateKey,
    NearPairs,
    SimilarityError,
    StoredSimilar,
    default_sketcher,
    item_sketch,
    near_parameters,
    own_tokens,
    similar_edges,
)
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, item, program

SEED = program(SEED_FUNCTIONS)
RENAMES = {
    "collect_host": "q1",
    "info": "acc",
    "target": "t",
    "deliver": "ship",
    "payload": "body",
    "response": "rq",
    "blob": "b",
    "code": "c",
    "found": "out",
    "rel": "r",
    "handle": "fh",
    "counter": "n",
    "interval": "wait",
    "line": "s",
}


def renamed(text: str) -> str:
    text = re.sub(r"\b\w+\b", lambda m: RENAMES.get(m.group(0), m.group(0)), text)
    return text.replace("collect.example.invalid", "other-host.example.invalid")


def pkg(key: int, core: str, **extra: str) -> CodeItem:
    return item(key, {f"p{key}/p/core.py": core, **{f"p{key}/{k}": v for k, v in extra.items()}})


def test_identical_archives_make_one_edge_naming_the_archive() -> None:
    files = {"evil-1.0/evil/core.py": SEED, "evil-1.0/PKG-INFO": "Name: evil\n"}
    a, b = item(7, files), item(3, files)
    (edge,) = similar_edges([a, b])
    assert (edge.a, edge.b, edge.tier, edge.score) == (3, 7, "identical-archive", 1.0)
    assert edge.evidence["archive_sha256"] == [a.archive_sha256]
    assert edge.evidence["group"] == 2


def test_a_shared_significant_file_links_but_tiny_and_vendored_files_do_not() -> None:
    shared = SEED_FUNCTIONS[2]  # about 45 normalised tokens
    vendored = program(SEED_FUNCTIONS[3:6], header="")
    items = [
        pkg(1, OTHER_FUNCTIONS[0], **{"p/util.py": shared}),
        pkg(2, OTHER_FUNCTIONS[1], **{"p/helpers/util.py": shared}),
        # Identical tiny files: an empty __init__.py and a re-export.
        pkg(3, OTHER_FUNCTIONS[2], **{"p/__init__.py": "", "p/x/__init__.py": "from .c import *"}),
        pkg(4, OTHER_FUNCTIONS[3], **{"p/__init__.py": "", "p/x/__init__.py": "from .c import *"}),
        # The same bundled library under node_modules/.
        pkg(5, OTHER_FUNCTIONS[4], **{"node_modules/lib/index.py": vendored}),
        pkg(6, SEED_FUNCTIONS[6], **{"node_modules/lib/index.py": vendored}),
    ]
    (edge,) = similar_edges(items)
    assert (edge.a, edge.b, edge.tier) == (1, 2, "identical-files")
    util = next(sha for path, sha, _n, _c in items[0].files if path.endswith("util.py"))
    assert edge.evidence["sha256"] == [util]
    assert edge.evidence["sha256_count"] == 1


def test_vendored_code_is_cut_from_the_compared_stream() -> None:
    vendored = program(SEED_FUNCTIONS[3:6], header="")
    with_lib = pkg(1, OTHER_FUNCTIONS[1], **{"node_modules/lib/index.py": vendored})
    alone = pkg(2, OTHER_FUNCTIONS[1].replace("limit", "cap"))
    assert own_tokens(with_lib) == own_tokens(alone)
    assert len(with_lib.tokens.split(" ")) > len(own_tokens(with_lib))
    # Counts that do not add up: the stream cannot be cut, so it is kept whole.
    broken = CodeItem(
        3, "x", tuple((p, s, n, c + 1) for p, s, n, c in with_lib.files), with_lib.tokens
    )
    assert own_tokens(broken) == with_lib.tokens.split(" ")
    (edge,) = similar_edges([with_lib, alone])
    assert edge.tier == "identical-normalised"


def test_renamed_copy_with_other_strings_is_identical_once_normalised() -> None:
    a, b = pkg(1, SEED), pkg(2, renamed(SEED))
    assert a.files[0][1] != b.files[0][1]  # the bytes differ
    (edge,) = similar_edges([a, b])
    assert (edge.tier, edge.score) == ("identical-normalised", 1.0)
    assert edge.evidence["stream_sha256"] and edge.evidence["normalised_sha256"] == [a.files[0][2]]


def test_copy_with_junk_and_reordering_is_a_near_duplicate_scored_near_its_jaccard() -> None:
    functions = list(SEED_FUNCTIONS)
    functions.insert(3, OTHER_FUNCTIONS[0])
    functions.insert(1, "# an inserted comment\n" + OTHER_FUNCTIONS[2])
    functions[4], functions[5] = functions[5], functions[4]
    a, b = pkg(1, SEED), pkg(2, program(functions))
    (edge,) = similar_edges([a, b])
    assert edge.tier == "near-duplicate"
    assert 0.5 <= edge.score <= 0.9
    sk = Sketcher(DEFAULT_SHINGLE, 1, 1)
    sa, sb = (set(sk.shingles(own_tokens(x)).tolist()) for x in (a, b))
    exact = len(sa & sb) / len(sa | sb)
    assert abs(edge.score - exact) < 0.15  # about 3.5 standard deviations at 128 positions
    ev = edge.evidence
    assert ev["jaccard"] == edge.score and ev["shingle"] == DEFAULT_SHINGLE
    assert ev["permutations"] == DEFAULT_PERMUTATIONS and 0 <= ev["band"] < ev["bands"]


def test_unrelated_code_is_not_linked() -> None:
    # The third shares two functions with each of the others: not enough.
    items = [
        pkg(1, SEED),
        pkg(2, program(OTHER_FUNCTIONS, header="import asyncio\n\n")),
        pkg(3, program(SEED_FUNCTIONS[4:6] + OTHER_FUNCTIONS[2:4], header="")),
    ]
    assert similar_edges(items) == []


def _mixed() -> list[CodeItem]:
    junked = program([*SEED_FUNCTIONS[:3], OTHER_FUNCTIONS[1], *SEED_FUNCTIONS[3:]])
    files = {"e-1/core.py": SEED}
    return [
        item(10, files),
        item(11, files),
        pkg(12, renamed(SEED)),
        pkg(13, junked),
        pkg(14, program(OTHER_FUNCTIONS)),
        pkg(15, OTHER_FUNCTIONS[1], **{"u.py": SEED}),
    ]


def test_same_edges_in_the_same_order_whatever_the_input_order() -> None:
    items = _mixed()
    first = similar_edges(items)
    assert {e.tier for e in first} == {
        "identical-archive",
        "identical-files",
        "identical-normalised",
        "near-duplicate",
    }
    assert similar_edges(iter(items)) == first
    assert similar_edges(items[::-1]) == first
    shuffled = items[:]
    random.Random(4).shuffle(shuffled)
    assert similar_edges(shuffled) == first
    assert [(e.a, e.b) for e in first] == sorted((e.a, e.b) for e in first)
    assert all(e.a < e.b for e in first)


def test_only_the_strongest_tier_per_pair_is_kept() -> None:
    edges = similar_edges(_mixed())
    pairs = [(e.a, e.b) for e in edges]
    assert len(pairs) == len(set(pairs))
    by_pair = {(e.a, e.b): e.tier for e in edges}
    assert by_pair[(10, 11)] == "identical-archive"  # also same files, stream and near
    assert by_pair[(10, 15)] == "identical-files"  # 15 bundles the seed as u.py


def test_a_large_group_of_copies_is_a_star_not_a_clique() -> None:
    # 300 renamed copies (same normalised stream) and 300 copies of one archive.
    copies = [pkg(k, SEED.replace("collect_host", f"collect_{k}")) for k in range(300)]
    same = {"x-1/core.py": program(OTHER_FUNCTIONS)}
    archives = [item(k, same) for k in range(1000, 1300)]
    edges = similar_edges(copies + archives)
    assert len(edges) == 299 + 299
    assert {e.a for e in edges} == {0, 1000}
    assert {e.tier for e in edges if e.a == 0} == {"identical-normalised"}
    assert edges[0].evidence["representative"] == 0 and edges[0].evidence["group"] == 300
    found = families(range(1300), edges)
    assert [len(f) for f in found] == [300, 300]


def test_a_large_group_of_near_duplicates_gets_near_linear_edges_and_one_family() -> None:
    copies = []
    for k in range(200):
        # A distinct junk expression per copy: bits of k as `+ 1` or `* 1`.
        junk = "    pad = 1 " + " ".join("+ 1" if bit == "1" else "* 1" for bit in f"{k:08b}")
        copies.append(pkg(k, SEED.replace("    return len(code)", junk + "\n    return 0")))
    edges = similar_edges(copies)
    assert {e.tier for e in edges} == {"near-duplicate"}
    assert 199 <= len(edges) <= 9 * 200  # 8 best per copy and a spanning tree, not 19,900
    assert families(range(200), edges) == [set(range(200))]


def test_progress_reports_items_consumed_and_keys_must_be_unique() -> None:
    seen: list[int] = []
    similar_edges((pkg(k, OTHER_FUNCTIONS[k % 5]) for k in range(250)), progress=seen.append)
    assert seen == [100, 200, 250]
    seen.clear()
    similar_edges((pkg(k, OTHER_FUNCTIONS[0]) for k in range(200)), progress=seen.append)
    assert seen == [100, 200]
    with pytest.raises(SimilarityError):
        similar_edges([], threshold=0.0)
    with pytest.raises(DuplicateKey):
        similar_edges([pkg(1, SEED), pkg(1, SEED)])


def test_empty_and_tiny_streams_link_nothing() -> None:
    items = [
        item(1, {"a/README": "x"}),
        item(2, {"b/README": "y"}),
        pkg(3, "import os\nos.system('id')\n"),
        pkg(4, "import os\nos.system('ls')\n"),
    ]
    assert similar_edges(items) == []
    assert similar_edges([]) == []
    assert np.array_equal(Sketcher(5, 8, 1).shingles(["a", "b"]), np.zeros(0, dtype=np.uint64))


def test_the_stored_sketch_is_of_the_own_code_as_the_near_duplicate_tier_sees_it() -> None:
    own = [f"t{i % 37}" for i in range(150)]
    vendored = ["v"] * 50
    files = (
        ("lib/a.js", "s1", "n1", 150),
        ("node_modules/x/i.js", "s2", token_digest(vendored), 50),
    )
    code = CodeItem(-1, "aa", files, " ".join([*own, *vendored]))
    row = item_sketch(code, default_sketcher())
    assert (row.sha256, row.method, row.stream_sha256) == ("aa", SKETCH_METHOD, token_digest(own))
    assert row.sketch is not None
    expected = Sketcher(DEFAULT_SHINGLE, DEFAULT_PERMUTATIONS, DEFAULT_SEED).sketch(own)
    assert np.array_equal(np.frombuffer(row.sketch, dtype="<u2"), expected)
    short = item_sketch(CodeItem(-1, "bb", (), " ".join(own[:99])), default_sketcher())
    assert short.sketch is None and short.stream_sha256 == token_digest(own[:99])


def _stored(code: CodeItem) -> StoredCodeItem:
    row = item_sketch(code, default_sketcher())
    stream = row.stream_sha256 if row.sketch is not None else None
    return StoredCodeItem(code.key, code.archive_sha256, code.files, stream, row.sketch)


def test_stored_digests_and_sketches_give_the_same_edges_as_the_token_streams() -> None:
    """StoredSimilar, given the verified near pairs of the sketch rows it asked for, makes
    similar_edges' edges: every tier, near-copies spanned, archive copies, short streams."""
    items = [
        pkg(k, SEED.replace("return len(code)", f"return {k} * len(code) - {k % 7}"))
        for k in range(60)
    ]
    items += [pkg(60, renamed(SEED)), pkg(61, program(OTHER_FUNCTIONS)), pkg(62, "x = 1\n")]
    items += [
        CodeItem(k, items[k - 60].archive_sha256, items[k - 60].files, items[k - 60].tokens)
        for k in (63, 64)
    ]
    items.append(CodeItem(5_000, items[61].archive_sha256, items[61].files, items[61].tokens))
    similar = StoredSimilar()
    sketches = [
        np.frombuffer(s.sketch or b"", dtype="<u2") for s in map(_stored, items) if similar.add(s)
    ]
    matrix = np.stack(sketches).astype(np.uint16)
    near = near_parameters(0.4)
    pairs, matches = near_pairs(matrix, near.bands, near.rows, near.agree)
    found = similar.edges(
        NearPairs(pairs, matches, first_bands(matrix, pairs, near.bands, near.rows))
    )
    expected = similar_edges(reversed(items))
    assert {e.tier for e in expected} >= {
        "near-duplicate",
        "identical-archive",
        "identical-normalised",
    }
    assert found == expected
    assert similar.keys == [i.key for i in items] and len(similar.rows) == matrix.shape[0] < 63
    with pytest.raises(SimilarityError):
        similar.add(_stored(items[0]))  # keys must ascend
