"""The similar relation (code reuse): package-versions whose code is the same or nearly so.

Pure: code items in (one per package-version archive), edges out, in four tiers; a pair keeps
only its strongest:

1. identical-archive: the same archive sha256;
   identical-files: a shared *significant* code file (same bytes);
2. identical-normalised: the same normalised token stream of the package's own code, or a
   shared large code file that is the same once normalised (renamed, restrung, reformatted);
3. near-duplicate: MinHash of the own code's token shingles, LSH banding for candidates, each
   candidate kept when the sketches' estimated Jaccard reaches `threshold`.

Memory grows with the number of packages, not their size: items are consumed one by one and
only digests and one 512-byte sketch per distinct token stream are kept. Copies collapse before
the costly steps (identical archives before files and streams, identical streams before LSH);
a group of more than ALL_PAIRS members is linked as a star to its smallest key (5,000 copies
make 4,999 edges, not 12.5 million), and near-duplicates keep NEAR_EDGES_PER_STREAM edges per
stream plus a spanning forest.

Defaults (shingles of 8 tokens, threshold 0.4, 256 positions in 85 bands of 3 rows) were
chosen with evals/similar.py on generated families of variants among unrelated packages of the
same style. Normalised streams have a small vocabulary (I, S, N, keywords, operators), so short
shingles recur in unrelated code; a lower threshold merged unrelated packages and a higher one
dropped variants; fewer positions need 2-row bands, which multiply the chance candidates. The
figures, and time and memory against an exact all-pairs Jaccard (benchmarks/similar.py), are in
the README's Performance section.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from malgraph.core.code import Features, token_digest
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.errors import MalgraphError
from malgraph.core.kinds import SimilarTier
from malgraph.core.relations import CodeItem, StoredCodeItem
from malgraph.relations.lsh import choose_bands, first_bands, near_pairs, sparsify
from malgraph.relations.minhash import I64, U16, Sketcher

# In the order the tiers are tried: an edge keeps the first (strongest) tier that links it.
TIERS = (
    SimilarTier.IDENTICAL_ARCHIVE,
    SimilarTier.IDENTICAL_FILES,
    SimilarTier.IDENTICAL_NORMALISED,
    SimilarTier.NEAR_DUPLICATE,
)

# A file links packages by its bytes only with >= 30 normalised tokens: below that are the
# files every package repeats from a template (an empty `__init__.py`, `from .core import *`,
# `module.exports = require('./lib')`, a `__version__` line), whose sameness says nothing of
# authorship; their content still counts in the package's token stream.
SIGNIFICANT_TOKENS = 30
# Normalised sameness (names, strings and layout erased) needs more: a 30-100 token file is
# mostly a shape, and unrelated `setup(name=..., version=..., packages=...)` files share it.
# Streams shorter than this are neither compared whole nor sketched (too few shingles for a
# meaningful Jaccard).
NORMALISED_TOKENS = 100
# Directories package managers fill with other projects' code: a bundled lodash is shared by
# unrelated packages, so these files never link packages and are cut out of the stream
# compared by tiers 2 and 3.
VENDORED = ("node_modules", "bower_components")
ALL_PAIRS = 8  # groups up to this size get every pair (exact evidence); larger ones a star
# Each distinct stream keeps its 8 best near-duplicate edges (and those of a spanning forest),
# so families up to 9 keep every pair and a campaign of 5,000 near-copies stays near-linear.
NEAR_EDGES_PER_STREAM = 8
EVIDENCE_DIGESTS = 3  # digests quoted per edge; "count" says how many were shared

DEFAULT_THRESHOLD = 0.4
DEFAULT_SHINGLE = 8
DEFAULT_PERMUTATIONS = 256
DEFAULT_SEED = 1
# What the stored sketches (code_sketches.method) were made with: a sketch of another method is
# made again. Change it with anything that changes a sketch's values.
SKETCH_METHOD = (
    f"oph-b16/shingle={DEFAULT_SHINGLE}/permutations={DEFAULT_PERMUTATIONS}/seed={DEFAULT_SEED}"
)


class NearParameters(NamedTuple):
    """LSH banding for a threshold, and the agreeing positions a verified pair needs."""

    bands: int
    rows: int
    agree: int


@dataclass(frozen=True, slots=True)
class NearPairs:
    """Verified near-duplicate pairs of sketch rows, (m, 2) with a < b, with each pair's
    agreeing positions and the first band the two share (-1: none)."""

    pairs: I64
    matches: I64
    first: I64


@dataclass(frozen=True, slots=True)
class SimilarEdge:
    a: int  # keys, a < b
    b: int
    tier: SimilarTier
    score: float  # 1.0 for identical tiers; the estimated Jaccard for near-duplicates
    evidence: dict[str, Any]  # JSON-able


class SimilarityError(MalgraphError):
    """similar_edges was called with parameters out of range (a caller's mistake)."""


class DuplicateKey(SimilarityError):
    """Two code items had the same key: give one item per package-version archive."""


def is_vendored(path: str) -> bool:
    return any(f"/{d}/" in f"/{path}" for d in VENDORED)


def own_tokens(item: CodeItem) -> list[str]:
    """The item's token stream without its vendored files. The stream joins the code files'
    streams in path order, so per-file token counts locate each file's segment; when they do
    not add up (or a cut segment's digest disagrees) the whole stream is kept."""
    tokens = item.tokens.split(" ") if item.tokens else []
    code = sorted((f for f in item.files if f[3] > 0), key=lambda f: f[0])
    if not any(is_vendored(f[0]) for f in code) or sum(f[3] for f in code) != len(tokens):
        return tokens
    own: list[str] = []
    start = 0
    for path, _sha, normalised, count in code:
        segment = tokens[start : start + count]
        start += count
        if not is_vendored(path):
            own += segment
        elif normalised is not None and token_digest(segment) != normalised:
            return tokens
    return own


@functools.cache
def default_sketcher() -> Sketcher:
    """The sketcher of `similar_edges` at its defaults, which SKETCH_METHOD names: one a
    process, since its probe table and token ids are the same for every stream."""
    return Sketcher(DEFAULT_SHINGLE, DEFAULT_PERMUTATIONS, DEFAULT_SEED)


def analysed_item(sha256: str, features: Features, key: int = -1) -> CodeItem:
    """An archive's analysed code as a code item, its files once a path as the store keeps
    them (the first of a path wins)."""
    files: dict[str, tuple[str, str, str | None, int]] = {}
    for f in features.files:
        files.setdefault(f.path, (f.path, f.sha256, f.normalised_sha256, f.tokens))
    return CodeItem(key, sha256, tuple(files.values()), features.tokens)


def item_sketch(item: CodeItem, sketcher: Sketcher) -> CodeSketchRow:
    """The archive's own code as the near-duplicate tier sees it: the digest of its own token
    stream, and its sketch (None when the stream is too short to compare)."""
    tokens = own_tokens(item)
    sketch = sketcher.sketch(tokens) if len(tokens) >= NORMALISED_TOKENS else None
    return CodeSketchRow(
        item.archive_sha256,
        SKETCH_METHOD,
        token_digest(tokens),
        None if sketch is None else sketch.astype("<u2").tobytes(),
    )


class _Edges:
    """The strongest tier per pair, with its evidence merged over every shared digest."""

    def __init__(self) -> None:
        self.best: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}

    def group(self, tier: int, members: Sequence[int], field: str, digest: str) -> None:
        """Links the members (sorted keys) of one digest's group."""
        m = len(members)
        if m <= ALL_PAIRS:
            pairs = [(members[i], b) for i in range(m) for b in members[i + 1 :]]
        else:  # a star to the smallest key: m - 1 edges
            pairs = [(members[0], b) for b in members[1:]]
        for pair in pairs:
            old = self.best.get(pair)
            if old is not None and old[0] < tier:
                continue
            if old is None or old[0] > tier:
                old = (tier, {})
                self.best[pair] = old
            ev = old[1]
            quoted = ev.setdefault(field, [])
            if len(quoted) < EVIDENCE_DIGESTS:
                quoted.append(digest)
            ev[f"{field}_count"] = ev.get(f"{field}_count", 0) + 1
            ev["group"] = max(ev.get("group", 0), m)
            if m > ALL_PAIRS:
                ev["representative"] = members[0]

    def near(self, a: int, b: int, evidence: dict[str, Any]) -> None:
        if (a, b) not in self.best:
            self.best[(a, b)] = (3, evidence)


