"""Every figure kind writes parseable SVG, the same bytes twice, and survives empty or hostile
input (labels that are markup, mathtext, control characters, lone surrogates)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from malgraph.report import ReportError
from malgraph.report import figures as F

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a$\\frac{$b",  # a mathtext error if it were parsed
    "nul\x00bell\x07",
    "lone\ud800surrogate",
]
MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022, 2023, 2024) for m in range(1, 13)]

Draw = Callable[[Path], Path]
CASES: dict[str, tuple[Draw, Draw]] = {  # name: (with data, empty)
    "heatmap": (
        lambda p: F.heatmap(
            p,
            ["a", "b", "c"],
            [[1, 0.5, 0], [0.5, 1, 0.25], [0, 0.25, 1]],
            "overlap",
            "{:.0%}",
            "J",
        ),
        lambda p: F.heatmap(p, [], [], "overlap"),
    ),
    "bars": (
        lambda p: F.bars(p, {"osv": 10, "ghsa": 3, "socket": 0}, "records", "source", "n"),
        lambda p: F.bars(p, {}, "records", "source", "n"),
    ),
    "grouped_bars": (
        lambda p: F.grouped_bars(
            p, {"osv": {"before": 0.4, "after": 0.1}, "ghsa": {"before": 0.2}}, "missing", "", ""
        ),
        lambda p: F.grouped_bars(p, {"osv": {}}, "missing"),
    ),
    "ecdf": (
        lambda p: F.ecdf(p, {"npm": [1.0, 2.0, 2.0, 9.0], "pypi": [3.0]}, "delay", "days"),
        lambda p: F.ecdf(p, {"npm": []}, "delay", "days"),
    ),
    "lines": (
        lambda p: F.lines(p, {"npm": {"2024-02": 3, "2024-01": 1}}, "new", "month", "n"),
        lambda p: F.lines(p, {}, "new", "month", "n"),
    ),
    "histogram": (
        lambda p: F.histogram(p, {1: 40, 2: 9, 7: 1}, "family sizes", "members", log=True),
        lambda p: F.histogram(p, [], "family sizes", "members"),
    ),
}


def texts(path: Path) -> list[str]:
    """The drawn strings of an SVG, which must parse as XML."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_backend_is_agg() -> None:
    assert matplotlib.get_backend().lower() == "agg"


@pytest.mark.parametrize("name", CASES)
def test_same_input_gives_same_bytes(name: str, tmp_path: Path) -> None:
    draw, _ = CASES[name]
    first = draw(tmp_path / "first.svg")
    second = draw(tmp_path / "second.svg")
    assert first == tmp_path / "first.svg"
    assert texts(first)
    assert first.read_bytes() == second.read_bytes()
    assert b"<dc:date>" not in first.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_empty_input_says_no_data(name: str, tmp_path: Path) -> None:
    _, draw = CASES[name]
    assert "no data" in texts(draw(tmp_path / "sub" / "empty.svg"))


def test_hostile_labels_are_drawn_as_plain_text(tmp_path: Path) -> None:
    values = {name: i + 1 for i, name in enumerate(HOSTILE)}
    drawn = texts(F.bars(tmp_path / "b.svg", values, HOSTILE[0], HOSTILE[1], HOSTILE[2]))
    assert "<script>alert(1)</script>" in drawn  # escaped in the file, intact once parsed
    assert "a$\\frac{$b" in drawn
    assert "nul bell " in drawn
    matrix = [[1.0] * len(HOSTILE) for _ in HOSTILE]
    texts(F.heatmap(tmp_path / "h.svg", HOSTILE, matrix, HOSTILE[3], colorbar_label=HOSTILE[4]))
    texts(F.lines(tmp_path / "l.svg", {HOSTILE[4]: {HOSTILE[3]: 1}}, "t", "x", "y"))


def test_long_labels_are_shortened(tmp_path: Path) -> None:
    drawn = texts(F.bars(tmp_path / "b.svg", {"x" * 300: 1}, "t"))
    assert "x" * 39 + "…" in drawn
    assert not any("x" * 41 in t for t in drawn)


