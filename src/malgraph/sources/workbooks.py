"""Spreadsheets read safely and by header: every sheet's cached values as text, columns found by
their trimmed header name, summary and chart sheets told apart from data sheets.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

PLACEHOLDERS = frozenset({"", "none", "null", "nil", "nan", "n/a", "not available", "unknown"})
MAX_UNPACKED = 128 * 1024 * 1024  # a workbook is a zip: a small file can unpack to gigabytes
MAX_ROWS, MAX_COLUMNS = 500_000, 64  # a sheet's declared size pads every row: read only so much
_BAD_WORKBOOK = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    TypeError,
    EOFError,
    OSError,
    zlib.error,
    ParseError,
)


class Unusable(Exception):
    """A workbook that cannot be read as its source expects; the message says why."""


class Sheet(NamedTuple):
    title: str
    columns: dict[str, int]  # trimmed header -> its first column (a header may repeat)
    rows: list[tuple[int, list[str | None]]]  # (row number as Excel shows it, cells)

    def get(self, row: list[str | None], column: str) -> str | None:
        index = self.columns.get(column)
        return row[index] if index is not None and index < len(row) else None


def clean(value: object) -> str | None:
    """A cell as text, trimmed; the sheets' ways of writing "unknown" become None."""
    if isinstance(value, float) and value.is_integer():  # an ID typed as 21.0 is still 21
        value = int(value)
    text = "" if value is None else str(value).strip()
    return None if text.lower() in PLACEHOLDERS else text


def is_workbook(raw: bytes) -> bool:
    """Whether the bytes are an .xlsx package at all (a zip holding a workbook part)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def read_workbook(raw: bytes, label: str) -> list[Sheet]:
    """Every non-blank worksheet's cached values (formulas never evaluated, macros never
    loaded)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:  # zipfile enforces declared sizes
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise Unusable(f"{label}: unpacks to over {MAX_UNPACKED} bytes")
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheets = [_sheet(ws, label) for ws in book.worksheets]
        book.close()  # all in memory: on an error, collecting it is closing it
    except _BAD_WORKBOOK as exc:
        raise Unusable(f"{label}: not a readable .xlsx ({type(exc).__name__}: {exc})") from exc
    return [sheet for sheet in sheets if sheet.columns or sheet.rows]


def data_sheets(
    sheets: list[Sheet], needed: tuple[str, ...], label: str, warnings: list[str]
) -> list[Sheet]:
    """The sheets whose header has every needed column. A sheet with none of them is a
    summary or a chart beside the data (skipped with a warning); one with only some is a
    data sheet that lost a column, which makes the whole workbook unusable."""
    found = []
    for sheet in sheets:
        missing = [c for c in needed if c not in sheet.columns]
        if not missing:
            found.append(sheet)
        elif len(missing) == len(needed):
            warnings.append(
                f"{label} sheet {sheet.title}: a summary or chart, with no"
                f" {' or '.join(needed)} column (skipped)"
            )
        else:
            raise Unusable(f"{label} sheet {sheet.title}: missing column {missing[0]!r}")
    return found


def _sheet(ws: Any, label: str) -> Sheet:
    rows: list[tuple[int, list[str | None]]] = []
    for number, values in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
        if number > MAX_ROWS:
            raise Unusable(f"{label}: a sheet of over {MAX_ROWS} rows")
        cells = [clean(v) for v in values]
        if number == 1 or any(cells):
            rows.append((number, cells))
    header = list(enumerate(rows[0][1] if rows else []))
    columns = {name: index for index, name in reversed(header) if name}  # the first one wins
    return Sheet(str(ws.title), columns, rows[1:])
