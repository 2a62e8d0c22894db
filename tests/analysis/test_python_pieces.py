"""A Python file parsed in pieces (inert code written here, parsed and never run): the stretches
without a trigger line are only checked by the parser, and the scan finds what it finds on the
whole file's tree, also where a candidate cut falls in a string or brackets, where an alias makes
an unparsed stretch live, and where the file does not parse."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import malgraph
from malgraph.analysis.hints import hit_lines
from malgraph.analysis.languages import scan_code
from malgraph.analysis.python_code import HINTS
from malgraph.analysis.python_pieces import Unparsed, parse_in_pieces
from malgraph.analysis.scanning import CodeScan

FILLER = "".join(
    f"def helper_{n}(value, scale={n}):\n"
    f'    """Scale a value."""\n'
    f"    return [value * scale for _ in range({n})]\n\n\n"
    for n in range(40)
)

TRICKY = {
    "cut in a docstring": f'import os\n"""\nnot = code\nrun this\n"""\n{FILLER}os.system("a")\n',
    "cut in brackets": f"import os\nTABLE = [\nalpha,\nbeta,\n]\n{FILLER}os.system(TABLE)\n",
    "else at column 0": f"import os\nif os.name:\n    x = 1\nelse:\n    x = 2\n{FILLER}",
    "try at top": f"{FILLER}try:\n    import socket\nexcept ImportError:\n    pass\n{FILLER}",
    "decorators": f"import os\n@wrap\n@wrap(2)\ndef f():\n    os.system('x')\n{FILLER}",
    "continuation": f"{FILLER}total = 1 + \\\nimport_count\nimport os\n{FILLER}",
    "semicolons": f"import os; x = 1\n{FILLER}y = 2; os.popen('z')\n",
    "alias used below": f"import subprocess as sp\n{FILLER}def later():\n    sp.call(['x'])\n",
    "assigned alias": f"import os\nrun = os.system\n{FILLER}run('x')\n",
    "no final newline": f"import os\n{FILLER}x = os.getenv('HOME')",
    "syntax error in a dead stretch": f"import os\n{FILLER}def broken(:\n    pass\n",
    "null byte in a dead stretch": f"import os\n{FILLER}x = 1\x00\n",
    "null byte in a live stretch": f"{FILLER}import os\x00\n{FILLER}",
    "barry": f"from __future__ import barry_as_FLUFL\nimport os\n{FILLER}x = 1 <> 2\n",
    "nonlocal at top in a dead stretch": f"import os\n{FILLER}nonlocal x\n",
    "deep nesting in a dead stretch": f"import os\n{FILLER}x = {'-' * 5000}1\n",
    "deep nesting in a live stretch": f"{FILLER}x = os.getenv({'-' * 5000}1)\n{FILLER}",
    "match": f"import os\n{FILLER}match x:\n    case [1, *rest]:\n        os.system(rest)\n",
    "unicode": f"import os\n{FILLER}é = 'ü'\nos.system(é)\n",
}


def _whole(text: str) -> CodeScan:
    """The scan of the whole file's tree (a setup.py's scan is never made in pieces)."""
    scan = scan_code("pkg/mod.py", text, "python", keep_tree=True)
    return CodeScan(scan.imports, scan.findings, scan.problems)


def _hits(text: str) -> set[int]:
    hints = HINTS.scan(text)
    return hit_lines(hints.data, [start for start, _end, _word in hints.words]) | hit_lines(
        hints.data, [start for start, _end in hints.fragments]
    )


def _unparsed_tree(module: ast.Module) -> ast.Module:
    body: list[ast.stmt] = []
    for statement in module.body:
        body += statement.parse("x").body if isinstance(statement, Unparsed) else [statement]
    return ast.Module(body=body, type_ignores=[])


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_a_scan_in_pieces_finds_what_the_whole_files_scan_finds(name: str) -> None:
    text = TRICKY[name]
    assert scan_code("pkg/mod.py", text, "python") == _whole(text)


def test_the_tricky_files_exercise_what_they_are_named_for() -> None:
    assert _whole(TRICKY["alias used below"]).findings[0].line == FILLER.count("\n") + 3
    assert "syntax error" in _whole(TRICKY["syntax error in a dead stretch"]).problems[0]
    assert "null bytes" in _whole(TRICKY["null byte in a dead stretch"]).problems[0]
    assert "nested too deeply" in _whole(TRICKY["deep nesting in a dead stretch"]).problems[0]
    assert "null bytes" in _whole(TRICKY["null byte in a live stretch"]).problems[0]
    assert "nested too deeply" in _whole(TRICKY["deep nesting in a live stretch"]).problems[0]
    for name in ("cut in a docstring", "cut in brackets", "alias used below", "match"):
        assert _whole(TRICKY[name]).findings, name


def test_stretches_without_a_trigger_line_are_left_unparsed(parsed_sources: list[str]) -> None:
    text = TRICKY["alias used below"]
    module = parse_in_pieces(text, "x", _hits(text))
    assert module is not None
    assert [type(s).__name__ for s in module.body] == ["Import", "Unparsed"]
    assert len(parsed_sources) == 1 and "def helper_0" not in parsed_sources[0]


@pytest.mark.parametrize(
    "name", ["syntax error in", "null byte in", "deep nesting in", "barry", "nonlocal at top"]
)
def test_a_file_the_pieces_cannot_tell_is_parsed_whole(name: str) -> None:
    for text in [t for n, t in TRICKY.items() if n.startswith(name)]:
        assert parse_in_pieces(text, "x", _hits(text)) is None


def test_the_pieces_are_the_whole_files_tree_with_its_positions() -> None:
    sources = sorted(Path(malgraph.__file__).parent.rglob("*.py"))
    texts = [path.read_text() for path in sources] + [
        t for n, t in TRICKY.items() if "dead stretch" not in n and n != "barry"
    ]
    cut = 0
    for text in texts:
        module = parse_in_pieces(text, "x", _hits(text))
        if module is None:
            continue
        cut += any(isinstance(s, Unparsed) for s in module.body)
        expected = ast.dump(ast.parse(text), include_attributes=True)
        assert ast.dump(_unparsed_tree(module), include_attributes=True) == expected
    assert cut > len(sources) // 4


def test_a_file_cut_at_every_other_line_is_parsed_whole() -> None:
    text = "".join(f"import m{n}\nvalue_{n} = {n}\n" for n in range(400))
    assert parse_in_pieces(text, "x", _hits(text)) is None
    fewer = "".join(f"import m{n}\nvalue_{n} = {n}\n" for n in range(40))
    assert parse_in_pieces(fewer, "x", _hits(fewer)) is not None
    assert scan_code("pkg/mod.py", text, "python") == _whole(text)
