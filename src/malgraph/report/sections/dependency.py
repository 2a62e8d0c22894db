"""Dependency-hidden malware."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from malgraph.report import figures
from malgraph.report.html import Figure, Linked, Section, Table
from malgraph.report.sections.common import empty


def _package(ecosystem: str, name: str, explorer: str | None) -> object:
    """The name, linked to its page in the explorer when the report is given one."""
    if explorer is None:
        return name
    return Linked(name, f"{explorer}/package/{quote(ecosystem, safe='')}/{quote(name, safe='@')}")


def section(d: dict[str, Any], out: Path, explorer: str | None = None) -> Section:
    if not d["groups"]:
        return empty(
            "dependency",
            "Dependency-hidden malware (RQ3)",
            "no malicious package is "
            "pulled in by another; manifests from `malgraph analyze`, or sources that "
            "list dependencies, fill this section",
        )
    days = [g["active_days"] for g in d["groups"] if g["active_days"] is not None]
    figures.histogram(
        out / "dependency-groups.svg",
        [g["size"] for g in d["groups"]],
        "Dependency group sizes",
        xlabel="packages",
    )
    rows = [
        [h["ecosystem"], _package(h["ecosystem"], h["name"], explorer), h["dependents"]]
        for h in d["hidden"]
    ]
    return Section(
        "dependency",
        "Dependency-hidden malware (RQ3)",
        "A hidden package is a malicious package that another package pulls in: declared in "
        "its manifest (with a version spec that admits a malicious version), imported by its "
        "code under the ecosystem's rules, or listed by a source. Groups are the weakly "
        f"connected components of these links. {d['hidden_packages']} hidden packages are "
        f"pulled in by {d['dependent_packages']} packages, in {len(d['groups'])} groups; "
        f"{len(days)} groups have an active time.",
        [Figure("dependency-groups.svg", "Dependency group sizes")],
        [Table(["ecosystem", "hidden package", "dependents"], rows)],
        [f"{d['groups_without_dates']} groups without any release date"]
        if d["groups_without_dates"]
        else [],
    )
