"""The life cycle: release, detection, removal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table
from malgraph.report.sections.common import empty, left_out

DELAYS = ("release_to_detection", "detection_to_removal", "exposure")


def _figures(lc: dict[str, Any], out: Path) -> list[Figure]:
    figures.ecdf(
        out / "lifecycle-delays.svg",
        {d.replace("_", " "): lc[d]["values"] for d in DELAYS},
        "Life cycle delays",
        xlabel="days",
        log_x=True,
    )
    firsts = {src: v["first"] for src, v in lc["by_source"].items() if v["first"]}
    figures.bars(
        out / "lifecycle-first.svg",
        firsts,
        "Which sources detect first",
        ylabel="package-versions detected first",
        horizontal=True,
    )
    figures.lines(
        out / "lifecycle-monthly.svg",
        lc["monthly"]["by_ecosystem"],
        "New malicious package-versions per month",
        xlabel="month",
        ylabel="package-versions",
        fill_missing=0,
    )
    return [
        Figure("lifecycle-delays.svg", "ECDF of life cycle delays"),
        Figure("lifecycle-first.svg", "First detections per source"),
        Figure("lifecycle-monthly.svg", "New package-versions per month per ecosystem"),
    ]


def _table(lc: dict[str, Any]) -> Table:
    rows = [
        [
            eco,
            *(v[d]["summary"]["count"] for d in DELAYS),
            *(v[d]["summary"]["median"] for d in DELAYS),
        ]
        for eco, v in sorted(lc["by_ecosystem"].items())
    ]
    return Table(
        [
            "ecosystem",
            "n release→detection",
            "n detection→removal",
            "n exposure",
            "median release→detection",
            "median detection→removal",
            "median exposure",
        ],
        rows,
    )


def _notes(lc: dict[str, Any]) -> list[str]:
    notes = [
        f"{d.replace('_', ' ')}: " + note
        for d in DELAYS
        for note in left_out(lc[d]["left_out"], "package-versions")
    ]
    notes += [
        f"{d.replace('_', ' ')}: {lc[d]['negative']} negative delays (kept)"
        for d in DELAYS
        if lc[d]["negative"]
    ]
    notes += left_out(lc["monthly"].get("left_out", {}), "package-versions")
    return notes


def section(lc: dict[str, Any], out: Path) -> Section:
    if not (any(lc[d]["values"] for d in DELAYS) or lc["monthly"]["by_ecosystem"]):
        return empty(
            "lifecycle",
            "Life cycle",
            "no package-version has a release or "
            "detection date; sources with dates, or registry metadata, fill this "
            "section",
        )
    return Section(
        "lifecycle",
        "Life cycle",
        "Per package-version: release (from sources and registries), first detection (the "
        "earliest date any source, sample or report gives), and removal (a registry seen "
        "without it, or a source's removal date; an upper bound on when it went). Delays are "
        "release to first detection, detection to removal, and the exposure window (release to "
        "removal, or to detection when no removal was seen). Months count new malicious "
        "package-versions by first detection (or release when earlier).",
        _figures(lc, out),
        [_table(lc)],
        _notes(lc),
    )
