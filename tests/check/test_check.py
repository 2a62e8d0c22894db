"""`malgraph check` end to end on the test corpus: every finding kind, withdrawn claims as
context only, a clean project with no finding, exit codes, and each output format."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from malgraph.check.inputs import read_inputs
from malgraph.check.run import check_inputs
from malgraph.store import Store
from tests.check.corpus import CLEAN, MIXED, archives, build_store, project
from tests.cli.calls import call

SCHEMA = Path(__file__).parents[2] / "src/malgraph/data/check-output.schema.json"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("check")
    yield build_store(root)


def _json(db: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = call("--db", str(db), "check", "--format", "json", *args)
    document = json.loads(out)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    return code, document


def _by_name(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["name"], []).append(finding)
    return found


def test_clean_project_has_no_finding(corpus: Path, tmp_path: Path) -> None:
    code, document = _json(corpus, str(project(tmp_path, CLEAN)))
    assert code == 0
    assert document["findings"] == []
    assert document["inputs"]["packages"] == len(CLEAN)
    assert document["summary"] == {"malicious": 0, "suspicious": 0, "warning": 0}


def test_malicious_version_names_sources_ids_and_withdrawn_context(
    corpus: Path, tmp_path: Path
) -> None:
    code, document = _json(corpus, str(project(tmp_path, MIXED)))
    assert code == 1
    [evil] = _by_name(document)["mgtest-evil"]
    assert (evil["kind"], evil["severity"], evil["version"]) == (
        "malicious-version",
        "malicious",
        "1.0.0",
    )
    assert evil["sources"] == ["source-a", "source-b"]
    assert {c["id"] for c in evil["evidence"]["claims"]} == {"A-1", "B-1"}
    assert [c["id"] for c in evil["evidence"]["withdrawn"]] == ["MAL-T-7"]
    assert evil["file"] == str(tmp_path / "package-lock.json")


def test_package_wide_and_ranged_claims(corpus: Path, tmp_path: Path) -> None:
    _, document = _json(corpus, str(project(tmp_path, MIXED)))
    found = _by_name(document)
    [wide] = found["mgtest-wide"]
    assert (wide["kind"], wide["version"], wide["sources"]) == (
        "malicious-package",
        None,
        ["source-a"],
    )
    [ranged] = found["mgtest-ranged"]
    assert (ranged["kind"], ranged["version"]) == ("malicious-version", "1.2.5")


def test_withdrawn_claims_make_no_finding(corpus: Path, tmp_path: Path) -> None:
    _, document = _json(corpus, str(project(tmp_path, MIXED)))
    found = _by_name(document)
    assert "mgtest-gone" not in found
    assert "mgtest-plain" not in found  # its code is held, clean and unclaimed
    assert "left-pad" not in found


def test_pulls_in_malicious_gives_the_path(corpus: Path, tmp_path: Path) -> None:
    _, document = _json(corpus, str(project(tmp_path, MIXED)))
    [loader] = _by_name(document)["mgtest-loader"]
    assert (loader["kind"], loader["severity"]) == ("pulls-in-malicious", "malicious")
    assert loader["sources"] == ["source-a"]  # the claim on mgtest-wide
    [link] = loader["evidence"]["pulls_in"]
    assert link["path"] == ["mgtest-loader", "mgtest-wide"]
    assert link["evidence"][0]["file"] == "package/package.json"


def test_similar_to_malicious_for_a_locked_package_with_code(corpus: Path, tmp_path: Path) -> None:
    _, document = _json(corpus, str(project(tmp_path, MIXED)))
    [twin] = _by_name(document)["mgtest-twin"]
    assert (twin["kind"], twin["severity"]) == ("similar-to-malicious", "suspicious")
    assert twin["sources"] == ["ossf-malicious-packages"]
    nearest = twin["evidence"]["nearest"][0]
    assert (nearest["name"], nearest["tier"], nearest["score"]) == (
        "mgtest-evilcode",
        "identical-files",
        1.0,
    )
    assert nearest["family"].startswith("F-")


def test_fail_on_decides_the_exit_code(corpus: Path, tmp_path: Path) -> None:
    lock = str(project(tmp_path, {"mgtest-twin": "1.0.0"}))
    assert _json(corpus, lock)[0] == 0  # suspicious only
    assert _json(corpus, "--fail-on", "suspicious", lock)[0] == 1


def test_unreadable_file_is_reported_and_the_rest_checked(corpus: Path, tmp_path: Path) -> None:
    project(tmp_path / "good", {"left-pad": "1.3.0"})
    bad = tmp_path / "bad" / "package-lock.json"
    bad.parent.mkdir()
    bad.write_text("{not json")
    code, document = _json(corpus, str(tmp_path))
    assert code == 1
    assert [p["file"] for p in document["problems"]] == [str(bad)]
    assert document["inputs"]["packages"] == 1
    code, _, err = call("--db", str(corpus), "check", str(bad))
    assert code == 2 and "not JSON" in err


def test_missing_store_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = call("--db", str(tmp_path / "none.db"), "check", str(tmp_path))
    assert code == 2 and "error:" in err


def test_table_and_output_file(corpus: Path, tmp_path: Path) -> None:
    lock = project(tmp_path / "p", MIXED)
    code, out, _ = call("--db", str(corpus), "check", str(lock))
    assert code == 1
    assert "malicious-version" in out and "mgtest-evil@1.0.0" in out
    assert "4 malicious, 1 suspicious, 1 warning" in out
    target = tmp_path / "found.json"
    code, out, _ = call("--db", str(corpus), "check", "-f", "json", "-o", str(target), str(lock))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["summary"]["malicious"] == 4


def test_the_read_model_checks_without_the_cli(corpus: Path, tmp_path: Path) -> None:
    with Store(corpus, create=False) as store:
        result = check_inputs(store.db, read_inputs([project(tmp_path, MIXED)]))
    assert [f.severity.value for f in result.findings] == sorted(
        (f.severity.value for f in result.findings),
        key=["malicious", "suspicious", "warning"].index,
    )


def test_archives_by_identity_and_by_code(corpus: Path, tmp_path: Path) -> None:
    made = archives(tmp_path / "archives")
    code, document = _json(corpus, *(str(made[k]) for k in ("copy", "near", "known", "clean")))
    assert code == 1
    found = {(f["name"], f["kind"], f["severity"]): f for f in document["findings"]}
    assert set(found) == {
        ("mgtest-evilcode", "malicious-version", "malicious"),
        ("mgtest-newcopy", "similar-to-malicious", "suspicious"),
        ("mgtest-variant", "similar-to-malicious", "suspicious"),
    }
    copy = found["mgtest-newcopy", "similar-to-malicious", "suspicious"]["evidence"]
    assert copy["nearest"][0]["tier"] == "identical-files"
    assert copy["nearest"][0]["files"] == ["package/lib/x.js"]
    near = found["mgtest-variant", "similar-to-malicious", "suspicious"]["evidence"]
    assert near["nearest"][0]["tier"] == "near-duplicate"
    assert 0.4 <= near["nearest"][0]["score"] < 1.0
    assert document["inputs"]["archives"] == [
        str(made[k]) for k in ("copy", "near", "known", "clean")
    ]


def _copy(db: Path, to: Path) -> Path:
    with sqlite3.connect(db) as source, sqlite3.connect(to) as copy:
        source.backup(copy)
    return to


def _sketches(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT * FROM code_sketches ORDER BY sha256").fetchall()


def test_archives_are_compared_with_the_sketches_in_the_store(corpus: Path, tmp_path: Path) -> None:
    near = str(archives(tmp_path / "archives")["near"])
    stored = _sketches(corpus)
    with sqlite3.connect(corpus) as connection:
        analysed = connection.execute("SELECT count(*) FROM code_analyses").fetchone()[0]
    assert len(stored) == analysed == 4 and sum(row[3] is not None for row in stored) == 2
    beside = sorted(corpus.parent.iterdir())
    code, out, err = call("--db", str(corpus), "check", "-f", "json", near)
    first = json.loads(out)["findings"]
    assert code == 0 and first and "relate" not in err  # suspicious: under --fail-on
    assert sorted(corpus.parent.iterdir()) == beside  # no file written beside the store

    older = _copy(corpus, tmp_path / "older.db")  # as an upgraded store: no sketch yet
    with sqlite3.connect(older) as connection:
        connection.execute("DELETE FROM code_sketches")
    code, out, err = call("--db", str(older), "check", "-f", "json", near)
    assert json.loads(out)["findings"] == first  # sketched in memory, the same findings
    assert "4 analysed archive(s)" in err and "`malgraph relate`" in " ".join(err.split())
    assert _sketches(older) == []  # check wrote nothing
    assert call("--db", str(older), "relate", "--kinds", "similar")[0] == 0
    assert _sketches(older) == stored  # relate makes what analyze made
    with sqlite3.connect(older) as connection:
        connection.execute("DELETE FROM code_sketches")
    assert call("--db", str(older), "analyze", "--redo", "-j", "1")[0] == 0
    assert _sketches(older) == stored
    assert "relate" not in call("--db", str(older), "check", near)[2]


def test_an_unreadable_archive_is_a_problem(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.tgz"
    bad.write_bytes(b"not an archive")
    code, _, err = call("--db", str(corpus), "check", "-f", "json", str(bad))
    assert code == 2 and "broken.tgz" in err


def test_name_like_malicious_warns_never_on_the_popular_name(corpus: Path, tmp_path: Path) -> None:
    _, document = _json(corpus, str(project(tmp_path, MIXED)))
    [near] = _by_name(document)["lodahz"]
    assert (near["kind"], near["severity"]) == ("name-like-malicious", "warning")
    assert near["sources"] == ["ossf-malicious-packages"]  # the claims on the typosquat
    assert near["evidence"]["like"] == [{"name": "lodahs", "how": "one edit", "imitates": "lodash"}]
    assert "lodash" not in _by_name(document)  # the name imitated, on the popular list


def test_help_shows_an_example_per_input_kind() -> None:
    code, out, _ = call("check", "--help")
    assert code == 0
    for example in (
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "package.json",
        "requirements.txt",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pyproject.toml",
        "Gemfile.lock",
        "bom.cdx.json",
        "sbom.spdx.json",
        ".whl",
        ".tgz",
    ):
        assert f"malgraph check {example}" in out or example in out
