"""Which language a file is written in, and one entry point that scans code files for imports and
sensitive behaviour (what the per-language scanners share is in analysis.scanning)."""

from __future__ import annotations

from collections.abc import Callable

from malgraph.analysis import javascript_code, python_code, ruby_code
from malgraph.analysis.scanning import MAX_CODE_CHARS, CodeScan
from malgraph.core.errors import MalgraphError
from malgraph.core.kinds import CodeLanguage

_PYTHON = frozenset({".py", ".pyw", ".pyi"})
_JAVASCRIPT = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"})
_RUBY = frozenset({".rb", ".gemspec", ".rake"})
_RUBY_NAMES = frozenset({"Rakefile", "Gemfile", "rakefile", "gemfile"})


_SCANNERS: dict[str, Callable[[str, str], CodeScan]] = {
    CodeLanguage.PYTHON: python_code.scan_python,
    CodeLanguage.JAVASCRIPT: javascript_code.scan_javascript,
    CodeLanguage.RUBY: ruby_code.scan_ruby,
}


class UnsupportedLanguage(MalgraphError):
    """scan_code was asked for a language it has no scanner for (a caller's mistake)."""


def language_of(path: str) -> CodeLanguage | None:
    """'python', 'javascript' (TypeScript included) or 'ruby' from the file name; None otherwise."""
    name = path.rsplit("/", 1)[-1]
    if name in _RUBY_NAMES:
        return CodeLanguage.RUBY
    dot = name.rfind(".")
    if dot <= 0:
        return None
    ext = name[dot:].lower()
    if ext in _PYTHON:
        return CodeLanguage.PYTHON
    if ext in _JAVASCRIPT:
        return CodeLanguage.JAVASCRIPT
    if ext in _RUBY:
        return CodeLanguage.RUBY
    return None


def scan_code(path: str, text: str, language: str, *, max_chars: int = MAX_CODE_CHARS) -> CodeScan:
    """Imports and findings of one code file; never raises on hostile input (see `problems`)."""
    scanner = _SCANNERS.get(language)
    if scanner is None:
        raise UnsupportedLanguage(f"no code scanner for {language!r}; use language_of() first")
    if len(text) > max_chars:
        return CodeScan(
            (), (), (f"{path}: {len(text):,} characters, over the scan cap, not scanned",)
        )
    try:
        return scanner(path, text)
    except (RecursionError, MemoryError, ValueError) as e:
        # Hostile input must cost one file's findings, never the whole package's analysis.
        return CodeScan((), (), (f"{path}: scanner gave up ({type(e).__name__}: {e})",))
