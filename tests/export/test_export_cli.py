"""`malgraph export FORMAT OUT`: writes OUT and says what it wrote in one line; a non-empty
OUT without --force, an unknown format and a bad date are usage errors (2)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from malgraph.cli import run
from malgraph.core.kinds import ExportFormat
from malgraph.export import WRITERS
from malgraph.store import Store


def _export(store: Store, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["--db", str(store.path), "export", *args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_export_writes_out_and_prints_one_line(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph.graphml"
    code, printed, _ = _export(code_store, capsys, "graphml", str(out), "--ecosystem", "PyPI")
    assert code == 0
    [line] = printed.splitlines()
    graph = nx.read_graphml(out)
    assert line.startswith(f"export graphml: {out}: {graph.number_of_nodes()} nodes (")
    assert {kind for _, kind in graph.nodes(data="kind")} >= {"package", "version", "record"}
    assert {eco for _, eco in graph.nodes(data="ecosystem") if eco} == {"PyPI"}


def test_export_osv_writes_a_record_per_package_into_a_folder(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "feed"
    code, printed, _ = _export(code_store, capsys, "osv", str(out))
    assert code == 0
    written = sorted(out.rglob("*.json"))
    [line] = printed.splitlines()
    assert line.startswith(f"export osv: {len(written)} files under {out}: {len(written)} records")
    records = [json.loads(path.read_text()) for path in written]
    assert len({record["id"] for record in records}) == len(written) > 1
    assert all(path.resolve().is_relative_to(out.resolve()) for path in written)


def test_a_non_empty_out_needs_force(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph.json"
    out.write_text("keep me")
    code, _, err = _export(code_store, capsys, "node-link", str(out))
    assert code == 2 and "--force" in err and out.read_text() == "keep me"
    code, _, _ = _export(code_store, capsys, "node-link", str(out), "--force")
    assert code == 0 and nx.node_link_graph(json.loads(out.read_text()))
    empty = tmp_path / "empty.json"
    empty.touch()
    assert _export(code_store, capsys, "node-link", str(empty))[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gexf", "out"], "FORMAT"),
        (["graphml", "out", "--since", "2024-13-01"], "not a date"),
        (["graphml", "out", "--since", "last week"], "not a date"),
        (["graphml", "out", "--kinds", "friends"], "kinds"),
    ],
)
def test_usage_errors(
    code_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    args[1] = str(tmp_path / args[1])
    code, _, err = _export(code_store, capsys, *args)
    assert code == 2 and message in err
    assert not (tmp_path / "out").exists()


def test_every_format_has_a_writer() -> None:
    assert set(WRITERS) == set(ExportFormat)


def test_an_unknown_format_is_a_usage_error(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _export(code_store, capsys, "gexf", str(tmp_path / "out"))
    assert code == 2 and "gexf" in err and not (tmp_path / "out").exists()


def test_help_lists_every_format_a_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["export", "--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for fmt in ExportFormat:
        assert any(line.strip().startswith(f"{fmt.value} ") for line in lines), fmt


def test_neo4j_into_a_non_empty_folder_needs_force(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "neo4j"
    out.mkdir()
    (out / "nodes_Old.csv").write_text("id:ID\n")
    code, printed, err = _export(code_store, capsys, "neo4j", str(out))
    assert code == 2 and not printed and "--force" in err
    assert [p.name for p in out.iterdir()] == ["nodes_Old.csv"]
    code, printed, _ = _export(code_store, capsys, "neo4j", str(out), "--force")
    written = sorted(p.name for p in out.iterdir())
    assert code == 0 and printed.startswith(f"export neo4j: {len(written)} files under {out}: ")
    assert "nodes_Old.csv" not in written and {"import.sh", "load.cypher"} <= set(written)
    assert "nodes_Package.csv" in (out / "import.sh").read_text()


def test_osv_with_force_replaces_the_earlier_records_and_keeps_the_rest(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "feed"
    assert _export(code_store, capsys, "osv", str(out))[0] == 0
    everything = sorted(out.rglob("*.json"))
    ecosystems = {path.parent.parent.name for path in everything}
    assert len(ecosystems) > 1
    other = sorted(ecosystems - {"PyPI"})[0]
    mine = out / "osv" / other / "notes" / "README.md"  # a user's file in the layout
    mine.parent.mkdir(parents=True)
    mine.write_text("keep me")
    (out / "notes.json").write_text("{}")
    code, printed, _ = _export(
        code_store, capsys, "osv", str(out), "--ecosystem", "PyPI", "--force"
    )
    records = sorted((out / "osv").rglob("*.json"))
    assert code == 0 and printed.startswith(f"export osv: {len(records)} files under {out}: ")
    assert 0 < len(records) < len(everything)
    assert {path.parent.parent.name for path in records} == {"PyPI"}
    assert mine.read_text() == "keep me" and (out / "notes.json").exists()
    assert sorted(p.name for p in (out / "osv").iterdir()) == sorted({"PyPI", other})
    assert [p.name for p in (out / "osv" / other).iterdir()] == ["notes"]
