"""Which versions a claim covers: its listed versions, and its OSV ranges read as the
constraints the dependency relation already evaluates (`spec_admits`, per ecosystem).

An OSV range is a list of events: from each `introduced` up to the next `fixed` (excluded) or
`last_affected` (included); "0" introduces from the first version. A range of another type
(GIT) or in an ecosystem without a version order here cannot be evaluated: None."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

from malgraph.core.check import StoredClaim
from malgraph.core.model import Scope
from malgraph.relations.dependency_rules import spec_admits

_ORDERED_TYPES = frozenset({"SEMVER", "ECOSYSTEM"})
_SEPARATOR = {"npm": " ", "PyPI": ",", "RubyGems": ", "}


def _bounds(events: Sequence[Any]) -> Iterable[tuple[str | None, str | None, bool]]:
    """(lower, upper, upper included) per interval of a range's events, in their order."""
    lower: str | None = None
    opened = False
    for event in events:
        if not isinstance(event, dict):
            continue
        if "introduced" in event:
            if opened:
                yield lower, None, False
            introduced = str(event["introduced"])
            lower, opened = (None if introduced == "0" else introduced), True
        elif opened and ("fixed" in event or "last_affected" in event):
            included = "last_affected" in event
            yield lower, str(event["last_affected" if included else "fixed"]), included
            opened = False
    if opened:
        yield lower, None, False


def _spec(ecosystem: str, lower: str | None, upper: str | None, included: bool) -> str:
    gem = ecosystem == "RubyGems"
    parts = []
    if lower is not None:
        parts.append(f">= {lower}" if gem else f">={lower}")
    if upper is not None:
        op = "<=" if included else "<"
        parts.append(f"{op} {upper}" if gem else f"{op}{upper}")
    return _SEPARATOR[ecosystem].join(parts) or "*"


def range_admits(ecosystem: str, version: str, ranges: Sequence[Any]) -> bool | None:
    """Whether OSV `ranges` cover `version`; None when none of them can be evaluated."""
    if ecosystem not in _SEPARATOR:
        return None
    evaluated = False
    for rng in ranges:
        if not isinstance(rng, dict) or rng.get("type") not in _ORDERED_TYPES:
            continue
        for lower, upper, included in _bounds(rng.get("events") or ()):
            admitted = spec_admits(ecosystem, _spec(ecosystem, lower, upper, included), [version])
            if admitted is None:
                continue
            evaluated = True
            if admitted:
                return True
    return False if evaluated else None


def _listed(ecosystem: str, version: str, listed: Iterable[str]) -> bool:
    """Whether `version` is one of `listed`: by PEP 440 equality for PyPI (pip installs 1.0
    for `==1.0.0`), as written elsewhere."""
    if version in listed:
        return True
    if ecosystem.split(":", 1)[0] != "PyPI":
        return False
    wanted = _pep440(version)
    return wanted is not None and any(_pep440(other) == wanted for other in listed)


@lru_cache(maxsize=65536)
def _pep440(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def covers(claim: StoredClaim, ecosystem: str, version: str) -> bool | None:
    """Whether the claim names this (canonical) version malicious: True, False, or None when
    it cannot say (every version, versions unknown, a range that cannot be evaluated)."""
    if claim.scope in (Scope.ALL, Scope.UNKNOWN):
        return None
    if _listed(ecosystem, version, claim.versions):
        return True
    if claim.scope == Scope.LISTED:
        return False
    return range_admits(ecosystem, version, claim.ranges)


def spec_covers(claim: StoredClaim, ecosystem: str, spec: str | None) -> list[str] | None:
    """The versions the claim lists that a dependency's constraint admits (the file pins
    none); None when it cannot say."""
    if claim.scope in (Scope.ALL, Scope.UNKNOWN) or not claim.versions or spec is None:
        return None
    return spec_admits(ecosystem, spec, claim.versions)
