"""Small numeric helpers the report's analyses share: day differences, summaries, capped lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

VALUES_CAP = 5000  # raw values kept for a figure; more are sampled evenly (see `ecdf_values`)


def days_between(first: str, last: str) -> float:
    """`last - first` in days, 2 decimals; store timestamps are UTC ('...Z')."""
    seconds = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return round(seconds / 86400, 2)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), on a sorted list:
    position q * (n - 1)."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """count, min, p25, median, p75, p90, max and mean, 2 decimals; None for each but count
    when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, **dict.fromkeys(("min", "p25", "median", "p75", "p90", "max", "mean"))}
    return {
        "count": len(ordered),
        "min": ordered[0],
        "p25": round(percentile(ordered, 0.25), 2),
        "median": round(percentile(ordered, 0.5), 2),
        "p75": round(percentile(ordered, 0.75), 2),
        "p90": round(percentile(ordered, 0.9), 2),
        "max": ordered[-1],
        "mean": round(sum(ordered) / len(ordered), 2),
    }


def ecdf_values(values: Sequence[float], cap: int = VALUES_CAP) -> dict[str, Any]:
    """The sorted values for an ECDF. Above `cap`, `cap` of them at evenly spaced ranks (the
    first and last always kept), so the curve keeps its shape and the output is the same on
    every run; `sampled` says so and `total` gives the full count."""
    ordered = sorted(values)
    n = len(ordered)
    if n <= cap:
        return {"total": n, "sampled": False, "values": ordered}
    picked = [ordered[i * (n - 1) // (cap - 1)] for i in range(cap)]
    return {"total": n, "sampled": True, "values": picked}


def share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None
