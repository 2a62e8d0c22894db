"""package.json: declared ranges, exact pins and aliases; a lockfile beside it supersedes it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from malgraph.check.inputs import read_inputs
from malgraph.check.inputs.npm_manifest import parse_package_json
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency

MANIFEST = {
    "name": "app",
    "version": "1.0.0",
    "dependencies": {"left-pad": "^1.3.0", "exact": "2.0.1", "alias": "npm:evil-pkg@1.0.1"},
    "devDependencies": {"@scope/tool": "=3.1.4-beta.1", "local": "file:../local"},
    "optionalDependencies": {"fsevents": "~2.3.1"},
    "peerDependencies": {"react": ">=17 <19"},
    "bundledDependencies": ["left-pad"],
}


def test_ranges_pins_and_aliases() -> None:
    found = set(parse_package_json("package.json", orjson.dumps(MANIFEST)))
    assert found == {
        Dependency("npm", "left-pad", None, "package.json", spec="^1.3.0", direct=True),
        Dependency("npm", "exact", "2.0.1", "package.json", direct=True),
        Dependency("npm", "evil-pkg", "1.0.1", "package.json", direct=True),
        Dependency("npm", "@scope/tool", "3.1.4-beta.1", "package.json", direct=True),
        Dependency("npm", "local", None, "package.json", spec="file:../local", direct=True),
        Dependency("npm", "fsevents", None, "package.json", spec="~2.3.1", direct=True),
        Dependency("npm", "react", None, "package.json", spec=">=17 <19", direct=True),
    }


def test_not_a_manifest() -> None:
    with pytest.raises(UnreadableInput):
        parse_package_json("package.json", b"[1, 2]")


def test_a_lockfile_beside_the_manifest_supersedes_it(tmp_path: Path) -> None:
    pinned = tmp_path / "web"
    pinned.mkdir()
    (pinned / "package.json").write_bytes(orjson.dumps(MANIFEST))
    lock = pinned / "package-lock.json"
    lock.write_bytes(
        orjson.dumps(
            {"lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.3.0"}}}
        )
    )
    alone = tmp_path / "tool" / "package.json"
    alone.parent.mkdir()
    alone.write_bytes(orjson.dumps({"dependencies": {"chalk": "^5"}}))
    inputs = read_inputs([tmp_path])
    assert set(inputs.files) == {str(lock), str(alone)}
    assert {(d.name, d.version, d.spec) for d in inputs.dependencies} == {
        ("left-pad", "1.3.0", None),
        ("chalk", None, "^5"),
    }


def test_an_unreadable_lockfile_leaves_the_manifest_in(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_bytes(orjson.dumps({"dependencies": {"chalk": "^5"}}))
    (tmp_path / "yarn.lock").write_text("not a lockfile\n")
    inputs = read_inputs([tmp_path])
    assert inputs.files == (str(tmp_path / "package.json"),)
    assert [p.file for p in inputs.problems] == [str(tmp_path / "yarn.lock")]
