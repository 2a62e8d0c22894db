"""One CLI convention: --version, -j/--jobs, enum choices, --format/-o, and the exit codes
0 done, 1 done with rejections or nothing found, 2 usage or input error, 3 internal error."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from malgraph.cli import INTERNAL, REJECTED, USAGE, app, run
from malgraph.cli.code import FetchEcosystem
from malgraph.cli.ingest import IngestKind
from malgraph.cli.options import OverlapLevel
from malgraph.cli.output import Format, ReportFormat
from malgraph.core.kinds import RelateKind, Rules
from malgraph.pipeline.fetch_code import FETCHABLE
from malgraph.pipeline.ingest_archives import KIND as ARCHIVES
from malgraph.sources import SOURCES
from tests.cli.calls import call


def test_version_prints_the_package_version() -> None:
    code, out, _ = call("--version")
    assert (code, out) == (0, f"malgraph {version('malgraph')}\n")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["no-such-command"], "No such command 'no-such-command'. (see: malgraph --help)"),
        (["stats", "--no-such-option"], "No such option: --no-such-option"),
        (["stats", "--format", "xml"], "'xml' is not one of 'table', 'json'."),
        (["stats", "--rules", "mine"], "'mine' is not one of 'malgraph', 'paper'."),
        (
            ["relate", "--kinds", "everything"],
            "'everything' is not one of 'mentions', 'similar', 'dependency'.",
        ),
        (["ingest", "nope", "."], "'nope' is not one of 'osv', 'datadog', 'maloss', 'kam193', "),
        (["fetch", "--ecosystem", "cargo"], "'cargo' is not one of 'npm', 'PyPI', 'RubyGems'."),
        (["show"], "Missing argument 'name'. (see: malgraph show --help)"),
    ],
)
def test_usage_errors_exit_2_in_one_line_naming_the_valid_values(
    argv: list[str], says: str, sample: Path
) -> None:
    before = sample.read_bytes()
    code, out, err = call("--db", str(sample), *argv)  # a real store: only the usage is wrong
    assert (code, out) == (USAGE, "") and USAGE == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and says in err, err
    assert sample.read_bytes() == before


def test_an_input_error_exits_2_in_one_line(tmp_path: Path) -> None:
    code, _, err = call("--db", str(tmp_path / "missing.db"), "stats")
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_nothing_found_exits_1(sample: Path) -> None:
    code, out, err = call("--db", str(sample), "show", "no-such-package")
    assert code == REJECTED == 1 and out == "" and "no package" in err


def test_an_internal_error_is_one_line_with_the_hint_to_re_run(tmp_path: Path) -> None:
    db, folder = tmp_path / "broken.db", tmp_path / "empty"
    folder.mkdir()
    assert call("--db", str(db), "ingest", "osv", str(folder))[0] == 0
    with sqlite3.connect(db) as broken:  # a real fault: a table every reader needs is gone
        broken.execute("DROP TABLE records")
    code, out, err = call("--db", str(db), "stats")
    assert code == INTERNAL == 3 and out == ""
    assert err.splitlines() == [
        "error: internal error: OperationalError: no such table: records "
        "(re-run as: malgraph --debug COMMAND ... for the traceback)"
    ]
    assert call("--db", str(db), "stats", "--debug")[0] == USAGE  # so the hint says where
    code, _, err = call("--db", str(db), "--debug", "stats")
    assert code == 3 and "Traceback" in err and "sqlite3.OperationalError" in err
    assert err.splitlines()[-1] == "error: internal error: OperationalError: no such table: records"


@pytest.mark.parametrize("command", [["stats"], ["show", "4m-clean-shopify-app"], ["families"]])
def test_format_json_and_output_file_give_what_json_gave(
    sample: Path, tmp_path: Path, command: list[str]
) -> None:
    db = ["--db", str(sample)]
    code, legacy, _ = call(*db, *command, "--json")  # the hidden alias, for one release
    assert code == 0
    assert call(*db, *command, "--format", "json") == (0, legacy, "")
    written = tmp_path / "out.json"
    assert call(*db, *command, "-f", "json", "-o", str(written)) == (0, "", "")
    assert json.loads(written.read_text()) == json.loads(legacy)


@pytest.mark.parametrize("command", [["stats"], ["show", "4m-clean-shopify-app"], ["sources"]])
def test_output_file_takes_the_table_too(sample: Path, tmp_path: Path, command: list[str]) -> None:
    code, piped, _ = call("--db", str(sample), *command)
    written = tmp_path / "out.txt"
    assert call("--db", str(sample), *command, "--output", str(written)) == (0, "", "")
    assert code == 0 and piped and written.read_bytes() == piped.encode()


def test_show_json_keeps_its_keys(sample: Path) -> None:
    code, out, _ = call("--db", str(sample), "show", "4m-clean-shopify-app", "--format", "json")
    (card,) = json.loads(out)
    assert code == 0 and list(card) == [
        "ecosystem",
        "name",
        "purl",
        "versions",
        "sources",
        "records",
        "reports",
        "campaigns",
        "iocs",
        "coreported",
        "timeline",
        "code",
        "similarity",
        "dependency",
        "edges",
    ]
    assert set(card["dependency"]) == {"pulls_in", "pulled_in_by"}
    assert {"source", "label", "versions", "aliases", "parent_id"} <= set(card["records"][0])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_deprecated_spellings_are_hidden_but_still_work(sample: Path, tmp_path: Path) -> None:
    _, help_text, _ = call("ingest", "--help")
    assert "--workers" not in help_text
    _, help_text, _ = call("stats", "--help")
    assert "--format" in help_text and "--output" in help_text and "--json" not in help_text
    folder = tmp_path / "empty"
    folder.mkdir()
    code, _, err = call(
        "--db", str(tmp_path / "s.db"), "ingest", "osv", str(folder), "--workers", "1"
    )
    assert code == 0 and "--workers is deprecated; use -j/--jobs" in err
    assert call("--db", str(tmp_path / "s.db"), "ingest", "osv", str(folder), "-j", "1")[0] == 0
    at_terminal, printed = _Terminal(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(at_terminal):
        assert run(["--db", str(sample), "families", "--json"]) == 0
    assert at_terminal.getvalue() == "warning --json is deprecated; use --format json\n"
    assert printed.getvalue() == call("--db", str(sample), "families", "-f", "json")[1]


def _commands() -> dict[str, Any]:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _choices(command: str, param: str) -> list[str]:
    """What the shell completes for a parameter: its choices, when it has a fixed set."""
    (found,) = [p for p in _commands()[command].params if p.name == param]
    context = typer.Context(_commands()[command], info_name=command)
    return [item.value for item in found.shell_complete(context, "")]


def test_jobs_is_spelled_one_way_on_every_parallel_command() -> None:
    parallel = {
        name
        for name, command in _commands().items()
        if any(p.name == "jobs" for p in command.params)
    }
    assert parallel == {"ingest", "build", "fetch", "analyze"}
    for name in parallel:
        (jobs,) = [p for p in _commands()[name].params if p.name == "jobs"]
        assert set(jobs.opts) == {"-j", "--jobs"}, name
    workers = {n for n, c in _commands().items() if any(p.name == "workers" for p in c.params)}
    assert workers == {"ingest", "build"}


@pytest.mark.parametrize(
    ("command", "param", "enum"),
    [
        ("ingest", "kind", IngestKind),
        ("fetch", "ecosystem", FetchEcosystem),
        ("relate", "kinds", RelateKind),
        ("stats", "rules", Rules),
        ("stats", "level", OverlapLevel),
        ("report", "rules", Rules),
        ("report", "format_", ReportFormat),
        *((c, "format_", Format) for c in ("stats", "show", "families", "sources", "analyze")),
    ],
)
def test_choices_are_the_enums(command: str, param: str, enum: type[StrEnum]) -> None:
    assert _choices(command, param) == [e.value for e in enum]


def test_the_enums_are_the_kinds_malgraph_has() -> None:
    assert [k.value for k in IngestKind] == [*SOURCES, ARCHIVES]
    assert tuple(e.value for e in FetchEcosystem) == FETCHABLE


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        ("malgraph ingest ", [*SOURCES, ARCHIVES]),
        ("malgraph stats --format ", ["table", "json"]),
        ("malgraph --db x.db relate --kinds s", ["similar"]),
    ],
)
def test_the_shell_completes_the_choices(
    words: str, offered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_MALGRAPH_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split(" ")) - 1))
    code, out, _ = call()
    assert code == 0 and out.splitlines() == offered


def test_the_completion_script_can_be_shown() -> None:
    code, out, _ = call("--show-completion", "bash")
    assert code == 0 and "_MALGRAPH_COMPLETE=complete_bash" in out


def test_relate_takes_each_kind_asked_for(sample: Path) -> None:
    code, out, _ = call(
        "--db", str(sample), "relate", "--kinds", "mentions", "--kinds", "dependency"
    )
    assert code == 0 and "package mentions in reports" in out and "dependency:" in out
    assert "similar:" not in out


def test_report_takes_either_a_folder_or_json_not_both(sample: Path, tmp_path: Path) -> None:
    folder, file = tmp_path / "report", tmp_path / "numbers.json"
    code, out, err = call("--db", str(sample), "report", str(folder), "-o", str(file))
    assert (code, out) == (USAGE, "") and err == (
        f"error: {file}: -o is for --format json; the HTML report goes in OUTDIR\n"
    )
    code, out, err = call("--db", str(sample), "report", str(folder), "-f", "json")
    assert (code, out) == (USAGE, "") and err == (
        f"error: {folder}: --format json prints the numbers; give no OUTDIR\n"
    )
    assert not folder.exists() and not file.exists()
