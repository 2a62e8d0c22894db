"""The report page: sections of definitions, figures, tables and notes as one offline HTML5 file.

Every piece of text is data (hostile package names included) and is escaped; the page has no
script, and loads nothing from the network: inline CSS, system fonts, figures and report.json
as relative files beside it. A Content-Security-Policy repeats that to the browser.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from malgraph.report import ReportError
from malgraph.report.text import display_text

MAX_TABLE_ROWS = 50
NUMBERS_FILE = "report.json"
PAGE_FILE = "index.html"

# No script, no network; images and the JSON only from beside the page (file: or its server).
_CSP = (
    "default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
_ID = re.compile(r"[^A-Za-z0-9_-]")

_CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --rule: #d9dde5; --tint: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 62rem; padding: 2rem 1.5rem 4rem; color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; background: #fff; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; line-height: 1.2; }
h2 { font-size: 1.35rem; margin: 2.75rem 0 .5rem; padding-top: .5rem;
  border-top: 1px solid var(--rule); }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
nav { background: var(--tint); border-radius: 6px; padding: .75rem 1.25rem; }
nav h2 { font-size: 1rem; margin: 0; padding: 0; border: 0; }
nav ol { margin: .4rem 0 0; padding-left: 1.4rem; }
a { color: #1a56b3; }
.definition { margin: .25rem 0 1rem; }
figure { margin: 1.25rem 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 4px; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .4rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .9rem; min-width: 50%; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .35rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .6rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--tint); font-weight: 600; overflow-wrap: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.more { color: var(--muted); font-size: .88rem; margin: .3rem 0 0; }
.notes { color: var(--muted); font-size: .92rem; padding-left: 1.2rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { background: none; border: 1px solid var(--rule); }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  figure, table, tr { break-inside: avoid; }
  .table-wrap { overflow: visible; }
}
"""


@dataclass(frozen=True)
class Figure:
    """An SVG (or other image) written beside the page; `file` is relative to the page."""

    file: str
    caption: str


@dataclass(frozen=True)
class Linked:
    """A table cell that links to the explorer's page of what it names (`report --explorer`)."""

    text: str
    href: str  # an http(s) address the caller built; escaped like any attribute


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[object]]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """One research question or topic: what is counted (`definition`), then the evidence;
    `notes` say what was left out and why (e.g. versions without a release date)."""

    id: str
    title: str
    definition: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def anchor(section_id: str) -> str:
    """The section's HTML id: the caller's id with anything but letters, digits, - and _
    replaced, so the id and its #fragment link need no escaping."""
    cleaned = _ID.sub("-", section_id)
    return cleaned if cleaned and cleaned[0].isalpha() else f"s-{cleaned}"


def local_src(file: str) -> str:
    """A figure's file as a relative URL. Anything that could reach elsewhere (a scheme such
    as http: or javascript:, an absolute path, a parent directory) is refused."""
    parts = file.replace("\\", "/").split("/")
    if (
        not file
        or urlsplit(file).scheme
        or file.startswith(("/", "\\"))
        or ".." in parts
        or ":" in parts[0]
    ):
        raise ReportError(
            f"figure file {file!r} must be a relative path inside the report directory"
        )
    return quote("/".join(parts))


