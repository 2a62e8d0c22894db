"""Evaluation of the similar relation and code families on generated packages.

    python evals/similar.py [--families 80] [--unrelated 1500] [--seed 1] [--json FILE]
                            [--sweep [--shingles 3,4,5,6,8,10] [--permutations 64,128,256]
                                     [--thresholds 0.3,0.4,0.5,0.6,0.7]]

Families of inert variants of seed packages (evals/generate.py) among unrelated packages;
tokens from the real `normalised_tokens`. Prints, for the default parameters:
- edges per tier and edge precision (both ends in one true family);
- families: adjusted Rand index against the truth, pair precision and recall, and how many
  predicted families merge packages of different true families (target: none);
- LSH recall against exact Jaccard: of the pairs of distinct streams whose exact shingle-set
  Jaccard reaches the threshold, the fraction LSH found as a verified pair (banding, then an
  estimate >= threshold), and the fraction it left connected (large buckets are spanned);
- recall per mutation: variants in the same predicted family as their seed;
- the family method, from edges made 0.1 below the threshold: components at several
  strengths against Leiden (igraph, if installed), from scratch or from the components.
With --sweep, the same for a grid of shingle sizes, permutations and thresholds.
Targets: LSH recall >= 0.95, ARI >= 0.9, no unrelated package merged.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from evals.generate import Sample, corpus
from malgraph.core.code import token_digest
from malgraph.core.relations import CodeItem
from malgraph.relations.families import families
from malgraph.relations.lsh import choose_bands, near_pairs
from malgraph.relations.minhash import Sketcher
from malgraph.relations.similar import (
    NORMALISED_TOKENS,
    TIERS,
    SimilarEdge,
    own_tokens,
    similar_edges,
)


def ari(truth: dict[int, int], predicted: dict[int, int]) -> float:
    """Adjusted Rand index of two labellings of the same keys."""
    n = len(truth)
    cells = Counter((truth[k], predicted[k]) for k in truth)
    a = Counter(truth.values())
    b = Counter(predicted.values())
    index = sum(comb(c, 2) for c in cells.values())
    sa, sb = sum(comb(c, 2) for c in a.values()), sum(comb(c, 2) for c in b.values())
    expected = sa * sb / comb(n, 2)
    top = (sa + sb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def labels(keys: Iterable[int], groups: Sequence[set[int]]) -> dict[int, int]:
    """Predicted family per key; keys in no family are singletons (negative labels)."""
    out = {k: -1 - k for k in keys}
    for i, g in enumerate(groups):
        for k in g:
            out[k] = i
    return out


def family_scores(samples: Sequence[Sample], groups: Sequence[set[int]]) -> dict[str, Any]:
    truth = {s.key: s.family for s in samples}
    predicted = labels(truth, groups)
    cells = Counter((truth[k], predicted[k]) for k in truth)
    same_pred = sum(comb(c, 2) for c in Counter(predicted.values()).values())
    same_true = sum(comb(c, 2) for c in Counter(truth.values()).values())
    both = sum(comb(c, 2) for c in cells.values())
    merged = [g for g in groups if len({truth[k] for k in g}) > 1]
    return {
        "ari": round(ari(truth, predicted), 4),
        "pair_precision": round(both / same_pred, 4) if same_pred else 1.0,
        "pair_recall": round(both / same_true, 4) if same_true else 1.0,
        "families": len(groups),
        "merged_families": len(merged),
        "merged_packages": sum(
            len(g) - Counter(truth[k] for k in g).most_common(1)[0][1] for g in merged
        ),
    }


def edge_scores(samples: Sequence[Sample], edges: Sequence[SimilarEdge]) -> dict[str, Any]:
    truth = {s.key: s.family for s in samples}
    per_tier = {t: Counter() for t in TIERS}  # type: ignore[var-annotated]
    for e in edges:
        per_tier[e.tier][truth[e.a] == truth[e.b]] += 1
    good = sum(c[True] for c in per_tier.values())
    return {
        "edges": len(edges),
        "edge_precision": round(good / len(edges), 4) if edges else 1.0,
        "per_tier": {
            str(t): {"edges": sum(c.values()), "wrong": c[False]} for t, c in per_tier.items()
        },
    }


def mutation_recall(samples: Sequence[Sample], groups: Sequence[set[int]]) -> dict[str, float]:
    predicted = labels((s.key for s in samples), groups)
    varied = {s.family for s in samples if s.mutations}
    seeds = {s.family: s.key for s in samples if not s.mutations and s.family in varied}
    hit: dict[str, list[bool]] = defaultdict(list)
    for s in samples:
        for m in s.mutations:
            hit[m].append(predicted[s.key] == predicted[seeds[s.family]])
    return {m: round(sum(v) / len(v), 3) for m, v in sorted(hit.items())}


def distinct_streams(items: Sequence[CodeItem]) -> list[tuple[int, list[str]]]:
    """The streams tier 3 sketches: own code of one archive each, >= NORMALISED_TOKENS,
    deduplicated, with their smallest key and in that order (as similar_edges does)."""
    seen_archives: set[str] = set()
    first: dict[str, tuple[int, list[str]]] = {}
    for item in sorted(items, key=lambda i: i.key):
        if item.archive_sha256 in seen_archives:
            continue
        seen_archives.add(item.archive_sha256)
        tokens = own_tokens(item)
        if len(tokens) >= NORMALISED_TOKENS:
            first.setdefault(token_digest(tokens), (item.key, tokens))
    return sorted(first.values(), key=lambda x: x[0])


def exact_jaccard(sets: Sequence[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    """All-pairs exact Jaccard of shingle sets (sorted unique uint64 arrays), through an
    inverted index over the shingles held by two or more sets."""
    n = len(sets)
    rows = np.repeat(np.arange(n), [len(s) for s in sets])
    values = np.concatenate(sets)
    order = np.argsort(values, kind="stable")
    values, rows = values[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    ends = np.append(starts[1:], len(values))
    inter = np.zeros((n, n), dtype=np.int32)
    for s, e in zip(
        starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=True
    ):
        r = rows[s:e]
        inter[np.ix_(r, r)] += 1
    sizes = np.array([len(s) for s in sets])
    union = sizes[:, None] + sizes[None, :] - inter
    return inter / np.maximum(union, 1)


def lsh_recall(
    streams: Sequence[tuple[int, list[str]]],
    exact: np.ndarray[Any, Any],
    sketcher: Sketcher,
    threshold: float,
) -> dict[str, Any]:
    """Of the pairs of distinct streams whose exact Jaccard reaches the threshold, the fraction
    LSH banding and verification found as a pair, and the fraction it left connected (large
    buckets are spanned, not paired: see minhash.near_pairs)."""
    matrix = np.stack([s for s in (sketcher.sketch(t) for _, t in streams) if s is not None])
    bands, rows = choose_bands(sketcher.permutations, threshold)
    agree = int(np.ceil(threshold * sketcher.permutations - 1e-9))
    pairs, _ = near_pairs(matrix, bands, rows, agree)
    n = len(streams)
    want = {int(c) for c in np.flatnonzero(np.triu(exact >= threshold - 1e-12, 1))}
    found = {int(a) * n + int(b) for a, b in pairs.tolist()}
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs.tolist():
        parent[root(a)] = root(b)
    joined = sum(1 for c in want if root(c // n) == root(c % n))
    return {
        "exact_pairs": len(want),
        "lsh_recall": round(len(want & found) / len(want), 4) if want else 1.0,
        "lsh_recall_connected": round(joined / len(want), 4) if want else 1.0,
        "lsh_pairs": len(found),
        "kept_below_threshold": sum(1 for c in found if exact[c // n, c % n] < threshold),
        "bands": bands,
        "rows": rows,
    }


def family_methods(
    samples: Sequence[Sample], edges: Sequence[SimilarEdge], low: float, strong: float
) -> dict[str, dict[str, Any]]:
    """Components at several strengths against Leiden, from edges made at a low threshold:
    Leiden starts from the strong components and may move packages along weak edges (attach)
    or cut weakly held parts off (split)."""
    keys = [s.key for s in samples]
    out = {}
    for cut in (low, strong, strong + 0.1):
        out[f"components>={cut:.2f}"] = family_scores(samples, families(keys, edges, strong=cut))
    try:
        import igraph
    except ImportError:
        return out
    index = {k: i for i, k in enumerate(keys)}
    graph = igraph.Graph(
        n=len(keys),
        edges=[(index[e.a], index[e.b]) for e in edges],
        edge_attrs={"weight": [e.score for e in edges]},
    )
    start = labels(keys, families(keys, edges, strong=strong))
    initial = {c: i for i, c in enumerate(sorted(set(start.values())))}
    for name, kw in (
        ("modularity", {}),
        ("CPM r=0.1", {"resolution": 0.1}),
        ("CPM r=0.3", {"resolution": 0.3}),
    ):
        for seeded in (True, False):
            random.seed(1)
            parts = graph.community_leiden(
                objective_function=name.split()[0],
                weights="weight",
                n_iterations=-1,
                initial_membership=[initial[start[k]] for k in keys] if seeded else None,
                **kw,
            )
            groups: dict[int, set[int]] = defaultdict(set)
            for k in keys:
                groups[parts.membership[index[k]]].add(k)
            found = sorted((g for g in groups.values() if len(g) > 1), key=min)
            label = f"leiden {name}" + (f" from components>={strong:.2f}" if seeded else "")
            out[label] = family_scores(samples, found)
    return out


def run(
    samples: Sequence[Sample],
    threshold: float,
    shingle: int,
    permutations: int,
    exact: np.ndarray[Any, Any] | None,
    streams: Sequence[tuple[int, list[str]]],
) -> dict[str, Any]:
    items = [s.item for s in samples]
    start = time.perf_counter()
    edges = similar_edges(items, threshold=threshold, shingle=shingle, permutations=permutations)
    seconds = time.perf_counter() - start
    groups = families((s.key for s in samples), edges, strong=threshold)
    result = {
        "threshold": threshold,
        "shingle": shingle,
        "permutations": permutations,
        "seconds": round(seconds, 3),
        **edge_scores(samples, edges),
        **family_scores(samples, groups),
    }
    if exact is not None:
        result |= lsh_recall(streams, exact, Sketcher(shingle, permutations, 1), threshold)
        family = {s.key: s.family for s in samples}
        fams = np.array([family[k] for k, _ in streams])
        unrelated = np.triu(fams[:, None] != fams[None, :], 1)
        result["unrelated_max_jaccard"] = round(float(exact[unrelated].max()), 4)
    result["mutation_recall"] = mutation_recall(samples, groups)
    return result


def print_default(default: dict[str, Any], t: float, k: int, p: int) -> None:
    """The run at the default parameters, one measure a line."""
    print(
        f"\ndefaults: threshold {t}, shingle {k}, permutations {p} "
        f"({default['bands']} bands x {default['rows']} rows)"
    )
    for key in (
        "seconds",
        "edges",
        "edge_precision",
        "ari",
        "pair_precision",
        "pair_recall",
        "families",
        "merged_families",
        "merged_packages",
        "exact_pairs",
        "lsh_recall",
        "lsh_recall_connected",
        "kept_below_threshold",
        "unrelated_max_jaccard",
    ):
        print(f"  {key:22} {default[key]}")
    print("  per tier:", default["per_tier"])
    print("  recall per mutation:", default["mutation_recall"])


def sweep(
    samples: list[Sample],
    args: argparse.Namespace,
    exact_for: Callable[[int], np.ndarray[Any, Any]],
    streams: list[tuple[int, list[str]]],
    sets_cache: dict[int, np.ndarray[Any, Any]],
) -> list[dict[str, Any]]:
    """Every combination of the grids given: one line each, and the rows."""
    rows = []
    print(
        f"\n{'k':>3} {'perm':>5} {'t':>5} {'bxr':>7} {'sec':>6} {'edgeP':>7} {'ARI':>7} "
        f"{'pairR':>7} {'merged':>6} {'exact':>6} {'LSH R':>7} {'conn R':>7} {'unrelJ':>7}"
    )
    for k in map(int, args.shingles.split(",")):
        exact = exact_for(k)
        for p in map(int, args.permutations.split(",")):
            for t in map(float, args.thresholds.split(",")):
                r = run(samples, t, k, p, exact, streams)
                rows.append(r)
                print(
                    f"{k:3} {p:5} {t:5} {r['bands']:3}x{r['rows']:<3} {r['seconds']:6.2f} "
                    f"{r['edge_precision']:7.4f} {r['ari']:7.4f} {r['pair_recall']:7.4f} "
                    f"{r['merged_packages']:6} {r['exact_pairs']:6} "
                    f"{r['lsh_recall']:7.4f} {r['lsh_recall_connected']:7.4f} "
                    f"{r['unrelated_max_jaccard']:7.4f}",
                    flush=True,
                )
        sets_cache.pop(k, None)
    return rows


def main() -> None:
    from malgraph.relations.similar import (
        DEFAULT_PERMUTATIONS,
        DEFAULT_SHINGLE,
        DEFAULT_THRESHOLD,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=80)
    parser.add_argument("--unrelated", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--shingles", default="3,4,5,6,8,10", help="sweep grid")
    parser.add_argument("--permutations", default="64,128,256", help="sweep grid")
    parser.add_argument("--thresholds", default="0.3,0.4,0.5,0.6,0.7", help="sweep grid")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    start = time.perf_counter()
    samples = list(corpus(args.families, args.unrelated, args.seed))
    streams = distinct_streams([s.item for s in samples])
    print(
        f"{len(samples)} packages ({args.families} families, {args.unrelated} unrelated), "
        f"{len(streams)} distinct streams; generated in {time.perf_counter() - start:.1f} s"
    )
    sets_cache: dict[int, np.ndarray[Any, Any]] = {}

    def exact_for(k: int) -> np.ndarray[Any, Any]:
        if k not in sets_cache:
            sk = Sketcher(k, 1, 1)
            sets_cache[k] = exact_jaccard([np.unique(sk.shingles(t)) for _, t in streams])
        return sets_cache[k]

    t, k, p = DEFAULT_THRESHOLD, DEFAULT_SHINGLE, DEFAULT_PERMUTATIONS
    report: dict[str, Any] = {
        "packages": len(samples),
        "families": args.families,
        "unrelated": args.unrelated,
        "streams": len(streams),
    }
    report["default"] = default = run(samples, t, k, p, exact_for(k), streams)
    print_default(default, t, k, p)

    low = round(t - 0.1, 2)
    items = [s.item for s in samples]
    low_edges = similar_edges(items, threshold=low, shingle=k, permutations=p)
    methods = family_methods(samples, low_edges, low, t)
    report["family_methods"] = methods
    print(f"\nfamily methods over edges made at threshold {low}:")
    print(f"  {'method':44} {'ARI':>7} {'pair P':>7} {'pair R':>7} {'merged':>7}")
    for name, m in methods.items():
        print(
            f"  {name:44} {m['ari']:7.4f} {m['pair_precision']:7.4f} "
            f"{m['pair_recall']:7.4f} {m['merged_packages']:7}"
        )

    if args.sweep:
        report["sweep"] = sweep(samples, args, exact_for, streams, sets_cache)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
