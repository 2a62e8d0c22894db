"""Attack campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table
from malgraph.report.sections.common import empty, left_out


def _candidate_rows(c: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            k["id"],
            k["size"],
            k["confidence"],
            ", ".join(f"{kind} {n}" for kind, n in sorted(k["evidence_counts"].items()) if n),
            ", ".join(m["name"] for m in k["members"][:5])
            + (" …" if len(k["members"]) > 5 else ""),
        ]
        for k in c["candidates"]
    ]


def _tables(c: dict[str, Any]) -> list[Table]:
    """Candidates; named campaigns and report sites when there are any."""
    named = sorted(c["named"], key=lambda n: (-n["members"], n["name"]))
    named_rows = [
        [
            n["source"],
            n["name"],
            n["category"] or "",
            n["members"],
            ", ".join(n["candidates"]) or "-",
        ]
        for n in named
    ]
    sites = [[category, n["sites"], n["reports"]] for category, n in c["report_sites"].items()]
    tables = [
        Table(
            ["candidate", "packages", "confidence", "evidence", "members"],
            _candidate_rows(c),
            "Candidates",
        )
    ]
    if named_rows:
        tables.append(
            Table(
                ["source", "campaign", "category", "members", "candidates"],
                named_rows,
                "Named campaigns",
            )
        )
    if sites:
        tables.append(Table(["category", "sites", "reports"], sites, "Report sites by category"))
    return tables


def section(c: dict[str, Any], out: Path) -> Section:
    if not (c["candidates"] or c["named"] or c["report_sites"]):
        return empty(
            "campaigns",
            "Campaigns (RQ4)",
            "no packages are joined by a report, "
            "family, dependency or IoC; security reports or campaign lists (kam193) "
            "fill this section",
        )
    figures.histogram(
        out / "campaign-sizes.svg",
        [k["size"] for k in c["candidates"]],
        "Campaign candidate sizes",
        xlabel="packages",
        log=True,
    )
    notes = left_out(c["left_out"], "links")
    if not c["named"]:
        notes.append(
            "no named campaign: kam193's campaign lists or reports naming one fill that table"
        )
    return Section(
        "campaigns",
        "Campaigns (RQ4)",
        "A campaign candidate is a connected group of packages joined by any of: a security "
        "report naming them together, one code family, a dependency link, or a shared IoC "
        f"(list-like reports and very common IoCs are skipped). Confidence is "
        f"{c['confidence_formula']}, with weights {c['weights']}. Named campaigns (kam193, "
        "reports) are listed beside, with the candidates their members fall in.",
        [Figure("campaign-sizes.svg", "Campaign candidate sizes")],
        _tables(c),
        notes,
    )
