"""Statements built from typed rows: a table's columns are named by a row type's fields (after
and before those the writer fills itself), so reordering a row type's fields reorders the
columns with them, and a field the table lacks fails loudly on the first write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def columns(
    row: type[tuple[Any, ...]], before: tuple[str, ...] = (), after: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """A table's columns: those the writer fills (ids, the document), and the row type's
    fields."""
    return (*before, *row._fields, *after)  # type: ignore[attr-defined]


def insert_sql(table: str, names: Sequence[str], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table}({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
