"""The shipped lists of each ecosystem's most-depended-on package names (`data/popular/`,
their provenance in `data/popular/README.md`), canonicalised."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from malgraph.core.identity import canonical_name

LISTS = {"npm": "npm.txt", "PyPI": "pypi.txt", "RubyGems": "rubygems.txt"}


@lru_cache(maxsize=8)
def popular_names(ecosystem: str) -> frozenset[str]:
    """The popular names of an ecosystem; empty when none is shipped for it."""
    file = LISTS.get(ecosystem)
    if file is None:
        return frozenset()
    resource = files("malgraph.data").joinpath("popular", file)
    if not resource.is_file():
        return frozenset()
    lines = resource.read_text("utf-8").splitlines()
    return frozenset(
        canonical_name(ecosystem, line.strip())
        for line in lines
        if line.strip() and not line.startswith("#")
    )
