"""Capped readers: decompressing streams that count what they produce; a streaming tar parser."""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from malgraph.core.errors import MalgraphError

MIB = 2**20
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
_MAGIC = {"gz": GZIP_MAGIC, "bz2": BZIP2_MAGIC, "xz": XZ_MAGIC}
_INPUT_CHUNK = 16 * 2**10  # small: zlib copies its unconsumed input on every bounded call
# xz -9 needs a 64 MiB dictionary; a header asking for more is refused, not allocated.
_XZ_MEMLIMIT = 80 * MIB


class CapReached(MalgraphError):
    """Internal signal: a cap of `Limits` was hit; `cap` names the Limits field."""

    def __init__(self, cap: str) -> None:
        super().__init__(cap)
        self.cap = cap


class Corrupt(MalgraphError):
    """Internal signal: the compressed stream or the archive structure is broken."""


def ratio_bound(compressed_size: int, max_ratio: int) -> int:
    """Uncompressed bytes allowed from `compressed_size` bytes; 1 MiB is always allowed."""
    return max(max_ratio * compressed_size, MIB)


class CappedStream:
    """A read-only file object over one compressed buffer (gz, bz2 or xz).

    Each `read(n)` returns at most n bytes and asks the decompressor for at most n, so memory never
    holds more than what the caller asked for. Every byte produced goes to `charge` (the shared
    total budget, which raises `CapReached` itself) and to a per-stream count that raises
    `CapReached('max_ratio')` beyond `limit`. Concatenated streams (multi-member gzip) are read in
    turn; trailing bytes that start no new stream (zero padding, say) are ignored.
    """

    def __init__(
        self, data: bytes | memoryview, kind: str, charge: Callable[[int], None], limit: int
    ) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._pending = b""  # input handed back by a finished stream (its unused_data)
        self._kind = kind
        self._charge = charge
        self._limit = limit
        self.produced = 0
        self._done = False
        self._z: zlib._Decompress | None = None  # gzip: bounded through unconsumed_tail
        self._b: bz2.BZ2Decompressor | lzma.LZMADecompressor | None = None  # keep their input
        self._new()

    def _new(self) -> None:
        if self._kind == "gz":
            self._z = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        elif self._kind == "bz2":
            self._b = bz2.BZ2Decompressor()
        else:
            self._b = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=_XZ_MEMLIMIT)

    def _take_input(self) -> bytes | memoryview:
        if self._pending:
            pending, self._pending = self._pending, b""
            return pending
        chunk = self._data[self._pos : self._pos + _INPUT_CHUNK]
        self._pos += len(chunk)
        if not chunk:
            raise Corrupt(f"truncated {self._kind} stream")
        return chunk

    def _next_stream(self, unused: bytes) -> bytes:
        """After one stream ends: go on with the next if the remaining input starts one."""
        self._pending = unused + self._pending
        head = self._pending[:6]
        if len(head) < 6:
            head += bytes(self._data[self._pos : self._pos + 6 - len(head)])
        if head.startswith(_MAGIC[self._kind]):
            self._new()
        else:
            self._done = True
        return b""

    def _step(self, n: int) -> bytes:
        if self._z is not None:
            z = self._z
            if z.eof:
                return self._next_stream(z.unused_data)
            return z.decompress(z.unconsumed_tail or self._take_input(), n)
        assert self._b is not None
        b = self._b
        if b.eof:
            return self._next_stream(b.unused_data)
        return b.decompress(self._take_input() if b.needs_input else b"", n)

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = _INPUT_CHUNK * 4
        while n and not self._done:
            try:
                piece = self._step(n)
            except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
                raise Corrupt(f"corrupt {self._kind} stream: {exc}") from None
            if piece:
                self.produced += len(piece)
                self._charge(len(piece))
                if self.produced > self._limit:
                    raise CapReached("max_ratio")
                return piece
        return b""


def read_at_most(stream: CappedStream, cap: int) -> bytes:
    """Up to cap + 1 bytes of `stream`: more than `cap` tells the caller the cap was passed."""
    parts: list[bytes] = []
    size = 0
    while size <= cap:
        piece = stream.read(cap + 1 - size)
        if not piece:
            break
        parts.append(piece)
        size += len(piece)
    return b"".join(parts)


# -- exact reads ------------------------------------------------------------------------------

_PULL = 64 * 2**10  # how much a StreamReader asks for at once: few calls, little memory


