"""Hyperscan databases kept on disk: loaded when they are sound, compiled again when not, and
never in the way when no cache can be written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import hyperscan
import pytest

from malgraph.analysis.compiled_patterns import CACHE_ENV, block_database

EXPRESSIONS = [rb"\bexec\b", rb"b64decode", rb"[A-Za-z0-9+/]{20}"]
FLAGS = [0, hyperscan.HS_FLAG_CASELESS, hyperscan.HS_FLAG_SINGLEMATCH]
TEXT = b"import base64; exec(base64.B64DECODE('aGVsbG8gd29ybGQgZnJvbSB0ZXN0cw=='))"


def matches(database: hyperscan.Database) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> None:
        found.append((pattern, end))

    database.scan(TEXT, match_event_handler=on_match, scratch=hyperscan.Scratch(database))
    return found


def cached_files(folder: Path) -> list[Path]:
    return sorted((folder / "hyperscan").glob("*.hsdb"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path


def test_a_compiled_database_is_kept_and_loaded_with_the_same_matches(cache: Path) -> None:
    first = matches(block_database(EXPRESSIONS, FLAGS))
    assert {pattern for pattern, _end in first} == {0, 1, 2}
    [kept] = cached_files(cache)
    written = kept.stat().st_mtime_ns
    assert matches(block_database(EXPRESSIONS, FLAGS)) == first
    assert kept.stat().st_mtime_ns == written  # loaded, not written again


def test_other_patterns_or_flags_are_another_database(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    block_database(EXPRESSIONS, [0, 0, 0])
    block_database(EXPRESSIONS[:2], FLAGS[:2])
    assert len(cached_files(cache)) == 3


def test_a_damaged_file_is_compiled_again_and_replaced(cache: Path) -> None:
    expected = matches(block_database(EXPRESSIONS, FLAGS))
    [kept] = cached_files(cache)
    damaged = bytearray(kept.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    kept.write_bytes(bytes(damaged))
    assert matches(block_database(EXPRESSIONS, FLAGS)) == expected
    assert kept.read_bytes() != bytes(damaged)  # replaced by a sound one
    kept.write_bytes(b"not a database")
    assert matches(block_database(EXPRESSIONS, FLAGS)) == expected


def test_a_file_others_could_have_changed_is_not_loaded(cache: Path) -> None:
    expected = matches(block_database(EXPRESSIONS, FLAGS))
    [kept] = cached_files(cache)
    planted = hyperscan.Database()  # what a planted file could hold: a scanner that sees nothing
    planted.compile(expressions=[rb"never-in-the-text"], ids=[0], flags=[0])
    blob = hyperscan.dumpb(planted)
    kept.write_bytes(hashlib.sha256(blob).digest() + blob)  # sound, but not ours alone
    kept.chmod(0o666)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == expected
    assert kept.stat().st_mode & 0o777 == 0o600  # compiled again and replaced


def test_no_writable_cache_folder_still_gives_a_database(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    assert {pattern for pattern, _end in matches(block_database(EXPRESSIONS, FLAGS))} == {0, 1, 2}
    assert blocker.read_text().startswith("a file")


def test_the_scanners_databases_are_found_again_by_a_new_process(cache: Path) -> None:
    """Every scanner's patterns are the same in every process (no set order in them), so a
    second process compiles nothing."""
    env = {**os.environ, CACHE_ENV: str(cache), "PYTHONHASHSEED": "random"}
    load = "import malgraph.analysis.languages, malgraph.analysis.scanning"
    subprocess.run([sys.executable, "-c", load], env=env, check=True)
    first = {path.name: path.stat().st_mtime_ns for path in cached_files(cache)}
    assert len(first) >= 5  # a scanner a language, the common one, the fragment search
    subprocess.run([sys.executable, "-c", load], env=env, check=True)
    assert {path.name: path.stat().st_mtime_ns for path in cached_files(cache)} == first
