"""Dependency chains shared by the lockfile parsers: from a lockfile's graph of entries and its
direct dependencies, the shortest chain of package names that pulls each entry in."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


def shortest_chains(
    direct: Iterable[Key],
    edges: Mapping[Key, Iterable[Key]],
    name_of: Callable[[Key], str],
) -> dict[Key, tuple[str, ...]]:
    """Each entry reachable from `direct`, and the names of the entries above it on one
    shortest chain (breadth-first, so the first chain found is a shortest one). A direct
    dependency has the empty chain; an entry nothing reaches is absent."""
    chains: dict[Key, tuple[str, ...]] = {}
    queue: deque[Key] = deque()
    for key in direct:
        if key not in chains:
            chains[key] = ()
            queue.append(key)
    while queue:
        key = queue.popleft()
        below = (*chains[key], name_of(key))
        for child in edges.get(key, ()):
            if child not in chains:
                chains[child] = below
                queue.append(child)
    return chains
