"""Reading hostile archives in memory under hard caps; nothing is ever written to disk."""

from __future__ import annotations

import io
import lzma
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, cast

import pyzipper

from malgraph.artifacts.capped import (
    BZIP2_MAGIC,
    GZIP_MAGIC,
    XZ_MAGIC,
    CappedStream,
    CapReached,
    Corrupt,
    MemoryReader,
    StreamReader,
    TarEntry,
    TarReader,
    looks_like_tar_header,
    ratio_bound,
    read_at_most,
)
from malgraph.core.errors import MalgraphError


class ArchiveError(MalgraphError):
    """The archive cannot be read at all (corrupt, truncated, wrong password, unknown format)."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_total_bytes: int = 64 * 2**20  # uncompressed bytes of all members together
    max_file_bytes: int = 8 * 2**20  # uncompressed bytes of one member
    max_members: int = 10_000
    max_ratio: int = 200  # uncompressed / compressed, for the archive and for each member
    max_depth: int = 3  # archives inside archives


@dataclass(frozen=True, slots=True)
class Member:
    path: str  # normalised: '/'-separated, relative, no '..'; nested archives as 'outer!/inner'
    data: bytes


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str  # as written in the archive (undecodable bytes shown as U+FFFD)
    reason: str  # e.g. 'absolute path', 'parent path', 'symlink', 'over file cap'


@dataclass(frozen=True, slots=True)
class Contents:
    format: str  # tar, tar.gz, tar.bz2, tar.xz, zip, gem
    members: tuple[Member, ...]
    skipped: tuple[Skipped, ...]
    capped: str | None  # why reading stopped early (a cap was hit), None if read in full
    metadata: bytes | None = None  # a gem's decompressed metadata.gz (YAML gemspec)


def read_archive(
    data: bytes, name: str = "", *, password: bytes | None = None, limits: Limits = Limits()
) -> Contents:
    """Read every member of `data` into memory, refusing what is unsafe and stopping at the caps.

    The format comes from magic bytes (`name` only labels errors). Members that cannot be taken
    safely are listed in `skipped` with a reason; reading goes on after them. Reading stops early,
    keeping what was read, when a shared cap is hit: `capped` is then the `Limits` field name
    ('max_total_bytes', 'max_members', 'max_ratio'), or 'corrupt: <reason>' when the archive breaks
    after something was read. Caps, as enforced:

    - max_total_bytes: every uncompressed byte produced, at all nesting levels: the whole
      decompressed stream of a compressed tar (headers and skipped members included), the bytes read
      from zip members, the member bytes copied from a plain tar;
    - max_members: every entry seen at all levels (files, directories, links, refused entries);
    - max_ratio: per archive, uncompressed bytes may not exceed max_ratio x its size (1 MiB is
      always allowed); per zip member, declared or actual size against its compressed size;
    - max_file_bytes: a larger member is skipped ('over file cap');
    - max_depth: a member that is itself an archive is read in place (paths 'outer!/inner'), down to
      max_depth levels; deeper ones are skipped ('nesting too deep'). A nested archive that cannot
      be opened at all is kept as a plain member; one that breaks midway keeps what was read and is
      listed as skipped with the reason.

    A .gem (a plain tar holding metadata.gz and data.tar.gz) yields the members of data.tar.gz
    under their own paths and its gemspec in `metadata` (top level only). Members keep archive
    order; a path written twice in the archive appears twice.

    Raises ArchiveError when nothing can be read: unknown format, corrupt or truncated before any
    entry, or an encrypted zip with no or a wrong password (the whole archive is refused then).
    """
    label = name or "archive"
    data = data if isinstance(data, bytes) else bytes(data)  # members must be bytes, not views
    fmt = _sniff(data)
    if fmt is None:
        raise ArchiveError(f"{label}: not an archive (unknown format); expected tar, gz, zip, gem")
    reader = _Reader(limits, password, fmt)
    capped: str | None = None
    try:
        reader.read_level(data, fmt, "", 0)
    except CapReached as exc:
        capped = exc.cap
    except _WrongPassword as exc:
        raise ArchiveError(f"{label}: encrypted zip: wrong password ({exc})") from None
    except Corrupt as exc:
        if not reader.members and not reader.skipped:
            raise ArchiveError(f"{label}: unreadable {fmt}: {exc}") from None
        capped = f"corrupt: {exc}"
    return Contents(
        reader.format,
        tuple(reader.members),
        tuple(reader.skipped),
        capped,
        reader.metadata,
    )


_TAR_KINDS = {"tar": None, "tar.gz": "gz", "tar.bz2": "bz2", "tar.xz": "xz"}
_DRIVE = re.compile(r"[A-Za-z]:")
_PLAIN_PATH = re.compile(
    r"[^/\\.:](?:[^/\\:]|/(?!/))*(?<!/)"
)  # no '\\', ':', '//', edge '/' or '.'

_GEM_PARTS = (b"metadata.gz", b"data.tar.gz")  # a plain tar starting with one is a gem
_GEM_IGNORED = ("checksums.yaml.gz",)  # part of the gem format, nothing to analyse
_TAR_REASONS = {kind: kind for kind in ("symlink", "hardlink", "device", "fifo")} | {
    "sparse": "sparse file"
}
_ZIP_AES = 99  # WinZip AES: the stdlib cannot decrypt it, pyzipper can
# What a broken zip member raises; pyzipper has its own BadZipFile class.
_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    pyzipper.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    OSError,
    EOFError,
    ValueError,
    struct.error,
    zipfile.LargeZipFile,
)


class _WrongPassword(MalgraphError):
    """Internal signal: an encrypted zip member refused the password (or none was given)."""


def _sniff(data: bytes, old_tar: bool = True) -> str | None:
    """The format by magic bytes; `old_tar` also accepts magic-less (v7) tar headers."""
    head = data[:6]
    if head.startswith(GZIP_MAGIC):
        return "tar.gz"
    if head.startswith(b"PK") and head[2:4] in (b"\x03\x04", b"\x05\x06", b"\x07\x08"):
        return "zip"
    if head.startswith(BZIP2_MAGIC):
        return "tar.bz2"
    if head == XZ_MAGIC:
        return "tar.xz"
    if len(data) >= 512 and data[257:262] == b"ustar":
        return "tar"
    # Old tars have no magic, but a header whose checksum adds up is one (noise never does).
    if old_tar and len(data) >= 512 and looks_like_tar_header(data[:512]):
        return "tar"
    return None


def _normalise(name: str) -> tuple[str, str | None]:
    """(clean path, None), or ('', reason) when the name must not be used as a path."""
    if _PLAIN_PATH.fullmatch(name) and "/." not in name:
        return name, None  # the common case, decided in one regex pass
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return "", "absolute path"
    parts = path.split("/")
    if ".." in parts:
        return "", "parent path"
    kept = [part for part in parts if part and part != "."]
    if not kept:
        return "", "empty path"
    return "/".join(kept), None


class _Reader:
    """The state of one read_archive call: what was kept, what was refused, the shared budgets."""

    def __init__(self, limits: Limits, password: bytes | None, fmt: str) -> None:
        self.limits = limits
        self.password = password
        self.format = fmt
        self.members: list[Member] = []
        self.skipped: list[Skipped] = []
        self.metadata: bytes | None = None
        self.total = 0
        self.entries = 0

    def charge(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise CapReached("max_total_bytes")

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_members:
            raise CapReached("max_members")

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skipped(path, reason))

    def read_level(self, data: bytes, fmt: str, prefix: str, depth: int) -> None:
        if fmt == "zip":
            self._read_zip(data, prefix, depth)
        else:
            self._read_tar(data, _TAR_KINDS[fmt], prefix, depth)

    def _take(self, path: str, data: bytes, depth: int) -> None:
        """Keep a member, or read it in place when it is itself an archive."""
        fmt = _sniff(data, old_tar=False)  # a member's bytes are not checksummed: it is hot
        if fmt is not None:
            if depth >= self.limits.max_depth:
                self.skip(path, "nesting too deep")
                return
            if self._read_nested(data, fmt, path, depth + 1):
                return
        self.members.append(Member(path, data))

    def _read_nested(self, data: bytes, fmt: str, path: str, depth: int) -> bool:
        """False when `data` is no readable archive after all (a lone .gz file, say)."""
        before = len(self.members), len(self.skipped)
        try:
            self.read_level(data, fmt, path + "!/", depth)
        except CapReached as exc:
            if exc.cap != "max_ratio":
                raise
            self.skip(path, "over ratio cap")
        except (Corrupt, _WrongPassword) as exc:
            if (len(self.members), len(self.skipped)) == before:
                return False
            self.skip(path, f"corrupt: {exc}")
        return True

    # -- tar ---------------------------------------------------------------------------------

    def _read_tar(self, data: bytes, kind: str | None, prefix: str, depth: int) -> None:
        reader: MemoryReader | StreamReader
        if kind is None:
            # Plain: the bytes are in memory already; only the member bytes copied are counted.
            reader = MemoryReader(data)
        else:
            # Compressed: streamed, so every decompressed byte is counted as it is consumed.
            limit = ratio_bound(len(data), self.limits.max_ratio)
            reader = StreamReader(CappedStream(data, kind, self.charge, limit))
        tar = TarReader(reader)
        entry = tar.next()
        gem = kind is None and entry is not None and entry.name in _GEM_PARTS
        if gem and depth == 0:
            self.format = "gem"
        while entry is not None:
            self.count_entry()
            if gem:
                self._gem_entry(tar, entry, prefix, depth)
            else:
                self._tar_entry(tar, entry, prefix, depth, charge=kind is None)
            entry = tar.next()

    def _tar_entry(
        self, tar: TarReader, entry: TarEntry, prefix: str, depth: int, charge: bool
    ) -> None:
        if entry.kind == "dir":
            return
        shown = entry.name.decode("utf-8", "replace")
        if entry.kind != "file":
            self.skip(prefix + shown, _TAR_REASONS.get(entry.kind, f"unsupported {entry.kind}"))
            return
        path, problem = _normalise(shown)
        if problem:
            self.skip(prefix + shown, problem)
            return
        # A tar header's size is exact: the data is that long, so it is a safe bound to read.
        if entry.size > self.limits.max_file_bytes:
            self.skip(prefix + shown, "over file cap")
            return
        data = tar.data(entry.size)
        if charge:
            self.charge(len(data))
        self._take(prefix + path, data, depth)

    def _gem_entry(self, tar: TarReader, entry: TarEntry, prefix: str, depth: int) -> None:
        name = entry.name.decode("utf-8", "replace")
        if entry.kind == "dir" or name in _GEM_IGNORED or name.endswith(".sig"):
            return
        if entry.kind != "file" or entry.name not in _GEM_PARTS:
            self.skip(prefix + name, "not part of a gem")
            return
        blob = tar.data(entry.size)  # compressed and already in memory: not counted
        if name == "data.tar.gz":
            # The gem's own files: same level, same paths, not a nested archive.
            self._read_tar(blob, "gz", prefix, depth)
            return
        cap, limit = self.limits.max_file_bytes, ratio_bound(len(blob), self.limits.max_ratio)
        try:
            metadata = read_at_most(CappedStream(blob, "gz", self.charge, limit), cap)
        except CapReached as exc:
            if exc.cap != "max_ratio":
                raise
            self.skip(prefix + name, "over ratio cap")
            return
        except Corrupt as exc:
            self.skip(prefix + name, f"corrupt: {exc}")
            return
        if len(metadata) > cap:
            self.skip(prefix + name, "over file cap")
        elif depth == 0:
            self.metadata = metadata

    # -- zip ---------------------------------------------------------------------------------

    def _read_zip(self, data: bytes, prefix: str, depth: int) -> None:
        archive = _open_zip(data)
        infos = archive.infolist()
        overlapping = _overlapping(infos)
        limit = ratio_bound(len(data), self.limits.max_ratio)
        produced = 0
        for index, info in enumerate(infos):
            self.count_entry()
            raw = info.filename
            if raw.replace("\\", "/").endswith("/") or stat.S_ISDIR(info.external_attr >> 16):
                continue  # a directory
            shown = prefix + raw
            problem = _zip_problem(info, index in overlapping)
            path = ""
            if problem is None:
                path, problem = _normalise(raw)
            if problem is None:
                problem = self._zip_declared_problem(info)
            if problem is not None:
                self.skip(shown, problem)
                continue
            member_limit = ratio_bound(info.compress_size, self.limits.max_ratio)
            try:
                body = self._zip_read(archive, info, min(self.limits.max_file_bytes, member_limit))
            except _MemberBroken as exc:
                self.skip(shown, str(exc))
                continue
            produced += len(body)
            self.charge(len(body))
            if produced > limit:
                raise CapReached("max_ratio")
            if len(body) > self.limits.max_file_bytes:
                self.skip(shown, "over file cap")
            elif len(body) > member_limit:
                self.skip(shown, "over ratio cap")
            else:
                self._take(prefix + path, body, depth)

    def _zip_declared_problem(self, info: zipfile.ZipInfo) -> str | None:
        if info.file_size > self.limits.max_file_bytes:
            return "over file cap"
        if info.file_size > ratio_bound(info.compress_size, self.limits.max_ratio):
            return "over ratio cap"
        if info.flag_bits & 0x1 and not self.password:
            raise _WrongPassword(f"{info.filename!r} is encrypted and no password was given")
        return None

    def _zip_read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
        """At most cap + 1 bytes: the decompressor stops there whatever the header declared."""
        try:
            with archive.open(info, pwd=self.password) as member:
                return member.read(cap + 1)
        except NotImplementedError as exc:  # a compression method or encryption not supported
            raise _MemberBroken(f"unsupported: {exc}") from None
        except RuntimeError as exc:
            if "password" in str(exc).lower():
                raise _WrongPassword(str(exc)) from None
            raise _MemberBroken(f"corrupt: {exc}") from None
        except _ZIP_ERRORS as exc:
            raise _MemberBroken(f"corrupt: {exc or type(exc).__name__}") from None


class _MemberBroken(MalgraphError):
    """Internal signal: one zip member cannot be read; the message is the reason to record."""


def _zip_problem(info: zipfile.ZipInfo, overlapping: bool) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "fifo"
    if overlapping:
        return "overlapping entry"
    return None


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Entries whose bytes overlap another's: the trick of zip bombs that reuse one blob."""
    # 30 bytes of local header + the compressed data is a lower bound of an entry's extent.
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    found: set[int] = set()
    end, owner = -1, -1
    for i in order:
        start = infos[i].header_offset
        if start < end:
            found.update((i, owner))
        extent = start + 30 + infos[i].compress_size
        if extent > end:
            end, owner = extent, i
    return found


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if any(info.compress_type == _ZIP_AES for info in archive.infolist()):
            archive = cast(zipfile.ZipFile, _aes_zip(data))
    except _ZIP_ERRORS as exc:
        raise Corrupt(f"bad zip: {exc}") from None
    return archive


def _aes_zip(data: bytes) -> Any:
    return pyzipper.AESZipFile(io.BytesIO(data))
