"""What the setup.py reader needs from a file's syntax tree, recorded by the Python code scan's one
walk of that tree (python_code), so that the reader does not walk it again; and which files are
setup.py files."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from malgraph.analysis.python_tree import BLOCK_FIELDS, child_fields

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


# Statements whose blocks run at module level when they do (a function's or class's do not).
_MODULE_LEVEL_BLOCKS = (
    ast.Module,
    ast.With,
    ast.AsyncWith,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.TryStar,
    ast.ExceptHandler,
)
_MODULE_LEVEL_FACTS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign, ast.AnnAssign)

_FIELD_INDEX: dict[tuple[type, str], int] = {}
Key = tuple[int, ...]  # a statement's place: (field, index) of each block on the way to it
# A node on the setup walk's stack: where its findings' nodes go, its scope, its `with` items
# when it stands at module level (else None), and its place among the statements.
Entry = tuple[object, list[object], Scope, tuple[ast.expr, ...] | None, Key]


def push_entries(
    node: ast.AST,
    sink: list[object],
    scope: Scope,
    context: tuple[ast.expr, ...] | None,
    key: Key,
    stack: list[Entry],
) -> None:
    """push_children for the setup walk's statements (and the module): the same children in
    the same order, each with its scope, its `with` items at module level and its place."""
    inner = node if isinstance(node, FUNCTIONS) else scope
    blocks = _block_context(node, context)
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if value.__class__ is not list:
            if value is not None:
                stack.append((value, sink, inner, None, key))
        elif name in BLOCK_FIELDS:
            place = (*key, _field_index(node.__class__, name))
            for at, child in enumerate(value):
                stack.append((child, sink, inner, blocks, (*place, at)))
        else:
            for child in value:
                stack.append((child, sink, inner, None, key))


def _field_index(kind: type, name: str) -> int:
    """Where a block stands among its node type's fields (remembered: asked for each block)."""
    index = _FIELD_INDEX.get((kind, name))
    if index is None:
        fields: tuple[str, ...] = getattr(kind, "_fields", ())
        index = _FIELD_INDEX[kind, name] = fields.index(name)
    return index


def _block_context(
    node: ast.AST, context: tuple[ast.expr, ...] | None
) -> tuple[ast.expr, ...] | None:
    """The `with` items around the statements of a node's blocks when those run at module level
    (as the reader's `_statements` had them), else None."""
    if context is None or not isinstance(node, _MODULE_LEVEL_BLOCKS):
        return None
    if isinstance(node, ast.With | ast.AsyncWith):
        return context + tuple(item.context_expr for item in node.items)
    return context


class SetupRecorder:
    """The setup facts as the walk meets them, put in the reader's order at the end."""

    def __init__(self) -> None:
        self.statements: list[tuple[Key, ast.stmt, tuple[ast.expr, ...]]] = []
        self.scopes: dict[Scope, ScopeFacts] = {}
        self.imports: list[tuple[Key, Scope, ast.Import | ast.ImportFrom]] = []
        self.classes: list[tuple[Key, Scope, ast.ClassDef]] = []

    def statement(
        self,
        node: ast.stmt | ast.excepthandler,
        scope: Scope,
        context: tuple[ast.expr, ...] | None,
        key: Key,
    ) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.imports.append((key, scope, node))
        elif isinstance(node, ast.ClassDef):
            self.classes.append((key, scope, node))
        if context is not None and isinstance(node, _MODULE_LEVEL_FACTS):
            self.statements.append((key, node, context))

    def calls_of(self, scope: Scope) -> list[ast.Call]:
        """The list the calls of `scope` go into, as the walk meets them."""
        facts = self.scopes.get(scope)
        return facts.calls if facts is not None else self._scope(scope).calls

    def done(self, tree: ast.Module) -> SetupFacts:
        """Statements in source order; imports and classes in the tree's pre-order, the last
        child first (each key negated: a statement still comes before those inside it); calls
        by place (only a call and the calls in its callee start at one place: outer first)."""
        for _key, scope, node in sorted(self.imports, key=_last_child_first):
            self._scope(scope).imports.append(node)
        for _key, scope, cls in sorted(self.classes, key=_last_child_first):
            self._scope(scope).classes.append(cls)
        for facts in self.scopes.values():
            facts.calls.sort(key=lambda call: (call.lineno, call.col_offset))
        self.statements.sort(key=lambda item: item[0])
        return SetupFacts(
            tree, [(node, context) for _key, node, context in self.statements], self.scopes
        )

    def _scope(self, scope: Scope) -> ScopeFacts:
        facts = self.scopes.get(scope)
        if facts is None:
            facts = self.scopes[scope] = ScopeFacts()
        return facts


def _last_child_first(item: tuple[Key, Scope, ast.AST]) -> tuple[int, ...]:
    return tuple(-place for place in item[0])
