"""`malgraph ingest archives`: a folder of inert samples becomes claims and artifacts in one
command, idempotently; what cannot be placed is listed; `analyze` and `relate` then see it."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from malgraph.artifacts.cache import cache_for
from malgraph.cli import app, code, explore, ingest, run  # noqa: F401  (registers the commands)
from malgraph.pipeline.ingest import ingest as ingest_documents
from malgraph.pipeline.ingest_archives import ingest_archives
from malgraph.store import Store
from tests.conftest import osv, write_json
from tests.inert_packages import gem, npm_package, sample_zip, sdist, tar_gz
from tests.relations.code_samples import SEED_FUNCTIONS, program

runner = CliRunner()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _wheel(name: str, version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "import os\nos.system('true')\n")
        archive.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        )
    return buffer.getvalue()


def _twin(name: str) -> bytes:
    """An sdist whose code is the same program as every other twin's: one family."""
    root = f"{name}-1.0"
    return tar_gz(
        {
            f"{root}/PKG-INFO": f"Name: {name}\nVersion: 1.0\n".encode(),
            f"{root}/{name.replace('-', '_')}/__init__.py": program(SEED_FUNCTIONS).encode(),
        }
    )


def _samples(top: Path) -> Path:
    """Every shape the command reads, and three files it must not place."""
    folder = top / "samples"
    _write(folder / "loose" / "evil-npm-1.0.0.tgz", npm_package("evil-npm", "1.0.0"))
    _write(folder / "loose" / "Evil_Py-2.0.tar.gz", sdist("Evil_Py", "2.0"))
    _write(folder / "loose" / "evil_wheel-0.3-py3-none-any.whl", _wheel("evil_wheel", "0.3"))
    _write(folder / "loose" / "bad-gem-0.1.gem", gem("bad-gem", "0.1"))
    manifest = json.dumps({"name": "dd-pkg", "version": "1.2.3"}).encode()
    sample = (
        folder / "npm" / "malicious_intent" / "dd-pkg" / "1.2.3" / "2024-03-05-dd-pkg-v1.2.3.zip"
    )
    _write(sample, sample_zip({"package/package.json": manifest, "package/index.js": b"eval(1)"}))
    setup = b"from setuptools import setup\nsetup()\n"
    _write(
        folder / "reg-pkg" / "0.0.1" / "reg-pkg-0.0.1.tar.gz",
        tar_gz({"reg-pkg-0.0.1/setup.py": setup}),
    )
    _write(folder / "claimed" / "9.9" / "claimed-9.9.tar.gz", sdist("real-name", "1.0"))
    _write(folder / "twins" / "twin-a-1.0.tar.gz", _twin("twin-a"))
    _write(folder / "twins" / "twin-b-1.0.tar.gz", _twin("twin-b"))
    _write(folder / "loose" / "foo-2-bar-1.0.tgz", tar_gz({"x/index.js": b"module.exports=1\n"}))
    _write(folder / "loose" / "broken-1.0.tgz", b"\x1f\x8b\x08 not really gzip" * 8)
    _write(folder / "README.md", b"not an archive: ignored")
    return folder


def _claims(db: Path) -> dict[str, tuple[str, str, str | None]]:
    with Store(db) as store:
        rows = store.db.execute(
            "SELECT p.name, p.ecosystem, r.versions, r.published FROM records r"
            " JOIN sources s ON s.id = r.source_id JOIN packages p ON p.id = r.package_id"
            " WHERE s.name = 'samples'"
        )
        return {name: (eco, versions, published) for name, eco, versions, published in rows}


