"""One entry point that scans code files for imports and sensitive behaviour (which language a
file is in is core.languages; what the per-language scanners share is in analysis.scanning)."""

from __future__ import annotations

from collections.abc import Callable

from malgraph.analysis import javascript_code, python_code, ruby_code
from malgraph.analysis.hints import COMMON, Hints
from malgraph.analysis.scanning import MAX_CODE_CHARS, CodeScan
from malgraph.core.errors import MalgraphError
from malgraph.core.kinds import CodeLanguage

_SCANNERS: dict[str, Callable[[str, str, Hints | None], CodeScan]] = {
    CodeLanguage.PYTHON: python_code.scan_python,
    CodeLanguage.JAVASCRIPT: javascript_code.scan_javascript,
    CodeLanguage.RUBY: ruby_code.scan_ruby,
}


class UnsupportedLanguage(MalgraphError):
    """scan_code was asked for a language it has no scanner for (a caller's mistake)."""


def find_hints(text: str, language: str | None) -> Hints:
    """Every hint in one file, in one pass: its language's trigger words (none for a script in
    no language we parse), credential and startup fragments, IoC hints, long encoded runs."""
    if language == CodeLanguage.PYTHON:
        return python_code.HINTS.scan(text)
    if language == CodeLanguage.JAVASCRIPT:
        return javascript_code.HINTS.scan(text)
    if language == CodeLanguage.RUBY:
        return ruby_code.HINTS.scan(text)
    return COMMON.scan(text)


def scan_code(
    path: str,
    text: str,
    language: str,
    *,
    max_chars: int = MAX_CODE_CHARS,
    hints: Hints | None = None,
    keep_tree: bool = False,
) -> CodeScan:
    """Imports and findings of one code file; never raises on hostile input (see `problems`).
    `hints`: find_hints(text, language), if made already. `keep_tree` (a setup.py): a Python
    file's tree and the manifest reader's facts from the same walk are kept in `setup`."""
    scanner = _SCANNERS.get(language)
    if scanner is None:
        raise UnsupportedLanguage(f"no code scanner for {language!r}; use language_of() first")
    if len(text) > max_chars:
        return CodeScan(
            (), (), (f"{path}: {len(text):,} characters, over the scan cap, not scanned",)
        )
    try:
        if keep_tree and language == CodeLanguage.PYTHON:
            return python_code.scan_python(path, text, hints, keep_tree=True)
        return scanner(path, text, hints)
    except (RecursionError, MemoryError, ValueError) as e:
        # Hostile input must cost one file's findings, never the whole package's analysis.
        return CodeScan((), (), (f"{path}: scanner gave up ({type(e).__name__}: {e})",))
