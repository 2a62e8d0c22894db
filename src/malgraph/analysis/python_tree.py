"""The order in which the Python code scan walks a syntax tree (analysis.python_code), shared
with the setup.py facts recorded in the same walk (analysis.setup_facts)."""

from __future__ import annotations

import ast

STATEMENTS = (ast.stmt, ast.excepthandler)
# The blocks of statements, pushed on the walk's stack in this order (so `body` is taken first).
# The binding statements are then met in exactly the reverse of the order they are applied in:
# the blocks of one statement as `cases, handlers, finalbody, orelse, body`, each in source
# order. Two blocks of one statement never share a line, so this order changes no finding.
BLOCK_FIELDS = ("cases", "handlers", "finalbody", "orelse", "body")
# Fields that never hold nodes worth a visit: contexts, operators, and names or numbers (`names`
# too: the walk reads imports from the statement, and in `global` they are strings).
_SKIP_FIELDS = frozenset(
    """ctx op ops type_comment type_ignores kind id attr arg name asname names module level
    conversion is_async simple kwd_attrs rest""".split()  # noqa: SIM905
)
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # child_fields' answers, by node type
BLOCK_OWNERS = (ast.stmt, ast.excepthandler, ast.match_case)
STATEMENT_LEVEL = (ast.Module, *BLOCK_OWNERS)  # what holds blocks: expressions never do


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type worth a visit, in the order the walk pushes them: the fields'
    own order, but the blocks of statements, where they stand, in BLOCK_FIELDS' order."""
    fields = CHILD_FIELDS.get(kind)
    if fields is None:
        names = [f for f in getattr(kind, "_fields", ()) if f not in _SKIP_FIELDS]
        if issubclass(kind, BLOCK_OWNERS):  # (a lambda's or an `x if c else y`'s are not)
            blocks = iter([f for f in BLOCK_FIELDS if f in names])
            names = [next(blocks) if f in BLOCK_FIELDS else f for f in names]
        fields = CHILD_FIELDS[kind] = tuple(names)
    return fields


def push_children(node: object, stack: list[object]) -> None:
    """ast.iter_child_nodes without the generator or the fields above (this walk is hot).
    What it pushes may be None (a dict's `**` key) or, in odd trees, a plain value: the walk
    skips what is not a node."""
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if value.__class__ is list:
            stack.extend(value)
        elif value is not None:
            stack.append(value)


def is_chain(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)