class MemoryReader:
    """Exact reads over bytes already in memory (a plain tar): skipping costs nothing."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int) -> bytes:
        """n bytes, fewer only at the end."""
        start = self._pos
        self._pos = min(start + n, len(self._data))
        return self._data[start : self._pos]

    def skip(self, n: int) -> int:
        start = self._pos
        self._pos = min(start + n, len(self._data))
        return self._pos - start


class StreamReader:
    """Exact reads over a CappedStream through a small buffer; skipping still decompresses."""

    def __init__(self, stream: CappedStream) -> None:
        self._stream = stream
        self._buf = b""
        self._off = 0

    def read(self, n: int) -> bytes:
        """n bytes, fewer only at the end of the stream."""
        buf, off = self._buf, self._off
        if len(buf) - off >= n:
            self._off = off + n
            return buf[off : off + n]
        parts = [buf[off:]]
        have = len(parts[0])
        self._buf, self._off = b"", 0
        while have < n:
            piece = self._stream.read(max(n - have, _PULL))
            if not piece:
                break
            if have + len(piece) > n:
                cut = n - have
                parts.append(piece[:cut])
                self._buf, self._off = piece, cut
                break
            parts.append(piece)
            have += len(piece)
        return b"".join(parts)

    def skip(self, n: int) -> int:
        done = min(n, len(self._buf) - self._off)
        self._off += done
        while done < n:
            piece = self.read(min(n - done, _PULL))
            if not piece:
                break
            done += len(piece)
        return done


# -- tar ----------------------------------------------------------------------------------------

_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_MAX_EXTENSION = 2**20  # a pax or GNU long-name header is a few hundred bytes in real archives
_HEADER = struct.Struct("100s24x12s12x8x1s100s6s2x32x32x8x8x155s12x")
_KINDS = {
    b"0": "file",
    b"\0": "file",
    b"7": "file",
    b"1": "hardlink",
    b"2": "symlink",
    b"3": "device",
    b"4": "device",
    b"5": "dir",
    b"6": "fifo",
    b"S": "sparse",
}
_NO_DATA = frozenset({"hardlink", "symlink", "device", "dir", "fifo"})  # size field is ignored


@dataclass(frozen=True, slots=True)
class TarEntry:
    name: bytes  # raw, as in the archive (pax path, GNU long name or prefix/name)
    kind: str  # file, dir, symlink, hardlink, device, fifo, sparse, or 'type X' when unknown
    size: int  # bytes of data that follow the header


@dataclass(slots=True)
class _Extended:
    """What pax and GNU extension headers said of the entry that follows them."""

    name: bytes | None = None
    size: int | None = None
    sparse: bool = False


class TarReader:
    """Tar entries one at a time from an exact reader; nothing is kept but the current header.

    Understands ustar, GNU (long names, sparse headers, base-256 sizes) and pax headers. A bad
    checksum, a truncated header or data, or an oversized extension raises `Corrupt`; the first
    all-zero block or the end of the data ends the archive.
    """

    def __init__(self, reader: MemoryReader | StreamReader) -> None:
        self._reader = reader
        self._left = 0  # unread data of the current entry, padding included
        self.offset = 0  # of the next header, for messages

    def next(self) -> TarEntry | None:
        if self._left:
            self._skip(self._left)
        header = self._header()
        if header is None:
            return None
        block, said = header
        raw_name, raw_size, flag, _link, magic, prefix = _HEADER.unpack(block)
        declared = _number(raw_size, self.offset)
        name = said.name
        if name is None:
            name = raw_name.split(b"\0", 1)[0]
            if magic == b"ustar\0" and prefix[:1] != b"\0":
                name = prefix.split(b"\0", 1)[0] + b"/" + name
        kind = _KINDS.get(flag, f"type {flag!r}")
        if flag == b"S" and block[482]:
            self._sparse_blocks()
        if said.sparse:
            kind = "sparse"
        elif flag == b"\0" and name.endswith(b"/"):
            kind = "dir"  # old tars mark directories by a trailing slash only
        length = 0 if kind in _NO_DATA else said.size if said.size is not None else declared
        if length < 0:
            raise Corrupt(f"negative size in tar header before offset {self.offset}")
        self._left = length + (-length % _BLOCK)
        return TarEntry(name, kind, length)

    def _header(self) -> tuple[bytes, _Extended] | None:
        """The next entry's header block (None at the end of the archive), read past the pax and
        GNU extension headers before it, with what those said of the entry."""
        said = _Extended()
        while True:
            block = self._reader.read(_BLOCK)
            if not block or block == _ZERO_BLOCK:
                return None
            if len(block) < _BLOCK:
                raise Corrupt(f"truncated tar header at offset {self.offset}")
            _name, raw_size, flag, _link, _magic, _prefix = _HEADER.unpack(block)
            if not looks_like_tar_header(block):
                if self.offset == 0:
                    raise Corrupt("not a tar archive (no valid header at offset 0)")
                raise Corrupt(f"bad tar header checksum at offset {self.offset}")
            self.offset += _BLOCK
            if flag not in (b"x", b"g", b"L", b"K"):
                return block, said
            body = self._extension(_number(raw_size, self.offset))
            if flag == b"x":
                pax = _pax(body, self.offset)
                said.name = pax.get(b"path", said.name)
                said.size = int(pax[b"size"]) if b"size" in pax else said.size
                said.sparse = said.sparse or any(key.startswith(b"GNU.sparse.") for key in pax)
            elif flag == b"L":
                said.name = body.split(b"\0", 1)[0]

    def data(self, size: int) -> bytes:
        """The current entry's data; `size` is its TarEntry.size, checked by the caller."""
        body = self._reader.read(size)
        self.offset += len(body)
        self._left -= len(body)
        if len(body) < size:
            raise Corrupt(f"truncated tar member data at offset {self.offset}")
        return body

    def _skip(self, n: int) -> None:
        done = self._reader.skip(n)
        self.offset += done
        self._left -= done
        if done < n:
            raise Corrupt(f"truncated tar member data at offset {self.offset}")

    def _extension(self, size: int) -> bytes:
        if size > _MAX_EXTENSION or size < 0:
            raise Corrupt(f"oversized tar extension header at offset {self.offset}")
        self._left = size + (-size % _BLOCK)
        body = self.data(size)
        self._skip(self._left)
        return body

    def _sparse_blocks(self) -> None:
        """Old GNU sparse maps continue in extra blocks, each saying whether one more follows."""
        while True:
            block = self._reader.read(_BLOCK)
            self.offset += len(block)
            if len(block) < _BLOCK:
                raise Corrupt(f"truncated tar sparse header at offset {self.offset}")
            if not block[504]:
                return


