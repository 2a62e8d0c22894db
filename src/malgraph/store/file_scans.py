"""Writing memoised file scans (core.file_scans), and their stored form: compact JSON arrays
(no field names, no paths) compressed with zlib, whose checksum also tells a damaged row.
store.read.file_scans reads them back.

What is kept is what an archive's features need from the file and cannot be had from its
bytes without scanning them: imports, findings, IoCs and obfuscation signs with their lines
and snippets, problems, and the normalised token stream with its digest and length. The path
is left out (analysis places the scan), and the stream, the bulk of a row, compresses well.
A row is inflated under a cap (MAX_SCAN_JSON), so that a damaged or planted row cannot make the
reader inflate more than any stored scan holds; a scan over the cap is not stored."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

from malgraph.core.code import CodeIoc, Finding, Import, ObfuscationSign
from malgraph.core.file_scans import FileScan, FileScanKey
from malgraph.core.kinds import FindingCategory, ImportKind, IocKind, ObfuscationKind

# The JSON of one stored scan is at most this long: it bounds what a damaged or planted row can
# make the reader inflate. A scan grows with its file, whose size the analysis caps
# (analyze.MAX_SCANNED_BYTES); one longer than this (a file under that cap made mostly of
# findings can come near) is not stored, and is made again when met.
MAX_SCAN_JSON = 32 * 2**20
_SAVE = "INSERT OR REPLACE INTO file_scans(sha256, dialect, analyzer, scan) VALUES (?, ?, ?, ?)"


def save_file_scans(
    db: sqlite3.Connection, analyzer: str, scans: Iterable[tuple[FileScanKey, FileScan]]
) -> int:
    """Store these scans, made by `analyzer`, replacing any of the same keys; call inside the
    transaction that saves the analyses they were made for. How many were stored: a scan
    JSON cannot hold (a lone surrogate), or one over MAX_SCAN_JSON, is left out, to be made
    again when met."""
    rows = []
    for key, scan in scans:
        try:
            text = orjson.dumps(_document(scan))
        except orjson.JSONEncodeError:
            continue
        if len(text) <= MAX_SCAN_JSON:
            rows.append((key.sha256, key.dialect, analyzer, zlib.compress(text)))
    db.executemany(_SAVE, rows)
    return len(rows)


def encode_file_scan(scan: FileScan) -> bytes:
    return zlib.compress(orjson.dumps(_document(scan)))


def _document(scan: FileScan) -> list[Any]:
    return [
        [[i.module, i.kind, i.relative, i.line, i.snippet] for i in scan.imports],
        [[f.category, f.api, f.line, f.snippet] for f in scan.findings],
        [[c.kind, c.value, c.as_written, c.line] for c in scan.iocs],
        [[o.sign, o.line, o.value, o.detail] for o in scan.obfuscation],
        list(scan.problems),
        scan.stream,
        scan.normalised_sha256,
        scan.token_count,
    ]


class DamagedScan(ValueError):
    """A stored scan that does not decode to a FileScan (damaged, or written by other code)."""


def decode_file_scan(blob: bytes) -> FileScan:
    """The FileScan `encode_file_scan` stored; DamagedScan for anything else, a row that
    inflates past MAX_SCAN_JSON among them (inflated no further than that)."""
    try:
        doc = orjson.loads(_inflate(blob))
        imports, findings, iocs, signs, problems, stream, digest, count = doc
        return FileScan(
            imports=tuple(_import(*row) for row in imports),
            findings=tuple(_finding(*row) for row in findings),
            iocs=tuple(_ioc(*row) for row in iocs),
            obfuscation=tuple(_sign(*row) for row in signs),
            problems=tuple(_str(p) for p in problems),
            stream=_str(stream),
            normalised_sha256=None if digest is None else _str(digest),
            token_count=_int(count),
        )
    except (zlib.error, orjson.JSONDecodeError, TypeError, ValueError) as exc:
        raise DamagedScan(str(exc)) from None


def _inflate(blob: bytes) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(blob, MAX_SCAN_JSON + 1)
    if len(text) > MAX_SCAN_JSON:
        raise DamagedScan(f"inflates past {MAX_SCAN_JSON:,} bytes")
    if not inflater.eof or inflater.unused_data:
        raise DamagedScan("not one whole zlib stream")
    return text


def _import(module: Any, kind: Any, relative: Any, line: Any, snippet: Any) -> Import:
    if not isinstance(relative, bool):
        raise TypeError("relative: not a boolean")
    return Import(_str(module), ImportKind(kind), relative, "", _int(line), _str(snippet))


def _finding(category: Any, api: Any, line: Any, snippet: Any) -> Finding:
    return Finding(FindingCategory(category), _str(api), "", _int(line), _str(snippet))


def _ioc(kind: Any, value: Any, as_written: Any, line: Any) -> CodeIoc:
    return CodeIoc(IocKind(kind), _str(value), _str(as_written), "", _int(line))


def _sign(sign: Any, line: Any, value: Any, detail: Any) -> ObfuscationSign:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("value: not a number")
    kind = ObfuscationKind(sign)
    return ObfuscationSign(kind, "", None if line is None else _int(line), value, _str(detail))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r}: not a string")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r}: not an integer")
    return value
