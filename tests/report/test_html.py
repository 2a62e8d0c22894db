"""The report page: every section and figure present, hostile text escaped, nothing loaded
from the network, tags balanced, long tables cut, and report.json written sorted."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest

from malgraph.report import ReportError
from malgraph.report.figures import bars
from malgraph.report.html import (
    Figure,
    Section,
    Table,
    anchor,
    local_src,
    render_html,
    write_report,
)

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
VOID = {"meta", "img", "br", "hr", "link", "input", "wbr", "source"}


class Page(HTMLParser):
    """Collects tags, attributes and nesting errors of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def attrs(self, tag: str, name: str) -> list[str]:
        return [a[name] or "" for t, a in self.tags if t == tag and name in a]


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.errors == []
    assert parser.stack == [], f"never closed: {parser.stack}"
    return parser


def sections() -> list[Section]:
    hostile_table = Table(
        ["package", "versions", "share"],
        [[SCRIPT, 1234, 0.25], [BREAKOUT, None, 12.5], ["short row"]],
        caption=BREAKOUT,
    )
    return [
        Section(
            "overlap",
            "Source overlap",
            "Package-versions reported by both sources, over those reported by either.",
            [Figure("overlap.svg", f"Pairwise overlap {SCRIPT}")],
            [hostile_table],
            ["12 package-versions had no release date and were left out"],
        ),
        Section(
            "families",
            f"Families {BREAKOUT}",
            SCRIPT,
            [Figure("fig dir/sizes #1.svg", BREAKOUT)],
            [],
            [SCRIPT],
        ),
        Section("empty", "Nothing here", "", [], [], []),
    ]


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    bars(tmp_path / "overlap.svg", {"osv": 3, SCRIPT: 1}, "overlap")
    (tmp_path / "fig dir").mkdir()
    (tmp_path / "fig dir" / "sizes #1.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return tmp_path


def test_page_has_every_section_and_figure(outdir: Path) -> None:
    page = render_html("Malicious packages", "from 7 sources", sections())
    parsed = parse(page)
    ids = parsed.attrs("section", "id")
    assert ids == ["overlap", "families", "empty"]
    assert parsed.attrs("a", "href")[:3] == ["#overlap", "#families", "#empty"]  # the contents
    assert "Source overlap" in page and "Nothing here" in page
    sources = parsed.attrs("img", "src")
    assert len(sources) == 2
    for src in sources:
        assert (outdir / unquote(src)).is_file()
    assert parsed.attrs("img", "alt")[0] == f"Pairwise overlap {SCRIPT}"
    assert "12 package-versions had no release date and were left out" in parsed.text


def test_hostile_text_is_escaped_everywhere() -> None:
    page = render_html(SCRIPT, BREAKOUT, sections())
    assert SCRIPT not in page
    assert BREAKOUT not in page
    assert "onerror=alert(1)>" not in page
    parsed = parse(page)
    assert [t for t, _ in parsed.tags if t in {"script", "iframe", "object", "embed"}] == []
    assert sum(1 for t, _ in parsed.tags if t == "img") == 2  # none smuggled in by a name
    assert SCRIPT in parsed.text  # still shown to the reader, as text
    assert all(not k.startswith("on") for _, a in parsed.tags for k in a)


def test_page_loads_nothing_from_the_network(outdir: Path) -> None:
    page = render_html("t", "s", sections())
    assert "http://" not in page
    assert "https://" not in page
    assert "@import" not in page and "url(" not in page
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert not value.startswith(("//", "/")) and ":" not in value, (tag, value)
    assert parsed.attrs("link", "href") == []
    policy = parsed.attrs("meta", "content")[0]
    assert "default-src 'none'" in policy


def test_local_src_refuses_paths_that_leave_the_report() -> None:
    for bad in [
        "http://evil.example/x.svg",
        "//evil.example/x.svg",
        "javascript:alert(1)",
        "data:image/svg+xml,<svg/>",
        "/etc/passwd",
        "../x.svg",
        "a/../../x.svg",
        "C:\\x.svg",
        "",
    ]:
        with pytest.raises(ReportError):
            local_src(bad)
    assert local_src("figs/a b#1.svg") == "figs/a%20b%231.svg"


def test_section_ids_become_safe_unique_anchors() -> None:
    assert anchor("rq1") == "rq1"
    assert anchor('x" onclick="y') == "x--onclick--y"
    assert anchor("1st") == "s-1st"
    page = render_html("t", "", [Section('x" onclick="y', "T", "")])
    assert 'id="x--onclick--y"' in page and 'href="#x--onclick--y"' in page
    with pytest.raises(ReportError, match="unique"):
        render_html("t", "", [Section("a", "A", ""), Section("a", "B", "")])


def test_long_tables_are_cut_with_a_pointer_to_the_json() -> None:
    table = Table(["package", "n"], [[f"p{i}", i] for i in range(120)])
    page = render_html("t", "", [Section("big", "Big", "", tables=[table])], max_rows=50)
    parsed = parse(page)
    assert sum(1 for t, _ in parsed.tags if t == "tr") == 1 + 50  # header and 50 rows
    assert "p49" in parsed.text and "p50" not in parsed.text
    assert "… 70 more rows in report.json" in "".join(parsed.text)
    short = render_html("t", "", [Section("s", "S", "", tables=[Table(["a"], [[1]])])])
    assert "more rows" not in short


def test_cells_are_formatted_and_numbers_aligned_right() -> None:
    page = render_html("t", "", sections())
    assert '<td class="num">1,234</td>' in page
    assert '<td class="num">0.25</td>' in page
    assert '<td class="num">12.50</td>' in page
    assert "<tr><td>short row</td><td></td><td></td></tr>" in page  # padded to the headers


def test_write_report_writes_page_and_sorted_json(outdir: Path) -> None:
    numbers = {"zeta": 1, "alpha": {"sizes": {2: 5, 1: 9}, "name": SCRIPT}, "rate": float("nan")}
    page = write_report(outdir, "Report", "sub", sections(), numbers)
    assert page == outdir / "index.html"
    parse(page.read_text(encoding="utf-8"))
    raw = (outdir / "report.json").read_bytes()
    assert raw.startswith(b'{\n  "alpha": {\n    "name"')  # indented, keys sorted
    assert orjson.loads(raw) == {
        "alpha": {"name": SCRIPT, "sizes": {"1": 9, "2": 5}},
        "rate": None,
        "zeta": 1,
    }
    assert not list(outdir.glob("*.partial"))
    again = write_report(outdir, "Report", "sub", sections(), numbers)
    assert again.read_bytes() == page.read_bytes()


def test_write_report_refuses_missing_figures(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"overlap\.svg"):
        write_report(tmp_path, "t", "", sections()[:1], {})
    assert not (tmp_path / "index.html").exists()
    assert not (tmp_path / "report.json").exists()


def test_write_report_refuses_numbers_json_cannot_hold(outdir: Path) -> None:
    with pytest.raises(ReportError, match="JSON"):
        write_report(outdir, "t", "", [], {"bad": object()})
