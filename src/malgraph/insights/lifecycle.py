"""The life cycle of malicious package-versions: release -> first detection -> removal, the
delays between them, who detects first, and how many new ones appear each month.

A package-version counts when an active (not withdrawn) claim covers it: by naming it, or by
naming no version at all (then it covers every version of its package the store knows). Its
first detection is the earliest date any source gives it, as `store.queries.version_dates`
reads them: a covering claim's published, modified or imported time, a sample's detection
time, the publication date of a report citing or naming its package. Removal is the earliest
of a registry first seen to have removed it (an upper bound: we only see it when we ask) and
a removal date a covering claim gives.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from malgraph.insights.measures import days_between, ecdf_values, summary
from malgraph.store.code import release_times

METRICS = ("release_to_detection", "detection_to_removal", "exposure")

_COVERED = """
    WITH claims AS (
        SELECT r.id, r.package_id, s.name AS source, r.removed,
            nullif(min(coalesce(r.published, '9'), coalesce(r.modified, '9'),
                       coalesce(r.imported, '9')), '9') AS seen
        FROM records r JOIN sources s ON s.id = r.source_id
        WHERE r.role = 'claim' AND r.withdrawn IS NULL)
    SELECT rv.version_id, c.source, c.seen, c.removed FROM claims c
    JOIN record_versions rv ON rv.record_id = c.id
    UNION ALL SELECT pv.id, c.source, c.seen, c.removed FROM claims c
    JOIN package_versions pv ON pv.package_id = c.package_id
    WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = c.id)
"""
_SAMPLES = """
    SELECT a.package_version_id, s.name, a.detected FROM artifacts a
    JOIN sources s ON s.id = a.source_id WHERE a.detected IS NOT NULL
"""
_REPORTS = """
    SELECT pv.id, 'report:' || rp.site, rp.published FROM reports rp JOIN (
        SELECT rr.report_id, r.package_id FROM record_reports rr
        JOIN records r ON r.id = rr.record_id
        UNION SELECT report_id, package_id FROM report_mentions
        UNION SELECT report_id, package_id FROM report_link_packages) m ON m.report_id = rp.id
    JOIN package_versions pv ON pv.package_id = m.package_id WHERE rp.published IS NOT NULL
"""
_REMOVED = """
    SELECT package_version_id, min(observed_at) FROM registry_observations
    WHERE status = 'removed' GROUP BY package_version_id
"""


class _Timeline:
    """Per covered package-version: release, each detector's earliest date, removal."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.detections: dict[int, dict[str, str]] = {}
        self.removed: dict[int, str] = {}
        for version, source, seen, removed in db.execute(_COVERED):
            self.detections.setdefault(version, {})
            self._detected(version, source, seen)
            self._removed(version, removed)
        for version, who, when in [*db.execute(_SAMPLES), *db.execute(_REPORTS)]:
            if version in self.detections:
                self._detected(version, who, when)
        for version, when in db.execute(_REMOVED):
            if version in self.detections:
                self._removed(version, when)
        released = release_times(db)
        self.released = {v: released[v] for v in self.detections if v in released}
        self.ecosystem = dict(
            db.execute(
                "SELECT pv.id, p.ecosystem FROM package_versions pv"
                " JOIN packages p ON p.id = pv.package_id"
            )
        )

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


def lifecycle(db: sqlite3.Connection) -> dict[str, Any]:
    """Release, first detection and removal of every covered package-version, as delays
    (summaries, negatives, what was left out, the sorted values for ECDFs), overall and per
    ecosystem; per detector, how often it is first; new package-versions per month."""
    t = _Timeline(db)
    versions = sorted(t.detections)
    per_eco: dict[str, list[int]] = defaultdict(list)
    for v in versions:
        per_eco[t.ecosystem[v]].append(v)
    total = int(db.execute("SELECT count(*) FROM package_versions").fetchone()[0])
    return {
        "package_versions": len(versions),
        "not_covered": total - len(versions),  # in the store, but no active claim covers it
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