class _Digests:
    """What similar_edges keeps of the items: digests, and one sketch per distinct stream."""

    def __init__(self, sketcher: Sketcher) -> None:
        self.sketcher = sketcher
        self.archives: dict[str, list[int]] = defaultdict(list)
        self.files: dict[str, list[int]] = defaultdict(list)
        self.normalised: dict[str, list[int]] = defaultdict(list)
        self.streams: dict[str, list[int]] = defaultdict(list)
        self.sketches: dict[str, U16] = {}
        self.seen: set[int] = set()

    def add(self, item: CodeItem) -> None:
        if not self._add_archive(item.key, item.archive_sha256, item.files):
            return  # an archive already read: its files and stream are the same
        tokens = own_tokens(item)
        if len(tokens) >= NORMALISED_TOKENS:
            digest = token_digest(tokens)
            self.streams[digest].append(item.key)
            if digest not in self.sketches:
                sketch = self.sketcher.sketch(tokens)
                if sketch is not None:
                    self.sketches[digest] = sketch

    def add_stored(self, item: StoredCodeItem) -> bool:
        """Adds an item's digests (its sketch is kept by the caller). True when its stream is
        one no item added before had: the item is then the stream's representative, if items
        come in ascending key order."""
        if not self._add_archive(item.key, item.archive_sha256, item.files):
            return False
        if item.stream_sha256 is None:
            return False
        known = item.stream_sha256 in self.streams
        self.streams[item.stream_sha256].append(item.key)
        return not known

    def _add_archive(
        self, key: int, archive: str, files: Iterable[tuple[str, str, str | None, int]]
    ) -> bool:
        """Adds the key and its archive's significant files; False for an archive's copy."""
        if key in self.seen:
            raise DuplicateKey(f"key {key} given twice")
        self.seen.add(key)
        copies = self.archives[archive]
        copies.append(key)
        if len(copies) > 1:
            return False
        for path, sha, normalised, count in files:
            if count < SIGNIFICANT_TOKENS or is_vendored(path):
                continue
            self.files[sha].append(key)
            if normalised is not None and count >= NORMALISED_TOKENS:
                self.normalised[normalised].append(key)
        return True


