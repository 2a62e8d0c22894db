"""`malgraph report` on the bundled sample: the numbers match the golden report.json (rewrite
it with `pytest --update-golden` after a deliberate change, and read the diff), and the page
has every section and figure, all local."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
from typer.testing import CliRunner

from malgraph.cli import app, report  # noqa: F401  (importing registers the commands)
from malgraph.report.numbers import report_numbers
from malgraph.store import Store
from tests.conftest import REPO

GOLDEN = Path(__file__).parent.parent / "golden" / "report.json"
SECTIONS = {
    "sources": "Sources (RQ1)",
    "diversity": "Diversity (RQ2)",
    "evolution": "Evolution",
    "active-time": "Active time",
    "dependency": "Dependency-hidden malware (RQ3)",
    "campaigns": "Campaigns (RQ4)",
    "lifecycle": "Life cycle",
    "paper-agreement": "Agreement with the paper&#x27;s graph",
}
runner = CliRunner()


def test_the_numbers_of_the_bundled_sample_match_the_golden_file(
    sample_store: Store, update_golden: bool
) -> None:
    numbers = orjson.loads(orjson.dumps(report_numbers(sample_store.db)))
    assert str(REPO) not in json.dumps(numbers)  # the same numbers wherever the checkout is
    if update_golden:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(
            orjson.dumps(numbers, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
    assert GOLDEN.is_file(), "no golden report.json: run pytest --update-golden once"
    golden = json.loads(GOLDEN.read_text())
    for section in golden:  # one section at a time, so a failure names it
        assert numbers[section] == golden[section], f"section {section} changed"
    assert set(numbers) == set(golden)


def test_the_report_has_every_section_and_figure_and_loads_nothing(
    sample_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["--db", str(sample_store.path), "report", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    for anchor, title in SECTIONS.items():
        assert f'id="{anchor}"' in page and title in page
    images = re.findall(r'<img src="([^"]+)"', page)
    # No code and no dependency in the sample: those two sections are one line each, no figure.
    assert len(images) == 10 and all((out / image).is_file() for image in images)
    for section in ("diversity", "dependency"):
        body = page.split(f'id="{section}"')[1].split("</section>")[0]
        assert "Nothing to show yet:" in body and "fill this section" in body
        assert "<img" not in body and "<table" not in body
    assert sorted(p.name for p in out.glob("*.svg")) == sorted(images)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    assert "left out" in page  # each figure says what it could not count
    # The sample holds none of the paper's graph: its section is the one line saying what fills it.
    assert "`malgraph ingest paper OSS-MPAW/KG` fills this section" in page
    stored = json.loads((out / "report.json").read_text())
    assert stored == orjson.loads(orjson.dumps(report_numbers(sample_store.db)))
    as_json = runner.invoke(app, ["--db", str(sample_store.path), "report", "--format", "json"])
    assert json.loads(as_json.output) == stored
