"""SVG figures for the report: one function per chart kind, each writes one file and returns it.

Drawn with matplotlib's object API on the Agg backend (no GUI, no pyplot figure registry to
leak), under a fixed style so the same input gives byte-identical SVG. Labels are data
(hostile package and source names): they are cleaned of characters XML cannot carry,
shortened, and never parsed as mathtext. Empty input draws a "no data" figure, never fails.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter, StrMethodFormatter

from malgraph.report import ReportError
from malgraph.report.text import display_text

# Everything that changes the bytes is pinned: the id salt, text as <text> (no glyph paths
# whose ids vary), matplotlib's bundled font (same metrics on every machine), no mathtext.
STYLE: dict[Any, Any] = {
    "svg.hashsalt": "malgraph-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "text.parse_math": False,
    "text.usetex": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.axisbelow": True,
    "figure.dpi": 100,
    "legend.frameon": False,
}
PALETTE = [f"C{i}" for i in range(10)]
LINESTYLES = ["-", "--", ":", "-."]  # a series past the tenth colour still looks different
MAX_BARS = 60
MAX_GROUPS = 40
MAX_TICKS = 12
MAX_ANNOTATED = 20  # heatmap cells get their value written in only up to this many labels
MAX_POINTS = 1000  # an ECDF longer than this is drawn through evenly spaced ranks

# C0/C1 controls, lone surrogates and the two non-characters are not allowed in XML 1.0.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def label(text: object, limit: int = 40) -> str:
    """A data string made safe to draw: one line, XML-safe, full-width forms in ASCII, at
    most `limit` characters."""
    cleaned = display_text(_UNSAFE.sub(" ", str(text)))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _number(value: object) -> float:
    """A value as a float; infinities become NaN (drawn as a gap) since they break axes."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _fmt(value: float) -> str:
    if math.isnan(value):
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@contextmanager
def _figure(path: Path | str, size: tuple[float, float]) -> Iterator[Figure]:
    """A figure under the fixed style, written to `path` as SVG when the block ends."""
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        # Names in scripts DejaVu lacks still render in the browser (text is kept as text).
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        fig = Figure(figsize=size, layout="constrained")
        yield fig
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        fig.clear()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())


def _title(ax: Axes, title: str, note: str = "") -> None:
    text = textwrap.fill(label(title, 200), 70)
    ax.set_title(text + (f"\n{note}" if note else ""))


def _no_data(ax: Axes) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, fontsize=16)


