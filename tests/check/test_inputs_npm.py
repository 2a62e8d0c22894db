"""package-lock.json v1-v3 and the directory search of `malgraph check`'s inputs."""

from __future__ import annotations

from pathlib import Path

import orjson

from malgraph.check.inputs import read_inputs
from malgraph.core.check_inputs import Dependency

V3 = {
    "name": "app",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "app", "dependencies": {"left-pad": "^1.3.0", "alias": "npm:evil@1.0.0"}},
        "node_modules/left-pad": {"version": "1.3.0"},
        "node_modules/alias": {"name": "evil", "version": "1.0.0"},
        "node_modules/left-pad/node_modules/@scope/inner": {"version": "2.0.0"},
        "node_modules/@scope/hoisted": {"version": "0.1.0"},
        "node_modules/from-git": {"version": "git+ssh://git@example.invalid/x.git#abc"},
        "node_modules/ws-link": {"link": True, "resolved": "packages/ws"},
        "packages/ws": {"name": "ws", "version": "0.0.0"},
    },
}
V1 = {
    "lockfileVersion": 1,
    "dependencies": {
        "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
        "c": {"version": "npm:real-c@3.0.0"},
    },
}


def _write(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc))
    return path


def test_lockfile_v3_names_versions_aliases_and_nesting(tmp_path: Path) -> None:
    lock = _write(tmp_path / "package-lock.json", V3)
    found = {(d.name, d.version): d for d in read_inputs([lock]).dependencies}
    assert set(found) == {
        ("left-pad", "1.3.0"),
        ("evil", "1.0.0"),
        ("@scope/inner", "2.0.0"),
        ("@scope/hoisted", "0.1.0"),
        ("from-git", None),
    }
    assert found["left-pad", "1.3.0"].direct is True
    assert found["evil", "1.0.0"].direct is True
    assert found["@scope/hoisted", "0.1.0"].direct is False
    assert found["@scope/inner", "2.0.0"].path == ("left-pad",)
    assert found["from-git", None].spec == "git+ssh://git@example.invalid/x.git#abc"
    assert all(d.ecosystem == "npm" and d.file == str(lock) for d in found.values())


def test_lockfile_v1_nesting_and_alias(tmp_path: Path) -> None:
    lock = _write(tmp_path / "npm-shrinkwrap.json", V1)
    found = set(read_inputs([lock]).dependencies)
    assert found == {
        Dependency("npm", "a", "1.0.0", str(lock)),
        Dependency("npm", "b", "2.0.0", str(lock), path=("a",)),
        Dependency("npm", "real-c", "3.0.0", str(lock)),
    }


def test_directory_search_skips_installed_copies_and_reports_bad_files(tmp_path: Path) -> None:
    good = _write(tmp_path / "web" / "package-lock.json", V1)
    _write(tmp_path / "node_modules" / "x" / "package-lock.json", V3)
    bad = tmp_path / "api" / "package-lock.json"
    bad.parent.mkdir()
    bad.write_text("{ not json")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "thing-1.0.0.tgz").write_bytes(b"")
    inputs = read_inputs([tmp_path, tmp_path / "missing"])
    assert inputs.files == (str(good),)
    assert len(inputs.dependencies) == 3
    assert inputs.archives == (str(tmp_path / "dist" / "thing-1.0.0.tgz"),)
    reasons = {p.file: p.reason for p in inputs.problems}
    assert reasons[str(bad)].startswith("not JSON")
    assert reasons[str(tmp_path / "missing")] == "no such file or directory"


def test_an_unknown_file_named_explicitly_is_a_problem(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    inputs = read_inputs([other])
    assert inputs.dependencies == ()
    assert [p.file for p in inputs.problems] == [str(other)]
