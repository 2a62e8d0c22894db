"""`malgraph analyze ARCHIVE...`: features printed, nothing stored, hostile members refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from malgraph.cli import app, code  # noqa: F401  (importing registers the commands)
from tests.artifacts.hostile import traversal_tgz
from tests.inert_packages import npm_package

runner = CliRunner()


def test_archives_given_are_analysed_and_printed_not_stored(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    (tmp_path / "evil.tgz").write_bytes(npm_package("evil", "1.0.0", str(marker)))
    (tmp_path / "escape.tgz").write_bytes(traversal_tgz())
    db = tmp_path / "never.db"
    result = runner.invoke(
        app, ["--db", str(db), "analyze", str(tmp_path / "evil.tgz"), str(tmp_path / "escape.tgz")]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "install hook postinstall: node install.js" in text
    assert "ioc url: https://collect.example-exfil.top/upload" in text
    assert "skipped ../" in text and "parent path" in text
    assert not db.exists() and not marker.exists()

    as_json = runner.invoke(app, ["analyze", "--format", "json", str(tmp_path / "evil.tgz")])
    (found,) = json.loads(as_json.output)
    assert found["status"] == "ok" and found["format"] == "tar.gz"
    assert {f["category"] for f in found["features"]["findings"]} >= {"eval", "network", "env"}
    assert found["features"]["tokens"]
