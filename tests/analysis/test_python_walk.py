"""One walk of a Python file's tree (inert code written here, parsed and never run): bindings
applied in the order the scanner always applied them, statements off the trigger lines walked
when an alias makes them live, and a setup.py's manifest facts taken in the same walk."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from malgraph.analysis.analyze import analyze_members
from malgraph.analysis.languages import scan_code
from malgraph.analysis.manifests import read_manifests
from malgraph.analysis.python_code import setup_facts
from malgraph.analysis.setup_facts import SetupFacts
from malgraph.artifacts.archives import Member

SETUP_PY = """\
import os
try:
    import subprocess32 as subprocess
except ImportError:
    import subprocess
else:
    from json import loads
finally:
    from marshal import loads
subprocess.call(['x'])
if os.name:
    sp = os
else:
    sp = subprocess
sp.system('a'); sp.system('b')
def later():
    x = 1
    run('y')
from pty import spawn as run
from setuptools import setup
class Install: pass
try:
    class Install: pass
except Exception:
    class Install: pass
REQ = ["six"]
with open("requirements.txt") as fh:
    REQ = fh.read().splitlines()
if os.name:
    BASE = ["attrs"]
else:
    BASE = ["cattrs"]
loads('{}'); later()
setup(name="n", install_requires=REQ + BASE, cmdclass={"install": Install})
"""


def _found(text: str, keep_tree: bool = False) -> set[tuple[str, str, int]]:
    scan = scan_code("pkg/setup.py", text, "python", keep_tree=keep_tree)
    return {(f.category, f.api, f.line) for f in scan.findings}


@pytest.mark.parametrize("keep_tree", [False, True])
def test_bindings_apply_as_before_and_aliases_make_skipped_statements_live(
    keep_tree: bool,
) -> None:
    # A try's body binds after its handlers (subprocess32 wins: no finding on line 10), an if's
    # body after its else (sp is os). `run` is bound on line 19, after the function that calls
    # it: the function holds no trigger word, so it is walked once the alias is known.
    assert _found(SETUP_PY, keep_tree) == {
        ("process", "os.system", 15),
        ("process", "pty.spawn", 18),
    }


def _shape(facts: SetupFacts) -> dict[str, Any]:
    """The facts by place (two parses of one text make equal trees, not the same nodes)."""

    def at(node: ast.AST) -> tuple[int, int]:
        return node.lineno, node.col_offset  # type: ignore[attr-defined]

    return {
        "statements": [(at(node), [at(c) for c in context]) for node, context in facts.statements],
        "scopes": {
            None if scope is None else at(scope): (
                [at(c) for c in found.calls],
                [at(i) for i in found.imports],
                [at(c) for c in found.classes],
            )
            for scope, found in facts.scopes.items()
        },
    }


def test_the_code_scans_walk_records_what_the_readers_own_walk_does() -> None:
    scan = scan_code("pkg/setup.py", SETUP_PY, "python", keep_tree=True)
    assert scan.setup is not None
    alone = setup_facts(ast.parse(SETUP_PY))
    assert _shape(scan.setup) == _shape(alone)
    shape = _shape(alone)
    # Module-level assignments and functions in source order, with the `with` items around.
    assert [line for (line, _col), _context in shape["statements"]] == [12, 14, 16, 26, 28, 30, 32]
    assert shape["statements"][4][1] == [(27, 5)]
    # Imports as the reader applies them (a later one of a name wins): the tree's pre-order,
    # last child first, so the try's body comes after its handlers.
    assert [line for line, _col in shape["scopes"][None][1]] == [20, 19, 9, 7, 5, 3, 1]
    members = [Member("pkg/setup.py", SETUP_PY.encode()), Member("pkg/requirements.txt", b"x\n")]
    given = read_manifests(members, {members[0]: scan.setup})
    assert given == read_manifests(members)
    # REQ and BASE as last bound in source order: read from the file, and the else branch's.
    assert sorted(d.name for d in given.dependencies) == ["cattrs", "x", "x"]
    assert [(h.detail, h.line) for h in given.install_hooks] == [
        ("install=Install", 25),  # the first class of the name in the reader's order
        ("subprocess.call(['x'])", 10),
        ("sp.system('a'); sp.system('b')", 15),
        ("loads('{}'); later()", 33),
    ]


def test_a_setup_py_without_a_trigger_word_is_parsed_once_for_its_facts(
    parsed_sources: list[str],
) -> None:
    text = 'setup(name="quiet", install_requires=["six"])\n'
    assert scan_code("setup.py", text, "python").setup is None
    assert parsed_sources == []  # no trigger word: a plain scan does not parse it
    features = analyze_members([Member("quiet/setup.py", text.encode())])
    assert parsed_sources == [text]
    assert features.findings == () and [d.name for d in features.dependencies] == ["six"]
