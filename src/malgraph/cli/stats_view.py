"""The human-readable `stats`: counts, the source tables, and the derived numbers."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from malgraph.cli.application import out
from malgraph.cli.output import print_table
from malgraph.cli.safe import shown
from malgraph.relations.dependency import DependencySummary

TOP_PAIRS = 15


def print_stats(numbers: dict[str, Any]) -> None:
    """What `malgraph stats` prints for people (the same numbers as `--format json`)."""
    _print_totals(numbers)
    _print_sources(numbers)
    _print_overlap(numbers)
    _print_shares(numbers)
    _print_code(numbers["code"])
    _print_groups(numbers)


def _print_totals(numbers: dict[str, Any]) -> None:
    out.print(
        f"[bold]{numbers['records']}[/] records, [bold]{numbers['packages']}[/] packages, "
        f"[bold]{numbers['package_versions']}[/] package-versions, "
        f"{numbers['reports']} reports ({numbers['withdrawn_records']} withdrawn records "
        "not counted)"
    )
    if numbers["unknown_ecosystems"]:
        out.print(
            "unknown ecosystems (kept verbatim): "
            + ", ".join(map(shown, numbers["unknown_ecosystems"])),
            highlight=False,
        )


def _print_sources(numbers: dict[str, Any]) -> None:
    table = Table(title="records by source")
    table.add_column("source", no_wrap=True)
    table.add_column("total", justify="right")
    table.add_column("by ecosystem")
    labelled = {s: split for s, split in numbers["by_label"].items() if list(split) != [s]}
    if labelled:
        table.add_column("as labelled by the inputs")
    for source, per in numbers["by_source"].items():
        by_eco = ", ".join(
            f"{shown(eco)} {n}" for eco, n in sorted(per.items(), key=lambda i: -i[1])
        )
        labels = ", ".join(f"{shown(label)} {n}" for label, n in labelled.get(source, {}).items())
        row = [shown(source), str(sum(per.values())), by_eco]
        table.add_row(*row, *([labels] if labelled else []))
    print_table(table)


def _print_overlap(numbers: dict[str, Any]) -> None:
    pairs = [p for p in numbers["overlap"] if p["ecosystem"] == "*" and p["shared"]]
    pairs.sort(key=lambda p: -p["shared"])
    table = Table(
        title=f"source overlap, all ecosystems (unit: {numbers['level']}; "
        + (f"top {TOP_PAIRS} of " if len(pairs) > TOP_PAIRS else "all ")
        + f"{len(pairs)} pairs sharing any)",
        caption="overlap = shared / size of the smaller source",
    )
    for header in ("a", "b"):
        table.add_column(header, overflow="fold")
    for header in ("shared", "jaccard", "overlap"):
        table.add_column(header, justify="right", min_width=len(header))
    for p in pairs[:TOP_PAIRS]:
        table.add_row(
            shown(p["a"]),
            shown(p["b"]),
            str(p["shared"]),
            f"{p['jaccard']:.3f}",
            f"{p['overlap_coefficient']:.3f}",
        )
    print_table(table)


def _print_shares(numbers: dict[str, Any]) -> None:
    occurrence = ", ".join(f"{k} source(s): {v}" for k, v in numbers["occurrence"].items())
    out.print(f"{numbers['level']}s held by n sources: {occurrence}")
    unknown = sum(sum(per.values()) for per in numbers["versions_unknown"].values())
    if unknown:
        out.print(f"records naming no version (package-level evidence only): {unknown}")
    if numbers["single_source_share"] is not None:
        unit = "package-version" if numbers["level"] == "version" else "package"
        out.print(
            f"single-source share: {100 * numbers['single_source_share']:.2f}% of "
            f"{unit}s are held by exactly one source"
        )
    overall = numbers["missing_rate"]["overall"]
    if overall["records"]:
        out.print(
            f"missing rate: {100 * overall['missing']:.2f}% of records without their "
            f"source's code; {100 * overall['missing_after_filling']:.2f}% after filling "
            "from code of the same package-version held by any source"
        )
    out.print("edges: " + (", ".join(f"{k} {v}" for k, v in numbers["edges"].items()) or "none"))


def _print_code(code: dict[str, Any]) -> None:
    analysed = ", ".join(f"{n} {s}" for s, n in code["analyses"].items()) or "none analysed"
    out.print(
        f"code: {code['artifacts']} artifacts for {code['available_package_versions']} "
        f"package-versions ({analysed})"
    )
    held = [
        f"{shown(s)} {a['available']}/{a['package_versions']}"
        for s, a in code["availability"].items()
        if a["available"]
    ]
    if held:
        out.print("package-versions with code, per source: " + ", ".join(held), highlight=False)


def _print_groups(numbers: dict[str, Any]) -> None:
    dependency = numbers["dependency"]
    if dependency["edges"]:
        hidden, by = dependency["hidden_packages"], dependency["dependent_packages"]
        out.print(
            f"dependency-hidden: {hidden} packages pulled in by {by}, "
            f"in {len(dependency['groups'])} groups"
        )
    families = numbers["families"]
    if families["count"]:
        out.print(
            f"code families: {families['count']} (largest {families['largest']}); "
            f"{families['in_families']} of {families['available_package_versions']} "
            "package-versions with code are in one"
        )


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2%}"


def print_paper_rules(counted: dict[str, Any]) -> None:
    """RQ1 by the paper's rules: its per-source table, source pairs and occurrence."""
    if not counted["records"]:
        out.print(
            "no rows of the paper's malware sheets in the store (`malgraph ingest paper` "
            "reads its malware.xlsx; a store made before rows kept their name_version "
            "text needs it ingested into a new store)"
        )
        return
    table = Table(title=f"records by source, paper rules ({counted['definitions']['match']})")
    table.add_column("source", no_wrap=True)
    for header in ("records", "untracked", "missing", "filled", "after filling"):
        table.add_column(header, justify="right")
    overall = counted["missing_rate"]["overall"]
    for source, c in [*counted["by_source"].items(), ("all", overall)]:
        table.add_row(
            shown(source),
            str(c["records"]),
            str(c["untracked"]),
            _percent(c["missing"]),
            str(c["filled"]),
            _percent(c["missing_after_filling"]),
        )
    print_table(table)
    table = Table(title=f"source pairs sharing a name_version ({len(counted['pairs'])} pairs)")
    for header in ("a", "b", "shared"):
        table.add_column(header, justify="right" if header == "shared" else "left")
    for p in counted["pairs"]:
        table.add_row(shown(p["a"]), shown(p["b"]), str(p["shared"]))
    print_table(table)
    occurrence = ", ".join(f"{k} source(s): {v}" for k, v in counted["occurrence"].items())
    out.print(f"records held by n sources ({counted['definitions']['occurrence']}): {occurrence}")
    out.print(
        f"missing rate overall: {_percent(overall['missing'])}, after filling "
        f"{_percent(overall['missing_after_filling'])}"
    )


def print_dependency_summary(found: DependencySummary) -> None:
    vias = ", ".join(f"{n} with {via} evidence" for via, n in sorted(found.by_via.items()))
    out.print(
        f"dependency: {found.edges} depends-on edges"
        + (f" ({vias})" if vias else "")
        + f"; {found.name_only} by name only (no malicious version shown reached; left"
        f" out of the counts); {found.excluded_by_spec} declared dependencies whose"
        " version spec admits no malicious version"
    )
