"""Signs that a file was made hard to read: high byte entropy, long encoded strings, minification.
Signs, not verdicts: bundlers minify and some packages embed data legitimately."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import Counter
from math import log2

from malgraph.core.code import ObfuscationSign
from malgraph.core.kinds import ObfuscationKind

# Bits per byte over the file's ASCII bytes. Ordinary source code, even a regex-heavy lexer or
# minified JavaScript, stays below this; base64 carries 6 bits a character and printable
# encrypted or compressed payloads more, so above it a file is mostly encoded data, not code
# (the measured distribution is in benchmarks/README.md). Non-ASCII bytes are left out so that
# comments in CJK scripts (3-byte UTF-8 sequences, high entropy) are not taken for payloads;
# every encoding malware uses is ASCII.
HIGH_ENTROPY = 5.6
ENTROPY_MIN_BYTES = 1024
ENTROPY_SAMPLE = 4096  # bytes counted at least: a strided sample of larger files, ±0.03 bits
ENCODED_MIN_CHARS = 200
MINIFIED_LINE = 1000
MINIFIED_MEAN = 250
MINIFIED_MIN_BYTES = 2048
MAX_ENCODED_SIGNS = 10  # per file: a data file can hold thousands of blobs

_NON_ASCII = bytes(range(128, 256))
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
# Encoded-alphabet bytes → 'a', anything else → ' ': one C pass and a substring search tell whether
# any run is long enough before a regex looks for where.
_RUN_MAP = bytes(ord("a") if b in _ALPHABET else ord(" ") for b in range(256))
_RUN = b"a" * ENCODED_MIN_CHARS
_RUNS = re.compile(rf"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{{{ENCODED_MIN_CHARS},}}={{0,2}}")
# Written to start with the backslash they share: `re` then skips to each backslash instead of
# trying both repetitions at every position.
_ESCAPES = re.compile(
    rf"\\(?:x[0-9a-fA-F]{{2}}(?:\\x[0-9a-fA-F]{{2}}){{{ENCODED_MIN_CHARS // 4 - 1},}}"
    rf"|u[0-9a-fA-F]{{4}}(?:\\u[0-9a-fA-F]{{4}}){{{ENCODED_MIN_CHARS // 6},}})"
)
_HEX = re.compile(r"[0-9a-fA-F]+")


def obfuscation_signs(
    path: str, text: str, encoded_run: bool | None = None
) -> list[ObfuscationSign]:
    """The obfuscation signs of one file, in the order entropy, encoded strings, minification.
    `encoded_run`: whether the file holds a run of ENCODED_MIN_CHARS encoded-alphabet characters
    (Hints.encoded_run), if known already."""
    signs: list[ObfuscationSign] = []
    data = text.encode("utf-8", "replace")
    entropy = ascii_entropy(data)
    if entropy is not None and entropy > HIGH_ENTROPY:
        detail = f"{entropy:.2f} bits per byte over {len(data):,} bytes (threshold {HIGH_ENTROPY})"
        signs.append(
            ObfuscationSign(ObfuscationKind.HIGH_ENTROPY, path, None, round(entropy, 3), detail)
        )
    matches: list[re.Match[str]] = []
    if encoded_run is None:
        encoded_run = data.translate(_RUN_MAP).find(_RUN) >= 0
    if encoded_run:
        matches.extend(_RUNS.finditer(text))
    if "\\x" in text or "\\u" in text:
        matches.extend(_ESCAPES.finditer(text))
    if matches:
        matches.sort(key=lambda m: m.start())
        signs.extend(_encoded_strings(path, text, matches))
    minified = _minified(path, text, len(data))
    if minified is not None:
        signs.append(minified)
    return signs


def ascii_entropy(data: bytes) -> float | None:
    """Shannon entropy in bits per byte of the ASCII bytes; None under ENTROPY_MIN_BYTES."""
    data = data.translate(None, _NON_ASCII)
    if len(data) < ENTROPY_MIN_BYTES:
        return None
    if len(data) >= 2 * ENTROPY_SAMPLE:  # counting costs ~35 ns a byte: sample big files
        data = data[:: len(data) // ENTROPY_SAMPLE]
    n = len(data)
    return log2(n) - sum(c * log2(c) for c in Counter(data).values()) / n


def _encoded_strings(path: str, text: str, matches: list[re.Match[str]]) -> list[ObfuscationSign]:
    signs: list[ObfuscationSign] = []
    line, last = 1, 0
    for m in matches:
        run = m.group()
        kind = _encoding(run)
        if kind is None:
            continue
        line += text.count("\n", last, m.start())
        last = m.start()
        if len(signs) == MAX_ENCODED_SIGNS:
            more = signs[-1]
            signs[-1] = ObfuscationSign(
                more.sign, path, more.line, more.value, more.detail + "; more not listed"
            )
            break
        digest = hashlib.sha256(run.encode()).hexdigest()
        detail = f"{kind}, {len(run):,} characters, {decoded_kind(run, kind)}, sha256 {digest}"
        signs.append(
            ObfuscationSign(
                ObfuscationKind.LONG_ENCODED_STRING, path, line, float(len(run)), detail
            )
        )
    return signs


def _encoding(run: str) -> str | None:
    """'hex', 'base64', 'hex escapes' or 'unicode escapes' when the run decodes as such."""
    if run.startswith("\\x"):
        return "hex escapes"
    if run.startswith("\\u"):
        return "unicode escapes"
    # A long word, number or identifier is not data: encoded data mixes digits and letters
    # (and, in base64, both cases).
    has_digit = any(c.isdigit() for c in run)
    if not has_digit or run.isdigit():
        return None
    if _HEX.fullmatch(run):
        return "hex" if len(run) % 2 == 0 else None
    if run.isupper() or run.islower():
        return None
    # The run is of one base64 alphabet (below) then at most two '=': padded to a multiple of
    # four it always decodes, strictly, unless one character is left over. So it is not
    # decoded to find that out (a payload runs to megabytes).
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        return None
    urlsafe = "-" in body or "_" in body
    if urlsafe and ("+" in body or "/" in body):
        return None
    return "base64url" if urlsafe else "base64"


_URLSAFE = str.maketrans("-_", "+/")
_HEAD_CHARS = 96  # decoded to name what a payload is: enough for any magic number below
_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "PE executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O or Java class"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
)
_PYTHON_TEXT = re.compile(
    rb"^\s*(?:import |from \S+ import |def |exec\(|eval\(|print\(|#!.*python)"
)
_JAVASCRIPT_TEXT = re.compile(
    rb"^\s*(?:(?:const|let|var) \w|function\b|require\(|\(function|eval\(|#!.*node)"
)


def decoded_kind(run: str, encoding: str) -> str:
    """What the first bytes of an encoded run decode to, by magic number or text ('decodes to
    zlib data', 'decodes to python text', ...). Only looked at: never run, imported or
    decompressed."""
    head = _decoded_head(run, encoding)
    if head is None:
        return "decodes to nothing readable"
    if _is_text(head):
        if _PYTHON_TEXT.match(head):
            return "decodes to python text"
        if _JAVASCRIPT_TEXT.match(head):
            return "decodes to javascript text"
        return "decodes to text"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "decodes to zlib data"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return f"decodes to {name}"
    return "decodes to binary data"


def _is_text(head: bytes) -> bool:
    """Printable UTF-8 (a multi-byte character cut at the end of the head does not count)."""
    text = head.decode("utf-8", "replace")
    if text.endswith("\ufffd") and len(head) > 3:
        text = head[:-3].decode("utf-8", "replace")
    return all(c.isprintable() or c in "\r\n\t" for c in text) and "\ufffd" not in text


def _decoded_head(run: str, encoding: str) -> bytes | None:
    try:
        if encoding in ("base64", "base64url"):
            body = run[: _HEAD_CHARS - _HEAD_CHARS % 4].rstrip("=")
            body += "=" * (-len(body) % 4)
            if encoding == "base64url":
                body = body.translate(_URLSAFE)
            return base64.b64decode(body)
        if encoding == "hex":
            return bytes.fromhex(run[:_HEAD_CHARS])
        if encoding == "hex escapes":
            return bytes.fromhex(run[:_HEAD_CHARS].replace("\\x", ""))
        return run[:_HEAD_CHARS].encode().decode("unicode_escape").encode("utf-8", "replace")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _minified(path: str, text: str, size: int) -> ObfuscationSign | None:
    lengths = list(map(len, text.split("\n")))
    longest = max(lengths)
    lines = len(lengths) - (1 if text.endswith("\n") else 0)
    mean = len(text) / max(1, lines)
    if longest < MINIFIED_LINE and (size < MINIFIED_MIN_BYTES or mean < MINIFIED_MEAN):
        return None
    detail = f"longest line {longest:,} characters, mean {mean:.0f} over {lines:,} lines"
    return ObfuscationSign(
        ObfuscationKind.MINIFIED, path, lengths.index(longest) + 1, float(longest), detail
    )
