"""Opening a store written by an older malgraph upgrades it in place and keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from malgraph.store import Store
from malgraph.store.schema import MIGRATIONS


def test_a_schema_2_store_keeps_its_artifacts_and_accepts_fetched_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for number, sql in enumerate(MIGRATIONS[:2], start=1):
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
    db.executescript(
        "INSERT INTO sources VALUES (1, 'datadog', 'feed');"
        "INSERT INTO packages VALUES (1, 'npm', 'evil', 1, 'pkg:npm/evil');"
        "INSERT INTO package_versions VALUES (1, 1, '1.0.0', 'pkg:npm/evil@1.0.0');"
        "INSERT INTO artifacts VALUES (7, 1, 1, 'aa', '/samples/x.zip', 'datadog-sample',"
        " '2024-01-01T00:00:00Z', 'docsha');"
    )
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 3
        row = store.db.execute("SELECT * FROM artifacts").fetchone()
        assert row[:9] == (7, 1, 1, "aa", "/samples/x.zip", "datadog-sample",
                           "2024-01-01T00:00:00Z", "docsha", None)  # fmt: skip
        # The source's name became its first label, which the artifact keeps (schema 7).
        assert row[9] == 1
        assert store.db.execute("SELECT * FROM source_labels").fetchall() == [(1, "datadog", 1)]
        with store.transaction() as tx:  # fetched code needs no input document
            tx.execute(
                "INSERT INTO artifacts(package_version_id, source_id, sha256, location, kind,"
                " fetched_at) VALUES (1, 1, 'bb', 'https://r/x.tgz', 'registry', 'now')"
            )
        assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
