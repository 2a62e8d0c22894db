"""The benchmark corpus generator keeps its promises: the same bytes for a seed, every kind of
archive, archives malgraph reads whole, no path outside the archive, payloads where promised."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.real_shaped_corpus import Plan, generate, iter_archives
from malgraph.artifacts.archives import read_archive
from malgraph.artifacts.local import local_archives

TINY = Plan(archives=20, seed=3, npm_share=0.3, payload_max_bytes=64 * 1024)
KINDS = {
    ("PyPI", "small"),
    ("PyPI", "library-copy"),
    ("PyPI", "payload-setup"),
    ("PyPI", "many-files"),
    ("npm", "small"),
    ("npm", "library-copy"),
    ("npm", "payload-postinstall"),
    ("npm", "minified-bundle"),
    ("npm", "many-files"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, TINY)
    return out


def kinds_of(corpus: Path) -> dict[tuple[str, str], str]:
    """(name, version) -> kind, as the generator recorded them."""
    with (corpus / "kinds.csv").open() as rows:
        return {(name, version): kind for _eco, name, version, kind in csv.reader(rows)}


def test_the_same_seed_gives_the_same_bytes(corpus: Path, tmp_path: Path) -> None:
    generate(tmp_path, TINY)
    first = {p.relative_to(corpus): p.read_bytes() for p in iter_archives(corpus / "archives")}
    again = {p.relative_to(tmp_path): p.read_bytes() for p in iter_archives(tmp_path / "archives")}
    assert len(first) == TINY.archives
    assert first == again


def test_every_kind_is_present_and_listed(corpus: Path) -> None:
    with (corpus / "kinds.csv").open() as rows:
        made = {(eco, kind) for eco, _name, _version, kind in csv.reader(rows)}
    assert made == KINDS
    distribution = json.loads((corpus / "distribution.json").read_text())
    assert distribution["archives"] == TINY.archives
    assert sum(distribution["kinds"].values()) == TINY.archives
    assert distribution["files_whose_content_repeats"] > 0


def test_every_archive_is_read_whole_and_stays_inside(corpus: Path) -> None:
    for path in iter_archives(corpus / "archives"):
        contents = read_archive(path.read_bytes(), path.name)
        assert contents.capped is None and not contents.skipped, path
        assert contents.members
        for member in contents.members:
            assert not member.path.startswith("/") and ".." not in member.path.split("/")


def test_fetch_finds_each_archive_by_its_place(corpus: Path) -> None:
    with (corpus / "packages.csv").open() as rows:
        listed = {(row["Name"], row["Version"]) for row in csv.DictReader(rows)}
    found = {archive.candidates[0] for archive in local_archives(corpus / "archives")}
    assert found == listed


def test_payloads_are_where_promised(corpus: Path) -> None:
    kinds = kinds_of(corpus)
    for path in iter_archives(corpus / "archives"):
        kind = kinds[path.parent.parent.name, path.parent.name]
        members = {m.path: m.data for m in read_archive(path.read_bytes()).members}
        longest = max(len(line) for data in members.values() for line in data.split(b"\n"))
        if kind == "payload-setup":
            setup = next(data for p, data in members.items() if p.endswith("/setup.py"))
            assert b"exec(base64.b64decode(_p))" in setup
            assert len(setup) > TINY.payload_max_bytes // 8
        elif kind == "payload-postinstall":
            manifest = json.loads(members["package/package.json"])
            assert len(manifest["scripts"]["postinstall"]) > 1024
        elif kind == "minified-bundle":
            assert longest > 4096
        elif kind == "many-files":
            assert len(members) == 500
        elif kind == "library-copy":
            assert len(members) > 5
