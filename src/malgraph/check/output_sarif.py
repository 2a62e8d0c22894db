"""`malgraph check --format sarif`: SARIF 2.1.0 for code-scanning UIs, one rule per finding
kind, each result located at the project file (and the line naming the package, when a
plain text search finds it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from malgraph.check.describe import describe, package_label
from malgraph.check.inputs import is_archive
from malgraph.check.locate import line_of
from malgraph.check.output_json import SCHEMA_VERSION
from malgraph.core.check import CheckResult, Finding
from malgraph.core.kinds import FindingKind, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/malgraph/malgraph"
LEVELS = {Severity.MALICIOUS: "error", Severity.SUSPICIOUS: "warning", Severity.WARNING: "note"}
# GitHub code scanning ranks security results by this property (0-10).
SECURITY_SEVERITY = {Severity.MALICIOUS: "9.8", Severity.SUSPICIOUS: "7.0", Severity.WARNING: "4.0"}
RULES: dict[FindingKind, tuple[str, str]] = {
    FindingKind.MALICIOUS_VERSION: (
        "A dependency version is claimed malicious",
        "One or more sources in the malgraph store claim this exact package-version malicious.",
    ),
    FindingKind.MALICIOUS_PACKAGE: (
        "A dependency is claimed malicious in every version",
        "A source claims every version of this package malicious, or does not say which.",
    ),
    FindingKind.PULLS_IN_MALICIOUS: (
        "A dependency pulls in a malicious package",
        "The dependency's own manifests or code (held in the store) depend on a malicious"
        " package: dependency-hidden malware.",
    ),
    FindingKind.SIMILAR_TO_MALICIOUS: (
        "A package's code is like known malware",
        "The package's code is the same as, or a near copy of, a malicious package's code by"
        " the similar relation's tiers.",
    ),
    FindingKind.NAME_LIKE_MALICIOUS: (
        "A dependency's name is like a typosquat's",
        "The name is one edit or one confusable character from a package of a known"
        " typosquatting family.",
    ),
}
_KINDS = list(FindingKind)


def _uri(file: str) -> str:
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix(), safe="/:@-._~")


def _rule(kind: FindingKind) -> dict[str, Any]:
    short, full = RULES[kind]
    return {
        "id": kind.value,
        "name": "".join(part.title() for part in kind.value.split("-")),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "supply-chain", "malware"]},
    }


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.file)}}
    line = None if is_archive(Path(finding.file).name) else line_of(finding.file, finding.name)
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _result(finding: Finding) -> dict[str, Any]:
    label = package_label(finding)
    return {
        "ruleId": finding.kind.value,
        "ruleIndex": _KINDS.index(finding.kind),
        "level": LEVELS[finding.severity],
        "message": {"text": f"{label}: {describe(finding)}"},
        "locations": [_location(finding)],
        "partialFingerprints": {
            "malgraph/v1": f"{finding.kind.value}|{finding.ecosystem}|{finding.name}"
            f"|{finding.version or ''}|{finding.file}"
        },
        "properties": {
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "severity": finding.severity.value,
            "finding": finding.as_json(),
        },
    }


def check_sarif(result: CheckResult, tool_version: str) -> dict[str, Any]:
    notifications = [
        {
            "level": "warning",
            "message": {"text": f"{p.file}: {p.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(p.file)}}}],
        }
        for p in result.problems
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "malgraph",
                        "version": tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(kind) for kind in _KINDS],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notifications,
                        "properties": {"malgraphJsonSchema": SCHEMA_VERSION},
                    }
                ],
                "results": [_result(f) for f in result.findings],
            }
        ],
    }
