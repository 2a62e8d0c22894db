"""One archive in, its static features out: read under caps, then scan each member in memory."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Sequence
from dataclasses import replace

from malgraph.analysis.hints import COMMON, code_iocs
from malgraph.analysis.languages import find_hints, scan_code
from malgraph.analysis.manifests import read_manifests
from malgraph.analysis.obfuscation import obfuscation_signs
from malgraph.analysis.tokens import normalised_tokens
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
    token_digest,
)
from malgraph.core.kinds import AnalysisStatus
from malgraph.core.languages import language_of

# Malware sample sets (DataDog's among them) encrypt their zips with this well-known password.
SAMPLE_PASSWORD = b"infected"
DEFAULT_LIMITS = Limits()
MAX_SCANNED_BYTES = 2 * 2**20  # a code file above this is hashed and listed, not parsed
# IoCs are looked for in code and in scripts that run (and in install hooks, below), not in
# documentation or metadata: a README's links or package.json's `homepage` are no indicators,
# and typosquats copy them from the package they imitate.
_SCRIPT_SUFFIXES = (".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs")


def analyze_archive(data: bytes, name: str = "", limits: Limits = DEFAULT_LIMITS) -> Analysis:
    """Never raises for a bad archive: that is a finding about the artifact, recorded as such."""
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
    return Analysis(status, contents.format, contents.capped, skipped, analyze_members(members))


def analyze_members(members: Sequence[Member]) -> Features:
    files: list[FileFacts] = []
    imports: list[Import] = []
    findings: list[Finding] = []
    iocs: list[CodeIoc] = []
    obfuscation: list[ObfuscationSign] = []
    problems: list[str] = []
    streams: list[str] = []
    setup_trees: dict[str, ast.Module] = {}
    for member in sorted(members, key=lambda m: m.path):
        language = language_of(member.path)
        digest = hashlib.sha256(member.data).hexdigest()
        scanned = language or member.path.endswith(_SCRIPT_SUFFIXES)
        if not scanned or len(member.data) > MAX_SCANNED_BYTES or b"\x00" in member.data[:1024]:
            files.append(FileFacts(member.path, digest, len(member.data), language, None, 0))
            continue
        text = member.data.decode("utf-8", errors="replace")
        hints = find_hints(text, language)  # one pass for every scanner's hints
        iocs += code_iocs(member.path, hints)
        if language is None:  # a script in no language we parse: its IoCs are all we take
            files.append(FileFacts(member.path, digest, len(member.data), None, None, 0))
            continue
        scan = scan_code(member.path, text, language, hints=hints)
        if scan.setup_tree is not None:
            setup_trees[member.path] = scan.setup_tree
        imports += scan.imports
        findings += scan.findings
        problems += scan.problems
        obfuscation += obfuscation_signs(member.path, text, hints.encoded_run)
        tokens = normalised_tokens(text, language)
        streams.append(" ".join(tokens))
        files.append(
            FileFacts(
                member.path, digest, len(member.data), language, token_digest(tokens), len(tokens)
            )
        )
    manifests = read_manifests(members, setup_trees)
    for hook in manifests.install_hooks:  # `curl http://... | sh` in a postinstall
        found = code_iocs(hook.file, COMMON.scan(hook.detail))
        iocs += [replace(i, line=hook.line or 1) for i in found]
    return Features(
        files=tuple(files),
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