def _number(field: bytes, offset: int) -> int:
    """An octal field, or GNU base-256 when the high bit of the first byte is set."""
    if field[:1] in (b"\x80", b"\xff"):
        value = int.from_bytes(field[1:], "big")
        return value - 256 ** (len(field) - 1) if field[:1] == b"\xff" else value
    digits = field.split(b"\0", 1)[0].strip()
    if digits.strip(b"01234567"):
        raise Corrupt(f"bad number in tar header at offset {offset}")
    return int(digits or b"0", 8)


def looks_like_tar_header(block: bytes) -> bool:
    """True for a 512-byte block whose checksum field is octal and matches its bytes."""
    field = block[148:156].split(b"\0", 1)[0].strip()
    if not field or field.strip(b"01234567"):
        return False
    return _checksum_ok(block, int(field, 8))


def _checksum_ok(block: bytes, expected: int) -> bool:
    """The sum of the header bytes, the checksum field read as spaces; old tars summed signed.

    Adler-32's low half is 1 + the byte sum modulo 65521: exact for 256 bytes (65,281 at most),
    and computed in C, where sum() over the block walks it in Python.
    """
    whole = (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:512]) & 0xFFFF) - 2
    unsigned = whole - sum(block[148:156]) + 256
    if unsigned == expected:
        return True
    high = sum(1 for byte in block[:148] + block[156:] if byte > 127)
    return unsigned - 256 * high == expected


def _pax(body: bytes, offset: int) -> dict[bytes, bytes]:
    """Records '<length> <key>=<value>\\n'; a broken one makes the archive corrupt."""
    records: dict[bytes, bytes] = {}
    pos = 0
    while pos < len(body) and body[pos : pos + 1] != b"\0":
        space = body.find(b" ", pos)
        digits = body[pos:space]
        if space < 0 or not digits.isdigit() or int(digits) <= space - pos + 1:
            raise Corrupt(f"bad pax header before offset {offset}")
        end = pos + int(digits)
        key, equals, value = body[space + 1 : end - 1].partition(b"=")
        if end > len(body) or not equals or body[end - 1 : end] != b"\n":
            raise Corrupt(f"bad pax header before offset {offset}")
        records[key] = value
        pos = end
    if b"size" in records and not records[b"size"].isdigit():
        raise Corrupt(f"bad pax size before offset {offset}")
    return records
