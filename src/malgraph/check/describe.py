"""A finding told in one line of words, for the table, the markdown comment and SARIF."""

from __future__ import annotations

from typing import Any

from malgraph.core.check import Finding
from malgraph.core.kinds import FindingKind


def package_label(finding: Finding) -> str:
    version = f"@{finding.version}" if finding.version else ""
    return f"{finding.ecosystem} {finding.name}{version}"


def _claims(evidence: Any) -> str:
    claims = evidence.get("claims", [])
    ids = ", ".join(f"{c['source']} {c['id']}" for c in claims[:3])
    more = f" and {len(claims) - 3} more" if len(claims) > 3 else ""
    withdrawn = evidence.get("withdrawn", [])
    note = f" ({len(withdrawn)} withdrawn claim(s) besides)" if withdrawn else ""
    return f"{ids}{more}{note}"


def _pulls_in(evidence: Any) -> str:
    links = evidence.get("pulls_in", [])
    paths = "; ".join(" > ".join(link["path"]) for link in links[:3])
    more = f" and {len(links) - 3} more" if len(links) > 3 else ""
    return f"depends on malicious {paths}{more}"


def _similar(evidence: Any) -> str:
    nearest = evidence["nearest"][0]
    family = f", family {nearest['family']}" if nearest.get("family") else ""
    return (
        f"code {nearest['tier']} (score {nearest['score']:.2f}) with malicious "
        f"{nearest['ecosystem']} {nearest['name']}@{nearest['version']}{family}"
    )


def _name_like(evidence: Any) -> str:
    like = evidence["like"][0]
    imitated = f", a typosquat of {like['imitates']}" if like.get("imitates") else ""
    return f"name {like['how']} from malicious {like['name']}{imitated}"


def describe(finding: Finding) -> str:
    """What the finding says, and the strongest of its evidence, in one line."""
    evidence = finding.evidence
    kind = finding.kind
    if kind == FindingKind.MALICIOUS_VERSION:
        if finding.version is None:
            admits = ", ".join(evidence.get("admits", []))
            return f"its constraint admits malicious {admits}: {_claims(evidence)}"
        return f"this version is claimed malicious: {_claims(evidence)}"
    if kind == FindingKind.MALICIOUS_PACKAGE:
        return f"the package is claimed malicious (every or unknown versions): {_claims(evidence)}"
    if kind == FindingKind.PULLS_IN_MALICIOUS:
        return _pulls_in(evidence)
    if kind == FindingKind.SIMILAR_TO_MALICIOUS:
        return _similar(evidence)
    return _name_like(evidence)
