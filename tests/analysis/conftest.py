"""Fixtures of the analysis tests."""

from __future__ import annotations

import ast
from typing import Any

import pytest


@pytest.fixture
def parsed_sources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every source `ast.parse` is given while the test runs, in order (the parse itself is
    the real one): to show a file is parsed once, or not at all."""
    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source: str, *args: Any, **kwargs: Any) -> ast.Module:
        parsed.append(source)
        tree: ast.Module = real_parse(source, *args, **kwargs)
        return tree

    monkeypatch.setattr(ast, "parse", counting_parse)
    return parsed
