"""Every command, given a bad path or a store that cannot be one: exit code 2, one line on
stderr naming the path, never a traceback. The commands and their path parameters are read
from the typer app, so a new command or path option is walked without touching this test."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main

from malgraph.cli import app, code, explore, export, ingest, report, run  # noqa: F401  (registers them)
from malgraph.pipeline.ingest import ingest as ingest_api
from malgraph.store import Store
from tests.conftest import osv, write_json

# What each path parameter expects, where it is not "a file or folder to read".
ROLES = {
    ("analyze", "paths"): "file",
    ("fetch", "from_"): "folder",
    ("ingest", "problems"): "output file",
    ("export", "target"): "output file",
    ("report", "outdir"): "output folder",
    **{
        (command, "output"): "output file"
        for command in ("analyze", "check", "families", "report", "show", "sources", "stats")
    },
}
# Values that let a command reach its store (a required argument, or an option without which
# it stops earlier with a usage error).
FILLERS = {"kind": ["osv"], "name": ["left-pad"], "format_": ["graphml"]}
REACH_STORE = {"report": ["--format", "json"]}
STORE_IF_ANY = {"sources"}  # commands that read the store only where there is one


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # e.g. ("ingest",), or ("group", "sub") for a sub-app's command
    params: list[Any]  # click parameters, in order
    hints: dict[str, Any]

    @property
    def name(self) -> str:
        return " ".join(self.path)


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[Command]:
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
            continue
        function = getattr(command.callback, "__wrapped__", command.callback)
        yield Command((*prefix, name), list(command.params), typing.get_type_hints(function))


COMMANDS = list(_commands(typer.main.get_command(app)))


def _is_path(hint: Any) -> bool:
    return hint is Path or any(_is_path(arg) for arg in typing.get_args(hint))


def _path_params(command: Command) -> list[Any]:
    return [p for p in command.params if _is_path(command.hints.get(p.name))]


def _argv(command: Command, filler: Path, target: Any = None, value: str = "") -> list[str]:
    """The command with its required arguments filled and `target` set to `value`."""
    argv = list(command.path)
    for param in command.params:
        if param is target:
            argv += [value] if param.param_type_name == "argument" else [param.opts[0], value]
        elif param.param_type_name == "argument" and param.required:
            argv += FILLERS.get(param.name, [str(filler)])
    return argv


@dataclass(frozen=True)
class Places:
    store: Path  # a store holding one record
    folder: Path  # an empty folder
    file: Path  # a regular text file
    loop: Path  # a symlink to itself: no one, root included, can open it
    fifo: Path


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Places:
    base = tmp_path_factory.mktemp("places")
    write_json(base / "in" / "MAL-1.json", osv("MAL-1", "left-pad", versions=["1.0.0"]))
    with Store(base / "store.db") as store:
        assert ingest_api(store, "osv", [str(base / "in")], workers=1).ok
    (base / "empty").mkdir()
    (base / "plain.txt").write_text("not a store, not a folder\n")
    (base / "loop").symlink_to(base / "loop")
    os.mkfifo(base / "fifo")
    return Places(
        base / "store.db", base / "empty", base / "plain.txt", base / "loop", base / "fifo"
    )


def _bad_paths(role: str, p: Places) -> dict[str, Path]:
    through_file = p.file / "inside"  # a file where the path needs a folder
    if role == "output file":
        return {
            "a folder": p.folder,
            "through a file": through_file,
            "a fifo": p.fifo,
            "in a missing folder": p.folder / "missing" / "out.jsonl",
        }
    if role == "output folder":
        return {"a file": p.file, "through a file": through_file / "out"}
    cases = {
        "missing": p.folder / "no-such",
        "through a file": through_file,
        "a symlink loop": p.loop,
        "a fifo": p.fifo,
    }
    if role == "file":
        cases["a folder"] = p.folder
    if role == "folder":
        cases["a file"] = p.file
    return cases


def _assert_clean(argv: list[str], path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run(argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    where = f"`malgraph {' '.join(argv)}`"
    assert status == 2, f"{where} exited {status}: {captured.err}"
    assert "Traceback" not in captured.out + captured.err, where
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{where}: {captured.err!r}"
    assert str(path) in lines[0], f"{where} does not name {path}: {lines[0]}"


def test_the_walk_covers_every_command_and_every_path_parameter() -> None:
    names = {c.name for c in COMMANDS}
    assert {
        "analyze",
        "build",
        "families",
        "fetch",
        "ingest",
        "relate",
        "report",
        "show",
        "sources",
        "stats",
    } <= names
    found = {(c.name, p.name) for c in COMMANDS for p in _path_params(c)}
    assert set(ROLES) <= found  # the roles above name real parameters
    assert {("ingest", "paths"), ("build", "paths")} <= found


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_bad_paths(command: Command, places: Places, capsys: pytest.CaptureFixture[str]) -> None:
    for param in _path_params(command):
        role = ROLES.get((command.name, param.name), "input")
        for case, bad in _bad_paths(role, places).items():
            argv = ["--db", str(places.store), *_argv(command, places.folder, param, str(bad))]
            try:
                _assert_clean(argv, bad, capsys)
            except AssertionError as exc:
                raise AssertionError(f"{param.name} as {case}: {exc}") from None


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_bad_stores(
    command: Command, places: Places, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = tmp_path / "newer.db"
    with Store(newer):
        pass
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version=9999")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes(text)")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    stores = {
        "not SQLite": places.file,
        "a newer schema": newer,
        "another app's": foreign,
        "a corrupt SQLite file": corrupt,
        "a folder": places.folder,
        "through a file": places.file / "m.db",
        "in a missing folder": places.folder / "missing" / "m.db",
        "a symlink loop": places.loop,
        "a fifo": places.fifo,
    }
    argv = _argv(command, places.folder) + REACH_STORE.get(command.name, [])
    for case, db in stores.items():
        if command.name in STORE_IF_ANY and not db.exists():
            assert run(["--db", str(db), *argv]) == 0
            capsys.readouterr()
            continue
        try:
            _assert_clean(["--db", str(db), *argv], db, capsys)
        except AssertionError as exc:
            raise AssertionError(f"store {case}: {exc}") from None
    assert newer.stat().st_size and foreign.stat().st_size  # neither was changed into a store


def test_store_messages_say_what_to_do(
    places: Places, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", str(places.file), "stats"]) == 2
    assert "not an SQLite file" in capsys.readouterr().err
    assert run(["--db", str(tmp_path / "typo.db"), "stats"]) == 2
    assert "no store there" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()  # a reader never makes a store


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stats", "--no-such-option"]) == 2
    assert run(["no-such-command"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_internal_error_is_one_line_unless_debug(
    places: Places, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug \x1b]0;title\x07")

    monkeypatch.setattr(explore, "stats", broken)
    assert run(["--db", str(places.store), "stats"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "error: internal error: ZeroDivisionError: a bug \\x1b]0;title\\x07 (re-run as: "
        "malgraph --debug COMMAND ... for the traceback)\n"
    )
    assert run(["--db", str(places.store), "--debug", "stats"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "raise ZeroDivisionError" in err and "\x1b" not in err


def test_as_a_user_runs_it(places: Places, tmp_path: Path) -> None:
    """The installed entry point, in a fresh process: the two commands the issue names."""
    (tmp_path / "f").write_text("a file")
    for argv, named in (
        (["analyze", "/no/such/file.tgz"], "/no/such/file.tgz"),
        (["report", str(tmp_path / "f" / "out")], str(tmp_path / "f")),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "malgraph", "--db", str(places.store), *argv],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith("error: ") and named in proc.stderr


def test_a_fifo_inside_a_folder_is_rejected_not_waited_on(places: Places, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    os.mkfifo(tmp_path / "in" / "x.json")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "malgraph",
            "--db",
            str(tmp_path / "m.db"),
            "ingest",
            "osv",
            str(tmp_path / "in"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "x.json: empty file" in proc.stderr


def test_an_os_error_naming_a_path_is_an_input_error(
    places: Places, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last line of defence, for a path a command did not check before its work."""

    def gone(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "/vanished/file")

    monkeypatch.setattr(explore, "stats", gone)
    assert run(["--db", str(places.store), "stats"]) == 2
    assert capsys.readouterr().err == "error: /vanished/file: no such file or directory\n"

    def refused(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(explore, "stats", refused)
    assert run(["--db", str(places.store), "stats"]) == 3
    assert "internal error: ConnectionRefusedError" in capsys.readouterr().err
