"""An archive's identity from its own metadata, checked against its place; what cannot be placed
is said, never guessed. Archives are inert and built here; nothing is unpacked or run."""

from __future__ import annotations

import io
import json
import zipfile

from malgraph.analysis.archive_identity import Identity, Unplaced, identify
from malgraph.artifacts.layouts import read_place
from tests.inert_packages import gem, npm_package, sample_zip, sdist, tar_gz

ROOT = ("/", "data")


def place(*inside: str) -> tuple[tuple[str, ...], int]:
    return (*ROOT, *inside), len(inside)


def wheel(name: str, version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "import os\n")
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n"
        archive.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
    return buffer.getvalue()


def test_metadata_places_each_format() -> None:
    npm = identify(npm_package("evil-npm", "1.0.0"), "x.tgz", read_place(*place("x.tgz")))
    assert npm == Identity("npm", "evil-npm", "1.0.0", "metadata", "package/package.json", None)
    py = identify(sdist("Evil_Py", "2.0"), "e.tar.gz", read_place(*place("e.tar.gz")))
    assert isinstance(py, Identity) and (py.ecosystem, py.name, py.version, py.evidence) == (
        "PyPI",
        "Evil_Py",
        "2.0",
        "Evil_Py-2.0/PKG-INFO",
    )
    whl = identify(wheel("evil_wheel", "0.3"), "w.whl", read_place(*place("w.whl")))
    assert isinstance(whl, Identity) and (whl.ecosystem, whl.name, whl.by) == (
        "PyPI",
        "evil_wheel",
        "metadata",
    )
    rb = identify(gem("bad-gem", "0.1"), "bad-gem-0.1.gem", read_place(*place("bad-gem-0.1.gem")))
    assert isinstance(rb, Identity) and (rb.ecosystem, rb.name, rb.version, rb.warnings) == (
        "RubyGems",
        "bad-gem",
        "0.1",
        (),
    )


def test_an_encrypted_datadog_sample_takes_its_date_from_the_path() -> None:
    data = sample_zip(
        {
            "package/package.json": json.dumps({"name": "dd", "version": "1.2.3"}).encode(),
            "package/index.js": b"eval(1)\n",
        }
    )
    where = place("npm", "malicious_intent", "dd", "1.2.3", "2024-03-05-dd-v1.2.3.zip")
    found = identify(data, "2024-03-05-dd-v1.2.3.zip", read_place(*where))
    assert isinstance(found, Identity)
    assert (found.name, found.version, found.detected, found.warnings) == (
        "dd",
        "1.2.3",
        "2024-03-05T00:00:00Z",
        (),
    )


def test_metadata_wins_over_a_disagreeing_path_with_a_warning() -> None:
    where = read_place(*place("claimed", "9.9", "claimed-9.9.tar.gz"))
    found = identify(sdist("real-name", "1.0"), "claimed-9.9.tar.gz", where)
    assert isinstance(found, Identity) and (found.name, found.version) == ("real-name", "1.0")
    assert found.warnings == (
        "metadata (real-name-1.0/PKG-INFO) says real-name 1.0, its place "
        "(name/version/file) says claimed 9.9: metadata taken",
    )


def test_without_metadata_the_path_decides_only_when_it_reads_one_way() -> None:
    code = tar_gz({"reg-pkg-0.0.1/setup.py": b"from setuptools import setup\nsetup()\n"})
    found = identify(code, "f.tar.gz", read_place(*place("reg-pkg", "0.0.1", "f.tar.gz")))
    assert isinstance(found, Identity)
    assert (found.ecosystem, found.name, found.version, found.by) == (
        "PyPI",
        "reg-pkg",
        "0.0.1",
        "path",
    )
    bare = tar_gz({"x/index.js": b"module.exports = 1;\n"})
    ambiguous = identify(bare, "f.tgz", read_place(*place("foo-2-bar-1.0.tgz")))
    assert isinstance(ambiguous, Unplaced) and not ambiguous.unreadable
    assert "reads several ways: foo 2-bar-1.0 or foo-2-bar 1.0" in ambiguous.reason
    nothing = identify(bare, "f.tgz", read_place(*place("blob.tgz")))
    assert isinstance(nothing, Unplaced) and "names no package-version" in nothing.reason
    # A name and version, but no ecosystem: not guessed either.
    unknown = identify(bare, "f.tgz", read_place(*place("thing-1.0.tgz")))
    assert isinstance(unknown, Unplaced) and "ecosystem" in unknown.reason
    # package.json without a version: the path gives it, and the run says so.
    partial = tar_gz({"package/package.json": b'{"name": "half"}'})
    found = identify(partial, "half-2.0.0.tgz", read_place(*place("half-2.0.0.tgz")))
    assert isinstance(found, Identity) and (found.ecosystem, found.version) == ("npm", "2.0.0")
    assert found.warnings == (
        "package/package.json gives no version: placed by its path (file name)",
    )


def test_several_packages_hostile_names_and_corrupt_files_are_unplaced() -> None:
    two = tar_gz(
        {
            "a/package.json": b'{"name": "a", "version": "1.0.0"}',
            "b/package.json": b'{"name": "b", "version": "2.0.0"}',
        }
    )
    found = identify(two, "two.tgz", read_place(*place("two.tgz")))
    assert isinstance(found, Unplaced) and "several packages" in found.reason
    # Bundled node_modules and a deeper vendored sdist are not the package's own identity.
    bundled = tar_gz(
        {
            "package/package.json": b'{"name": "top", "version": "1.0.0"}',
            "package/node_modules/dep/package.json": b'{"name": "dep", "version": "9.0.0"}',
            "package/vendor/x-1.0/PKG-INFO": b"Name: x\nVersion: 1.0\n",
        }
    )
    found = identify(bundled, "top.tgz", read_place(*place("top.tgz")))
    assert isinstance(found, Identity) and found.name == "top"
    hostile = tar_gz({"package/package.json": b'{"name": "esc\\u001b[2Jname", "version": "1"}'})
    found = identify(hostile, "h.tgz", read_place(*place("h.tgz")))
    assert isinstance(found, Unplaced) and "control characters" in found.reason
    assert "\x1b" not in found.reason
    corrupt = identify(b"\x1f\x8b\x08garbage" * 10, "c.tgz", read_place(*place("c-1.0.tgz")))
    assert isinstance(corrupt, Unplaced) and corrupt.unreadable
    wrong = identify(
        sample_zip({"package/package.json": b"{}"}, password=b"other"),
        "s.zip",
        read_place(*place("s.zip")),
    )
    assert isinstance(wrong, Unplaced) and wrong.unreadable and "password" in wrong.reason