def similar_edges(
    items: Iterable[CodeItem],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    shingle: int = DEFAULT_SHINGLE,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
) -> list[SimilarEdge]:
    """Similar edges between the items, sorted by (a, b). `progress` gets the number of items
    read so far, every 100 items and after the last."""
    if not 0.0 < threshold <= 1.0 or shingle < 1 or not 1 <= permutations <= 4096:
        raise SimilarityError("threshold must be in (0, 1], shingle >= 1, permutations 1-4096")
    digests = _Digests(Sketcher(shingle, permutations, seed))
    count = 0
    for count, item in enumerate(items, 1):
        digests.add(item)
        if progress is not None and count % 100 == 0:
            progress(count)
    if progress is not None and count % 100:
        progress(count)

    edges, rep = _identical_tiers(digests)
    _near_duplicates(edges, digests, rep, threshold)
    return _listed(edges)


def _identical_tiers(digests: _Digests) -> tuple[_Edges, dict[int, int]]:
    """Tiers 0-2 from the digests, and each item's archive's smallest key."""
    edges = _Edges()
    # Archive copies first: every later group holds one key (the first read) per archive,
    # which `rep` maps to the archive's smallest key, the one edges use.
    rep = {}
    for digest, keys in sorted(digests.archives.items()):
        if len(keys) > 1:
            edges.group(0, sorted(keys), "archive_sha256", digest)
        rep[keys[0]] = min(keys)
    for tier, field, groups in (
        (1, "sha256", digests.files),
        (2, "stream_sha256", digests.streams),
        (2, "normalised_sha256", digests.normalised),
    ):
        for digest, keys in sorted(groups.items()):
            if len(keys) > 1:
                edges.group(tier, sorted({rep[k] for k in keys}), field, digest)
    return edges, rep


