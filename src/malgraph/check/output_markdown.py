"""`malgraph check --format markdown`: a pull-request comment, worst findings first."""

from __future__ import annotations

import re

from malgraph.check.describe import describe, package_label
from malgraph.check.output_json import severity_counts
from malgraph.core.check import CheckResult

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
ICONS = {"malicious": "🛑", "suspicious": "⚠️", "warning": "🔎"}


def md(text: str) -> str:
    """Text from project files and the store, escaped so that markdown shows it as written."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def check_markdown(result: CheckResult) -> str:
    counts = severity_counts(result)
    lines = ["### malgraph check", ""]
    if not result.findings:
        lines.append(
            f"No findings in {result.packages} package entries "
            f"({len(result.files)} file(s), {len(result.archives)} archive(s))."
        )
    else:
        found = ", ".join(f"{ICONS[level]} {n} {level}" for level, n in counts.items() if n)
        lines += [
            f"{found} in {result.packages} package entries.",
            "",
            "| severity | finding | package | file | evidence | sources |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {ICONS[f.severity.value]} {f.severity.value} | `{f.kind.value}` "
            f"| {md(package_label(f))} | {md(f.file)} | {md(describe(f))} "
            f"| {md(', '.join(f.sources))} |"
            for f in result.findings
        ]
    if result.problems:
        lines += ["", "<details><summary>Files that could not be read</summary>", ""]
        lines += [f"- {md(p.file)}: {md(p.reason)}" for p in result.problems]
        lines += ["", "</details>"]
    lines += ["", "_By the evidence of the local malgraph store; nothing was sent anywhere._"]
    return "\n".join(lines) + "\n"
