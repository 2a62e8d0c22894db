"""Opening a store written by an older malgraph upgrades it in place and keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from malgraph.store import Store
from malgraph.store.schema import MIGRATIONS


def old_store(path: Path, schema: int, rows: str) -> Path:
    """A store as a malgraph of that schema left it, with these rows."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, sql in enumerate(MIGRATIONS[:schema], start=1):
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
    db.executescript(rows)
    db.close()
    return path


def test_a_schema_2_store_keeps_its_artifacts_and_accepts_fetched_ones(tmp_path: Path) -> None:
    path = old_store(
        tmp_path / "old.db",
        2,
        (
            "INSERT INTO sources VALUES (1, 'datadog', 'feed');"
            "INSERT INTO packages VALUES (1, 'npm', 'evil', 1, 'pkg:npm/evil');"
            "INSERT INTO package_versions VALUES (1, 1, '1.0.0', 'pkg:npm/evil@1.0.0');"
            "INSERT INTO artifacts VALUES (7, 1, 1, 'aa', '/samples/x.zip', 'datadog-sample',"
            " '2024-01-01T00:00:00Z', 'docsha');"
        ),
    )
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 3
        row = store.db.execute("SELECT * FROM artifacts").fetchone()
        assert row[:9] == (
            7,
            1,
            1,
            "aa",
            "/samples/x.zip",
            "datadog-sample",
            "2024-01-01T00:00:00Z",
            "docsha",
            None,
        )
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


def test_paper_documents_read_by_an_older_reader_are_read_again(
    tmp_path: Path, shared_data: Path
) -> None:
    from malgraph.pipeline.ingest import ingest
    from malgraph.store.writer import Writer

    excerpt = str(shared_data / "malgraph-paper-excerpt")
    with Store(tmp_path / "s.db") as store:
        first = ingest(store, "paper", [excerpt])
        counts = store.db.execute(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM report_links),"
            " (SELECT count(*) FROM edges), (SELECT count(*) FROM documents)"
        ).fetchone()
        assert ingest(store, "paper", [excerpt]).outcomes == {"unchanged": 5}
        with store.transaction():
            assert Writer(store.db).forget_feed("paper") == first.outcomes["added"]
        assert store.db.execute("SELECT count(*) FROM records").fetchone() == (0,)
        again = ingest(store, "paper", [excerpt])  # every file read afresh, nothing twice
        assert again.outcomes == first.outcomes
        assert (
            store.db.execute(
                "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM report_links),"
                " (SELECT count(*) FROM edges), (SELECT count(*) FROM documents)"
            ).fetchone()
            == counts
        )
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_opening_a_store_from_before_the_paper_reader_changed_forgets_its_paper_documents(
    tmp_path: Path,
) -> None:
    from malgraph.store import PAPER_READER_CHANGED

    path = old_store(
        tmp_path / "old.db",
        6,
        (
            "INSERT INTO sources VALUES (1, 'Phylum', 'feed'), (2, 'osv', 'feed');"
            "INSERT INTO packages VALUES (1, 'npm', 'evil', 1, 'pkg:npm/evil');"
            "INSERT INTO records(id, source_id, source_record_id, role, package_id, name_given,"
            " scope, versions, raw_sha256, document_sha256) VALUES"
            " (1, 1, 'paper/x', 'claim', 1, 'evil', 'unknown', '[]', '', 'p1'),"
            " (2, 2, 'MAL-1', 'claim', 1, 'evil', 'unknown', '[]', '', 'o1');"
            "INSERT INTO documents VALUES ('p1', 'paper', 'paper/npm_source_report', 'm', 1,"
            " '/in/npm_source_report.xlsx', 'added', 'now'),"
            " ('o1', 'osv', 'MAL-1', 'm', 1, '/in/MAL-1.json', 'added', 'now');"
            "INSERT INTO input_files VALUES ('/in/npm_source_report.xlsx', 1, 1, 'p1'),"
            " ('/in/MAL-1.json', 1, 1, 'o1');"
        ),
    )
    assert 6 < PAPER_READER_CHANGED <= len(MIGRATIONS)
    with Store(path) as store:
        assert store.db.execute("SELECT id FROM records").fetchall() == [(2,)]
        assert store.db.execute("SELECT sha256 FROM documents").fetchall() == [("o1",)]
        assert store.db.execute("SELECT path FROM input_files").fetchall() == [("/in/MAL-1.json",)]


def test_a_schema_10_store_gains_an_empty_sketch_table_whose_rows_go_with_their_analysis(
    tmp_path: Path,
) -> None:
    path = old_store(
        tmp_path / "old.db",
        10,
        "INSERT INTO code_analyses(sha256, analyzer, status, skipped, problems, manifests,"
        " install_hooks, findings, obfuscation, analyzed_at)"
        " VALUES ('aa', 1, 'ok', '[]', '[]', '[]', '[]', '[]', '[]', 'now');",
    )
    with Store(path) as store:
        assert store.db.execute("SELECT count(*) FROM code_sketches").fetchone() == (0,)
        with store.transaction() as tx:
            tx.execute("INSERT INTO code_sketches VALUES ('aa', 'm', 'digest', x'0100')")
            tx.execute("DELETE FROM code_analyses WHERE sha256 = 'aa'")  # analysed again
        assert store.db.execute("SELECT count(*) FROM code_sketches").fetchone() == (0,)