def test_a_folder_of_samples_in_one_command_then_analyze_and_relate(tmp_path: Path) -> None:
    folder, db = _samples(tmp_path), tmp_path / "m.db"
    result = runner.invoke(
        app,
        [
            "--db",
            str(db),
            "ingest",
            "archives",
            str(folder),
            "--problems",
            str(tmp_path / "p.jsonl"),
        ],
    )
    assert result.exit_code == 1, result.output  # two files could not be placed
    text = " ".join(result.output.split())
    assert "11 found, 0 unchanged since the last run; placed 8 by metadata, 1 by path" in text
    assert "package-versions: 9 added; 1 unplaced, 1 unreadable; 1 other files ignored" in text
    assert "unplaced " + str(folder / "loose" / "foo-2-bar-1.0.tgz") in text
    assert "unreadable " + str(folder / "loose" / "broken-1.0.tgz") in text
    assert "says real-name 1.0, its place (name/version/file) says claimed 9.9" in text
    problems = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert len(problems) == 3 and sum(p["rejected"] for p in problems) == 2

    claims = _claims(db)
    assert claims == {
        "evil-npm": ("npm", '["1.0.0"]', None),
        "evil-py": ("PyPI", '["2.0"]', None),
        "evil-wheel": ("PyPI", '["0.3"]', None),
        "bad-gem": ("RubyGems", '["0.1"]', None),
        "dd-pkg": ("npm", '["1.2.3"]', "2024-03-05T00:00:00Z"),
        "reg-pkg": ("PyPI", '["0.0.1"]', None),
        "real-name": ("PyPI", '["1.0"]', None),
        "twin-a": ("PyPI", '["1.0"]', None),
        "twin-b": ("PyPI", '["1.0"]', None),
    }
    with Store(db) as store:
        artifacts = list(
            store.db.execute(
                "SELECT a.kind, a.location, a.sha256, a.detected FROM artifacts a"
                " JOIN package_versions pv ON pv.id = a.package_version_id"
                " WHERE pv.purl = 'pkg:npm/dd-pkg@1.2.3'"
            )
        )
        assert store.db.execute("SELECT count(*) FROM artifacts").fetchone()[0] == 9
    [(kind, location, sha256, detected)] = artifacts
    assert kind == "local-archive" and location.endswith("2024-03-05-dd-pkg-v1.2.3.zip")
    assert detected == "2024-03-05T00:00:00Z"
    copy = cache_for(db).path(sha256)
    assert copy.is_file() and not copy.stat().st_mode & 0o222  # in the code store, read-only

    # A re-run reads nothing it registered and adds nothing; the unplaced are listed again.
    again = runner.invoke(app, ["--db", str(db), "ingest", "archives", str(folder)])
    assert again.exit_code == 1
    again_text = " ".join(again.output.split())
    assert "9 unchanged since the last run" in again_text and "nothing new" in again_text
    assert _claims(db) == claims

    analysed = runner.invoke(app, ["--db", str(db), "analyze", "--jobs", "1"])
    assert analysed.exit_code == 0, analysed.output
    assert "analysed 9 archive(s)" in analysed.output
    related = runner.invoke(app, ["--db", str(db), "relate", "--kinds", "similar"])
    assert related.exit_code == 0, related.output
    families = json.loads(
        runner.invoke(app, ["--db", str(db), "families", "--format", "json"]).output
    )
    assert [sorted(m["name"] for m in f["members"]) for f in families] == [["twin-a", "twin-b"]]