def _categorical_ticks(
    ax: Axes, names: Sequence[str], width: float, axis: str = "x", thin: bool = False
) -> None:
    """Tick labels for categories; every k-th only when `thin`, rotated when they'd collide."""
    step = max(1, math.ceil(len(names) / MAX_TICKS)) if thin else 1
    positions = list(range(0, len(names), step))
    shown = [label(names[i]) for i in positions]
    if axis == "y":
        ax.set_yticks(positions, shown)
        return
    longest = max((len(s) for s in shown), default=0)
    if longest * len(shown) > 9 * width:  # about 9 characters fit per inch at 10 pt
        ax.set_xticks(positions, shown, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(positions, shown)


def _log(ax: Axes, axis: str, values: Sequence[float]) -> None:
    # A log axis with nothing positive to show only warns and draws garbage; stay linear.
    if any(v > 0 for v in values if not math.isnan(v)):
        _log_axis(ax, axis)


def _log_axis(ax: Axes, axis: str) -> None:
    # matplotlib's log tick labels are mathtext, which is switched off: write them plainly.
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_formatter(StrMethodFormatter("{x:g}"))
    target.set_minor_formatter(NullFormatter())


def _legend(
    fig: Figure, ax: Axes, entries: int, loc: Literal["best", "lower right"] = "best"
) -> None:
    if entries > 8:  # a long legend would cover the data: put it beside the axes
        fig.legend(loc="outside right upper", fontsize=8)
    elif entries:
        ax.legend(loc=loc, fontsize=9)


def heatmap(
    path: Path | str,
    labels: Sequence[str],
    matrix: Sequence[Sequence[float]],
    title: str,
    value_format: str = "{:.2f}",
    colorbar_label: str = "",
    *,
    column_labels: Sequence[str] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Path:
    """A matrix of values, rows `labels` by columns `column_labels` (default: the same), e.g.
    the pairwise source overlap. Cells carry their value when there are few labels; NaN cells
    are left blank."""
    columns = list(labels if column_labels is None else column_labels)
    rows = list(labels)
    if len(matrix) != len(rows) or any(len(row) != len(columns) for row in matrix):
        raise ReportError(
            f"heatmap {title!r}: the matrix must be {len(rows)} rows of {len(columns)} values"
            " (one per label); fix the caller"
        )
    n = max(len(rows), len(columns))
    side = _clamp(2.5 + 0.4 * n, 5.0, 14.0)
    with _figure(path, (side + 1.5, side)) as fig:
        ax = fig.add_subplot()
        _title(ax, title)
        if not rows or not columns:
            _no_data(ax)
            return Path(path)
        data = np.array([[_number(v) for v in row] for row in matrix], dtype=float)
        finite = data[~np.isnan(data)]
        low = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
        high = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
        if high <= low:
            high = low + 1.0
        image = ax.imshow(np.ma.masked_invalid(data), cmap="viridis", vmin=low, vmax=high)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        _categorical_ticks(ax, columns, side)
        _categorical_ticks(ax, rows, side, axis="y")
        fig.colorbar(image, ax=ax, label=label(colorbar_label, 80), shrink=0.8)
        if n <= MAX_ANNOTATED:
            size = 9 if n <= 10 else 7
            for (i, j), value in np.ndenumerate(data):
                if math.isnan(value):
                    continue
                dark = (value - low) / (high - low) < 0.6  # viridis is dark at the low end
                ax.text(
                    j,
                    i,
                    "0" if value == 0 else value_format.format(value),
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if dark else "black",
                )
    return Path(path)


def bars(
    path: Path | str,
    values: Mapping[str, float],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    horizontal: bool = False,
    log: bool = False,
    *,
    max_bars: int = MAX_BARS,
    note: str = "",
) -> Path:
    """One bar per key, in the caller's order, values written at the bar ends when few. Past
    `max_bars` only the first ones are drawn and the title says so."""
    items = list(values.items())
    shown = items[:max_bars]
    cut = f"(first {len(shown)} of {len(items)} shown)" if len(items) > len(shown) else ""
    note = "; ".join(part for part in (label(note, 80), cut) if part)
    names = [str(k) for k, _ in shown]
    heights = [_number(v) for _, v in shown]
    n = len(shown)
    size = (
        (8.0, _clamp(1.5 + 0.28 * n, 3.0, 16.0))
        if horizontal
        else (_clamp(4 + 0.35 * n, 6, 14), 4.5)
    )
    with _figure(path, size) as fig:
        ax = fig.add_subplot()
        _title(ax, title, note)
        if not shown:
            _no_data(ax)
            return Path(path)
        positions = list(range(n))
        if horizontal:
            drawn = ax.barh(positions, heights, color=PALETTE[0])
            _categorical_ticks(ax, names, size[0], axis="y")
            ax.invert_yaxis()  # the first key on top, as it reads
            ax.set_xlabel(label(xlabel, 80))
            ax.set_ylabel(label(ylabel, 80))
            ax.margins(x=0.12)  # room for the values written at the bar ends
            if log:
                _log(ax, "x", heights)
        else:
            drawn = ax.bar(positions, heights, color=PALETTE[0])
            _categorical_ticks(ax, names, size[0])
            ax.set_xlabel(label(xlabel, 80))
            ax.set_ylabel(label(ylabel, 80))
            if log:
                _log(ax, "y", heights)
        if n <= 30:
            ax.bar_label(drawn, labels=[_fmt(h) for h in heights], fontsize=8, padding=2)
    return Path(path)


def _grouped_size(slots: int, horizontal: bool) -> tuple[float, float]:
    if horizontal:
        return (8.0, _clamp(1.5 + 0.2 * slots, 3.0, 16.0))
    return (_clamp(4 + 0.2 * slots, 6, 14), 4.5)


def _grouped_series(
    ax: Any,
    shown: list[tuple[str, Mapping[str, float]]],
    series: list[str],
    horizontal: bool,
) -> list[float]:
    """Draw each series' bars beside the others' in every group; returns every height."""
    n, k = len(shown), len(series)
    slots = n * k
    width = 0.8 / k
    every: list[float] = []
    for s, name in enumerate(series):
        offsets = [g + (s - (k - 1) / 2) * width for g in range(n)]
        heights = [_number(inner.get(name, math.nan)) for _, inner in shown]
        every += heights
        style: dict[str, Any] = {"color": PALETTE[s % 10], "label": label(name)}
        drawn = (
            ax.barh(offsets, heights, height=width, **style)
            if horizontal
            else ax.bar(offsets, heights, width=width, **style)
        )
        if slots <= 24 or (horizontal and slots <= 80):
            # Beside a horizontal bar a value has room; above a thin upright one it is
            # turned upright so that neighbours cannot overlap.
            texts = ax.bar_label(drawn, labels=[_fmt(h) for h in heights], fontsize=7, padding=2)
            for text in texts if not horizontal else []:
                text.set_rotation(90)
    return every


def grouped_bars(
    path: Path | str,
    groups: Mapping[str, Mapping[str, float]],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    horizontal: bool = False,
    log: bool = False,
    *,
    max_groups: int = MAX_GROUPS,
) -> Path:
    """Bars side by side within each group, one colour per inner key (series, in first-seen
    order), e.g. the missing rate before/after per source. A series a group lacks is a gap."""
    items = list(groups.items())
    shown = items[:max_groups]
    note = f"(first {len(shown)} of {len(items)} groups shown)" if len(items) > len(shown) else ""
    series = list(dict.fromkeys(key for _, inner in shown for key in inner))
    size = _grouped_size(len(shown) * max(1, len(series)), horizontal)
    with _figure(path, size) as fig:
        ax = fig.add_subplot()
        _title(ax, title, note)
        if not shown or not series:
            _no_data(ax)
            return Path(path)
        every = _grouped_series(ax, shown, series, horizontal)
        names = [str(g) for g, _ in shown]
        if horizontal:
            _categorical_ticks(ax, names, size[0], axis="y")
            ax.invert_yaxis()
            ax.margins(x=0.12)  # room for the values written at the bar ends
        else:
            _categorical_ticks(ax, names, size[0])
            ax.margins(y=0.1)  # room for the upright values above the bars
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel(label(ylabel, 80))
        if log:
            _log(ax, "x" if horizontal else "y", every)
        _legend(fig, ax, len(series))
    return Path(path)


def ecdf(
    path: Path | str,
    series: Mapping[str, Sequence[float]],
    title: str,
    xlabel: str,
    log_x: bool = False,
) -> Path:
    """The empirical cumulative distribution of each series (one step line, n in the legend).
    Empty series, and values that cannot be shown (not finite; ≤ 0 on a log axis), are left
    out and said so in the legend."""
    with _figure(path, (8.0, 4.5)) as fig:
        ax = fig.add_subplot()
        _title(ax, title)
        drawn = 0
        entries = 0
        for s, (name, raw) in enumerate(series.items()):
            values = np.array([_number(v) for v in raw], dtype=float)
            kept = values[~np.isnan(values)]
            if log_x:
                kept = kept[kept > 0]
            dropped = len(values) - len(kept)
            why = "≤ 0 or not finite" if log_x else "not finite"
            suffix = f", {dropped} {why} left out" if dropped else ""
            style: dict[str, Any] = {
                "color": PALETTE[s % 10],
                "linestyle": LINESTYLES[(s // 10) % 4],
            }
            entries += 1
            if not kept.size:
                ax.plot([], [], label=f"{label(name)} (n=0, no data{suffix})", **style)
                continue
            kept.sort()
            n = kept.size
            ranks = np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(int))
            xs = np.concatenate([[kept[0]], kept[ranks]])
            ys = np.concatenate([[0.0], (ranks + 1) / n])
            ax.step(xs, ys, where="post", label=f"{label(name)} (n={n:,}{suffix})", **style)
            drawn += 1
        if not drawn:
            _no_data(ax)
            if entries:
                ax.legend(loc="lower center", fontsize=9)
            return Path(path)
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel("fraction ≤ x")
        ax.set_ylim(0, 1.02)
        if log_x:
            _log_axis(ax, "x")
        _legend(fig, ax, entries, loc="lower right")
    return Path(path)


def lines(
    path: Path | str,
    series: Mapping[str, Mapping[str, float]],
    title: str,
    xlabel: str,
    ylabel: str,
    *,
    log: bool = False,
    fill_missing: float | None = None,
) -> Path:
    """One line per series over sorted category labels (e.g. '2024-01'), e.g. new
    package-versions per month per ecosystem. A label a series lacks is a gap, or
    `fill_missing` (0 for counts). Tick labels are thinned when there are many."""
    xs = sorted({str(x) for points in series.values() for x in points})
    width = _clamp(4 + 0.12 * len(xs), 8, 14)
    with _figure(path, (width, 4.5)) as fig:
        ax = fig.add_subplot()
        _title(ax, title)
        if not xs:
            _no_data(ax)
            return Path(path)
        every: list[float] = []
        missing = math.nan if fill_missing is None else fill_missing
        for s, (name, raw) in enumerate(series.items()):
            points = {str(x): v for x, v in raw.items()}
            ys = [_number(points[x]) if x in points else missing for x in xs]
            every += ys
            ax.plot(
                range(len(xs)),
                ys,
                color=PALETTE[s % 10],
                linestyle=LINESTYLES[(s // 10) % 4],
                marker="o" if len(xs) <= 30 else None,
                markersize=3,
                label=label(name),
            )
        _categorical_ticks(ax, xs, width, thin=True)
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel(label(ylabel, 80))
        if log:
            _log(ax, "y", every)
        _legend(fig, ax, len(series))
    return Path(path)


def histogram(
    path: Path | str,
    values: Mapping[int, int] | Sequence[float],
    title: str,
    xlabel: str,
    log: bool = False,
    *,
    ylabel: str = "count",
) -> Path:
    """A distribution: either counts already made ({size: how many}, e.g. family sizes, one
    bar per integer) or raw values binned here (at most 50 bins, √n rule)."""
    with _figure(path, (8.0, 4.5)) as fig:
        ax = fig.add_subplot()
        _title(ax, title)
        if isinstance(values, Mapping):
            pairs = sorted((int(k), _number(v)) for k, v in values.items())
            counts = [v for _, v in pairs]
            if not pairs:
                _no_data(ax)
                return Path(path)
            ax.bar([k for k, _ in pairs], counts, width=0.8, color=PALETTE[0])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            data = np.array([_number(v) for v in values], dtype=float)
            data = data[~np.isnan(data)]
            if not data.size:
                _no_data(ax)
                return Path(path)
            bins = int(_clamp(math.ceil(math.sqrt(data.size)), 1, 50))
            heights, _, _ = ax.hist(data, bins=bins, color=PALETTE[0], edgecolor="white")
            counts = [float(h) for h in np.atleast_1d(heights)]
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel(label(ylabel, 80))
        if log:
            _log(ax, "y", counts)
    return Path(path)
