"""The stat cache has one writer (Writer.mark_input, an InputFileRow) and one reader
(store.read.inputs.known_inputs), shared by the document ingest (keyed by path) and the
archives ingest (keyed per source, read by prefix)."""

from __future__ import annotations

from pathlib import Path

from malgraph.core.inputs import FileStat
from malgraph.core.rows import InputFileRow
from malgraph.store import Store
from malgraph.store.read.inputs import known_inputs
from malgraph.store.writer import Writer


def test_what_is_marked_reads_back_whole_or_by_prefix(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        writer = Writer(store.db)
        with store.transaction():
            writer.mark_input(InputFileRow("/in/MAL-1.json", 10, 100, "a" * 64))
            writer.mark_input(InputFileRow("archives:x:/in/a.tgz", 20, 200, "b" * 64))
            writer.mark_input(InputFileRow("archives:y:/in/a.tgz", 30, 300, "c" * 64))
        with store.transaction():  # a file read again replaces its stat
            writer.mark_input(InputFileRow("archives:x:/in/a.tgz", 21, 201, "d" * 64))
        assert known_inputs(store.db) == {
            "/in/MAL-1.json": FileStat(10, 100),
            "archives:x:/in/a.tgz": FileStat(21, 201),
            "archives:y:/in/a.tgz": FileStat(30, 300),
        }
        assert known_inputs(store.db, "archives:x:") == {"archives:x:/in/a.tgz": (21, 201)}
        assert known_inputs(store.db, "archives:z:") == {}