def test_claims_meet_other_sources_and_folders_add_up(tmp_path: Path) -> None:
    db, top = tmp_path / "m.db", tmp_path / "a"
    feed = tmp_path / "osv"
    write_json(feed / "1.json", osv("MAL-1", "evil-npm", versions=["1.0.0"]))
    with Store(db) as store:
        assert ingest_documents(store, "osv", [str(feed)]).ok
        _write(top / "evil-npm-1.0.0.tgz", npm_package("evil-npm", "1.0.0"))
        first = ingest_archives(store, cache_for(db), [str(top)], source="lab", jobs=1)
        assert first.ok and first.outcomes == {"added": 1}
        edges = store.db.execute("SELECT count(*) FROM edges WHERE kind = 'duplicated'")
        assert edges.fetchone()[0] == 1  # the lab's claim and the OSV record name one version

        # The same package-version from another folder: one claim, both archives.
        other = tmp_path / "b" / "evil-npm-1.0.0.tgz"
        _write(other, npm_package("evil-npm", "1.0.0", marker="/tmp/other"))
        second = ingest_archives(store, cache_for(db), [str(other.parent)], source="lab", jobs=1)
        assert second.outcomes == {"replaced": 1}
        claims = store.db.execute(
            "SELECT count(*) FROM records r JOIN sources s ON s.id = r.source_id"
            " WHERE s.name = 'lab'"
        ).fetchone()[0]
        located = {row[0] for row in store.db.execute("SELECT location FROM artifacts")}
        assert claims == 1 and located == {str(top / "evil-npm-1.0.0.tgz"), str(other)}

        # A file touched is read again, and changes nothing; one changed in place replaces
        # its old content.
        os.utime(other, ns=(1, 1))
        third = ingest_archives(store, cache_for(db), [str(other.parent)], source="lab", jobs=1)
        assert third.unchanged == 0 and third.outcomes == {"unchanged": 1}
        _write(other, npm_package("evil-npm", "1.0.0", marker="/tmp/changed"))
        fourth = ingest_archives(store, cache_for(db), [str(other.parent)], source="lab", jobs=1)
        assert fourth.outcomes == {"replaced": 1}
        shas = [
            row[0]
            for row in store.db.execute(
                "SELECT sha256 FROM artifacts WHERE location = ?", (str(other),)
            )
        ]
        assert len(shas) == 1 and cache_for(db).has(shas[0])
        assert store.db.execute("SELECT count(*) FROM artifacts").fetchone()[0] == 2

        # A file that became another package leaves its old package-version; one that became
        # unreadable too, and a package-version with no archive left loses the source's claim.
        _write(other, npm_package("renamed", "1.0.0"))
        fifth = ingest_archives(store, cache_for(db), [str(other.parent)], source="lab", jobs=1)
        assert fifth.outcomes == {"added": 1, "replaced": 1}
        assert _lab(store) == {
            ("evil-npm", str(top / "evil-npm-1.0.0.tgz")),
            ("renamed", str(other)),
        }
        _write(top / "evil-npm-1.0.0.tgz", b"no longer an archive")
        sixth = ingest_archives(store, cache_for(db), [str(top)], source="lab", jobs=1)
        assert sixth.outcomes == {"replaced": 1} and len(sixth.rejected) == 1
        assert _lab(store) == {("renamed", str(other))}
        names = {
            row[0]
            for row in store.db.execute(
                "SELECT p.name FROM records r JOIN sources s ON s.id = r.source_id"
                " JOIN packages p ON p.id = r.package_id WHERE s.name = 'lab'"
            )
        }
        assert names == {"renamed"}


def _lab(store: Store) -> set[tuple[str, str]]:
    """(package, location) of every artifact the source `lab` holds."""
    return set(
        store.db.execute(
            "SELECT p.name, a.location FROM artifacts a JOIN sources s ON s.id = a.source_id"
            " JOIN package_versions pv ON pv.id = a.package_version_id"
            " JOIN packages p ON p.id = pv.package_id WHERE s.name = 'lab'"
        )
    )


def test_strict_writes_nothing_and_a_missing_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, db = _samples(tmp_path), tmp_path / "m.db"
    strict = runner.invoke(app, ["--db", str(db), "ingest", "archives", str(folder), "--strict"])
    assert strict.exit_code == 1 and "nothing written" in strict.output
    assert _claims(db) == {}
    assert run(["--db", str(db), "ingest", "archives", str(tmp_path / "nope")]) == 2
    said = capsys.readouterr()
    assert "no such file or directory" in said.err and "Traceback" not in said.out + said.err
    listed = runner.invoke(app, ["sources"])
    assert "archives:" in listed.output


def test_the_pool_reads_as_the_single_process_does(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for i in range(40):
        _write(folder / f"p{i}" / "1.0.0" / f"p{i}-1.0.0.tgz", npm_package(f"p{i}", "1.0.0"))
    with Store(tmp_path / "m.db") as store:
        report = ingest_archives(store, cache_for(store.path), [str(folder)], jobs=2)
        assert report.ok and report.placed == {"metadata": 40}
        assert report.outcomes == {"added": 40} and report.sources == ["many"]


def test_a_fifo_and_a_bidi_name_are_listed_never_read_or_stored(tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    _write(folder / "fine-1.0.0.tgz", npm_package("fine", "1.0.0"))
    _write(folder / "sly-1.0.0.tgz", npm_package("sly\u202eexe", "1.0.0"))
    os.mkfifo(folder / "pipe.tgz")  # opening it for reading would wait for a writer forever
    with Store(tmp_path / "m.db") as store:
        report = ingest_archives(store, cache_for(store.path), [str(folder)])
    assert [Path(p.path).name for p in report.rejected] == ["pipe.tgz"]
    assert [Path(p.path).name for p in report.unplaced] == ["sly-1.0.0.tgz"]
    assert "\\u202e" in report.unplaced[0].reason or "U+202E" in report.unplaced[0].reason
    assert set(_claims(tmp_path / "m.db")) == {"fine"}
