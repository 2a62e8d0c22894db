"""Where output goes: `-o FILE` holds exactly what a pipe would, never colour; it is written
only when the command succeeds and never over the store; a table in a pipe is never cut."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from malgraph.cli import INTERNAL, REJECTED, USAGE
from malgraph.pipeline.analyze_code import MAX_ARCHIVE_BYTES
from tests.artifacts.hostile import traversal_tgz
from tests.cli.calls import call
from tests.inert_packages import npm_package

LONG_ID = "npm/4m-clean-shopify-app@9.0.0,9.0.1,9.0.4"  # a record id of the bundled sample


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR", "TERM"}}
    return {**env, "TERM": "xterm-256color", **extra}


def _malgraph(*args: str) -> list[str]:
    return [sys.executable, "-m", "malgraph", *args]


def _piped(args: list[str], env: dict[str, str]) -> bytes:
    return subprocess.run(_malgraph(*args), capture_output=True, env=env, check=True).stdout


def _from_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run with stdout (and stdin) a pseudo-terminal, as typed at a shell; what it printed."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            _malgraph(*args), stdin=follower, stdout=follower, stderr=subprocess.PIPE, env=env
        )
        assert proc.returncode == 0, proc.stderr
    finally:
        os.close(follower)
    printed = b""
    with contextlib.suppress(OSError):  # EIO: the terminal is drained
        while chunk := os.read(leader, 65536):
            printed += chunk
    os.close(leader)
    return printed


@pytest.mark.parametrize("force_color", ["", "1"])
@pytest.mark.parametrize(
    "command", [["stats"], ["show", "4m-clean-shopify-app"], ["sources"], ["families"]]
)
def test_output_file_from_a_terminal_is_what_a_pipe_gets(
    sample: Path, tmp_path: Path, command: list[str], force_color: str
) -> None:
    args = ["--db", str(sample), *command]
    piped = _piped(args, _environment(COLUMNS="100"))
    assert b"\x1b" not in piped
    extra = {"FORCE_COLOR": force_color} if force_color else {}
    written = tmp_path / "out.txt"
    at_terminal = _from_a_terminal(
        [*args, "-o", str(written)], _environment(COLUMNS="100", **extra)
    )
    assert at_terminal == b""
    assert written.read_bytes() == piped


def test_a_table_in_a_pipe_keeps_every_identifier_whole(sample: Path) -> None:
    narrow = _environment(COLUMNS="40")
    shown = _piped(["--db", str(sample), "show", "4m-clean-shopify-app"], narrow).decode()
    assert f"│ {LONG_ID} │" in shown
    # The one "…" is the card's own: a 64-hex id shown by its first 12 characters.
    assert re.findall(r"\S*…", shown) == re.findall(r"\b[0-9a-f]{12}…", shown) != []
    stats = _piped(["--db", str(sample), "stats"], narrow).decode()
    assert "│ ossf-malicious-packages " in stats and "ossf-malicious-pa…" not in stats


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_no_output_may_name_the_store(sample: Path, suffix: str) -> None:
    before = sample.read_bytes()
    target = f"{sample}{suffix}"
    for argv in (
        ["stats", "-f", "json", "-o", target],
        ["show", "4m-clean-shopify-app", "--output", target],
        ["report", "-f", "json", "-o", target],
    ):
        code, out, err = call("--db", str(sample), *argv)
        assert (code, out) == (USAGE, ""), err
        assert err == f"error: {target}: this is the store (--db); write the output elsewhere\n"
    assert sample.read_bytes() == before
    assert call("--db", str(sample), "stats")[0] == 0


def test_problems_may_not_name_the_store(tmp_path: Path) -> None:
    db, folder = tmp_path / "t.db", tmp_path / "empty"
    folder.mkdir()
    assert call("--db", str(db), "ingest", "osv", str(folder))[0] == 0
    before = db.read_bytes()
    code, _, err = call("--db", str(db), "ingest", "osv", str(folder), "--problems", str(db))
    assert code == USAGE and err.splitlines() == [
        f"error: {db}: this is the store (--db); write the output elsewhere"
    ]
    assert db.read_bytes() == before


def test_the_report_may_not_write_over_the_store(tmp_path: Path) -> None:
    db = tmp_path / "report.json"  # a store named as a file the report writes
    assert call("--db", str(db), "build")[0] == 0
    before = db.read_bytes()
    code, _, err = call("--db", str(db), "report", str(tmp_path))
    assert code == USAGE and err.splitlines() == [
        f"error: {tmp_path}: the report would write over the store {db}"
    ]
    assert db.read_bytes() == before


def test_a_failing_command_leaves_the_output_file_as_it_was(tmp_path: Path) -> None:
    db, kept = tmp_path / "t.db", tmp_path / "kept.json"
    folder = tmp_path / "empty"
    folder.mkdir()
    assert call("--db", str(db), "ingest", "osv", str(folder))[0] == 0
    with sqlite3.connect(db) as broken:  # a real fault: a table the store needs is gone
        broken.execute("DROP TABLE records")
    kept.write_text("yesterday's numbers\n")
    code, _, err = call("--db", str(db), "stats", "-f", "json", "-o", str(kept))
    assert code == INTERNAL, err
    assert kept.read_text() == "yesterday's numbers\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kept")] == []


def test_an_output_file_keeps_its_permissions(sample: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old\n")
    kept.chmod(0o640)
    assert call("--db", str(sample), "stats", "-f", "json", "-o", str(kept))[0] == 0
    assert kept.stat().st_mode & 0o777 == 0o640 and json.loads(kept.read_text())["records"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_is_an_input_error_naming_the_path(sample: Path) -> None:
    code, out, err = call("--db", str(sample), "stats", "-o", "/dev/full")
    assert (code, out) == (USAGE, "")
    assert err == "error: /dev/full: no space left on device\n"


def test_output_to_a_device_is_written_in_place(sample: Path) -> None:
    assert call("--db", str(sample), "stats", "-f", "json", "-o", os.devnull)[:2] == (0, "")
    assert Path(os.devnull).is_char_device()


def test_analyze_prints_one_json_array_and_exits_1_on_an_unreadable_archive(
    tmp_path: Path,
) -> None:
    good, odd, junk = tmp_path / "good.tgz", tmp_path / "odd.tgz", tmp_path / "junk.tgz"
    good.write_bytes(npm_package("good", "1.0.0"))
    odd.write_bytes(traversal_tgz())
    junk.write_bytes(b"not an archive at all")
    code, out, _ = call("analyze", str(good), str(odd), "-f", "json")
    assert code == 0
    assert [a["path"] for a in json.loads(out)] == [str(good), str(odd)]
    written = tmp_path / "analysed.json"
    code, out, _ = call("analyze", str(good), str(junk), "-f", "json", "-o", str(written))
    assert (code, out) == (REJECTED, "")
    analysed = json.loads(written.read_text())
    assert [a["status"] for a in analysed] == ["ok", "unreadable"]
    code, out, _ = call("analyze", str(junk))
    assert code == REJECTED and "unreadable" in out


def test_analyze_exits_1_when_an_archive_is_refused_for_its_size(tmp_path: Path) -> None:
    huge, good = tmp_path / "huge.tgz", tmp_path / "good.tgz"
    with huge.open("wb") as file:  # sparse: over the cap without filling the disk
        file.truncate(MAX_ARCHIVE_BYTES + 1)
    good.write_bytes(npm_package("good", "1.0.0"))
    code, out, err = call("analyze", str(huge), str(good))
    assert code == REJECTED
    assert f"refused {huge}: over {MAX_ARCHIVE_BYTES >> 20} MiB" in " ".join(err.split())
    assert f"{good}: ok" in out
