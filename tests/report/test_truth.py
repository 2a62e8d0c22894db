"""The report tells the truth at a glance: one count of package-versions (the one `stats`
prints), bars with and without duplicates that cannot invert, the heat map's metric named and 0
where nothing is shared, linear axes for shares, and names the bundled font cannot draw shown in
ASCII."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from malgraph.cli import app, report  # noqa: F401  (importing registers the commands)
from malgraph.core.model import ClaimView, Scope
from malgraph.insights.duplicates import records_with_and_without_duplicates
from malgraph.report import figures as F
from malgraph.report.html import Section, Table, render_html
from malgraph.report.numbers import stats
from malgraph.report.sections.sources import _jaccard
from malgraph.report.text import display_text
from malgraph.store import Store

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def _texts(svg: Path) -> list[str]:
    return [t.text or "" for t in ET.parse(svg).iter(f"{SVG}text")]


def _claim(record: int, source: str, package: int, versions: set[str]) -> ClaimView:
    scope = Scope(next(iter(Scope.__members__.values())))
    return ClaimView(
        record,
        source,
        str(record),
        "npm",
        package,
        f"pkg:npm/p{package}",
        scope,
        frozenset(versions),
    )


def test_without_duplicates_never_exceeds_with_duplicates() -> None:
    # a: one record naming three versions (three package-versions, one record), then the same
    # record again; b: the same package twice with different versions (no duplicate).
    counts = records_with_and_without_duplicates(
        [
            _claim(1, "a", 1, {"1.0", "1.1", "1.2"}),
            _claim(2, "a", 1, {"1.0", "1.1", "1.2"}),
            _claim(3, "b", 1, {"1.0"}),
            _claim(4, "b", 1, {"2.0"}),
        ]
    )
    assert counts == {
        "a": {"with_duplicates": 2, "without_duplicates": 1},
        "b": {"with_duplicates": 2, "without_duplicates": 2},
    }


def test_the_drawn_overlap_is_zero_where_nothing_is_shared(tmp_path: Path) -> None:
    # A coarser unit gave these two sources a Jaccard index although no version is shared.
    matrix = {"shared": [[5, 0], [0, 3]], "jaccard": [[1.0, 0.31], [0.31, 1.0]]}
    assert _jaccard(matrix, 0, 1) == 0.0 and _jaccard(matrix, 1, 0) == 0.0
    assert _jaccard(matrix, 0, 0) == 1.0
    drawn = [[_jaccard(matrix, i, j) for j in (0, 1)] for i in (0, 1)]
    texts = _texts(F.heatmap(tmp_path / "h.svg", ["a", "b"], drawn, "Jaccard index"))
    assert texts.count("0") >= 2 and "0.31" not in texts


def test_full_width_names_are_shown_in_ascii(tmp_path: Path) -> None:
    name = "packagist\uff08Composer\uff09"
    assert display_text(name) == "packagist (Composer)"
    assert display_text("恶意 npm") == "恶意 npm"  # other scripts stay as they are
    svg = F.bars(tmp_path / "eco.svg", {name: 3, "npm": 5}, "By ecosystem")
    texts = _texts(svg)
    assert "packagist (Composer)" in texts
    assert not any(re.search("[\uff01-\uff5e]", t) for t in texts)
    page = render_html("t", "", [Section("s", "S", "", [], [Table(["ecosystem"], [[name]])])])
    assert "<td>packagist (Composer)</td>" in page and "\uff08" not in page


def test_the_report_reads_one_count_and_draws_truthfully(
    sample_store: Store,
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["--db", str(sample_store.path), "report", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    count = f"{stats(sample_store.db)['package_versions']:,} package-versions"
    header = page.split('class="subtitle">')[1].split("</p>")[0]
    sources = page.split('id="sources"')[1].split("</section>")[0]
    assert header.startswith(count) and count in sources
    assert len(set(re.findall(r"([\d,]+) package-versions \(as", page))) == 1

    texts = " ".join(_texts(out / "sources-overlap.svg"))
    assert "Jaccard index" in texts and "0 where none is shared" in texts
    # Shares on a linear axis: a log axis has no 0 tick, and writes no 20/40/60 between decades.
    for share_figure in ("sources-occurrence.svg", "sources-missing.svg"):
        ticks = _texts(out / share_figure)
        assert "0" in ticks and "20" in ticks and "40" in ticks
    numbers = json.loads((out / "report.json").read_text())
    assert all(
        n["without_duplicates"] <= n["with_duplicates"]
        for n in numbers["store"]["records"].values()
    )
    records = _texts(out / "sources-records.svg")
    assert "with duplicates" in records and "without duplicates" in records
