"""The machine outputs of `malgraph check`: SARIF 2.1.0 valid against the official schema
(tests/data/sarif-schema), one rule per finding kind, results located at the lockfile's line;
markdown for a pull-request comment, with text from project files escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from malgraph.check.output_markdown import check_markdown
from malgraph.core.check import CheckResult, Finding
from malgraph.core.check_inputs import InputProblem
from malgraph.core.kinds import FindingKind, Severity
from tests.check.corpus import CLEAN, MIXED, archives, build_store, project
from tests.cli.calls import call

SARIF_SCHEMA = Path(__file__).parents[1] / "data/sarif-schema/sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_store(tmp_path_factory.mktemp("check-outputs"))


def _sarif(db: Path, target: Path) -> tuple[int, dict[str, Any]]:
    code, out, _ = call("--db", str(db), "check", "-f", "sarif", str(target))
    document = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(document)
    return code, document


def test_sarif_is_valid_and_locates_each_finding(corpus: Path, tmp_path: Path) -> None:
    lock = project(tmp_path, MIXED)
    code, document = _sarif(corpus, lock)
    assert code == 1
    [run] = document["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == [kind.value for kind in FindingKind]
    lines = (lock / "package-lock.json").read_text().splitlines()
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == set(rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == (lock / "package-lock.json").as_uri()
        name = result["properties"]["finding"]["name"]
        assert f'"node_modules/{name}"' in lines[physical["region"]["startLine"] - 1]
    assert by_rule["malicious-version"]["level"] == "error"
    assert by_rule["name-like-malicious"]["level"] == "note"


def test_sarif_of_a_clean_project_has_no_result(corpus: Path, tmp_path: Path) -> None:
    code, document = _sarif(corpus, project(tmp_path, CLEAN))
    assert code == 0 and document["runs"][0]["results"] == []


def test_markdown_comment(corpus: Path, tmp_path: Path) -> None:
    code, out, _ = call(
        "--db", str(corpus), "check", "-f", "markdown", str(project(tmp_path, MIXED))
    )
    assert code == 1
    assert out.startswith("### malgraph check")
    assert "| 🛑 malicious | `malicious-version` | npm mgtest-evil@1.0.0 |" in out
    code, out, _ = call(
        "--db", str(corpus), "check", "-f", "markdown", str(project(tmp_path, CLEAN))
    )
    assert code == 0 and "No findings in 4 package entries" in out


def test_markdown_escapes_what_project_files_say() -> None:
    finding = Finding(
        FindingKind.NAME_LIKE_MALICIOUS,
        Severity.WARNING,
        "npm",
        "a|b`<script>",
        None,
        "x.json",
        (),
        {"like": [{"name": "c", "how": "one edit", "imitates": "d"}]},
    )
    problem = InputProblem("bad|file", "why\nnot")
    text = check_markdown(CheckResult((finding,), ("x.json",), (), 1, (problem,)))
    assert "a\\|b\\`\\<script\\>" in text
    assert "- bad\\|file: why not" in text


def test_sarif_of_an_archive_points_at_the_archive(corpus: Path, tmp_path: Path) -> None:
    copy = archives(tmp_path)["copy"]
    _, document = _sarif(corpus, copy)
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "similar-to-malicious" and result["level"] == "warning"
    physical = result["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": copy.as_uri()}}
