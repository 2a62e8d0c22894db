"""read_archive on honest packages, then on the hostile corpus: refused or capped, never a crash."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from malgraph.artifacts.archives import ArchiveError, Contents, Limits, read_archive
from tests.artifacts import hostile

ROOT = Path(__file__).resolve().parents[2]


def paths(contents: Contents) -> list[str]:
    return [member.path for member in contents.members]


def reasons(contents: Contents) -> dict[str, str]:
    return {skipped.path: skipped.reason for skipped in contents.skipped}


SDIST = [
    ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
    ("demo-1.0/setup.py", b"from setuptools import setup\nsetup(name='demo')\n"),
    ("demo-1.0/demo/__init__.py", hostile.INERT_PAYLOAD),
]


# -- honest packages ---------------------------------------------------------------------------


def test_npm_tarball_members_keep_their_paths_order_and_bytes() -> None:
    files = [("package/package.json", b'{"name": "x"}'), ("package/lib/a.js", b"var a = 1;\n")]
    files += [(f"package/lib/f{i}.js", f"// {i}\n".encode() * i) for i in range(20)]
    contents = read_archive(hostile.tar_of(files), "x-1.0.0.tgz")
    assert contents.format == "tar.gz"
    assert [(m.path, m.data) for m in contents.members] == files
    assert contents.skipped == () and contents.capped is None and contents.metadata is None


@pytest.mark.parametrize(
    ("mode", "fmt"), [("w:gz", "tar.gz"), ("w:bz2", "tar.bz2"), ("w:xz", "tar.xz"), ("w", "tar")]
)
def test_sdist_in_every_tar_compression(mode: str, fmt: str) -> None:
    contents = read_archive(hostile.tar_of(SDIST, mode=mode), "demo-1.0.tar")
    assert contents.format == fmt
    assert [(m.path, m.data) for m in contents.members] == SDIST  # directories are not members


@pytest.mark.parametrize(
    "tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
)
def test_tar_parser_agrees_with_tarfile_on_long_and_unicode_names(tar_format: int) -> None:
    long = "package/" + "d" * 90 + "/" + "e" * 40 + ".js"  # needs ustar prefix, GNU L or pax path
    names = [long, "package/ünïcödé.js", "package/plain.js"]
    if tar_format == tarfile.USTAR_FORMAT:
        names = names[1:] if len(long) > 255 else names
    data = hostile.tar_of([(name, name.encode() * 3) for name in names], fmt=tar_format)
    with tarfile.open(fileobj=io.BytesIO(data)) as reference:
        expected = [
            (info.name, reference.extractfile(info).read())  # type: ignore[union-attr]
            for info in reference.getmembers()
            if info.isreg()
        ]
    assert [(m.path, m.data) for m in read_archive(data).members] == expected


@pytest.mark.parametrize("tar_format", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_huge_declared_size_is_parsed_and_refused(tar_format: int) -> None:
    # Over 8 GiB, GNU writes the size in base-256 and pax in a 'size' record; no data follows.
    info = tarfile.TarInfo("package/huge.bin")
    info.size = 10 * hostile.GIB
    contents = read_archive(info.tobuf(tar_format))
    assert reasons(contents) == {"package/huge.bin": "over file cap"}
    assert str(contents.capped).startswith("corrupt: truncated tar member data at offset ")


def test_unknown_tar_entry_types_are_skipped() -> None:
    label = tarfile.TarInfo("volume-label")
    label.type = b"V"
    data = label.tobuf(tarfile.GNU_FORMAT) + hostile.tar_of([("a.js", b"1")], mode="w")
    contents = read_archive(data)
    assert paths(contents) == ["a.js"]
    assert reasons(contents) == {"volume-label": "unsupported type b'V'"}


def test_zip_member_with_an_unknown_method_is_skipped() -> None:
    entries = [
        hostile.RawEntry(b"deflate64.bin", b"\x00" * 10, 0, 10, method=9),
        hostile.raw_stored(b"ok.txt", b"ok"),
    ]
    contents = read_archive(hostile.raw_zip(entries))
    assert paths(contents) == ["ok.txt"]
    assert reasons(contents)["deflate64.bin"].startswith("unsupported: ")


def test_old_tar_without_magic_is_recognised_by_its_checksum() -> None:
    data = bytearray(
        hostile.tar_of([("demo/a.py", b"x = 1\n")], mode="w", fmt=tarfile.USTAR_FORMAT)
    )
    for start in range(0, 1024, 512):  # the directory header and the file header
        header = data[start : start + 512]
        header[257:265] = bytes(8)  # no 'ustar' magic nor version: a v7 header
        header[148:156] = b" " * 8
        header[148:156] = b"%06o\0 " % sum(header)
        data[start : start + 512] = header
    contents = read_archive(bytes(data))
    assert (contents.format, paths(contents)) == ("tar", ["demo/a.py"])


def test_wheel_is_a_zip() -> None:
    files = [
        ("demo/__init__.py", hostile.INERT_PAYLOAD),
        ("demo-1.0.dist-info/METADATA", b"Name: demo\n"),
        ("demo-1.0.dist-info/RECORD", b""),
    ]
    contents = read_archive(hostile.zip_of(files), "demo-1.0-py3-none-any.whl")
    assert contents.format == "zip"
    assert [(m.path, m.data) for m in contents.members] == files


def test_gem_members_are_those_of_data_tar_gz_and_metadata_is_the_gemspec() -> None:
    gemspec = (
        b"--- !ruby/object:Gem::Specification\nname: demo\nversion: !ruby/object:Gem::Version\n"
    )
    files = [("lib/demo.rb", b"puts 'demo'\n"), ("demo.gemspec", b"Gem::Specification.new\n")]
    contents = read_archive(hostile.gem(files, gemspec), "demo-1.0.gem")
    assert contents.format == "gem"
    assert [(m.path, m.data) for m in contents.members] == files
    assert contents.metadata == gemspec
    assert contents.skipped == () and contents.capped is None


def test_gem_with_stray_entries_lists_them() -> None:
    parts = [
        ("metadata.gz", hostile.gzip_of(b"name: x\n")),
        ("data.tar.gz", hostile.tar_of([("lib/x.rb", b"1\n")])),
        ("data.tar.gz.sig", b"signature"),
        ("extra.rb", hostile.INERT_PAYLOAD),
    ]
    contents = read_archive(hostile.tar_of(parts, mode="w"), "x.gem")
    assert (contents.format, paths(contents), contents.metadata) == (
        "gem",
        ["lib/x.rb"],
        b"name: x\n",
    )
    assert reasons(contents) == {"extra.rb": "not part of a gem"}


DATADOG_FILES = [
    (
        "evil-pkg-1.0.0/package.json",
        b'{"name": "evil-pkg", "scripts": {"preinstall": "node i.js"}}',
    ),
    ("evil-pkg-1.0.0/i.js", b"eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())\n"),
    ("evil-pkg-1.0.0/lib/util.js", b"module.exports = {};\n"),
]


@pytest.mark.parametrize("build", [hostile.zipcrypto_zip, hostile.aes_zip])
def test_datadog_encrypted_zip_opens_with_infected(build: Callable[..., bytes]) -> None:
    contents = read_archive(build(DATADOG_FILES), "sample.zip", password=b"infected")
    assert contents.format == "zip"
    assert [(m.path, m.data) for m in contents.members] == DATADOG_FILES


@pytest.mark.parametrize("build", [hostile.zipcrypto_zip, hostile.aes_zip])
@pytest.mark.parametrize("password", [b"wrong", None])
def test_encrypted_zip_is_refused_without_the_right_password(
    build: Callable[..., bytes], password: bytes | None
) -> None:
    with pytest.raises(ArchiveError, match="wrong password"):
        read_archive(build(DATADOG_FILES), "sample.zip", password=password)


def test_datadog_zip_holding_a_tarball_is_read_through() -> None:
    tgz = hostile.tar_of([("package/index.js", hostile.INERT_PAYLOAD)])
    data = hostile.zipcrypto_zip([("evil-1.0.0.tgz", tgz)])
    contents = read_archive(data, password=b"infected")
    assert [(m.path, m.data) for m in contents.members] == [
        ("evil-1.0.0.tgz!/package/index.js", hostile.INERT_PAYLOAD)
    ]


def test_paths_are_normalised() -> None:
    data = hostile.tar_of(
        [("./package/a.js", b"1"), ("package//b.js", b"2"), ("package/./c", b"3")]
    )
    assert paths(read_archive(data)) == ["package/a.js", "package/b.js", "package/c"]


def test_concatenated_gzip_members_are_one_stream() -> None:
    # Stream writers (and `cat a.gz b.gz`) produce several gzip members: gunzip reads them all.
    raw = gzip.decompress(hostile.tar_of(SDIST))
    cut = 1024 + 512  # somewhere inside the tar stream
    data = gzip.compress(raw[:cut], mtime=0) + gzip.compress(raw[cut:], mtime=0) + bytes(100)
    assert [(m.path, m.data) for m in read_archive(data).members] == SDIST


def test_a_lone_gzip_file_inside_an_archive_stays_a_plain_member() -> None:
    blob = gzip.compress(b"not a tar at all\n" * 50)
    contents = read_archive(hostile.zip_of([("data/notes.txt.gz", blob)]))
    assert [(m.path, m.data) for m in contents.members] == [("data/notes.txt.gz", blob)]


# -- unknown, truncated, corrupt -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"hello world\n" * 100, bytes(4096), b"%PDF-1.4\n" + bytes(600)]
)
def test_not_an_archive(data: bytes) -> None:
    with pytest.raises(ArchiveError, match="not an archive"):
        read_archive(data, "x.bin")


def test_gzip_of_something_else_is_refused() -> None:
    with pytest.raises(ArchiveError, match="not a tar archive"):
        read_archive(gzip.compress(b"just text, no tar inside\n" * 40), "x.tgz")


def test_truncated_tarball_keeps_what_was_read() -> None:
    data = hostile.typical_npm()
    contents = read_archive(hostile.truncated(data, 0.6))
    assert contents.capped == "corrupt: truncated gz stream"
    assert 0 < len(contents.members) < len(read_archive(data).members)
    with pytest.raises(ArchiveError, match="truncated"):
        read_archive(data[:40])  # the gzip header and the start of the first tar header


def test_corrupt_deflate_data_stops_with_a_reason() -> None:
    contents = read_archive(hostile.corrupted(hostile.typical_npm(), at=0.5))
    assert contents.capped is not None and contents.capped.startswith("corrupt: ")
    assert contents.members  # what came before the damage


def test_bad_tar_header_after_the_first_is_corruption_not_the_end() -> None:
    data = bytearray(hostile.tar_of(SDIST, mode="w"))
    second = 512 * 3  # directory header, PKG-INFO header, its data block, then setup.py's header
    data[second : second + 8] = b"garbage!"
    contents = read_archive(bytes(data))
    assert paths(contents) == ["demo-1.0/PKG-INFO"]
    assert contents.capped == f"corrupt: bad tar header checksum at offset {second}"


def test_truncated_zip_is_unreadable() -> None:
    with pytest.raises(ArchiveError, match="bad zip"):
        read_archive(hostile.truncated(hostile.zip_of(SDIST), 0.7), "x.zip")


def test_corrupt_zip_member_is_skipped_and_the_rest_read() -> None:
    # Stored members: flipping bytes of the first file's data breaks its CRC only.
    data = bytearray(hostile.raw_zip(hostile.raw_stored(n.encode(), d) for n, d in SDIST))
    start = 30 + len(SDIST[0][0])
    data[start : start + 4] = b"XXXX"
    contents = read_archive(bytes(data))
    assert paths(contents) == [name for name, _ in SDIST[1:]]
    assert reasons(contents)[SDIST[0][0]].startswith("corrupt: Bad CRC-32")


# -- hostile: paths and links --------------------------------------------------------------------


@pytest.mark.parametrize("build", [hostile.traversal_tgz, hostile.traversal_zip])
def test_escaping_paths_are_skipped(build: Callable[[], bytes]) -> None:
    contents = read_archive(build())
    assert paths(contents) == ["package/index.js"]
    assert reasons(contents) == {
        "../evil.txt": "parent path",
        "package/../../evil.txt": "parent path",
        hostile.ABSOLUTE_TARGET: "absolute path",
        "C:\\Windows\\evil.txt": "absolute path",
        "\\\\server\\share\\evil.txt": "absolute path",
        "package\\..\\..\\evil.txt": "parent path",
    }


def test_links_devices_and_fifos_in_tar_are_skipped() -> None:
    contents = read_archive(hostile.links_tar())
    assert paths(contents) == ["package/index.js"]
    assert reasons(contents) == {
        "package/passwd": "symlink",
        "package/shadow": "hardlink",
        "package/null": "device",
        "package/pipe": "fifo",
    }


def test_zip_symlink_is_skipped() -> None:
    contents = read_archive(hostile.symlink_zip())
    assert paths(contents) == ["package/index.js"]
    assert reasons(contents) == {"package/passwd": "symlink"}


def test_non_utf8_names_are_kept_with_replacement_characters() -> None:
    assert paths(read_archive(hostile.non_utf8_tar())) == [
        "package/caf\ufffd.js",
        "package/na\ufffdve/ok.js",
    ]
    assert paths(read_archive(hostile.non_utf8_zip())) == ["café.js", "âeâXâg.py"]  # cp437


# -- hostile: bombs ------------------------------------------------------------------------------


def test_gigabyte_tgz_bomb_stops_at_the_total_cap() -> None:
    contents = read_archive(hostile.bomb_tgz())
    assert contents.members == ()
    assert reasons(contents) == {"package/z0.bin": "over file cap"}
    assert contents.capped == "max_total_bytes"  # skipping 1 GiB still means inflating it


def test_gigabyte_tgz_bomb_stops_at_the_ratio_cap_first_when_it_is_lower() -> None:
    contents = read_archive(hostile.bomb_tgz(), limits=Limits(max_ratio=10))
    assert contents.capped == "max_ratio"


def test_gigabyte_zip_bomb_is_refused_on_its_declared_size() -> None:
    contents = read_archive(hostile.bomb_zip())
    assert (contents.members, reasons(contents)) == ((), {"bomb.bin": "over file cap"})
    assert contents.capped is None


def test_zip_member_over_the_ratio_cap_is_skipped() -> None:
    contents = read_archive(hostile.bomb_zip(4 * hostile.MIB))  # 4 MiB from about 4 KB
    assert reasons(contents) == {"bomb.bin": "over ratio cap"}


def test_zip_lying_about_its_size_is_read_no_further_than_declared() -> None:
    contents = read_archive(hostile.lying_zip())
    assert contents.members == ()
    assert reasons(contents)["small.txt"].startswith("corrupt: Bad CRC-32")


def test_zip_whose_members_together_exceed_the_ratio_is_capped() -> None:
    contents = read_archive(hostile.ratio_zip())
    assert contents.capped == "max_ratio"
    assert 0 < len(contents.members) < 20
    assert all(member.data == bytes(hostile.MIB) for member in contents.members)


def test_overlapping_zip_entries_are_refused() -> None:
    contents = read_archive(hostile.overlapping_zip())
    assert contents.members == ()
    assert [s.reason for s in contents.skipped] == ["overlapping entry"] * 1000


def test_many_members_tgz_stops_at_the_member_cap() -> None:
    contents = read_archive(hostile.many_members_tgz())  # 100,000 entries
    assert contents.capped == "max_members"
    assert len(contents.members) == Limits().max_members


def test_many_members_zip_stops_at_the_member_cap() -> None:
    contents = read_archive(hostile.many_members_zip(1500), limits=Limits(max_members=1000))
    assert (contents.capped, len(contents.members)) == ("max_members", 1000)


def test_members_are_counted_across_nesting_levels() -> None:
    inner = hostile.tar_of([(f"package/f{i}.js", b"1") for i in range(10)])
    data = hostile.zip_of([("a.tgz", inner), ("b.tgz", inner)])
    contents = read_archive(data, limits=Limits(max_members=15))
    assert contents.capped == "max_members"
    # The 15 entries: a.tgz, its folder, its 10 files, b.tgz, its folder, its first file.
    assert len(contents.members) == 11


def test_total_cap_keeps_the_members_read_before_it() -> None:
    data = hostile.zeros_tgz(10, hostile.MIB)
    limits = Limits(max_total_bytes=int(4.5 * hostile.MIB), max_ratio=10**6)
    contents = read_archive(data, limits=limits)
    assert contents.capped == "max_total_bytes"
    assert paths(contents) == [f"package/z{i}.bin" for i in range(4)]


def test_huge_pax_header_is_refused_before_it_is_read() -> None:
    with pytest.raises(ArchiveError, match="oversized tar extension header"):
        read_archive(hostile.huge_pax_tgz())


# -- hostile: nesting -----------------------------------------------------------------------------


def test_nested_archives_are_read_down_to_max_depth() -> None:
    contents = read_archive(hostile.nested(4))  # zip > tgz > zip > tgz > payload.py
    assert [(m.path, m.data) for m in contents.members] == [
        ("l1.tgz!/l2.zip!/l3.tgz!/payload.py", hostile.INERT_PAYLOAD)
    ]


def test_nesting_deeper_than_the_limit_is_skipped() -> None:
    contents = read_archive(hostile.nested(6))
    assert contents.members == ()
    assert reasons(contents) == {"l1.tgz!/l2.zip!/l3.tgz!/l4.zip": "nesting too deep"}
    shallow = read_archive(hostile.nested(4), limits=Limits(max_depth=1))
    assert reasons(shallow) == {"l1.tgz!/l2.zip": "nesting too deep"}


def test_nested_bomb_is_skipped_and_the_outer_archive_goes_on() -> None:
    data = hostile.zip_of([("a.tgz", hostile.zeros_tgz(1, 4 * hostile.MIB)), ("b.js", b"1")])
    contents = read_archive(data, limits=Limits(max_ratio=2))
    assert paths(contents) == ["b.js"]
    assert reasons(contents) == {"a.tgz": "over ratio cap"}


# -- the corpus as a whole: nothing written, nothing run, memory bounded ------------------------


def corpus() -> dict[str, bytes]:
    files = [("pkg/index.js", hostile.INERT_PAYLOAD)]
    npm = hostile.typical_npm()
    return {
        "traversal.tgz": hostile.traversal_tgz(),
        "traversal.zip": hostile.traversal_zip(),
        "links.tar": hostile.links_tar(),
        "symlink.zip": hostile.symlink_zip(),
        "bomb.tgz": hostile.bomb_tgz(),
        "bomb.zip": hostile.bomb_zip(),
        "lying.zip": hostile.lying_zip(),
        "ratio.zip": hostile.ratio_zip(),
        "overlapping.zip": hostile.overlapping_zip(),
        "many.tgz": hostile.many_members_tgz(),
        "pax.tgz": hostile.huge_pax_tgz(),
        "nested.zip": hostile.nested(6),
        "names.tar": hostile.non_utf8_tar(),
        "names.zip": hostile.non_utf8_zip(),
        "truncated.tgz": hostile.truncated(npm),
        "corrupt.tgz": hostile.corrupted(npm),
        "zipcrypto.zip": hostile.zipcrypto_zip(files),
        "aes.zip": hostile.aes_zip(files),
        "demo.gem": hostile.gem(files, b"name: demo\n"),
    }


def read_corpus(samples: dict[str, bytes]) -> int:
    """Read every sample; ArchiveError is an accepted outcome, anything else fails the test."""
    refused = 0
    for name, data in samples.items():
        passwords = (b"infected", b"wrong") if "crypt" in name or "aes" in name else (b"infected",)
        for password in passwords:
            try:
                read_archive(data, name, password=password)
            except ArchiveError:
                refused += 1
    return refused


_AUDITED: list[tuple[str, Any]] | None = None  # recording while a list
_WATCHED = ("open", "exec", "compile", "import", "os.", "shutil.", "subprocess.", "tempfile.")


_HOOKED: list[bool] = []


def _audit(event: str, args: Any) -> None:
    if _AUDITED is not None and event.startswith(_WATCHED):
        _AUDITED.append((event, args))


def _install_audit_hook() -> None:
    """Once per process: a hook cannot be removed, so it records only while a test asks it to."""
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED.append(True)


def test_reading_the_corpus_creates_no_file_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    global _AUDITED
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.setenv("TMPDIR", str(empty))
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the cached temporary directory
    samples = corpus()
    refused = read_corpus(samples)  # warm-up: lazy imports inside libraries happen here
    _install_audit_hook()
    _AUDITED = []
    try:
        assert read_corpus(samples) == refused
        with open(os.devnull, "rb"):  # proof that the hook records: the one expected event
            pass
        events = _AUDITED
    finally:
        _AUDITED = None
    # No file opened (for reading or writing), no code compiled or run, no process started.
    assert [(event, args[0]) for event, args in events] == [("open", os.devnull)]
    assert list(empty.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # nothing landed next to it
    assert not Path(hostile.ABSOLUTE_TARGET).exists()
    assert refused == 3  # the pax bomb, and both encrypted zips with the wrong password


_MEMORY_PROBE = """
import json, resource, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from tests.artifacts import hostile
from malgraph.artifacts.archives import Limits, read_archive
default, lax_ratio = Limits(), Limits(max_ratio=10**6)
samples = {
    "bomb.tgz": (hostile.bomb_tgz(), default),
    "bomb.zip": (hostile.bomb_zip(), default),
    "lying.zip": (hostile.lying_zip(), default),
    # Zeros compress too well for the ratio cap: without it, 64 MiB of members are kept.
    "kept.tgz": (hostile.zeros_tgz(20, 4 * hostile.MIB), lax_ratio),
}
read_archive(hostile.typical_npm())  # first use allocates what every later read shares
result = {}
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
for name, (data, limits) in samples.items():
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    contents = read_archive(data, name, limits=limits)
    kept = sum(len(member.data) for member in contents.members)
    peak = tracemalloc.get_traced_memory()[1] - base
    result[name] = {"peak": peak, "capped": contents.capped, "kept": kept}
    del contents
