"""One `malgraph check` run: the project's packages looked up in the store in a few queries,
each finding made by the pure functions of `check.findings`, sorted worst first."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from malgraph.analysis.file_memo import RecentScans
from malgraph.check.archives import ArchiveCode, code_matches, read_archive_code
from malgraph.check.findings import (
    Subject,
    claim_finding,
    pulls_in_finding,
    similar_finding,
    subjects,
    targets,
    with_target_sources,
)
from malgraph.check.names import NameSubject, name_findings, popular_index
from malgraph.check.popular import popular_names
from malgraph.check.sketches import StoredSketches, stored_sketches
from malgraph.core.check import CheckResult, Finding, PullsIn, VersionRef
from malgraph.core.check_inputs import InputProblem, Inputs
from malgraph.core.identity import canonical_name, canonical_version
from malgraph.store.read.check import (
    claimed_names,
    claims_for,
    pulls_in,
    similar_neighbours,
    stored_versions,
)


def sort_key(finding: Finding) -> tuple[int, str, str, str, str, str]:
    return (
        finding.severity.rank,
        finding.file,
        finding.ecosystem,
        finding.name,
        finding.version or "",
        finding.kind.value,
    )


Popular = Callable[[str], frozenset[str]]  # ecosystem -> its most-depended-on names


def check_subjects(
    db: sqlite3.Connection, found: Sequence[Subject]
) -> tuple[list[Finding], list[Subject]]:
    """The claim, pulls-in and similar findings of these packages, and those of them that no
    claim makes malicious."""
    claims = claims_for(db, (s.key for s in found))
    findings: list[Finding] = []
    unclaimed: list[Subject] = []
    for subject in found:
        finding = claim_finding(subject, claims.get(subject.key))
        if finding is not None:
            findings.append(finding)
        else:
            unclaimed.append(subject)
    findings += _code_findings(db, unclaimed)
    return findings, unclaimed


def check_names(
    db: sqlite3.Connection, found: Sequence[Subject], popular: Popular
) -> list[Finding]:
    """name-like-malicious for these (unclaimed) packages, per ecosystem with a popular list."""
    by_ecosystem: dict[str, list[NameSubject]] = defaultdict(list)
    for s in found:
        if s.canonical:
            by_ecosystem[s.ecosystem].append(
                NameSubject(s.ecosystem, s.canonical, s.name, s.version, s.file, s.path)
            )
    findings: list[Finding] = []
    for ecosystem, names in sorted(by_ecosystem.items()):
        listed = popular(ecosystem)
        if listed:
            findings += name_findings(
                names,
                popular_index(listed),
                partial(claimed_names, db, ecosystem),
            )
    return findings


def _code_findings(db: sqlite3.Connection, found: Sequence[Subject]) -> list[Finding]:
    """For locked packages whose code the store holds: what their stored depends-on and
    similar edges reach (a package already claimed malicious needs neither)."""
    pinned = [s for s in found if s.version is not None]
    held = stored_versions(db, ((s.ecosystem, s.canonical, s.version or "") for s in pinned))
    if not held:
        return []
    refs = list(held.values())
    by_package: dict[tuple[str, str], list[VersionRef]] = {}
    for ref in refs:
        by_package.setdefault((ref.ecosystem, ref.name), []).append(ref)
    edges: dict[tuple[str, str, str], list[PullsIn]] = {}
    for edge in pulls_in(db, refs):
        for ref in by_package.get((edge.ecosystem, edge.name), ()):
            if edge.version is None or edge.version == ref.version:
                edges.setdefault((ref.ecosystem, ref.name, ref.version), []).append(edge)
    neighbours = similar_neighbours(db, refs)
    findings: list[Finding] = []
    for subject in pinned:
        key = (subject.ecosystem, subject.canonical, subject.version or "")
        held_ref = held.get(key)
        if held_ref is None:
            continue
        for finding in (
            pulls_in_finding(subject, edges.get(key, [])),
            similar_finding(subject, neighbours.get(held_ref.id, [])),
        ):
            if finding is not None:
                findings.append(finding)
    return findings


def _archive_subject(archive: ArchiveCode) -> Subject:
    if archive.identity is None:
        return Subject("", Path(archive.file).name, "", None, None, archive.file, ())
    eco, name, version = archive.identity.ecosystem, archive.identity.name, archive.identity.version
    return Subject(
        eco,
        name,
        canonical_name(eco, name),
        canonical_version(eco, version),
        None,
        archive.file,
        (),
    )


@dataclass
class ArchiveChecks:
    """What the archives given made: findings, the subjects of those no claim reaches (for
    the name check), the archives that could not be read, and how many stored archives had to
    be sketched in memory."""

    findings: list[Finding]
    unclaimed: list[Subject]
    problems: list[InputProblem]
    unsketched: int


def check_archives(db: sqlite3.Connection, files: Sequence[str]) -> ArchiveChecks:
    """Each archive: its claims (by the identity its metadata gives) and, unless claimed, the
    nearest malicious code."""
    findings: list[Finding] = []
    found: list[Subject] = []
    problems: list[InputProblem] = []
    stored: StoredSketches | None = None
    memo = RecentScans()  # archives given together often share files (vendored, generated)
    for file in files:
        archive = read_archive_code(file, memo)
        if isinstance(archive, InputProblem):
            problems.append(archive)
            continue
        subject = _archive_subject(archive)
        if subject.canonical:
            claimed = claim_finding(subject, claims_for(db, [subject.key]).get(subject.key))
            if claimed is not None:
                findings.append(claimed)
                continue
        found.append(subject)
        stored = stored if stored is not None else stored_sketches(db)
        matches = [
            m for m in code_matches(db, archive, stored) if (m.ecosystem, m.name) != subject.key
        ]
        extra = {"archive_sha256": archive.sha256}
        if archive.unidentified:
            extra["unidentified"] = archive.unidentified
        similar = similar_finding(subject, matches, extra)
        if similar is not None:
            findings.append(similar)
    return ArchiveChecks(findings, found, problems, stored.unstored if stored else 0)


def _with_sources(db: sqlite3.Connection, findings: list[Finding]) -> list[Finding]:
    """Code and name findings with the sources behind the malicious packages they point at."""
    keys = {key for finding in findings for key in targets(finding)}
    if not keys:
        return findings
    claims = claims_for(db, keys)
    return [with_target_sources(finding, claims) for finding in findings]


def check_inputs(
    db: sqlite3.Connection,
    inputs: Inputs,
    *,
    popular: Popular = popular_names,
) -> CheckResult:
    """Every finding on what `read_inputs` read, worst first. `popular` gives each
    ecosystem's most-depended-on names (the shipped lists)."""
    found = subjects(inputs.dependencies)
    findings, unclaimed = check_subjects(db, found)
    archives = check_archives(db, inputs.archives)
    findings += archives.findings
    findings += check_names(db, [*unclaimed, *archives.unclaimed], popular)
    findings = _with_sources(db, findings)
    unreadable = {p.file for p in archives.problems}
    read = tuple(a for a in inputs.archives if a not in unreadable)
    return CheckResult(
        tuple(sorted(findings, key=sort_key)),
        inputs.files,
        read,
        len(found) + len(read),
        (*inputs.problems, *archives.problems),
        archives.unsketched,
    )