def _cell(value: object) -> tuple[str, bool]:
    """A table cell's text and whether it is numeric (right-aligned)."""
    if isinstance(value, Linked):
        return display_text(value.text), False
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value), True
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}", True
        return (f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"), True
    return display_text(str(value)), False


def _table(table: Table, max_rows: int) -> list[str]:
    out = ['<div class="table-wrap"><table>']
    if table.caption:
        out.append(f"<caption>{escape(table.caption)}</caption>")
    width = len(table.headers)
    if width:
        heads = "".join(f'<th scope="col">{escape(str(h))}</th>' for h in table.headers)
        out.append(f"<thead><tr>{heads}</tr></thead>")
    out.append("<tbody>")
    for row in table.rows[:max_rows]:
        cells = []
        for value in list(row) + [None] * (width - len(row)):
            text, numeric = _cell(value)
            if isinstance(value, Linked):
                text = f'<a href="{escape(value.href)}">{escape(text)}</a>'
            else:
                text = escape(text)
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    hidden = len(table.rows) - max_rows
    if hidden > 0:
        out.append(
            f'<p class="more">… {hidden:,} more rows in <a href="{NUMBERS_FILE}">'
            f"{NUMBERS_FILE}</a></p>"
        )
    out.append("</div>")
    return out


def _section(section: Section, max_rows: int) -> list[str]:
    ident = anchor(section.id)
    out = [f'<section id="{ident}">', f"<h2>{escape(section.title)}</h2>"]
    if section.definition:
        out.append(f'<p class="definition">{escape(section.definition)}</p>')
    for figure in section.figures:
        caption = escape(figure.caption)
        out.append(
            f'<figure><img src="{escape(local_src(figure.file))}" alt="{caption}" '
            f'loading="lazy"><figcaption>{caption}</figcaption></figure>'
        )
    for table in section.tables:
        out += _table(table, max_rows)
    if section.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in section.notes)
        out.append(f'<ul class="notes">{items}</ul>')
    out.append("</section>")
    return out


def render_html(
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    *,
    max_rows: int = MAX_TABLE_ROWS,
    explorer: str | None = None,
) -> str:
    """The whole page: heading, table of contents, then each section in order. Tables longer
    than `max_rows` are cut, with a line pointing to report.json. With `explorer` (the
    address of `malgraph serve` on the same store), the heading links to it."""
    anchors = [anchor(s.id) for s in sections]
    duplicates = sorted({a for a in anchors if anchors.count(a) > 1})
    if duplicates:
        raise ReportError(f"section ids must be unique; repeated: {', '.join(duplicates)}")
    toc = "".join(
        f'<li><a href="#{a}">{escape(s.title)}</a></li>'
        for a, s in zip(anchors, sections, strict=True)
    )
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="subtitle">{escape(subtitle)}</p>' if subtitle else "",
        f'<p class="subtitle">Explore the graph: <a href="{escape(explorer)}">'
        f"{escape(explorer)}</a></p>"
        if explorer
        else "",
        "</header>",
        f'<nav aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>',
        "<main>",
    ]
    for section in sections:
        page += _section(section, max_rows)
    page += [
        "</main>",
        f'<footer>All numbers behind this page: <a href="{NUMBERS_FILE}">{NUMBERS_FILE}</a>'
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(line for line in page if line) + "\n"


def write_report(
    outdir: Path,
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    numbers: dict[str, Any],
    explorer: str | None = None,
) -> Path:
    """Write index.html and report.json into `outdir` and return the page's path. The figures
    must already be there (the caller draws them first): a missing one is an error, not a
    broken image."""
    page = render_html(
        title, subtitle, sections, explorer=explorer
    )  # first: it refuses non-local figure paths
    missing = [f.file for s in sections for f in s.figures if not (outdir / f.file).is_file()]
    if missing:
        raise ReportError(
            f"figures missing from {outdir}: {', '.join(missing)}; draw them before the page"
        )
    try:
        data = orjson.dumps(
            numbers,
            option=orjson.OPT_INDENT_2
            | orjson.OPT_SORT_KEYS
            | orjson.OPT_NON_STR_KEYS
            | orjson.OPT_SERIALIZE_NUMPY
            | orjson.OPT_APPEND_NEWLINE,
        )
    except orjson.JSONEncodeError as error:
        raise ReportError(f"the report's numbers cannot be written as JSON: {error}") from error
    outdir.mkdir(parents=True, exist_ok=True)
    _write(outdir / NUMBERS_FILE, data)
    # A lone surrogate (possible in a hostile name) cannot be UTF-8: it becomes "?".
    _write(outdir / PAGE_FILE, page.encode("utf-8", "replace"))
    return outdir / PAGE_FILE


def _write(path: Path, data: bytes) -> None:
    # Whole file or nothing: a reader never sees half a report.
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
