"""The MalGraph paper's spreadsheets (Zhou et al., DSN 2025; artifact Rebecia/OSS-MPAW): each
source's malware records, report URLs with their IoCs, and npm packages traced to a report.

malware.xlsx has a row per source's record, name and version run together ("deneuve-test-2-2.0.0");
malware_deduplicated.xlsx has each package-version once, name and version apart, with release
date, description and dependencies. So the first is read with the second, which alone adds nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
import zlib
from pathlib import PurePath, PurePosixPath
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from packaging.version import VERSION_PATTERN

from malgraph.dates import normalise_time
from malgraph.identity import ecosystem_of
from malgraph.model import Document, Problem, Record, Report
from malgraph.sources.base import claim, file_time
from malgraph.sources.inputs import InputFile, ReadError, read_capped
from malgraph.sources.paper_graph import is_paper_graph, parse_paper_graph
from malgraph.urls import url_key

SIBLING = "malware_deduplicated.xlsx"
NEEDED = {"malware.xlsx": ("Source", "name_version"), SIBLING: ("name_version", "name", "version"),
          "report.xlsx": ("URL",), "ioc-report.xlsx": ("URL",),
          "npm_source_report.xlsx": ("source", "Source", "name")}  # fmt: skip
PLACEHOLDERS = frozenset({"", "none", "null", "nil", "nan", "n/a", "not available", "unknown"})
DEDUPLICATED = ("name", "version", "published_at", "description", "dependencies")
MAX_UNPACKED = 128 * 1024 * 1024  # a workbook is a zip: a small file can unpack to gigabytes
MAX_ROWS, MAX_COLUMNS = 500_000, 64  # a sheet's declared size pads every row: read only so much
_VERSION_LIKE = re.compile(r"v?\d[0-9A-Za-z.+_-]*\Z")
_GRAMMARS = {"npm": re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z"),
             "RubyGems": re.compile(r"\d+(\.[0-9A-Za-z]+)*\Z"),
             "PyPI": re.compile(VERSION_PATTERN + r"\Z", re.VERBOSE | re.IGNORECASE)}  # fmt: skip
_BAD_WORKBOOK = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError,
                 EOFError, OSError, zlib.error, ParseError)  # fmt: skip


class _Unusable(Exception):
    """A workbook that cannot be read as this source expects; the message says why."""


Known = dict[tuple[str, str], dict[str, str | None]]  # the sibling's rows by (sheet, name_version)


class _Sheet(NamedTuple):
    title: str
    columns: dict[str, int]  # header -> its first column (IoC-report.xlsx has two "URL")
    rows: list[tuple[int, list[str | None]]]  # (row number as Excel shows it, cells)

    def get(self, row: list[str | None], column: str) -> str | None:
        index = self.columns.get(column)
        return row[index] if index is not None and index < len(row) else None


class PaperSource:
    name: str = "paper"
    description: str = "the MalGraph paper's spreadsheets (Rebecia/OSS-MPAW): malware, reports"
    suffixes: tuple[str, ...] = (".xlsx", ".json")
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        if is_paper_graph(item.inner):  # the paper's own graph: its labelling, not claims
            return parse_paper_graph(raw, item, sha256)
        name = item.inner.name
        kind = name.lower()
        key = f"paper/{PurePath(name).stem}"
        if kind not in NEEDED or kind == SIBLING:
            why = "read together with malware.xlsx" if kind == SIBLING else "not a paper workbook"
            return Document(item.display, sha256, "paper", key, file_time(item), (),
                            (f"{why} (skipped)",))  # fmt: skip
        records: list[Record] = []
        reports: list[Report] = []
        warnings: list[str] = []
        rejected: list[str] = []
        try:
            book = _workbook(raw, name, NEEDED[kind])
            if kind == "malware.xlsx":
                sibling = _deduplicated(item)
                if sibling is None:
                    warnings.append(f"no {SIBLING} beside it: names split by rule only")
                else:  # the document is both files: a change to either is a new version
                    sha256 = hashlib.sha256(raw + sibling[1]).hexdigest()
                records = _malware(book, sibling[0] if sibling else {}, warnings, rejected)
            elif kind == "npm_source_report.xlsx":
                records = _traced(book, rejected)
            else:
                reports = _reports(book, kind == "ioc-report.xlsx", rejected)
        except _Unusable as exc:
            return Problem(item.display, str(exc))
        if not records and not reports and rejected:
            return Problem(item.display, f"no usable row ({rejected[0]})")
        return Document(item.display, sha256, "paper", key, file_time(item), tuple(records),
                        tuple(warnings), tuple(rejected), tuple(reports))  # fmt: skip


def _clean(value: object) -> str | None:
    """A cell as text; the sheets' ways of writing "unknown" become None."""
    if isinstance(value, float) and value.is_integer():  # an ID typed as 21.0 is still 21
        value = int(value)
    text = "" if value is None else str(value).strip()
    return None if text.lower() in PLACEHOLDERS else text


