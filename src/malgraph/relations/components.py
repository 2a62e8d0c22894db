"""Connected components by union-find: families, dependency groups and campaign candidates
are all groups of nodes joined by pairs."""

from __future__ import annotations

from collections.abc import Iterable


def components(nodes: Iterable[int], pairs: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Groups of two or more nodes joined by `pairs`, ordered by their smallest node. Pairs
    touching a node outside `nodes` are ignored."""
    parent = {n: n for n in nodes}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    for a, b in pairs:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for n in parent:
        groups.setdefault(root(n), set()).add(n)
    return sorted((g for g in groups.values() if len(g) > 1), key=min)
