"""Manifest facts: selection by path, caps, and npm package.json (inert packages built here)."""

from __future__ import annotations

from malgraph.analysis.manifests import ManifestScan, read_manifests
from malgraph.analysis.npm_manifest import GYP_HOOK, key_lines
from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest


def scan(files: dict[str, str | bytes]) -> ManifestScan:
    return read_manifests(
        [
            Member(path, data if isinstance(data, bytes) else data.encode())
            for path, data in files.items()
        ]
    )


def deps(result: ManifestScan, kind: str | None = None) -> dict[str, Dependency]:
    return {d.name: d for d in result.dependencies if kind is None or d.kind == kind}


PACKAGE_JSON = """{
  "name": "evil-pkg",
  "version": "1.0.3",
  "description": "nothing to see",
  "scripts": {
    "test": "jest",
    "postinstall": "node index.js",
    "preuninstall": "node cleanup.js"
  },
  "dependencies": {
    "axios": "^1.6.0",
    "left-pad": "1.3.0"
  },
  "devDependencies": {"jest": "^29.0.0"},
  "optionalDependencies": {
    "fsevents": "*"
  },
  "peerDependencies": {
    "react": ">=17"
  },
  "bundledDependencies": [
    "left-pad"
  ]
}
"""


def test_npm_package_json_identity_hooks_and_every_dependency_kind() -> None:
    result = scan(
        {
            "package/package.json": PACKAGE_JSON,
            "package/index.js": "require('child_process')",
            "package/node_modules/left-pad/package.json": '{"name": "x", "version": "1.3.0"}',
            "package/node_modules/@evil/helper/package.json": '{"version": "0.0.1"}',
            "package/node_modules/left-pad/lib/package.json": '{"version": "9.9.9"}',
        }
    )
    assert result.manifests == (
        Manifest("npm", "package/package.json", "evil-pkg", "1.0.3", "nothing to see"),
    )
    assert result.install_hooks == (
        InstallHook("postinstall", "node index.js", "package/package.json", 7),
        InstallHook("preuninstall", "node cleanup.js", "package/package.json", 8),
    )
    found = {(d.kind, d.name): (d.spec, d.line, d.file) for d in result.dependencies}
    path = "package/package.json"
    assert found == {
        ("dependencies", "axios"): ("^1.6.0", 11, path),
        ("dependencies", "left-pad"): ("1.3.0", 12, path),
        ("devDependencies", "jest"): ("^29.0.0", 14, path),
        ("optionalDependencies", "fsevents"): ("*", 16, path),
        ("peerDependencies", "react"): (">=17", 19, path),
        ("bundledDependencies", "left-pad"): ("1.3.0", 22, path),
        # Copies shipped under node_modules/; the nested lib/package.json is not a package.
        ("bundled", "left-pad"): ("1.3.0", None, "package/node_modules/left-pad/package.json"),
        ("bundled", "@evil/helper"): (
            "0.0.1",
            None,
            "package/node_modules/@evil/helper/package.json",
        ),
    }
    assert result.problems == ()


def test_bundle_dependencies_true_means_all_dependencies() -> None:
    text = '{"name": "x", "dependencies": {"a": "1", "b": "2"},\n "bundleDependencies": true}'
    result = scan({"package/package.json": text})
    bundled = deps(result, "bundledDependencies")
    assert {name: (d.spec, d.line) for name, d in bundled.items()} == {"a": ("1", 2), "b": ("2", 2)}


def test_binding_gyp_without_install_script_is_an_implicit_node_gyp_hook() -> None:
    result = scan(
        {
            "package/package.json": '{"name": "native", "scripts": {"test": "x"}}',
            "package/binding.gyp": "{'targets': []}",
        }
    )
    assert result.install_hooks == (InstallHook("install", GYP_HOOK, "package/package.json", None),)
    with_install = scan(
        {
            "package/package.json": '{"scripts": {"install": "node build.js"}}',
            "package/binding.gyp": "{}",
        }
    )
    assert [h.detail for h in with_install.install_hooks] == ["node build.js"]
    # A binding.gyp elsewhere (a test fixture) does not count.
    elsewhere = scan({"package/package.json": "{}", "package/test/binding.gyp": "{}"})
    assert elsewhere.install_hooks == ()


