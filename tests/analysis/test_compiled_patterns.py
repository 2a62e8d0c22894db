"""Hyperscan databases kept on disk: loaded when they are sound and this user's alone,
compiled again when not, and never in the way when no cache can be kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import hyperscan
import pytest

from malgraph.analysis.compiled_patterns import CACHE_ENV, _seal, block_database, cache_folder

EXPRESSIONS = [rb"\bexec\b", rb"b64decode", rb"[A-Za-z0-9+/]{20}"]
FLAGS = [0, hyperscan.HS_FLAG_CASELESS, hyperscan.HS_FLAG_SINGLEMATCH]
OTHER = [rb"never-in-the-text"]  # a database that would blind the scanner
TEXT = b"import base64; exec(base64.B64DECODE('aGVsbG8gd29ybGQgZnJvbSB0ZXN0cw=='))"
EXPECTED = [(0, 19), (1, 36), (2, 58)]  # where each pattern ends in TEXT


def matches(database: hyperscan.Database) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> None:
        found.append((pattern, end))

    database.scan(TEXT, match_event_handler=on_match, scratch=hyperscan.Scratch(database))
    return found


def cached_files(folder: Path) -> list[Path]:
    return sorted((folder / "hyperscan").glob("*.hsdb"))


def identity(path: Path) -> tuple[int, int, bytes]:
    """Inode, modification time and content: a file written again differs in one of them."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, path.read_bytes()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path


def test_a_compiled_database_is_kept_and_loaded_with_the_same_matches(cache: Path) -> None:
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    [kept] = cached_files(cache)
    before = identity(kept)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    assert identity(kept) == before  # loaded, not compiled and written again
    assert kept.stat().st_mode & 0o777 == 0o600


def test_other_patterns_or_flags_are_another_database(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    block_database(EXPRESSIONS, [0, 0, 0])
    block_database(EXPRESSIONS[:2], FLAGS[:2])
    assert len(cached_files(cache)) == 3


def test_a_damaged_or_foreign_file_is_compiled_again_and_replaced(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    [kept] = cached_files(cache)
    sound = kept.read_bytes()
    damaged = bytearray(sound)
    damaged[len(damaged) // 2] ^= 0xFF
    key = kept.stem
    not_a_database = b"junk" * 100
    for bad in (bytes(damaged), b"short", _seal(key, not_a_database) + not_a_database):
        kept.write_bytes(bad)  # the last: sealed right, but no database Hyperscan loads
        assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
        assert kept.read_bytes() == sound  # replaced by a sound one


def test_a_sound_file_of_another_key_moved_onto_this_name_is_refused(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    [ours] = cached_files(cache)
    block_database(OTHER, [0])  # a sound file of this user's, holding the blinding database
    [other] = [path for path in cached_files(cache) if path != ours]
    other.replace(ours)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED


def test_a_symlink_in_place_of_the_file_is_not_followed(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    [ours] = cached_files(cache)
    sound = ours.read_bytes()
    planted = cache / "planted"
    planted.write_bytes(sound)  # even a sound copy: what a link points at can change
    planted.chmod(0o600)
    ours.unlink()
    ours.symlink_to(planted)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    assert not ours.is_symlink()  # replaced by a file of its own


def test_a_file_others_could_have_changed_is_not_loaded(cache: Path) -> None:
    block_database(EXPRESSIONS, FLAGS)
    [kept] = cached_files(cache)
    blind = hyperscan.Database()
    blind.compile(expressions=OTHER, ids=[0], flags=[0])
    blob = hyperscan.dumpb(blind)
    kept.write_bytes(_seal(kept.stem, blob) + blob)  # sealed right, but writable by all
    kept.chmod(0o666)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    assert kept.stat().st_mode & 0o777 == 0o600  # compiled again and replaced


def test_a_folder_others_can_write_is_no_cache(cache: Path) -> None:
    folder = cache / "hyperscan"
    folder.mkdir()
    folder.chmod(0o777)
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    assert cached_files(cache) == []  # nothing read from it, nothing written to it


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_in_place_of_the_file_does_not_block(cache: Path) -> None:
    """Run in a child with a deadline: a blocking open would hang the import of the analysis."""
    block_database(EXPRESSIONS, FLAGS)
    [kept] = cached_files(cache)
    kept.unlink()
    os.mkfifo(kept, 0o600)
    script = (
        "from malgraph.analysis.compiled_patterns import block_database\n"
        f"block_database({EXPRESSIONS!r}, {FLAGS!r})\nprint('compiled')"
    )
    env = {**os.environ, CACHE_ENV: str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "compiled", done.stderr


def test_a_stale_temporary_file_is_removed_when_a_database_is_written(cache: Path) -> None:
    folder = cache / "hyperscan"
    folder.mkdir(mode=0o700)
    stale, fresh = folder / "killed.part", folder / "writing.part"
    stale.write_bytes(b"half a database")
    fresh.write_bytes(b"another process writing now")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    block_database(EXPRESSIONS, FLAGS)
    assert not stale.exists()
    assert fresh.exists()


def test_no_writable_cache_folder_still_gives_a_database(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    assert matches(block_database(EXPRESSIONS, FLAGS)) == EXPECTED
    assert blocker.read_text().startswith("a file")


def test_where_the_cache_goes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")
    assert cache_folder() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "malgraph" / "hyperscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "malgraph" / "hyperscan"
    monkeypatch.setenv("HOME", "")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_folder() in (None, Path(os.path.expanduser("~")) / ".cache/malgraph/hyperscan")
    assert cache_folder() != Path("/.cache/malgraph/hyperscan")


def test_the_scanners_databases_are_found_again_by_a_new_process(cache: Path) -> None:
    """Every scanner's patterns are the same in every process (no set order in them), so a
    second process, with another string hash seed, compiles nothing."""
    load = "import malgraph.analysis.languages, malgraph.analysis.scanning"
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, CACHE_ENV: str(cache), "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", load], env=env, check=True)
        runs.append({path.name: identity(path) for path in cached_files(cache)})
    # a scanner for each of Python, JavaScript and Ruby, the common one, the fragment search
    assert len(runs[0]) == 5
    assert runs[1] == runs[0]
