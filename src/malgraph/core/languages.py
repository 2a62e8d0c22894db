"""Which language a file is written in, by its name alone: the analysers pick a scanner by it,
and the dependency relation reads an import by its file's ecosystem. It lives in core so that
the pure relations know it without loading the analysers' parser grammars."""

from __future__ import annotations

from malgraph.core.kinds import CodeLanguage

_PYTHON = frozenset({".py", ".pyw", ".pyi"})
_JAVASCRIPT = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"})
_RUBY = frozenset({".rb", ".gemspec", ".rake"})
_RUBY_NAMES = frozenset({"Rakefile", "Gemfile", "rakefile", "gemfile"})


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
