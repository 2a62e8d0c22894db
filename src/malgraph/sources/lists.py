"""A plain list a user keeps: CSV or JSON rows of ecosystem, name, version, source, date, url.

Rows naming the same package for the same source become one claim with all their versions.
A bad row is left out with its line and reason; the rest of the file goes in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson

from malgraph.core.dates import normalise_time
from malgraph.core.identity import canonical_name, ecosystem_of
from malgraph.core.model import Document, Problem, Record
from malgraph.sources.base import claim, file_time, text_of
from malgraph.sources.inputs import InputFile

COLUMNS = ("ecosystem", "name", "version", "source", "date", "url")


class ListSource:
    name: str = "list"
    description: str = (
        "a CSV or JSON list you keep: columns ecosystem, name, and optionally version, "
        "source, date, url"
    )
    suffixes: tuple[str, ...] = (".csv", ".json")
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        stem = item.inner.stem
        text = text_of(raw, item)
        if isinstance(text, Problem):
            return text
        try:
            rows = _json_rows(text) if text.lstrip()[:1] in "[{" else _csv_rows(text)
        except ValueError as exc:
            return Problem(item.display, str(exc))
        records, rejected = _claims(rows, default_source=stem)
        if not records and rejected:
            return Problem(item.display, f"no usable row ({rejected[0]})")
        return Document(
            item.display,
            sha256,
            "list",
            f"list/{stem}",
            file_time(item),
            tuple(records),
            (),
            tuple(rejected),
        )


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    missing = [c for c in ("ecosystem", "name") if c not in header]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    return [
        (f"line {reader.line_num}", {(k or "").strip().lower(): v for k, v in row.items()})
        for row in reader
    ]


def _json_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("packages")
    if not isinstance(data, list):
        raise ValueError('expected a list of objects, or {"packages": [...]}')
    return [
        (f"item {i}", row if isinstance(row, dict) else {"": row}) for i, row in enumerate(data)
    ]


def _text(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return str(value).strip() if value is not None else ""


def _claims(
    rows: Iterable[tuple[str, dict[str, Any]]], default_source: str
) -> tuple[list[Record], list[str]]:
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    rejected = []
    for where, row in rows:
        eco, name = _text(row, "ecosystem"), _text(row, "name")
        if not eco or not name:
            rejected.append(f"{where}: needs an ecosystem and a name")
            continue
        if _text(row, "date") and normalise_time(_text(row, "date")) is None:
            rejected.append(f"{where}: date {_text(row, 'date')!r} is not YYYY-MM-DD")
            continue
        source = _text(row, "source") or default_source
        eco = ecosystem_of(eco).name
        grouped.setdefault((source, eco, canonical_name(eco, name)), []).append(row)
    records = []
    for (source, eco, _), group in grouped.items():
        name = _text(group[0], "name")
        versions = tuple(dict.fromkeys(_text(r, "version") for r in group if _text(r, "version")))
        dates = sorted(d for r in group if (d := normalise_time(_text(r, "date"))))
        urls = tuple(u for r in group if (u := _text(r, "url")))
        records.append(
            claim(
                source,
                eco,
                name,
                versions=versions,
                published=dates[0] if dates else None,
                urls=urls,
            )
        )
    return records, rejected
