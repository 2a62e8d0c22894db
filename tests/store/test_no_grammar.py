"""Opening the store (or importing malgraph at all) loads no parser grammar: tree-sitter and its
languages are for the analysers, which the store never imports. Nor do the pure relations: what
they share with the analysers (a file's language, a token stream's digest) lives in core."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "malgraph",
        "malgraph.store",
        "malgraph.store.code",
        "malgraph.relations.dependency",
        "malgraph.relations.similar",
    ],
)
def test_importing_loads_no_tree_sitter(module: str) -> None:
    script = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_check_sees_a_grammar_when_one_is_loaded() -> None:
    script = "import sys, malgraph.analysis.languages; print('tree_sitter' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True"
