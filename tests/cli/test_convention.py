"""One CLI convention: --version, -j/--jobs, enum choices, --format/-o, and the exit codes
0 done, 1 done with rejections or nothing found, 2 usage or input error, 3 internal error."""

from __future__ import annotations

import contextlib
import io
import json
from importlib.metadata import version
from pathlib import Path

import pytest

from malgraph.cli import INTERNAL, REJECTED, USAGE, explore, run
from malgraph.cli.code import FetchEcosystem
from malgraph.cli.ingest import IngestKind
from malgraph.core.kinds import RelateKind, Rules
from malgraph.pipeline.fetch_code import FETCHABLE
from malgraph.pipeline.ingest_archives import KIND as ARCHIVES
from malgraph.sources import SOURCES


def call(*args: str) -> tuple[int, str, str]:
    """As `malgraph ARGS` runs it: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample") / "s.db"
    assert call("--db", str(db), "build")[0] == 0
    return db


def test_version_prints_the_package_version() -> None:
    code, out, _ = call("--version")
    assert (code, out) == (0, f"malgraph {version('malgraph')}\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-command"],
        ["stats", "--no-such-option"],
        ["stats", "--format", "xml"],
        ["stats", "--rules", "mine"],
        ["relate", "--kinds", "everything"],
        ["ingest", "nope", "."],
        ["fetch", "--ecosystem", "cargo"],
        ["show"],  # a required argument missing
    ],
)
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    code, _, err = call("--db", str(tmp_path / "s.db"), *argv)
    assert code == USAGE == 2
    assert "Traceback" not in err


def test_an_input_error_exits_2_in_one_line(tmp_path: Path) -> None:
    code, _, err = call("--db", str(tmp_path / "missing.db"), "stats")
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_nothing_found_exits_1(sample: Path) -> None:
    code, out, err = call("--db", str(sample), "show", "no-such-package")
    assert code == REJECTED == 1 and out == "" and "no package" in err


def test_an_internal_error_is_one_line_with_the_debug_hint(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(explore, "stats", broken)  # a fault no real input reaches
    code, out, err = call("--db", str(sample), "stats")
    assert code == INTERNAL == 3 and out == ""
    assert err.splitlines() == [
        "error: internal error: RuntimeError: a bug (run with --debug for the traceback)"
    ]
    code, _, err = call("--db", str(sample), "--debug", "stats")
    assert code == 3 and "Traceback" in err and 'raise RuntimeError("a bug")' in err


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


def test_output_file_takes_the_table_too(sample: Path, tmp_path: Path) -> None:
    written = tmp_path / "stats.txt"
    assert call("--db", str(sample), "stats", "--output", str(written))[:2] == (0, "")
    assert "records by source" in written.read_text()


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


def test_deprecated_spellings_are_hidden_but_still_work(tmp_path: Path) -> None:
    _, help_text, _ = call("ingest", "--help")
    assert "--jobs" in help_text and "-j" in help_text
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


def test_choices_are_the_enums_and_help_lists_them() -> None:
    assert [k.value for k in IngestKind] == [*SOURCES, ARCHIVES]
    assert tuple(e.value for e in FetchEcosystem) == FETCHABLE
    _, help_text, _ = call("relate", "--help")
    assert all(kind.value in help_text for kind in RelateKind)
    _, help_text, _ = call("stats", "--help")
    assert all(rule.value in help_text for rule in Rules) and "table" in help_text


def test_relate_takes_each_kind_asked_for(sample: Path) -> None:
    code, out, _ = call(
        "--db", str(sample), "relate", "--kinds", "mentions", "--kinds", "dependency"
    )
    assert code == 0 and "package mentions in reports" in out and "dependency:" in out
    assert "similar:" not in out
