"""Code from local folders and DataDog's encrypted samples, read in place, then analysed."""

from __future__ import annotations

from pathlib import Path

from malgraph.artifacts.cache import cache_for
from malgraph.artifacts.local import name_version_readings
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.card import find_packages, read_card
from tests.artifacts.hostile import bomb_tgz, traversal_tgz, truncated
from tests.conftest import osv, write_json
from tests.inert_packages import gem, npm_package, sample_zip, sdist


def test_file_names_are_read_every_way_they_can_split() -> None:
    assert name_version_readings("left-pad-1.3.0.tgz") == [("left-pad", "1.3.0")]
    assert name_version_readings("foo-2-bar-1.0.tar.gz") == [
        ("foo", "2-bar-1.0"),
        ("foo-2-bar", "1.0"),
    ]
    assert name_version_readings("my_pkg-0.1-py3-none-any.whl") == [("my_pkg", "0.1")]
    assert ("nokogiri", "1.16.0") in name_version_readings("nokogiri-1.16.0-x86_64-linux.gem")
    assert name_version_readings("README.tgz") == []


def _store_with_three(store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "osv"
    write_json(feed / "a.json", osv("MAL-1", "evil-npm", versions=["1.0.0"]))
    write_json(feed / "b.json", osv("MAL-2", "Evil_Py", ecosystem="PyPI", versions=["2.0"]))
    write_json(feed / "c.json", osv("MAL-3", "bad-gem", ecosystem="RubyGems", versions=["0.1"]))
    assert ingest(store, "osv", [str(feed)]).ok


def test_a_folder_of_archives_is_matched_to_the_store_copied_and_analysed(
    store: Store, tmp_path: Path
) -> None:
    _store_with_three(store, tmp_path)
    folder = tmp_path / "archives"
    (folder / "Evil_Py" / "2.0").mkdir(parents=True)  # pypi_malregistry's name/version/file
    (folder / "Evil_Py" / "2.0" / "Evil_Py-2.0.tar.gz").write_bytes(sdist("Evil_Py", "2.0"))
    (folder / "evil-npm-1.0.0.tgz").write_bytes(npm_package("evil-npm", "1.0.0"))
    (folder / "bad-gem-0.1.gem").write_bytes(gem("bad-gem", "0.1"))
    (folder / "stranger-9.9.tgz").write_bytes(npm_package("stranger", "9.9"))
    cache = cache_for(store.path)

    summary = register_local(store, cache, folder)
    assert summary.registered == 3
    assert summary.unmatched == [str(folder / "stranger-9.9.tgz")]
    again = register_local(store, cache, folder)  # idempotent
    assert again.registered == 3
    assert store.db.execute("SELECT count(*) FROM artifacts").fetchone()[0] == 3
    assert len(list(cache.root.glob("*/*"))) == 3

    result = analyze_stored(store, cache, jobs=2)
    assert result.analyzed == 3 and result.by_status == {"ok": 3} and not result.missing
    assert analyze_stored(store, cache).analyzed == 0  # nothing new to analyse
    [pid] = find_packages(store.db, "evil-py", "PyPI")
    [version] = read_card(store.db, pid).code
    [artifact] = version.artifacts
    assert artifact.kind == "local-archive" and artifact.analysis == "ok"
    features = artifact.features
    assert features is not None
    assert any("setup-code" in hook for hook in features.install_hooks)
    assert {"eval", "decode", "network", "env"} <= set(features.findings)
    assert "url: https://collect.example-exfil.top/upload" in features.iocs
    assert "requests >=2 (install_requires)" in features.dependencies
    code = stats(store.db)["code"]
    assert code["available_package_versions"] == 3 and code["analyses"] == {"ok": 3}
    assert list(code["availability"].values()) == [
        {"package_versions": 3, "available": 3, "unavailable": 0}
    ]


def test_datadog_samples_are_read_in_place_with_their_password(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "samples" / "npm" / "malicious_intent" / "evil-npm" / "1.0.0"
    folder.mkdir(parents=True)
    sample = folder / "2024-03-01-evil-npm-v1.0.0.zip"
    inner = {
        "evil-npm/package/package.json": b'{"name": "evil-npm", "version": "1.0.0",'
        b' "scripts": {"preinstall": "node x.js"}}',
        "evil-npm/package/x.js": b"require('child_process').exec('id');\n",
    }
    sample.write_bytes(sample_zip(inner))
    assert ingest(store, "datadog", [str(tmp_path / "samples")]).ok
    cache = cache_for(store.path)
    assert analyze_stored(store, cache).by_status == {"ok": 1}
    assert not cache.root.exists()  # read in place, not copied
    [pid] = find_packages(store.db, "evil-npm", "npm")
    [artifact] = read_card(store.db, pid).code[0].artifacts
    assert artifact.location == str(sample) and artifact.features is not None
    assert artifact.features.files == 2
    assert artifact.features.install_hooks == ("preinstall: node x.js",)
    assert artifact.features.findings == {"process": 1}


def test_a_moved_or_changed_archive_is_reported_not_analysed(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "samples" / "npm" / "malicious_intent" / "evil-npm" / "1.0.0"
    folder.mkdir(parents=True)
    sample = folder / "2024-03-01-evil-npm-v1.0.0.zip"
    sample.write_bytes(sample_zip({"a.js": b"1"}))
    assert ingest(store, "datadog", [str(tmp_path / "samples")]).ok
    sample.write_bytes(sample_zip({"a.js": b"2"}))  # no longer the archive the source named
    result = analyze_stored(store, cache_for(store.path))
    assert result.analyzed == 0 and len(result.missing) == 1


def test_hostile_archives_are_recorded_as_such_and_the_run_goes_on(
    store: Store, tmp_path: Path
) -> None:
    feed, folder = tmp_path / "osv", tmp_path / "archives"
    versions = ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]
    write_json(feed / "a.json", osv("MAL-1", "evil-npm", versions=versions))
    assert ingest(store, "osv", [str(feed)]).ok
    folder.mkdir()
    hostile_ones = [
        traversal_tgz(),
        bomb_tgz(),
        truncated(npm_package("evil-npm", "1.0.2")),
        npm_package("evil-npm", "1.0.3"),
    ]
    for version, data in zip(versions, hostile_ones, strict=True):
        (folder / f"evil-npm-{version}.tgz").write_bytes(data)
    cache = cache_for(store.path)
    assert register_local(store, cache, folder).registered == 4
    assert analyze_stored(store, cache, jobs=2).by_status == {"ok": 2, "capped": 1, "broken": 1}
    rows = dict(
        store.db.execute(
            "SELECT pv.version, c.status || ' ' || coalesce(c.reason, '') || ' ' || c.skipped"
            " FROM code_analyses c JOIN artifacts a ON a.sha256 = c.sha256"
            " JOIN package_versions pv ON pv.id = a.package_version_id"
        )
    )
    assert "parent path" in rows["1.0.0"] and "absolute path" in rows["1.0.0"]
    assert rows["1.0.1"].startswith("capped max_total_bytes")
    assert rows["1.0.2"].startswith("broken corrupt: ")
    assert rows["1.0.3"].startswith("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "archives",
        "osv",
        "test.db",
        "test.db-shm",
        "test.db-wal",
        "test.db.code",
    ]  # nothing was unpacked
