"""Evolution of groups, and their active time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from malgraph.core.kinds import GroupKind
from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table
from malgraph.report.sections.common import empty, left_out, share

ASPECTS = ("code", "description", "dependencies")
PAPER_NAME_CHANGES = "88.65%"  # the MalGraph paper's share of name changes in similar groups
COLUMNS = [
    "group kind",
    "groups",
    "steps",
    "name changes",
    "version changes",
    "code changed",
    "description changed",
    "dependencies changed",
]


def _steps_figure(kinds: dict[str, Any], out: Path) -> None:
    figures.grouped_bars(
        out / "evolution-steps.svg",
        {
            k: {
                "name change": v["name_change"]["count"],
                "version change": v["version_change"]["count"],
            }
            for k, v in kinds.items()
            if v["steps"]
        },
        "Steps inside groups (kinds with none left out)",
        ylabel="steps",
    )


def _row(kind: str, v: dict[str, Any]) -> list[Any]:
    changed = [v["changes"]["all"].get(a, {}) for a in ASPECTS]
    return [
        kind,
        v["groups"],
        v["steps"],
        share(v["name_change"]["share"]),
        share(v["version_change"]["share"]),
        *(share(c.get("share_changed")) for c in changed),
    ]


def _notes(kinds: dict[str, Any]) -> list[str]:
    notes = [
        f"{kind}: " + note for kind, v in kinds.items() for note in left_out(v["left_out"], "items")
    ]
    notes += [
        f"{kind}: {v['undated_members']} members without a release time left out"
        for kind, v in kinds.items()
        if v["undated_members"]
    ]
    family = kinds[GroupKind.FAMILY.value]
    if family["steps"]:
        notes.append(
            f"family: {share(family['name_change']['share'])} of steps are "
            f"name changes; the paper counts {PAPER_NAME_CHANGES} in its similar-code "
            "groups, the same kind of group, counted the same way"
        )
    return notes


def section(e: dict[str, Any], out: Path) -> Section:
    kinds = {k.value: e[k] for k in GroupKind}
    if not any(v["steps"] for v in kinds.values()):
        return empty(
            "evolution",
            "Evolution",
            "no group has two members with a release time; "
            "analysed code (families), dependency links or reports naming several "
            "packages, with release dates, fill this section",
        )
    _steps_figure(kinds, out)
    return Section(
        "evolution",
        "Evolution",
        "Inside each group (a code family, a dependency group, the packages one report or "
        "campaign names) the members are sorted by release time, and each consecutive step is a "
        "name change (another package) or a version change (the same package), and changes or "
        "keeps the code, the description and the dependencies (unknown when either side lacks "
        "it, and then not counted in the share).",
        [Figure("evolution-steps.svg", "Name and version changes per group kind")],
        [Table(COLUMNS, [_row(kind, v) for kind, v in kinds.items()])],
        [*_notes(kinds), *e.get("notes", [])],
    )


def active_time_section(e: dict[str, Any], out: Path) -> Section:
    series = {k.value: e[k]["active_time"]["values"] for k in GroupKind}
    if not any(series.values()):
        return empty(
            "active-time",
            "Active time",
            "no group has a dated member; release "
            "dates (from sources or registries) fill this section",
        )
    figures.ecdf(out / "active-time.svg", series, "Active time per group", xlabel="days")
    notes = [
        f"{k.value}: {e[k]['active_time']['left_out_undated_groups']} groups without any dated "
        f"member left out; {e[k]['active_time']['single_dated_member']} with one dated "
        "member count 0 days"
        for k in GroupKind
    ]
    return Section(
        "active-time",
        "Active time",
        "A group's active time is its latest member release minus its earliest, in days: how "
        "long one family, dependency group or co-reported set kept publishing. The figure is "
        "the empirical cumulative distribution per group kind.",
        [Figure("active-time.svg", "ECDF of active time per group kind")],
        [],
        notes,
    )