def test_heatmap_annotates_only_small_matrices(tmp_path: Path) -> None:
    small = ["a", "b"]
    drawn = texts(
        F.heatmap(tmp_path / "s.svg", small, [[1, 0.5], [0.5, float("nan")]], "t", "{:.1%}")
    )
    assert drawn.count("50.0%") == 2
    assert "100.0%" in drawn
    assert "nan%" not in drawn  # a NaN cell is left blank
    big = [f"s{i}" for i in range(21)]
    matrix = [[0.5] * 21 for _ in big]
    assert "0.50" not in texts(F.heatmap(tmp_path / "b.svg", big, matrix, "t"))


def test_heatmap_refuses_a_matrix_of_the_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="2 rows of 2"):
        F.heatmap(tmp_path / "x.svg", ["a", "b"], [[1.0, 2.0]], "t")
    assert not (tmp_path / "x.svg").exists()


def test_bars_beyond_the_cap_are_counted_in_the_title(tmp_path: Path) -> None:
    values = {f"pkg{i}": i for i in range(70)}
    drawn = texts(F.bars(tmp_path / "b.svg", values, "t", horizontal=True, max_bars=60))
    assert any("first 60 of 70 shown" in t for t in drawn)
    assert "pkg59" in drawn
    assert "pkg60" not in drawn


def test_ecdf_legend_counts_and_notes_what_was_left_out(tmp_path: Path) -> None:
    series = {"npm": [0.0, 1.0, 10.0, float("inf")], "pypi": [], "gems": [5.0]}
    drawn = texts(F.ecdf(tmp_path / "e.svg", series, "t", "days", log_x=True))
    assert "npm (n=2, 2 ≤ 0 or not finite left out)" in drawn
    assert "pypi (n=0, no data)" in drawn
    assert "gems (n=1)" in drawn


def test_ecdf_of_a_long_series_stays_small(tmp_path: Path) -> None:
    path = F.ecdf(tmp_path / "e.svg", {"all": [float(i % 977) for i in range(50_000)]}, "t", "x")
    assert "all (n=50,000)" in texts(path)
    assert path.stat().st_size < 120_000


def test_lines_sort_and_thin_category_labels(tmp_path: Path) -> None:
    reversed_months = {m: i for i, m in enumerate(reversed(MONTHS))}
    drawn = texts(F.lines(tmp_path / "l.svg", {"npm": reversed_months}, "t", "month", "n"))
    shown = [t for t in drawn if t in MONTHS]
    assert shown[0] == "2021-01"
    assert len(shown) <= F.MAX_TICKS
    assert shown == sorted(shown)


def test_log_axes_cope_with_zeros_and_nothing_positive(tmp_path: Path) -> None:
    texts(F.bars(tmp_path / "b.svg", {"a": 0, "b": 0}, "t", log=True))
    texts(F.histogram(tmp_path / "h.svg", {1: 0}, "t", "x", log=True))
    texts(F.lines(tmp_path / "l.svg", {"s": {"a": 0.0}}, "t", "x", "y", log=True))
    texts(F.grouped_bars(tmp_path / "g.svg", {"a": {"x": 0.0, "y": 3}}, "t", log=True))
    drawn = texts(F.ecdf(tmp_path / "e.svg", {"s": [0.0, -1.0]}, "t", "x", log_x=True))
    assert "no data" in drawn


def test_non_finite_values_do_not_break_the_axes(tmp_path: Path) -> None:
    inf, nan = float("inf"), float("nan")
    texts(F.bars(tmp_path / "b.svg", {"a": inf, "b": nan, "c": 2}, "t"))
    texts(F.heatmap(tmp_path / "h.svg", ["a"], [[inf]], "t"))
    assert "no data" in texts(F.histogram(tmp_path / "x.svg", [nan, inf], "t", "x"))
    texts(F.histogram(tmp_path / "y.svg", [1.0, 1.0, nan, 3.5], "t", "x"))


@pytest.mark.parametrize(
    "draw",
    [
        lambda p: F.grouped_bars(
            p, {f"g{i}": {f"s{j}": j for j in range(12)} for i in range(3)}, "t"
        ),
        lambda p: F.lines(p, {f"s{i}": {"a": i, "b": i + 1} for i in range(12)}, "t", "x", "y"),
    ],
)
def test_many_series_get_a_legend_beside_the_axes(draw: Any, tmp_path: Path) -> None:
    drawn = texts(draw(tmp_path / "m.svg"))
    assert "s0" in drawn
    assert "s11" in drawn
