"""`malgraph fetch` and `malgraph analyze` end to end, against local registries started here:
code is downloaded, checked and stored once; removals and release times are recorded; nothing
fetched ever runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from malgraph.cli import app, code, explore  # noqa: F401  (importing registers the commands)
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.artifacts.registry_server import RegistryServer
from tests.conftest import osv, write_json
from tests.inert_packages import gem, npm_package, sdist

runner = CliRunner()


def _cli(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_fetch_then_analyze_from_a_primary_and_a_lagging_mirror(
    tmp_path: Path, registry_servers: Callable[..., RegistryServer]
) -> None:
    db, marker = tmp_path / "m.db", tmp_path / "marker"
    feed = tmp_path / "osv"
    write_json(feed / "1.json", osv("MAL-1", "evil-npm", versions=["1.0.0"]))
    write_json(feed / "2.json", osv("MAL-2", "taken-down", versions=["1.0.0"]))
    write_json(feed / "3.json", osv("MAL-3", "Evil_Py", ecosystem="PyPI", versions=["2.0"]))
    write_json(feed / "4.json", osv("MAL-4", "bad-gem", ecosystem="RubyGems", versions=["0.1"]))
    write_json(feed / "5.json", osv("MAL-5", "vanished", versions=["2.0.0"]))
    write_json(feed / "6.json", osv("MAL-6", "all-versions"))  # no version: nothing to fetch
    write_json(feed / "7.json", osv("MAL-7", "LegacyCase", versions=["1.0.0"]))  # npm keeps case
    with Store(db) as store:
        assert ingest(store, "osv", [str(feed)]).ok

    primary, mirror = registry_servers(), registry_servers("/npm-mirror")
    primary.add_npm(
        "evil-npm",
        "1.0.0",
        npm_package("evil-npm", "1.0.0", str(marker)),
        time="2024-02-03T04:05:06.789Z",
    )
    primary.add_npm("LegacyCase", "1.0.0", npm_package("LegacyCase", "1.0.0"))
    primary.npm_placeholder("taken-down")  # npm's security holding package replaced it
    mirror.add_npm("taken-down", "1.0.0", npm_package("taken-down", "1.0.0", str(marker)))
    primary.add_pypi(
        "evil-py",
        "2.0",
        "Evil_Py-2.0.tar.gz",
        sdist("Evil_Py", "2.0", str(marker)),
        upload_time="2024-01-01T00:00:00Z",
    )
    primary.add_gem("bad-gem", "0.1", gem("bad-gem", "0.1"), created_at="2023-12-31T00:00:00Z")

    output = _cli(
        db,
        "fetch",
        "--mirror",
        primary.url,
        "--mirror",
        mirror.url,
        "--retries",
        "0",
        "--timeout",
        "5",
    )
    assert "asked 6: 5 fetched, 1 removed from every registry asked, 0 failed" in " ".join(
        output.split()
    )
    with Store(db) as store:
        named = (
            "JOIN package_versions pv ON pv.id = {}.package_version_id"
            " JOIN packages p ON p.id = pv.package_id"
        )
        rows = dict(
            store.db.execute(
                f"SELECT p.name, a.kind || ' ' || a.location FROM artifacts a {named.format('a')}"
            )
        )
        seen = f"SELECT p.name, o.registry, o.status FROM registry_observations o {named}"
        observations = set(store.db.execute(seen.format("o")))
    assert set(rows) == {"evil-npm", "taken-down", "evil-py", "bad-gem", "legacycase"}
    assert rows["taken-down"].startswith("registry " + mirror.url)
    assert ("taken-down", primary.url, "removed") in observations
    assert ("taken-down", mirror.url, "present") in observations
    assert {("vanished", primary.url, "removed"), ("vanished", mirror.url, "removed")} <= (
        observations
    )
    cached = list((tmp_path / "m.db.code").glob("*/*"))
    assert len(cached) == 5 and all(not p.stat().st_mode & 0o222 for p in cached)

    # A second run asks nothing again: all have code or were removed from every mirror.
    before = len(primary.requests) + len(mirror.requests)
    again = " ".join(_cli(db, "fetch", "--mirror", primary.url, "--mirror", mirror.url).split())
    assert "asked 0" in again and "1 already known removed" in again
    assert len(primary.requests) + len(mirror.requests) == before

    assert "analysed 5 archive(s): 5 ok" in " ".join(_cli(db, "analyze").split())
    assert not marker.exists()  # the install hooks and setup.py were read, never run

    card = json.loads(_cli(db, "show", "evil-npm", "--format", "json"))[0]
    [version] = card["code"]
    [artifact] = version["artifacts"]
    assert artifact["install_hooks"] == ["postinstall: node install.js"]
    assert {"eval", "decode", "network", "env"} <= set(artifact["findings"])
    assert card["timeline"][0]["released"] == "2024-02-03T04:05:06Z"
    gone = json.loads(_cli(db, "show", "vanished", "--format", "json"))[0]
    assert gone["timeline"][0]["removal_observed"] is not None
    shown = _cli(db, "show", "evil-py")
    assert "install hook setup-code" in shown and "requests" in shown
    assert "removal observed" in _cli(db, "show", "taken-down")
