"""One archive in, its static features out: read under caps, then each file scanned in memory
(or its scan recalled from a memo, by content) and placed at its path, and the manifests read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from malgraph.analysis.file_scan import dialect_of, placed, scan_file_keeping_tree, settled
from malgraph.analysis.hints import COMMON, code_iocs
from malgraph.analysis.manifests import read_manifests
from malgraph.analysis.setup_facts import SetupFacts, is_setup_py
from malgraph.artifacts.archives import ArchiveError, Limits, Member, read_archive
from malgraph.core.code import (
    Analysis,
    CodeIoc,
    Dependency,
    Features,
    FileFacts,
    Finding,
    Import,
    ObfuscationSign,
)
from malgraph.core.file_scans import FileScan, FileScanKey, FileScanMemo
from malgraph.core.kinds import AnalysisStatus, ScanDialect
from malgraph.core.languages import language_of

# Malware sample sets (DataDog's among them) encrypt their zips with this well-known password.
SAMPLE_PASSWORD = b"infected"
DEFAULT_LIMITS = Limits()
MAX_SCANNED_BYTES = 2 * 2**20  # a code file above this is hashed and listed, not parsed


class _File(NamedTuple):
    member: Member
    sha256: str
    dialect: ScanDialect | None  # None: hashed and listed, not scanned


def analyze_archive(
    data: bytes,
    name: str = "",
    limits: Limits = DEFAULT_LIMITS,
    memo: FileScanMemo | None = None,
) -> Analysis:
    """Never raises for a bad archive: that is a finding about the artifact, recorded as such.
    With a memo, files it knows are not scanned again (the features are the same)."""
    try:
        contents = read_archive(data, name, password=SAMPLE_PASSWORD, limits=limits)
    except ArchiveError as exc:
        return Analysis(AnalysisStatus.UNREADABLE, None, str(exc), (), None)
    skipped = tuple((s.path, s.reason) for s in contents.skipped)
    members = contents.members
    if contents.metadata is not None:  # a gem's gemspec, from metadata.gz
        members = (*members, Member("metadata", contents.metadata))
    capped = contents.capped
    if not capped:
        status = AnalysisStatus.OK
    elif capped.startswith("corrupt"):
        status = AnalysisStatus.BROKEN
    else:
        status = AnalysisStatus.CAPPED
    features = analyze_members(members, memo)
    return Analysis(status, contents.format, contents.capped, skipped, features)


def analyze_members(members: Sequence[Member], memo: FileScanMemo | None = None) -> Features:
    """The features of an archive's members: each file scanned apart from its path (or
    recalled from the memo), placed at its path, in path order; then the manifests."""
    files = [_file(member) for member in sorted(members, key=lambda m: m.path)]
    scans, setups = _file_scans(files, memo)
    facts: list[FileFacts] = []
    imports: list[Import] = []
    findings: list[Finding] = []
    iocs: list[CodeIoc] = []
    obfuscation: list[ObfuscationSign] = []
    problems: list[str] = []
    streams: list[str] = []
    setup_facts: dict[Member, SetupFacts] = {}  # by member: an archive may hold a path twice
    for member, sha256, dialect in files:
        language = language_of(member.path)
        if dialect is None:
            facts.append(FileFacts(member.path, sha256, len(member.data), language, None, 0))
            continue
        key = FileScanKey(sha256, dialect)
        scan = placed(scans[key], member.path)
        if key in setups and is_setup_py(member.path):
            setup_facts[member] = setups[key]
        iocs += scan.iocs
        imports += scan.imports
        findings += scan.findings
        problems += scan.problems
        obfuscation += scan.obfuscation
        streams.append(scan.stream)
        digest = scan.normalised_sha256
        facts.append(
            FileFacts(member.path, sha256, len(member.data), language, digest, scan.token_count)
        )
    manifests = read_manifests(members, setup_facts)
    for hook in manifests.install_hooks:  # `curl http://... | sh` in a postinstall
        found = code_iocs(hook.file, COMMON.scan(hook.detail))
        iocs += [replace(i, line=hook.line or 1) for i in found]
    return Features(
        files=tuple(facts),
        manifests=manifests.manifests,
        dependencies=_with_snippets(manifests.dependencies, members),
        install_hooks=manifests.install_hooks,
        imports=tuple(imports),
        findings=tuple(findings),
        iocs=tuple(iocs),
        obfuscation=tuple(obfuscation),
        tokens=" ".join(s for s in streams if s),
        problems=(*problems, *manifests.problems),
    )


def _file(member: Member) -> _File:
    sha256 = hashlib.sha256(member.data).hexdigest()
    dialect = dialect_of(member.path)
    if len(member.data) > MAX_SCANNED_BYTES or b"\x00" in member.data[:1024]:
        dialect = None  # too large to parse, or binary
    return _File(member, sha256, dialect)


def _file_scans(
    files: Sequence[_File], memo: FileScanMemo | None
) -> tuple[dict[FileScanKey, FileScan], dict[FileScanKey, SetupFacts]]:
    """The scan of each distinct content to scan: asked of the memo at once, scanned when it
    does not know it, and told to the memo when the scan depends on the bytes alone. Also the
    setup.py facts of the setup.py files scanned here, for the manifest reader (a recalled
    scan has none: the reader parses and walks that setup.py itself)."""
    wanted = {FileScanKey(f.sha256, f.dialect): f.member.data for f in files if f.dialect}
    setups = {
        FileScanKey(f.sha256, f.dialect)
        for f in files
        if f.dialect is ScanDialect.PYTHON and is_setup_py(f.member.path)
    }
    scans = dict(memo.recall(wanted.keys())) if memo is not None and wanted else {}
    facts: dict[FileScanKey, SetupFacts] = {}
    for key, data in wanted.items():
        if key not in scans:
            scans[key], setup = scan_file_keeping_tree(data, key.dialect, key in setups)
            if setup is not None:
                facts[key] = setup
            if memo is not None and settled(scans[key]):
                memo.remember(key, scans[key])
    return scans, facts


def _with_snippets(
    found: Sequence[Dependency], members: Sequence[Member]
) -> tuple[Dependency, ...]:
    """Each declared dependency with its manifest line as written: the evidence an analyst
    reads first."""
    texts: dict[str, list[str]] = {}
    out = []
    for dep in found:
        if dep.line is None:
            out.append(dep)
            continue
        if dep.file not in texts:
            data = next((m.data for m in members if m.path == dep.file), b"")
            texts[dep.file] = data[:MAX_SCANNED_BYTES].decode("utf-8", "replace").split("\n")
        lines = texts[dep.file]
        line = lines[dep.line - 1].strip()[:200] if dep.line <= len(lines) else ""
        out.append(replace(dep, snippet=line))
    return tuple(out)
