"""The life cycle of malicious package-versions: release -> first detection -> removal, the
delays between them, who detects first, and how many new ones appear each month.

A package-version counts when an active (not withdrawn) claim covers it: by naming it, or by
naming no version at all (then it covers every version of its package the store knows). Its
first detection is the earliest date any source gives it, as `store.read.card.version_dates`
reads them: a covering claim's published, modified or imported time, a sample's detection
time, the publication date of a report citing or naming its package. Removal is the earliest
of a registry first seen to have removed it (an upper bound: we only see it when we ask) and
a removal date a covering claim gives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from malgraph.core.graph import LifecycleDates
from malgraph.insights.measures import days_between, ecdf_values, summary

METRICS = ("release_to_detection", "detection_to_removal", "exposure")


class _Timeline:
    """Per covered package-version: release, each detector's earliest date, removal."""

    def __init__(self, dates: LifecycleDates) -> None:
        self.detections: dict[int, dict[str, str]] = {}
        self.removed: dict[int, str] = {}
        for claim in dates.claims:
            self.detections.setdefault(claim.version, {})
            self._detected(claim.version, claim.source, claim.seen)
            self._removed(claim.version, claim.removed)
        for found in dates.detections:
            if found.version in self.detections:
                self._detected(found.version, found.who, found.when)
        for version, when in dates.removals.items():
            if version in self.detections:
                self._removed(version, when)
        self.released = {v: dates.released[v] for v in self.detections if v in dates.released}
        self.ecosystem = dates.ecosystem

    def _detected(self, version: int, who: str, when: str | None) -> None:
        dates = self.detections[version]
        if when and (who not in dates or when < dates[who]):
            dates[who] = when

    def _removed(self, version: int, when: str | None) -> None:
        if when and (version not in self.removed or when < self.removed[version]):
            self.removed[version] = when

    def first(self, version: int) -> str | None:
        return min(self.detections[version].values(), default=None)


def _metric(values: list[float], left_out: Counter[str]) -> dict[str, Any]:
    return {
        "summary": summary(values),
        "negative": sum(1 for v in values if v < 0),  # kept in the values, counted here
        "left_out": dict(sorted(left_out.items())),
        **ecdf_values(values),
    }


def _delays(t: _Timeline, versions: Iterable[int]) -> dict[str, Any]:
    values: dict[str, list[float]] = {m: [] for m in METRICS}
    left: dict[str, Counter[str]] = {m: Counter() for m in METRICS}
    for v in versions:
        released, first, removed = t.released.get(v), t.first(v), t.removed.get(v)
        if released and first:
            values["release_to_detection"].append(days_between(released, first))
        else:
            left["release_to_detection"]["no_release" if not released else "no_detection"] += 1
        if first and removed:
            values["detection_to_removal"].append(days_between(first, removed))
        else:
            left["detection_to_removal"]["no_removal" if not removed else "no_detection"] += 1
        end = removed or first
        if released and end:
            values["exposure"].append(days_between(released, end))
        else:
            left["exposure"]["no_release" if not released else "no_end"] += 1
    return {m: _metric(values[m], left[m]) for m in METRICS}


def _by_source(t: _Timeline) -> dict[str, dict[str, Any]]:
    """Per detector: package-versions it dated, how often it was first (a tie of k detectors
    gives each 1/k, and is counted as a tie), and its delays from release."""
    detected: Counter[str] = Counter()
    first: dict[str, float] = defaultdict(float)
    alone: Counter[str] = Counter()
    tied: Counter[str] = Counter()
    delays: dict[str, list[float]] = defaultdict(list)
    for version, dates in t.detections.items():
        earliest = min(dates.values(), default=None)
        firsts = sorted(who for who, when in dates.items() if when == earliest)
        for who in firsts:
            first[who] += 1 / len(firsts)
            (alone if len(firsts) == 1 else tied)[who] += 1
        for who, when in dates.items():
            detected[who] += 1
            if version in t.released:
                delays[who].append(days_between(t.released[version], when))
    return {
        who: {
            "detected": detected[who],
            "first": round(first[who], 4),
            "first_alone": alone[who],
            "first_tied": tied[who],
            "delays": len(delays[who]),
            "median_delay_days": summary(delays[who])["median"],
            "negative_delays": sum(1 for d in delays[who] if d < 0),
        }
        for who in sorted(detected)
    }


def _monthly(t: _Timeline) -> dict[str, Any]:
    """New package-versions per month and ecosystem, by first detection or release, whichever
    is earlier."""
    months: dict[str, Counter[str]] = defaultdict(Counter)
    left_out = 0
    for version in t.detections:
        dates = [d for d in (t.first(version), t.released.get(version)) if d]
        if dates:
            months[t.ecosystem[version]][min(dates)[:7]] += 1
        else:
            left_out += 1
    return {
        "by_ecosystem": {e: dict(sorted(c.items())) for e, c in sorted(months.items())},
        "left_out_undated": left_out,
    }


def lifecycle(dates: LifecycleDates) -> dict[str, Any]:
    """Release, first detection and removal of every covered package-version, as delays
    (summaries, negatives, what was left out, the sorted values for ECDFs), overall and per
    ecosystem; per detector, how often it is first; new package-versions per month."""
    t = _Timeline(dates)
    versions = sorted(t.detections)
    per_eco: dict[str, list[int]] = defaultdict(list)
    for v in versions:
        per_eco[t.ecosystem[v]].append(v)
    return {
        "package_versions": len(versions),
        "not_covered": dates.package_versions
        - len(versions),  # in the store, but no active claim covers it
        "with_release": len(t.released),
        "with_detection": sum(1 for v in versions if t.detections[v]),
        "with_removal": len(t.removed),
        **_delays(t, versions),
        "by_ecosystem": {eco: _delays(t, vs) for eco, vs in sorted(per_eco.items())},
        "by_source": _by_source(t),
        "monthly": _monthly(t),
        "notes": [
            "delays are in days; negative ones (detected before the release time given) are"
            " kept and counted",
            "exposure runs from release to removal, or to first detection when no removal was seen",
            "removal by a registry is when it was first seen removed: an upper bound",
            "reports count as detectors named 'report:<site>'",
        ],
    }
