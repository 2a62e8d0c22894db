"""Everything `analyze` stores for the archives, as comparable values: each table's rows
sorted (duplicates kept, so a row stored twice shows), the time of analysis left out."""

from __future__ import annotations

from typing import Any

from malgraph.store import Store

QUERIES = {
    "code_analyses": (
        "SELECT sha256, analyzer, status, format, reason, skipped, problems, manifests,"
        " install_hooks, findings, obfuscation, tokens FROM code_analyses"
    ),
    "code_files": "SELECT * FROM code_files",
    "code_dependencies": "SELECT * FROM code_dependencies",
    "code_imports": "SELECT * FROM code_imports",
    "code_iocs": (  # by the IoC itself: its id depends on the order IoCs were first met
        "SELECT i.kind, i.value, c.sha256, c.file, c.line, c.as_written"
        " FROM code_iocs c JOIN iocs i ON i.id = c.ioc_id"
    ),
    "code_sketches": "SELECT * FROM code_sketches",
}


def stored_code(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(tuple(row) for row in store.db.execute(query))
        for table, query in QUERIES.items()
    }
