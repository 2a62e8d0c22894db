"""`malgraph report --explorer URL`: the report links into the explorer on the same store."""

from __future__ import annotations

from pathlib import Path

from malgraph.report.build import build_report
from malgraph.store.read.readonly import open_readonly
from tests.cli.calls import call

EXPLORER = "http://127.0.0.1:8321"


def test_the_report_links_hidden_packages_and_the_explorer(web_store: Path, tmp_path: Path) -> None:
    db = open_readonly(web_store)
    try:
        linked = build_report(db, tmp_path / "linked", explorer=EXPLORER).read_text()
        plain = build_report(db, tmp_path / "plain").read_text()
    finally:
        db.close()
    assert f'<a href="{EXPLORER}/package/npm/node-serialize">node-serialize</a>' in linked
    assert f'<a href="{EXPLORER}">' in linked
    assert EXPLORER not in plain and "<td>node-serialize</td>" in plain
    numbers = (tmp_path / "linked" / "report.json").read_bytes()
    assert numbers == (tmp_path / "plain" / "report.json").read_bytes()


def test_only_an_http_address_is_taken(web_store: Path, tmp_path: Path) -> None:
    code, _, err = call(
        "--db", str(web_store), "report", str(tmp_path / "r"), "--explorer", "javascript:alert(1)"
    )
    assert code == 2 and "--explorer" in err
    assert not (tmp_path / "r").exists()