def _workbook(raw: bytes, label: str, needed: tuple[str, ...]) -> list[_Sheet]:
    """Every worksheet's cached values (formulas never evaluated, macros never loaded)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:  # zipfile enforces declared sizes
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise _Unusable(f"{label}: unpacks to over {MAX_UNPACKED} bytes")
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheets = [_sheet(ws, label) for ws in book.worksheets]
        book.close()  # all in memory: on an error, collecting it is closing it
    except _BAD_WORKBOOK as exc:
        raise _Unusable(f"{label}: not a readable .xlsx ({type(exc).__name__}: {exc})") from exc
    for sheet in sheets:
        missing = next((c for c in needed if c not in sheet.columns), None)
        if missing and (sheet.columns or sheet.rows):  # a blank sheet is no sheet
            raise _Unusable(f"{label} sheet {sheet.title}: missing column {missing!r}")
    return [sheet for sheet in sheets if sheet.columns]


def _sheet(ws: Any, label: str) -> _Sheet:
    rows: list[tuple[int, list[str | None]]] = []
    for number, values in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
        if number > MAX_ROWS:
            raise _Unusable(f"{label}: a sheet of over {MAX_ROWS} rows")
        cells = [_clean(v) for v in values]
        if number == 1 or any(cells):
            rows.append((number, cells))
    header = list(enumerate(rows[0][1] if rows else []))
    columns = {name: index for index, name in reversed(header) if name}  # the first one wins
    return _Sheet(str(ws.title), columns, rows[1:])


def _deduplicated(item: InputFile) -> tuple[Known, bytes] | None:
    """The sibling (on disk, or in the same zip): its rows by (sheet, name_version), and bytes."""
    try:
        if item.member is None:
            path = os.path.join(os.path.dirname(item.path), SIBLING)
            st = os.stat(path)
            sibling = InputFile.at(path, st.st_size, st.st_mtime_ns)
        else:
            member = str(PurePosixPath(item.member).with_name(SIBLING))
            with zipfile.ZipFile(item.path) as archive:
                size = archive.getinfo(member).file_size
            sibling = InputFile.at(item.path, size, item.mtime_ns, member)
    except (OSError, zipfile.BadZipFile, KeyError):
        return None
    try:
        raw = read_capped(sibling)
    except ReadError as exc:
        raise _Unusable(f"{SIBLING}: {exc}") from exc
    sheets = _workbook(raw, SIBLING, NEEDED[SIBLING])
    return {(s.title, text): {c: s.get(row, c) for c in DEDUPLICATED}
            for s in sheets for _, row in s.rows
            if (text := s.get(row, "name_version")) and s.get(row, "name")}, raw  # fmt: skip


def _split(text: str, ecosystem: str) -> tuple[str, str | None] | None:
    """name_version -> (name, version), or None when no split is safe. Names and versions
    both hold hyphens, so a hyphen is a split point only if a version-like text follows it."""
    if ecosystem == "Maven":
        parts = text.split(":")
        ok = len(parts) in (2, 3) and all(parts)
        return (":".join(parts[:2]), parts[2] if len(parts) == 3 else None) if ok else None
    at = text.rfind("@")  # "@scope/name@1.0.1": the sheets write scoped npm names so
    if at > 0 and _VERSION_LIKE.match(text[at + 1 :]):
        return text[:at], text[at + 1 :]
    cuts = [i for i, c in enumerate(text) if c == "-" and i and _VERSION_LIKE.match(text[i + 1 :])]
    if len(cuts) == 1:
        return text[: cuts[0]], text[cuts[0] + 1 :]
    grammar = _GRAMMARS.get(ecosystem)  # none for an unknown ecosystem: several cuts stay unsafe
    cut = next((i for i in cuts if grammar and grammar.match(text[i + 1 :])), None)
    return (text[:cut], text[cut + 1 :]) if cut is not None else None


def _malware(sheets: list[_Sheet], known: Known, warnings: list[str], rejected: list[str]
             ) -> list[Record]:  # fmt: skip
    records: list[Record] = []
    unsplit = 0
    for sheet in sheets:
        for number, row in sheet.rows:
            source, text, oss = (sheet.get(row, c) for c in ("Source", "name_version", "OSS"))
            eco = ecosystem_of(oss or sheet.title)
            if not (source and text and (oss or eco.known)):
                why = "Source" if not source else "name_version" if not text else "OSS"
                rejected.append(f"sheet {sheet.title} row {number}: no {why}")
                continue
            found = known.get((sheet.title, text), {})
            split = (found["name"] or text, found["version"]) if found else _split(text, eco.name)
            unsplit += split is None
            name, version = split or (text, None)
            status = (sheet.get(row, "Status") or "").lower()
            needs = (_clean(d) for d in (found.get("dependencies") or "").split(","))
            records.append(claim(
                source, eco.name, name, versions=(version,) if version else (),
                ident=f"paper/{source}/{sheet.title}/{sheet.get(row, 'ID') or f'row{number}'}",
                available={"tracked": True, "untracked": False}.get(status),
                released=normalise_time(found.get("published_at")),
                description=found.get("description"),
                dependencies=tuple(d for d in needs if d)))  # fmt: skip
    if unsplit:
        warnings.append(f"name_version: {unsplit} of {len(records)} rows could not be split "
                        "safely (kept as names without a version)")  # fmt: skip
    return records


def _traced(sheets: list[_Sheet], rejected: list[str]) -> list[Record]:
    records = []
    for sheet in sheets:
        for number, row in sheet.rows:
            source, text, url = (sheet.get(row, c) for c in ("Source", "name", "source"))
            if not source or not text:
                why = "Source" if not source else "name"
                rejected.append(f"sheet {sheet.title} row {number}: no {why}")
                continue
            at = text.rfind("@")  # the last '@' but a scope's leading one
            name, version = (text[:at], text[at + 1 :]) if at > 0 else (text, "")
            said = [f"{c}: {v}" for c in ("status", "error") if (v := sheet.get(row, c))]
            records.append(claim(
                source, "npm", name, versions=(version,),
                ident=f"paper/npm_source_report/{sheet.get(row, 'ID') or f'row{number}'}",
                urls=(url,) if url and url_key(url) else (),
                released=normalise_time(sheet.get(row, "published_at")),
                details="; ".join(said) or None))  # fmt: skip
    return records


def _reports(sheets: list[_Sheet], with_iocs: bool, rejected: list[str]) -> list[Report]:
    """One report per URL; rows repeating a URL (one per package) add their cells to its text."""
    found: dict[str, tuple[str, str, dict[str, None]]] = {}
    for sheet in sheets:
        first = sheet.columns["URL"]
        for number, row in sheet.rows:
            if not (url := sheet.get(row, "URL")) or not (keyed := url_key(url)):
                rejected.append(f"sheet {sheet.title} row {number}: {url!r} is not an http(s) URL")
                continue
            cells = found.setdefault(keyed[0], (url, keyed[1], {}))[2]
            if with_iocs:  # the IoCs in them are found in the text later, as for any write-up
                cells.update(dict.fromkeys(c for i, c in enumerate(row) if c and i != first))
    return [Report(key, url, site, None, None, "\n".join(cells))
            for key, (url, site, cells) in found.items()]  # fmt: skip
