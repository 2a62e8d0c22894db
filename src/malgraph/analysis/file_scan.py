"""Scanning one file's bytes, apart from its path (so that the scan can be memoised by content),
and placing such a scan at a path in an archive, as the scanners would have labelled it."""

from __future__ import annotations

import sys
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version

from malgraph.analysis.hints import code_iocs
from malgraph.analysis.languages import find_hints, scan_code
from malgraph.analysis.obfuscation import obfuscation_signs
from malgraph.analysis.setup_facts import SetupFacts
from malgraph.analysis.tokens import normalised_tokens
from malgraph.core.code import (
    ANALYZER_VERSION,
    CodeIoc,
    Finding,
    Import,
    ObfuscationSign,
    token_digest,
)
from malgraph.core.file_scans import FileScan
from malgraph.core.kinds import CodeLanguage, ScanDialect
from malgraph.core.languages import language_of

# IoCs are looked for in code and in scripts that run (and in install hooks), not in
# documentation or metadata: a README's links or package.json's `homepage` are no indicators,
# and typosquats copy them from the package they imitate.
_SCRIPT_SUFFIXES = (".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs")
# The JavaScript scanner reads TypeScript with the JavaScript grammar and does not report its
# syntax errors, which the type annotations make: so TypeScript is scanned as its own dialect.
_TYPESCRIPT_SUFFIXES = (".ts", ".tsx")
_LANGUAGE_OF_DIALECT = {
    ScanDialect.PYTHON: CodeLanguage.PYTHON,
    ScanDialect.JAVASCRIPT: CodeLanguage.JAVASCRIPT,
    ScanDialect.TYPESCRIPT: CodeLanguage.JAVASCRIPT,
    ScanDialect.RUBY: CodeLanguage.RUBY,
}
# The path the scanners are given: a scan names it in every `file` and problem, and `placed`
# puts the real path there instead.
_ANONYMOUS = "<file>"
_ANONYMOUS_TYPESCRIPT = "<file>.ts"
# Problems that say a scan may have depended on more than the bytes: a scanner that gave up
# (memory, or recursion, whose depth left depends on the caller's stack), Python's parser out
# of recursion. Such a scan is used for its archive but never memoised. The words are the
# scanners' own (languages.scan_code, python_code). Work budgets count work, not time, so a
# scan cut short by one is the same on every run and may be memoised.
_UNSETTLED = ("scanner gave up", "nested too deeply")
_GRAMMARS = ("tree-sitter", "tree-sitter-python", "tree-sitter-javascript", "tree-sitter-ruby")


def _scan_version() -> str:
    """What the memoised scans were made with: the analyser's rules (core.code's
    ANALYZER_VERSION, bumped by hand whenever scanning output could change), the Python that
    parsed the code with `ast`, and the tree-sitter grammars. A memo row of another version is
    ignored and made again."""
    parts = [f"rules {ANALYZER_VERSION}", f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    for name in _GRAMMARS:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:  # an install without metadata: no reuse across versions
            parts.append(f"{name} ?")
    return ", ".join(parts)


SCAN_VERSION = _scan_version()


def dialect_of(path: str) -> ScanDialect | None:
    """How the file at `path` is scanned; None when it is only hashed and listed."""
    language = language_of(path)
    if language is CodeLanguage.PYTHON:
        return ScanDialect.PYTHON
    if language is CodeLanguage.RUBY:
        return ScanDialect.RUBY
    if language is CodeLanguage.JAVASCRIPT:
        if path.lower().endswith(_TYPESCRIPT_SUFFIXES):
            return ScanDialect.TYPESCRIPT
        return ScanDialect.JAVASCRIPT
    return ScanDialect.SCRIPT if path.endswith(_SCRIPT_SUFFIXES) else None


def scan_file(data: bytes, dialect: ScanDialect) -> FileScan:
    """Everything taken from one file's bytes: imports, findings, IoCs, obfuscation signs,
    problems and its normalised tokens. Depends on the bytes and the dialect alone."""
    return scan_file_keeping_tree(data, dialect, keep_tree=False)[0]


def scan_file_keeping_tree(
    data: bytes, dialect: ScanDialect, keep_tree: bool
) -> tuple[FileScan, SetupFacts | None]:
    """scan_file, and with `keep_tree` (a setup.py) the Python tree it parsed with what the
    manifest reader needs of it, from the scan's own walk: the scan is the same either way."""
    text = data.decode("utf-8", errors="replace")
    language = _LANGUAGE_OF_DIALECT.get(dialect)
    hints = find_hints(text, language)  # one pass for every scanner's hints
    iocs = tuple(code_iocs("", hints))
    if language is None:  # a script in no language we parse: its IoCs are all we take
        return FileScan((), (), iocs, (), (), "", None, 0), None
    path = _ANONYMOUS_TYPESCRIPT if dialect is ScanDialect.TYPESCRIPT else _ANONYMOUS
    scan = scan_code(path, text, language, hints=hints, keep_tree=keep_tree)
    tokens = normalised_tokens(text, language)
    prefix = f"{path}: "
    signs = obfuscation_signs(path, text, hints.encoded_run)
    return FileScan(
        imports=tuple(replace(i, file="") for i in scan.imports),
        findings=tuple(replace(f, file="") for f in scan.findings),
        iocs=iocs,
        obfuscation=tuple(replace(o, file="") for o in signs),
        problems=tuple(p.removeprefix(prefix) for p in scan.problems),
        stream=" ".join(tokens),
        normalised_sha256=token_digest(tokens),
        token_count=len(tokens),
    ), scan.setup


def placed(scan: FileScan, path: str) -> FileScan:
    """The scan as the scanners label it for a file at `path`: each item's `file` is the path
    and each problem starts with it. (Built field by field: `dataclasses.replace` inspects the
    fields on every call, and a memo hit is mostly this.)"""
    return FileScan(
        tuple(Import(i.module, i.kind, i.relative, path, i.line, i.snippet) for i in scan.imports),
        tuple(Finding(f.category, f.api, path, f.line, f.snippet) for f in scan.findings),
        tuple(CodeIoc(c.kind, c.value, c.as_written, path, c.line) for c in scan.iocs),
        tuple(ObfuscationSign(o.sign, path, o.line, o.value, o.detail) for o in scan.obfuscation),
        tuple(f"{path}: {p}" for p in scan.problems),
        scan.stream,
        scan.normalised_sha256,
        scan.token_count,
    )


def settled(scan: FileScan) -> bool:
    """Whether the scan depends on the bytes alone, and so may be memoised."""
    return not any(words in problem for problem in scan.problems for words in _UNSETTLED)
