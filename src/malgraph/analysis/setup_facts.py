"""What the setup.py reader needs from a file's syntax tree, recorded by the Python code scan's one
walk of that tree (python_code), so that the reader does not walk it again; and which files are
setup.py files."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Nodes whose body runs only when called: the reader judges each one's calls apart.
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
Scope = ast.AST | None  # a function or lambda of FUNCTIONS; None for module level


def is_setup_py(path: str) -> bool:
    """Whether the archive member at `path` is a setup.py (at any depth: which one is the
    package's own is the manifest reader's choice)."""
    return path.rpartition("/")[2] == "setup.py"


@dataclass(slots=True)
class ScopeFacts:
    """The calls, imports and classes of one scope, leaving out those of the functions and
    lambdas inside it (a function's decorators and defaults count as its own)."""

    calls: list[ast.Call] = field(default_factory=list)  # by (line, column); nested: outer first
    # In the order the reader applies them (a later import of a name wins, the first class of a
    # name is kept): the tree's pre-order, the last child first.
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)


@dataclass(slots=True)
class SetupFacts:
    tree: ast.Module
    # Assignments and function definitions run at module level (not inside a function or class
    # body), in source order, each with the `with` items around it.
    statements: list[tuple[ast.stmt, tuple[ast.expr, ...]]]
    scopes: dict[Scope, ScopeFacts]