tracemalloc.stop()
rss_grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
print(json.dumps({"samples": result, "rss_grew_kib": rss_grew}))
"""


def test_peak_memory_stays_bounded_by_the_caps() -> None:
    """In a fresh process: the traced peak of each read, and the growth of the resident peak."""
    run = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(run.stdout)
    bound = 3 * Limits().max_total_bytes
    for name, measured in result["samples"].items():
        assert measured["peak"] < bound, (name, measured)
    assert result["rss_grew_kib"] * 1024 < bound
    # The probe does measure: keeping ~64 MiB of members shows as at least that much.
    kept = result["samples"]["kept.tgz"]
    assert kept["capped"] == "max_total_bytes"
    assert kept["peak"] >= kept["kept"] >= 60 * hostile.MIB
    print(result)


def test_typical_package_reads_whole() -> None:
    """Its speed is measured by benchmarks/read_packages.py."""
    data = hostile.typical_npm(files=75)
    assert 30_000 < len(data) < 70_000
    contents = read_archive(data)
    assert contents.capped is None and contents.skipped == ()
    assert len(contents.members) == 76
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        expected = {i.name: tar.extractfile(i) for i in tar if i.isfile()}
        assert {m.path: m.data for m in contents.members} == {
            name: file.read() for name, file in expected.items() if file is not None
        }


def test_hostile_builders_are_what_they_claim() -> None:
    for count in (0, 1, 511, 4096, 3 * hostile.MIB + 5):
        assert hostile.crc32_zeros(7, count) == zlib.crc32(bytes(count), 7)
    head = zlib.decompressobj(31).decompress(hostile.bomb_tgz(), 512)
    info = tarfile.TarInfo.frombuf(head, "utf-8", "strict")
    assert (info.name, info.size) == ("package/z0.bin", hostile.GIB)
    assert len(hostile.bomb_tgz()) < 2 * hostile.MIB
    small = hostile.zeros_tgz(2, hostile.MIB)
    assert len(gzip.decompress(small)) == 2 * 512 + 3 * hostile.MIB  # CRC and size are right
    assert os.path.basename(hostile.ABSOLUTE_TARGET).startswith("malgraph-hostile")
