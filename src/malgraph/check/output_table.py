"""`malgraph check` for people: one rich table of findings, worst first, and what was read."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from malgraph.check.describe import describe, package_label
from malgraph.check.output_json import severity_counts
from malgraph.core.check import CheckResult
from malgraph.core.kinds import Severity

STYLES = {Severity.MALICIOUS: "bold red", Severity.SUSPICIOUS: "yellow", Severity.WARNING: "cyan"}


def findings_table(result: CheckResult, clean: Callable[[str], str] = str) -> Table:
    """Every finding as a row; text from the project files is never read as markup, and
    `clean` makes its control characters visible (the CLI's escape)."""
    table = Table(title="malgraph check", title_justify="left")
    for column in ("severity", "finding", "package", "file", "evidence", "sources"):
        table.add_column(column, overflow="fold")
    for finding in result.findings:
        table.add_row(
            Text(finding.severity.value, style=STYLES[finding.severity]),
            Text(finding.kind.value),
            Text(clean(package_label(finding))),
            Text(clean(finding.file)),
            Text(clean(describe(finding))),
            Text(clean(", ".join(finding.sources))),
        )
    return table


def summary_line(result: CheckResult) -> str:
    counts = severity_counts(result)
    found = ", ".join(f"{n} {level}" for level, n in counts.items() if n) or "no findings"
    read = f"{result.packages} package entries from {len(result.files)} file(s)"
    if result.archives:
        read += f" and {len(result.archives)} archive(s)"
    problems = f"; {len(result.problems)} could not be read" if result.problems else ""
    return f"{found} in {read}{problems}"
