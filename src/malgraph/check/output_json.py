"""`malgraph check --format json`: one object, its schema in `data/check-output.schema.json`
(`SCHEMA_VERSION` changes only when a field changes meaning or goes away)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from malgraph.core.check import CheckResult
from malgraph.core.kinds import Severity

SCHEMA_VERSION = 1


def severity_counts(result: CheckResult) -> dict[str, int]:
    counts = Counter(f.severity for f in result.findings)
    return {level.value: counts[level] for level in Severity}


def check_json(result: CheckResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "inputs": {
            "files": list(result.files),
            "archives": list(result.archives),
            "packages": result.packages,
        },
        "problems": [{"file": p.file, "reason": p.reason} for p in result.problems],
        "summary": severity_counts(result),
        "findings": [f.as_json() for f in result.findings],
    }
