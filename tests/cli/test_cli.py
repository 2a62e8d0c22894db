"""The command line as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from malgraph.cli import app, explore, ingest, main  # noqa: F401  (main registers the commands)  # noqa: F401
from malgraph.cli import run as run_cli
from tests.test_ingest import write_bad_tree

runner = CliRunner()


def run(*args: str, db: Path) -> tuple[int, str]:
    """In this process, as `main` runs it (exit codes included); stdout and stderr together."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = run_cli(["--db", str(db), *args])
    return code, output.getvalue()


def test_build_on_the_bundled_sample_from_a_fresh_process(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    proc = subprocess.run(
        [sys.executable, "-m", "malgraph", "--db", str(db), "build"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1337 added; 0 rejected" in proc.stdout
    assert "records by source" in proc.stdout and "reversing-labs" in proc.stdout
    numbers = json.loads(
        subprocess.run(
            [sys.executable, "-m", "malgraph", "--db", str(db), "stats", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for key in ("records", "packages", "package_versions", "by_source", "overlap", "occurrence"):
        assert key in numbers
    assert {"ghsa-malware", "reversing-labs", "leitwacht"} <= set(numbers["by_source"])
    pair = numbers["overlap"][0]
    assert set(pair) == {"a", "b", "ecosystem", "shared", "jaccard", "overlap_coefficient"}
    assert sum(numbers["occurrence"].values()) == numbers["units"]
    # One count of package-versions: the store's equals the units overlap counts.
    assert numbers["units"] == numbers["package_versions"]
    overall = numbers["missing_rate"]["overall"]
    assert overall["records"] == numbers["records"]
    assert 0 <= overall["missing_after_filling"] <= overall["missing"] <= 1
    assert numbers["single_source_share"] == round(numbers["occurrence"]["1"] / numbers["units"], 4)
    # A second build adds nothing.
    again = subprocess.run(
        [sys.executable, "-m", "malgraph", "--db", str(db), "build"], capture_output=True, text=True
    )
    assert "2 unchanged; 0 rejected" in again.stdout


def test_db_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MALGRAPH_DB", str(tmp_path / "env.db"))
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_ingest_exit_codes_and_problem_report(tmp_path: Path) -> None:
    write_bad_tree(tmp_path / "in")
    code, output = run(
        "ingest",
        "osv",
        str(tmp_path / "in"),
        "--problems",
        str(tmp_path / "p.jsonl"),
        db=tmp_path / "m.db",
    )
    assert code == 1
    assert "osv documents: 3 added; 6 rejected" in output
    assert "empty.json: empty file" in output
    lines = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert sum(x["rejected"] for x in lines) == 6 and len(lines) == 7
    strict = subprocess.run(
        [
            sys.executable,
            "-m",
            "malgraph",
            "--db",
            str(tmp_path / "s.db"),
            "ingest",
            "osv",
            str(tmp_path / "in"),
            "--strict",
        ],
        capture_output=True,
        text=True,
    )
    assert strict.returncode == 1 and "error:" in strict.stderr
    assert "Traceback" not in strict.stderr
    code, _ = run("ingest", "osv", str(tmp_path / "in" / "good"), db=tmp_path / "g.db")
    assert code == 0
    code, output = run("ingest", "nope", str(tmp_path), db=tmp_path / "m.db")
    assert code == 2 and "'nope' is not one of 'osv'" in output
    code, output = run("ingest", "osv", str(tmp_path / "missing"), db=tmp_path / "m.db")
    assert code == 2 and output.startswith(f"error: {tmp_path / 'missing'}: ")


def test_show_prints_a_package_card(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert run("build", db=db)[0] == 0
    code, output = run("show", "4M-Clean-Shopify-App", db=db)  # npm names are case-insensitive
    assert code == 0
    for text in ("pkg:npm/4m-clean-shopify-app", "ghsa-malware", "RLMA-2025-00046", "duplicated"):
        assert text in output
    code, output = run("show", "4m-clean-shopify-app", "--format", "json", db=db)
    (card,) = json.loads(output)
    # The bundled DataDog manifest lists it too.
    assert card["sources"] == ["datadog", "ghsa-malware", "ossf-package-analysis", "reversing-labs"]
    assert card["versions"] == ["1.0.2", "9.0.0", "9.0.1", "9.0.4"]
    assert {e["kind"] for e in card["edges"]} == {"duplicated", "duplicated_package"}
    assert run("show", "no-such-package", db=db)[0] == 1
    code, output = run("sources", db=db)
    assert all(
        kind in output
        for kind in ("osv", "datadog", "paper", "kam193", "maloss", "list", "reports")
    )
    code, output = run("relate", db=db)
    assert code == 0 and "package mentions in reports" in output
