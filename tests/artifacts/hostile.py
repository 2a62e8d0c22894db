"""Builders of hostile archives, in memory: path tricks, links, bombs, damage, encryption.

Every payload is inert text; nothing here is ever extracted or run. Large bombs are made by
repeating one self-contained deflate block, so a 1 GiB bomb costs a few milliseconds and ~1 MB.
"""

from __future__ import annotations

import functools
import gzip
import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import pyzipper

GIB = 2**30
MIB = 2**20
PASSWORD = b"infected"
ABSOLUTE_TARGET = "/tmp/malgraph-hostile-absolute.txt"  # must never appear on disk
# Would decode a harmless string and exec it, if anybody ever ran it (nobody does).
INERT_PAYLOAD = b"import base64\nexec(base64.b64decode('cHJpbnQoJ2hlbGxvJyk='))\n"


# -- small writers -----------------------------------------------------------------------------


def tar_of(
    files: Iterable[tuple[str, bytes]], mode: str = "w:gz", fmt: int = tarfile.PAX_FORMAT
) -> bytes:
    """A tar (plain or compressed) of regular files, with their parent directories first."""
    buf = io.BytesIO()
    seen: set[str] = set()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tar:
        for name, data in files:
            parent = name.rpartition("/")[0]
            if parent and parent not in seen:
                seen.add(parent)
                folder = tarfile.TarInfo(parent)
                folder.type = tarfile.DIRTYPE
                tar.addfile(folder)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_of(files: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buf.getvalue()


def gzip_of(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One zip entry exactly as it should be written, sizes and flags included (lies allowed)."""

    name: bytes
    payload: bytes  # what follows the local header: compressed and maybe encrypted
    crc: int
    file_size: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    mode: int = 0o100644  # Unix st_mode, stored in the high half of the external attributes


def raw_zip(entries: Iterable[RawEntry]) -> bytes:
    """A zip written field by field, so that headers can say what real writers never would."""
    local, central = bytearray(), bytearray()
    count = 0
    for entry in entries:
        count += 1
        fields = (20, entry.flags, entry.method, 0, 0x21, entry.crc, len(entry.payload))
        common = struct.pack("<HHHHHII", *fields) + struct.pack(
            "<IHH", entry.file_size, len(entry.name), 0
        )
        central += b"PK\x01\x02" + struct.pack("<H", 0x0314) + common
        central += struct.pack("<HHHII", 0, 0, 0, entry.mode << 16, len(local)) + entry.name
        local += b"PK\x03\x04" + common + entry.name + entry.payload
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    return bytes(local + central + end)


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def raw_stored(name: bytes, data: bytes, **fields: int) -> RawEntry:
    return RawEntry(name, data, zlib.crc32(data), len(data), method=zipfile.ZIP_STORED, **fields)


# -- 1. paths and links -------------------------------------------------------------------------


TRAVERSAL_NAMES = (
    "../evil.txt",
    "package/../../evil.txt",
    ABSOLUTE_TARGET,
    "C:\\Windows\\evil.txt",
    "\\\\server\\share\\evil.txt",
    "package\\..\\..\\evil.txt",
)


def traversal_tgz() -> bytes:
    """Escaping names around one honest file, package/index.js."""
    files = [(name, INERT_PAYLOAD) for name in TRAVERSAL_NAMES]
    return tar_of([("package/index.js", b"module.exports = 1;\n"), *files])


def traversal_zip() -> bytes:
    files = [(name, INERT_PAYLOAD) for name in TRAVERSAL_NAMES]
    return zip_of([("package/index.js", b"module.exports = 1;\n"), *files])


def links_tar() -> bytes:
    """Symlink and hardlink out of the tree, a device, a FIFO, then one honest file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, target in (
            ("package/passwd", tarfile.SYMTYPE, "/etc/passwd"),
            ("package/shadow", tarfile.LNKTYPE, "../../etc/shadow"),
            ("package/null", tarfile.CHRTYPE, ""),
            ("package/pipe", tarfile.FIFOTYPE, ""),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tar.addfile(info)
        info = tarfile.TarInfo("package/index.js")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"ok\n"))
    return buf.getvalue()


def symlink_zip() -> bytes:
    """A zip entry whose Unix mode says symlink (its data is the target), then a real file."""
    return raw_zip(
        [
            raw_stored(b"package/passwd", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
            raw_stored(b"package/index.js", b"ok\n"),
        ]
    )


# -- 2. bombs -----------------------------------------------------------------------------------


@functools.cache
def _zero_block() -> bytes:
    """1 MiB of zeros as a self-contained deflate block: a full flush makes it repeatable."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)


def _zero_runs(segments: Iterable[tuple[bytes, int]], crc: int = 0) -> tuple[bytes, int, int]:
    """Raw deflate of each prefix followed by that many zeros (multiples of 1 MiB), its CRC-32
    and its length. Each piece ends with a full flush, so pieces from different compressors chain.
    """
    parts, size = [], 0
    for prefix, zeros in segments:
        assert zeros % MIB == 0
        compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        parts.append(compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH))
        parts.append(_zero_block() * (zeros // MIB))
        crc = crc32_zeros(zlib.crc32(prefix, crc), zeros)
        size += len(prefix) + zeros
    parts.append(zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush())  # the final block
    return b"".join(parts), crc, size


def _gzip_wrap(raw_deflate: bytes, crc: int, size: int) -> bytes:
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + raw_deflate + struct.pack("<II", crc, size % 2**32)


def zeros_tgz(count: int, size: int) -> bytes:
    """A tar.gz of `count` members package/z<i>.bin, each `size` zeros (a multiple of 1 MiB)."""
    segments = []
    for i in range(count):
        info = tarfile.TarInfo(f"package/z{i}.bin")
        info.size = size
        segments.append((info.tobuf(tarfile.GNU_FORMAT), size))
    segments.append((b"", MIB))  # two zero blocks end the archive; more zeros do no harm
    return _gzip_wrap(*_zero_runs(segments))


@functools.cache
def bomb_tgz(size: int = GIB) -> bytes:
    """A tar.gz whose one member is `size` zeros: about 1 MB for 1 GiB."""
    return zeros_tgz(1, size)


@functools.cache
def bomb_zip(size: int = GIB) -> bytes:
    """A zip whose one member, bomb.bin, is `size` zeros, its sizes declared truthfully."""
    stream, crc, _ = _zero_runs([(b"", size)])
    return raw_zip([RawEntry(b"bomb.bin", stream, crc, size)])


@functools.cache
def lying_zip(size: int = GIB) -> bytes:
    """Declares 1 KiB but holds `size` zeros: a reader trusting the header would be flooded."""
    stream, crc, _ = _zero_runs([(b"", size)])
    return raw_zip([RawEntry(b"small.txt", stream, crc, 1024)])


def ratio_zip(count: int = 20) -> bytes:
    """Many members of 1 MiB zeros: each alone is within the caps, together over the ratio."""
    stream, crc, _ = _zero_runs([(b"", MIB)])
    return raw_zip(RawEntry(f"part{i}.bin".encode(), stream, crc, MIB) for i in range(count))


def overlapping_zip(count: int = 1000, size: int = 4 * MIB) -> bytes:
    """`count` directory entries all pointing at one local header and one compressed blob."""
    stream, crc, _ = _zero_runs([(b"", size)])
    local = b"PK\x03\x04" + struct.pack(
        "<HHHHHIIIHH", 20, 0, 8, 0, 0x21, crc, len(stream), size, 8, 0
    )
    local += b"bomb.bin" + stream
    entry = (
        b"PK\x01\x02"
        + struct.pack(
            "<HHHHHHIIIHHHHHII",
            0x0314,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(stream),
            size,
            8,
            0,
            0,
            0,
            0,
            0o100644 << 16,
            0,
        )
        + b"bomb.bin"
    )
    central = entry * count
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    return local + central + end


@functools.cache
def many_members_tgz(count: int = 100_000) -> bytes:
    """`count` empty files, all named package/f: 512 bytes each once decompressed."""
    assert count % 1000 == 0
    chunk = tarfile.TarInfo("package/f").tobuf(tarfile.GNU_FORMAT) * 1000
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count // 1000):
        crc = zlib.crc32(chunk, crc)
    end, crc, size = _zero_runs([(b"", MIB)], crc)
    return _gzip_wrap(block * (count // 1000) + end, crc, len(chunk) * (count // 1000) + size)


def many_members_zip(count: int = 12_000) -> bytes:
    return raw_zip(raw_stored(f"f{i}.txt".encode(), b"x") for i in range(count))


def huge_pax_tgz() -> bytes:
    """A pax extended header that declares 1 GiB of records (a memory bomb for naive readers)."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, GIB
    return _gzip_wrap(*_zero_runs([(info.tobuf(tarfile.USTAR_FORMAT), 64 * MIB)]))


# -- 3. nesting, names, damage --------------------------------------------------------------------


def nested(levels: int) -> bytes:
    """payload.py inside `levels` archives, alternating zip (even levels) and tgz (odd levels).

    The outermost (level 0) is a zip; the member holding level k is named l<k>.zip or l<k>.tgz, so
    a full read finds 'l1.tgz!/l2.zip!/.../payload.py'.
    """

    def kind(level: int) -> str:
        return "zip" if level % 2 == 0 else "tgz"

    def archive(level: int, files: list[tuple[str, bytes]]) -> bytes:
        return zip_of(files) if kind(level) == "zip" else tar_of(files)

    data = archive(levels - 1, [("payload.py", INERT_PAYLOAD)])
    for level in range(levels - 1, 0, -1):
        data = archive(level - 1, [(f"l{level}.{kind(level)}", data)])
    return data


def non_utf8_tar() -> bytes:
    """Names in Latin-1 (GNU format keeps the raw bytes), next to a UTF-8 one."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        for name in ("package/café.js", "package/naïve/ok.js"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"ok\n"))
    return buf.getvalue()


def non_utf8_zip() -> bytes:
    """A cp437 name (no UTF-8 flag) and Shift-JIS bytes: zipfile decodes both as cp437."""
    return raw_zip([raw_stored(b"caf\x82.js", b"ok\n"), raw_stored(b"\x83e\x83X\x83g.py", b"ok\n")])


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def corrupted(data: bytes, at: float = 0.5, length: int = 64) -> bytes:
    """`length` bytes in the middle replaced by noise (deterministic)."""
    start = int(len(data) * at)
    noise = bytes((start + 97 * i) % 251 for i in range(length))
    return data[:start] + noise + data[start + length :]


def typical_npm(files: int = 30, seed: int = 1) -> bytes:
    """An npm-like tarball of JavaScript with realistic compressibility (about 50 KB)."""
    words = [f"w{(seed * 7919 + i * 104729) % 9973:x}" for i in range(4000)]
    out = [("package/package.json", b'{"name": "demo", "version": "1.0.0"}\n')]
    for i in range(files):
        body = "\n".join(
            f"const {words[(i * 97 + j) % 4000]} = require('{words[(i + j * 31) % 4000]}');"
            f" // {words[(j * 13 + i) % 4000]} {j * i}"
            for j in range(60)
        )
        out.append((f"package/lib/f{i}.js", body.encode()))
    return tar_of(out)


# -- 4. encryption ------------------------------------------------------------------------------


def aes_zip(files: Iterable[tuple[str, bytes]], password: bytes = PASSWORD) -> bytes:
    buf = io.BytesIO()
    with pyzipper.AESZipFile(
        buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password)
        for name, data in files:
            archive.writestr(name, data)
    return buf.getvalue()


def zipcrypto_zip(files: Iterable[tuple[str, bytes]], password: bytes = PASSWORD) -> bytes:
    """Traditional PKWARE encryption, written by hand (the libraries only read it).

    The 11 'random' header bytes are fixed so the result is deterministic: with the password
    b'wrong' the check byte then never matches (asserted by the tests).
    """
    entries = []
    for name, data in files:
        crc = zlib.crc32(data)
        body = _zipcrypto(password, bytes(range(11)) + bytes([crc >> 24]) + deflated(data))
        entries.append(RawEntry(name.encode(), body, crc, len(data), flags=0x1))
    return raw_zip(entries)


@functools.cache
def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0xEDB88320 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


def _zipcrypto(password: bytes, plain: bytes) -> bytes:
    table = _crc_table()
    keys = [305419896, 591751049, 878082192]

    def update(byte: int) -> None:
        keys[0] = (keys[0] >> 8) ^ table[(keys[0] ^ byte) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ table[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    for byte in password:
        update(byte)
    out = bytearray()
    for byte in plain:
        k = keys[2] | 2
        out.append(byte ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(byte)
    return bytes(out)


# -- 5. normal packages ---------------------------------------------------------------------------


def gem(files: Iterable[tuple[str, bytes]], metadata: bytes) -> bytes:
    """A RubyGems .gem: a plain tar of metadata.gz, data.tar.gz and checksums.yaml.gz."""
    data = tar_of(files, mode="w:gz")
    parts = [
        ("metadata.gz", gzip_of(metadata)),
        ("data.tar.gz", data),
        ("checksums.yaml.gz", gzip_of(b"---\nSHA256: {}\n")),
    ]
    return tar_of(parts, mode="w", fmt=tarfile.USTAR_FORMAT)


# -- CRC-32 of long runs of zeros, without running over them ---------------------------------------


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def crc32_zeros(crc: int, count: int) -> int:
    """zlib.crc32(bytes(count), crc), by squaring the 'one zero bit' operator (as zlib does)."""
    register = crc ^ 0xFFFFFFFF
    operator = [0xEDB88320] + [1 << bit for bit in range(31)]  # one zero bit
    for _ in range(3):  # one zero byte
        operator = [_gf2_times(operator, row) for row in operator]
    while count:
        if count & 1:
            register = _gf2_times(operator, register)
        count >>= 1
        operator = [_gf2_times(operator, row) for row in operator]
    return register ^ 0xFFFFFFFF