def _listed(edges: _Edges) -> list[SimilarEdge]:
    return [
        SimilarEdge(a, b, TIERS[t], 1.0 if t < 3 else ev["jaccard"], ev)
        for (a, b), (t, ev) in sorted(edges.best.items())
    ]


def near_parameters(threshold: float, permutations: int = DEFAULT_PERMUTATIONS) -> NearParameters:
    """The banding and the agreeing positions a near-duplicate needs at `threshold`."""
    bands, rows = choose_bands(permutations, threshold)
    return NearParameters(bands, rows, math.ceil(threshold * permutations - 1e-9))


def _near_duplicates(
    edges: _Edges, digests: _Digests, rep: dict[int, int], threshold: float
) -> None:
    """Tier 3 over one representative (smallest key) per distinct stream."""
    sketches, sketcher = digests.sketches, digests.sketcher
    reps = sorted((min(rep[k] for k in digests.streams[d]), d) for d in sketches)
    if len(reps) < 2:
        return
    keys = [k for k, _ in reps]
    matrix = np.stack([sketches[d] for _, d in reps])
    p = sketcher.permutations
    bands, rows, agree = near_parameters(threshold, p)
    pairs, matches = near_pairs(matrix, bands, rows, agree)
    kept = sparsify(pairs, matches, NEAR_EDGES_PER_STREAM)
    pairs, matches = pairs[kept], matches[kept]
    first = first_bands(matrix, pairs, bands, rows)
    _link_near(edges, keys, NearPairs(pairs, matches, first), sketcher, bands, rows)


def _link_near(
    edges: _Edges, keys: Sequence[int], near: NearPairs, sketcher: Sketcher, bands: int, rows: int
) -> None:
    """Near-duplicate edges for the pairs (rows of `keys`) no stronger tier links."""
    p = sketcher.permutations
    triples = zip(near.pairs.tolist(), near.matches.tolist(), near.first.tolist(), strict=True)
    for (a, b), agree, band in triples:
        edges.near(
            keys[a],
            keys[b],
            {
                "jaccard": round(agree / p, 4),
                "shingle": sketcher.shingle,
                "permutations": p,
                "bands": bands,
                "rows": rows,
                "band": band,
            },
        )


class StoredSimilar:
    """The similar relation over stored digests and sketches, for a caller that finds the
    near-duplicate pairs elsewhere (on a cluster): add the items in ascending key order, each
    one's sketch going to row `len(keys)` of the caller's sketch table when `add` says so, then
    give `edges` the verified near pairs of those rows. The edges equal `similar_edges` over
    the same items at the default sketch method."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise SimilarityError("threshold must be in (0, 1]")
        self.threshold = threshold
        self._digests = _Digests(default_sketcher())
        self._last = -1
        self.keys: list[int] = []  # every item's key, in the order added
        self.rows: list[int] = []  # the key of each sketch row (a stream's representative)

    def add(self, item: StoredCodeItem) -> bool:
        """Adds an item; True when its sketch is the next row of the sketch table."""
        if item.key <= self._last:
            raise SimilarityError("stored items must come in ascending key order")
        self._last = item.key
        self.keys.append(item.key)
        if not self._digests.add_stored(item):
            return False
        self.rows.append(item.key)
        return True

    def edges(self, near: NearPairs) -> list[SimilarEdge]:
        """Every tier's edges, given every verified near pair of the sketch rows (all pairs
        `lsh.near_pairs` would give, with their agreements and first shared bands)."""
        edges, _ = _identical_tiers(self._digests)
        kept = sparsify(near.pairs, near.matches, NEAR_EDGES_PER_STREAM)
        chosen = NearPairs(near.pairs[kept], near.matches[kept], near.first[kept])
        bands, rows, _ = near_parameters(self.threshold)
        _link_near(edges, self.rows, chosen, self._digests.sketcher, bands, rows)
        return _listed(edges)
