"""RQ2: diversity, as families of code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table
from malgraph.report.sections.common import empty, share


def section(d: dict[str, Any], out: Path) -> Section:
    if not d["available_package_versions"]:
        return empty(
            "diversity",
            "Diversity (RQ2)",
            "no package-version has analysed code; "
            "`malgraph fetch`, `analyze` and `relate` fill this section",
        )
    figures.histogram(
        out / "diversity-sizes.svg",
        {int(k): v for k, v in d["sizes"].items()},
        "Family sizes",
        xlabel="members",
        log=True,
    )
    rows = [
        [eco, e["available"], e["in_families"], e["families"], share(e["share_in_families"])]
        for eco, e in sorted(d["by_ecosystem"].items())
    ]
    return Section(
        "diversity",
        "Diversity (RQ2)",
        "A family is a group of package-versions whose code is the same or nearly so (the "
        "similar relation's strong edges: identical archives, files or normalised code, and "
        "near-duplicates). The share in families is the paper's diversity measure: how much of "
        "the available code is a copy or variant of other code. Only package-versions with "
        f"analysed code count: {d['available_package_versions']} of them, "
        f"{d['in_families']} in {d['count']} families.",
        [Figure("diversity-sizes.svg", "Family size distribution")],
        [Table(["ecosystem", "with code", "in families", "families", "share"], rows)],
    )
