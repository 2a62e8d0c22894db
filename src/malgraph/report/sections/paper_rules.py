"""The report's section for the paper's rules: RQ1 counted as the MalGraph paper counted it,
and the reproduction table setting each of its figures beside malgraph's."""

from __future__ import annotations

from typing import Any

from malgraph.report.html import Section, Table


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if isinstance(value, float) else str(value)


def section(numbers: dict[str, Any]) -> Section:
    counted = numbers["counted"]
    title = "Reproduction of the paper's RQ1 (paper rules)"
    if not counted["records"]:
        return Section(
            "paper-rules",
            title,
            "No rows of the paper's malware.xlsx in the store: "
            "`malgraph ingest paper` on its artifact fills this section.",
        )
    d = counted["definitions"]
    definition = (
        f"Paper rules: records are {d['records']}; two records match on the "
        f"{d['match']}; "
        f"occurrence counts {d['occurrence']}; missing rate = {d['missing']}, after "
        f"filling = {d['missing_after_filling']}. Sources are named as the sheets name "
        "them."
    )
    table = Table(
        ["quantity", "paper", "malgraph, paper rules", "malgraph, own rules", "why"],
        [
            [
                r["quantity"],
                _shown(r["paper"]),
                _shown(r["paper_rules"]),
                _shown(r["own_rules"]),
                r["why"],
            ]
            for r in numbers["reproduction"]
        ],
        "paper: its text and its Sum sheet; - : not given",
    )
    pairs = Table(
        ["a", "b", "shared name_version"],
        [[p["a"], p["b"], p["shared"]] for p in counted["pairs"]],
        f"{len(counted['pairs'])} source pairs sharing any (the paper's Table IV)",
    )
    return Section("paper-rules", title, definition, tables=[table, pairs])
