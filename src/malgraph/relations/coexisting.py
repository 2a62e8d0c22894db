"""The co-existing relation: packages named by the same report or joined in one campaign.

It is stored as membership (report -> package, campaign -> record), never as a clique of
package-package edges: one report naming 5,000 packages is 5,000 rows, not 12 million.
"Co-reported with X" is answered from the membership at query time.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from malgraph.relations.mentions import find_mentions


def refresh_mentions(db: sqlite3.Connection) -> int:
    """Find, in every report that has text, the packages the store knows; replace the stored
    mentions (the caller holds the transaction). Returns how many mentions there are."""
    known: dict[str, set[str]] = defaultdict(set)
    ids: dict[tuple[str, str], int] = {}
    for package_id, eco, name in db.execute("SELECT id, ecosystem, name FROM packages"):
        known[eco].add(name)
        ids[(eco, name)] = package_id
    rows = []
    for report_id, text in db.execute("SELECT id, text FROM reports WHERE text IS NOT NULL"):
        for m in find_mentions(text, known):
            rows.append(
                (report_id, ids[(m.ecosystem, m.name)], m.start, m.matched, m.context, m.how)
            )
    db.execute("DELETE FROM report_mentions")
    db.executemany("INSERT OR IGNORE INTO report_mentions VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