def test_broken_and_hostile_json_become_problems_not_crashes() -> None:
    result = scan(
        {
            "package/package.json": '{"name": "broken", "dependencies": {"a": "1",,}}',
            "package/node_modules/x/package.json": "[1, 2]",
            "package/node_modules/y/package.json": b'{"version": "\xff\xfe"}',
        }
    )
    assert result.manifests == ()
    problems = sorted(result.problems)
    assert len(problems) == 2
    assert problems[0] == "package/node_modules/x/package.json: top level is not a JSON object"
    assert problems[1].startswith("package/package.json: invalid JSON: ")
    # Undecodable bytes are replaced, not fatal.
    assert deps(result, "bundled")["y"].spec == "\ufffd\ufffd"

    weird = scan(
        {
            "a/package.json": """{"name": 7, "scripts": {"postinstall": ["node", "x"]},
            "dependencies": {"ok": "1", "bad": {"version": "2"}}, "peerDependencies": "nope",
            "bundledDependencies": [3]}"""
        }
    )
    assert weird.manifests == (Manifest("npm", "a/package.json", None, None, None),)
    assert weird.install_hooks == ()
    assert deps(weird) == {
        "ok": Dependency("npm", "ok", "1", "dependencies", "a/package.json", 2),
        "bad": Dependency("npm", "bad", "", "dependencies", "a/package.json", 2),
    }
    assert weird.problems == (
        "a/package.json: 'name' is not a string",
        "a/package.json: 'scripts.postinstall' is not a string",
        "a/package.json: 'dependencies.bad' is not a string",
        "a/package.json: 'peerDependencies' is not an object",
        "a/package.json: 'bundledDependencies' holds a non-string",
    )


def test_own_package_json_is_the_shallowest_outside_node_modules() -> None:
    result = scan(
        {
            "sample/1.0/package/test/fixtures/package.json": '{"name": "fixture"}',
            "sample/1.0/package/package.json": '{"name": "real"}',
        }
    )
    assert [m.name for m in result.manifests] == ["real"]


def test_key_lines_handles_escapes_nesting_and_same_names_in_other_sections() -> None:
    text = (
        '{\n "scripts": {"install": "x", "nested": {"postinstall": "no"}},\n'
        ' "dependencies": {\n  "a\\"b": "1",\n  "install": "2"\n },\n'
        ' "files": ["install"]\n}'
    )
    lines = key_lines(text)
    assert lines[("scripts",)] == 2
    assert lines[("scripts", "install")] == 2
    assert ("nested", "postinstall") not in lines  # three levels down is not recorded
    assert lines[("dependencies", 'a"b')] == 4
    assert lines[("dependencies", "install")] == 5
    assert lines[("files", "install")] == 7


def test_oversized_manifest_is_skipped_with_a_problem() -> None:
    huge = b'{"name": "x", "pad": "' + b"a" * (2 * 2**20) + b'"}'
    result = scan({"package/package.json": huge, "setup.py": b"#" * (2 * 2**20 + 1)})
    assert result.manifests == ()
    assert result.problems == (
        "package/package.json: larger than 2 MiB, not read as a manifest",
        "setup.py: larger than 2 MiB, not read as a manifest",
    )


def test_non_manifest_members_are_not_read() -> None:
    files: dict[str, str | bytes] = {f"package/lib/f{i}.js": b"\xff" * 100 for i in range(200)}
    files["package/package.json"] = PACKAGE_JSON
    files["package/README.md"] = "# readme"
    members = [Member(p, d if isinstance(d, bytes) else d.encode()) for p, d in files.items()]
    result = read_manifests(members)
    assert result.problems == ()
    assert [m.file for m in result.manifests] == ["package/package.json"]
