"""Security write-ups: Markdown, HTML or text files (one report each) and CSV incident lists
(IQTLabs' software_supply_chain_attacks.csv: one report per row, keyed by its reference URL).

Reports are nodes; the packages they name are found afterwards against the names the store
knows (relations.coexisting), so a write-up ingested before the records still links to them.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import PurePath

from malgraph.core.dates import normalise_day, normalise_time
from malgraph.core.model import Document, Problem, SecurityReport
from malgraph.core.urls import url_key
from malgraph.sources.base import file_time, text_of
from malgraph.sources.inputs import InputFile

NOT_WRITE_UPS = ("readme", "license", "licence", "index", "contributing")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_WRITTEN_DATE = re.compile(_MONTH + r" \d{1,2}(?:st|nd|rd|th)?,? \d{4}")


class _Text(HTMLParser):
    """Visible text and the title of an HTML page (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style")
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0
        self._in_title = False
        if tag in ("p", "div", "li", "br", "h1", "h2", "h3", "tr"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


class ReportsSource:
    name: str = "reports"
    description: str = "security write-ups (Markdown, HTML, text) and CSV incident lists"
    suffixes: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".csv")
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        path = item.inner
        text = text_of(raw, item)
        if isinstance(text, Problem):
            return text
        suffix = path.suffix.lower()
        if suffix == ".csv":
            found, rejected = _incident_list(text)
            if not found and rejected:
                return Problem(item.display, rejected[0])
        elif path.stem.lower() in NOT_WRITE_UPS:
            skipped = ("not a write-up by its name (skipped)",)
            return Document(
                item.display,
                sha256,
                "reports",
                f"reports/{item.display}",
                file_time(item),
                (),
                skipped,
            )
        else:
            found, rejected = [_write_up(text, suffix, item.display)], []
        return Document(
            item.display,
            sha256,
            "reports",
            f"reports/{item.display}",
            file_time(item),
            (),
            (),
            tuple(rejected),
            tuple(found),
        )


def _write_up(text: str, suffix: str, shown: str) -> SecurityReport:
    title = None
    if suffix in (".html", ".htm"):
        parser = _Text()
        parser.feed(text)
        title, text = parser.title.strip() or None, "".join(parser.parts)
    else:
        heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = heading[1].strip() if heading else None
    written = _WRITTEN_DATE.search(text)
    return SecurityReport(
        key=f"file:{shown}",
        url=f"file:{shown}",
        site="local",
        title=title or PurePath(shown).stem,
        published=normalise_day(written[0]) if written else None,
        text=text,
    )


def _incident_list(text: str) -> tuple[list[SecurityReport], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not {"reference", "description"} <= header:
        return [], ["an incident list needs 'reference' and 'description' columns"]
    found, rejected = [], []
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        keyed = url_key(row["reference"])
        if keyed is None:
            rejected.append(f"line {reader.line_num}: reference {row['reference']!r} is not a URL")
            continue
        date = row.get("report_date") or row.get("detection_date") or ""
        found.append(
            SecurityReport(
                key=keyed[0],
                url=row["reference"],
                site=keyed[1],
                title=row["description"][:200] or None,
                published=_us_date(date),
                text="\n".join(filter(None, [row["description"], row.get("comments", "")])),
            )
        )
    return found, rejected


def _us_date(text: str) -> str | None:
    """IQTLabs writes M/D/YYYY."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    return normalise_time(f"{year:04d}-{month:02d}-{day:02d}")
