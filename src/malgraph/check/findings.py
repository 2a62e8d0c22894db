"""The findings of `malgraph check`, as pure functions of typed inputs: a package a project
names (a `Subject`) and what the store holds about it in, `Finding`s out.

Withdrawn claims never make a finding: they are listed in the evidence of a finding that
active claims make, as context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from malgraph.check.versions import covers, spec_covers
from malgraph.core.check import CodeMatch, Finding, PackageClaims, PackageKey, PullsIn, StoredClaim
from malgraph.core.check_inputs import Dependency
from malgraph.core.identity import canonical_name, canonical_version
from malgraph.core.kinds import FindingKind, Severity, SimilarTier
from malgraph.core.model import Scope

MATCHES_KEPT = 5  # similar package-versions quoted per finding, strongest first
PULLS_IN_KEPT = 5  # pieces of evidence quoted per depends-on edge


@dataclass(frozen=True, slots=True)
class Subject:
    """One package a project names, once per file and version (copies merged)."""

    ecosystem: str
    name: str  # as the file writes it
    canonical: str
    version: str | None  # canonical
    spec: str | None
    file: str
    path: tuple[str, ...]

    @property
    def key(self) -> PackageKey:
        return self.ecosystem, self.canonical


def subjects(dependencies: Iterable[Dependency]) -> list[Subject]:
    """The dependencies once per (ecosystem, name, version, file), the shortest path kept."""
    found: dict[tuple[str, str, str | None, str], Subject] = {}
    for dep in dependencies:
        name = canonical_name(dep.ecosystem, dep.name)
        version = canonical_version(dep.ecosystem, dep.version) if dep.version else None
        key = (dep.ecosystem, name, version, dep.file)
        old = found.get(key)
        if old is None or len(dep.path) < len(old.path):
            found[key] = Subject(
                dep.ecosystem, dep.name, name, version, dep.spec, dep.file, dep.path
            )
    return list(found.values())


def _finding(
    subject: Subject,
    kind: FindingKind,
    severity: Severity,
    claims: Sequence[StoredClaim],
    evidence: dict[str, Any],
    version: str | None,
) -> Finding:
    return Finding(
        kind,
        severity,
        subject.ecosystem,
        subject.name,
        version,
        subject.file,
        tuple(sorted({c.source for c in claims})),
        evidence,
        subject.path,
    )


def claim_finding(subject: Subject, package: PackageClaims | None) -> Finding | None:
    """malicious-version when an active claim names the version the file pins (or, with no
    version pinned, one its constraint admits: suspicious); malicious-package when a claim
    holds every version or does not say which; None when no active claim reaches it."""
    if package is None:
        return None
    active = [c for c in package.claims if c.withdrawn is None]
    context = {"withdrawn": [c.as_json() for c in package.claims if c.withdrawn is not None]}
    if subject.version is not None:
        said = [(c, covers(c, subject.ecosystem, subject.version)) for c in active]
        exact = [c for c, covered in said if covered]
        if exact:
            evidence = {"claims": [c.as_json() for c in exact], **context}
            return _finding(
                subject,
                FindingKind.MALICIOUS_VERSION,
                Severity.MALICIOUS,
                exact,
                evidence,
                subject.version,
            )
        wide = [c for c, covered in said if covered is None]
        if wide:
            evidence = {"claims": [c.as_json() for c in wide], **context}
            return _finding(
                subject, FindingKind.MALICIOUS_PACKAGE, Severity.MALICIOUS, wide, evidence, None
            )
        return None
    return _unpinned_finding(subject, active, context)


def _unpinned_finding(
    subject: Subject, active: list[StoredClaim], context: dict[str, Any]
) -> Finding | None:
    """The file names the package without a version: every claim reaches it unless its
    constraint admits none of the versions a claim lists."""
    admitted: dict[str, None] = {}
    reaching: list[StoredClaim] = []
    for claim in active:
        versions = spec_covers(claim, subject.ecosystem, subject.spec)
        if versions is None or versions:
            reaching.append(claim)
            admitted.update(dict.fromkeys(versions or ()))
    if not reaching:
        return None
    evidence = {"claims": [c.as_json() for c in reaching], "spec": subject.spec, **context}
    if any(c.scope in (Scope.ALL, Scope.UNKNOWN) for c in reaching):
        kind, severity = FindingKind.MALICIOUS_PACKAGE, Severity.MALICIOUS
    elif admitted:
        kind, severity = FindingKind.MALICIOUS_VERSION, Severity.SUSPICIOUS
        evidence["admits"] = sorted(admitted)
    else:
        kind, severity = FindingKind.MALICIOUS_PACKAGE, Severity.SUSPICIOUS
    return _finding(subject, kind, severity, reaching, evidence, None)


def pulls_in_finding(subject: Subject, edges: Sequence[PullsIn]) -> Finding | None:
    """pulls-in-malicious: the locked package-version's own manifests or code (or a source's
    list of its dependencies) depend on malicious packages. Malicious when a link admits a
    malicious version; a warning when links only name the package."""
    if not edges:
        return None
    strong = [e for e in edges if not e.name_only]
    severity = Severity.MALICIOUS if strong else Severity.WARNING
    shown = strong or list(edges)
    evidence = {
        "pulls_in": [
            {
                "ecosystem": e.target_ecosystem,
                "name": e.target_name,
                "path": [*subject.path, subject.name, e.target_name],
                "confidence": e.confidence,
                "name_only": e.name_only,
                "from": "version" if e.version is not None else "package",
                "evidence": [dict(x) for x in e.evidence[:PULLS_IN_KEPT]],
            }
            for e in shown
        ]
    }
    return _finding(
        subject, FindingKind.PULLS_IN_MALICIOUS, severity, (), evidence, subject.version
    )


def similar_finding(
    subject: Subject, matches: Sequence[CodeMatch], extra: dict[str, Any] | None = None
) -> Finding | None:
    """similar-to-malicious: the nearest malicious package-versions by the similar relation's
    tiers (strongest tier, then score). The same archive bytes as known malware is malicious;
    shared code files or near-duplicate code suspicious."""
    claimed = [m for m in matches if m.claimed]
    if not claimed:
        return None
    order = {tier: rank for rank, tier in enumerate(SimilarTier)}
    claimed.sort(key=lambda m: (order[m.tier], -m.score, m.ecosystem, m.name, m.version))
    nearest = claimed[0]
    severity = (
        Severity.MALICIOUS if nearest.tier == SimilarTier.IDENTICAL_ARCHIVE else Severity.SUSPICIOUS
    )
    evidence: dict[str, Any] = {
        "nearest": [
            {
                "ecosystem": m.ecosystem,
                "name": m.name,
                "version": m.version,
                "tier": m.tier.value,
                "score": m.score,
                "family": m.family,
                **dict(m.evidence),
            }
            for m in claimed[:MATCHES_KEPT]
        ],
        "families": sorted({m.family for m in claimed if m.family}),
        "matches": len(claimed),
        **(extra or {}),
    }
    return _finding(
        subject, FindingKind.SIMILAR_TO_MALICIOUS, severity, (), evidence, subject.version
    )


def fails(findings: Iterable[Finding], level: Severity) -> bool:
    """Whether any finding is at or above `level`."""
    return any(f.severity.rank <= level.rank for f in findings)


def targets(finding: Finding) -> list[PackageKey]:
    """The malicious packages a code or name finding points at (none for a claim finding)."""
    evidence = finding.evidence
    if finding.kind == FindingKind.PULLS_IN_MALICIOUS:
        return [(e["ecosystem"], e["name"]) for e in evidence["pulls_in"]]
    if finding.kind == FindingKind.SIMILAR_TO_MALICIOUS:
        return [(m["ecosystem"], m["name"]) for m in evidence["nearest"]]
    if finding.kind == FindingKind.NAME_LIKE_MALICIOUS:
        return [(finding.ecosystem, like["name"]) for like in evidence["like"]]
    return []


def with_target_sources(finding: Finding, claims: Mapping[PackageKey, PackageClaims]) -> Finding:
    """A code or name finding with the sources whose active claims make its targets
    malicious: the sources behind it."""
    found = {
        claim.source
        for key in targets(finding)
        if key in claims
        for claim in claims[key].claims
        if claim.withdrawn is None
    }
    return replace(finding, sources=tuple(sorted(found))) if found else finding
