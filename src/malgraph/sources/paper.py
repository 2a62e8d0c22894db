"""The MalGraph paper's spreadsheets (Zhou et al., DSN 2025; artifact Rebecia/OSS-MPAW): each
source's malware records, the report URLs with their sites' categories and IoCs, and the
packages each report named.

malware.xlsx has a row per source's record, name and version run together ("deneuve-test-2-2.0.0");
malware_deduplicated.xlsx has each package-version once, name and version apart, with release
date, description and dependencies. So the first is read with the second, which alone adds nothing.
Each workbook is read by its file name, and each sheet by its header: the summary sheets beside
the data are skipped with a warning.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from itertools import pairwise
from pathlib import PurePath, PurePosixPath
from typing import NamedTuple

from packaging.version import VERSION_PATTERN

from malgraph.core.dates import normalise_time
from malgraph.core.identity import ecosystem_of
from malgraph.core.kinds import CodeEcosystem
from malgraph.core.model import Document, Problem, Record, ReportLink, ReportSite, SecurityReport
from malgraph.sources.base import claim, file_time
from malgraph.sources.inputs import InputFile, ReadError, read_capped
from malgraph.sources.paper_graph import is_paper_graph, parse_paper_graph
from malgraph.sources.paper_reports import (
    SOURCE_REPORT,
    ioc_links,
    ioc_reports,
    report_sites,
    source_links,
)
from malgraph.sources.workbooks import (
    Sheet,
    Unusable,
    clean,
    data_sheets,
    is_workbook,
    read_workbook,
)

SIBLING = "malware_deduplicated.xlsx"
MALWARE = ("Source", "name_version")
DEDUPLICATED = ("name", "version", "published_at", "description", "dependencies", "Filepath")
WORKBOOKS = ("malware.xlsx", "report.xlsx", "ioc-report.xlsx")  # and SOURCE_REPORT's
SKIPPED = {  # workbooks of the artifact that hold no records, and why
    SIBLING: "read together with malware.xlsx",
    "demo.xlsx": "the demo input of the paper's mirror checks: legitimate packages, not claims",
}
_VERSION_LIKE = re.compile(r"v?\d[0-9A-Za-z.+_-]*\Z")
_GRAMMARS = {
    "npm": re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z"),
    "RubyGems": re.compile(r"\d+(\.[0-9A-Za-z]+)*\Z"),
    "PyPI": re.compile(VERSION_PATTERN + r"\Z", re.VERBOSE | re.IGNORECASE),
}
# A version beyond doubt, to overrule a sheet's reading: dotted ("-1", "-v13", "-2023" end
# many real names, so a bare number never re-splits one).
_DOTTED = re.compile(r"v?\d+\.\d")
_DATADOG_VERSION = re.compile(r"-v(?=\d)")  # DataDog names its samples name-vVERSION

Known = dict[tuple[str, str], dict[str, str | None]]  # the sibling's rows by (sheet, name_version)


class _Parts(NamedTuple):
    """What one workbook gave, and the document's hash when it covers a sibling too."""

    records: tuple[Record, ...] = ()
    reports: tuple[SecurityReport, ...] = ()
    links: tuple[ReportLink, ...] = ()
    sites: tuple[ReportSite, ...] = ()
    sha256: str | None = None


class PaperSource:
    name: str = "paper"
    description: str = "the MalGraph paper's spreadsheets (Rebecia/OSS-MPAW): malware, reports"
    suffixes: tuple[str, ...] = (".xlsx", ".json")
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        """By the file's name: a workbook this source reads, or one it knows holds nothing."""
        if is_paper_graph(item.inner):  # the paper's own graph: its labelling, not claims
            return parse_paper_graph(raw, item, sha256)
        kind = item.inner.name.lower()
        if kind in WORKBOOKS or SOURCE_REPORT.match(kind):
            return _document(kind, raw, item, sha256)
        return _skipped(raw, item, sha256, SKIPPED.get(kind, "not a paper workbook"))


def _key(item: InputFile) -> str:
    return f"paper/{PurePath(item.inner.name).stem}"


def _skipped(raw: bytes, item: InputFile, sha256: str, why: str) -> Document | Problem:
    """A workbook kept as a document with nothing in it; a file that is no workbook at all (a
    text file named on the command line, say) is rejected."""
    if not is_workbook(raw):
        return Problem(item.display, f"{item.inner.name}: not an .xlsx workbook")
    return Document(
        item.display, sha256, "paper", _key(item), file_time(item), (), (f"{why} (skipped)",)
    )


def _document(kind: str, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
    warnings: list[str] = []
    rejected: list[str] = []
    try:
        got = _read(kind, raw, item, warnings, rejected)
    except Unusable as exc:
        return Problem(item.display, str(exc))
    if not (got.records or got.reports or got.links or got.sites) and rejected:
        return Problem(item.display, f"no usable row ({rejected[0]})")
    return Document(
        item.display,
        got.sha256 or sha256,
        "paper",
        _key(item),
        file_time(item),
        got.records,
        tuple(warnings),
        tuple(rejected),
        got.reports,
        links=got.links,
        sites=got.sites,
    )


def _read(
    kind: str, raw: bytes, item: InputFile, warnings: list[str], rejected: list[str]
) -> _Parts:
    """The workbook's records, reports, links or sites, by the workbook's file name."""
    sheets = read_workbook(raw, item.inner.name)
    if kind == "malware.xlsx":
        sibling = _deduplicated(item, warnings)
        if sibling is None:
            warnings.append(f"no {SIBLING} beside it: names split by rule only")
        records = _malware(
            data_sheets(sheets, MALWARE, item.inner.name, warnings),
            sibling[0] if sibling else {},
            warnings,
            rejected,
        )
        # the document is both files: a change to either is a new version
        both = hashlib.sha256(raw + sibling[1]).hexdigest() if sibling else None
        return _Parts(records=tuple(records), sha256=both)
    if kind == "report.xlsx":
        reports, sites = report_sites(sheets, item.inner.name, warnings, rejected)
        return _Parts(reports=tuple(reports), sites=tuple(sites))
    if kind == "ioc-report.xlsx":
        reports = ioc_reports(sheets, item.inner.name, warnings, rejected)
        return _Parts(reports=tuple(reports), links=tuple(ioc_links(sheets, warnings)))
    return _Parts(links=tuple(source_links(sheets, kind, warnings, rejected)))


def _deduplicated(item: InputFile, warnings: list[str]) -> tuple[Known, bytes] | None:
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
        raise Unusable(f"{SIBLING}: {exc}") from exc
    sheets = data_sheets(
        read_workbook(raw, SIBLING), ("name_version", "name", "version"), SIBLING, warnings
    )
    return {
        (s.title, text): {c: s.get(row, c) for c in DEDUPLICATED}
        for s in sheets
        for _, row in s.rows
        if (text := s.get(row, "name_version")) and s.get(row, "name")
    }, raw


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


def _sheet_split(
    text: str, ecosystem: str, source: str, found: dict[str, str | None]
) -> tuple[str, str | None] | tuple[()] | None:
    """The sibling's (name, version) for name_version when it agrees with it; else the
    ecosystem's rules: () when the sibling's split is not of this text and no rule splits it.
    A sibling giving the whole text as the name with no version agrees, unless the row's own
    evidence shows a version: the sample's path (".../ethter/1.10.1b1/..."), DataDog's
    name-vVERSION, or a dotted version the ecosystem's grammar reads."""
    name, version = found["name"] or text, found["version"]
    fold = str.lower if ecosystem == CodeEcosystem.PYPI else str  # PyPI names ignore case
    if version is not None:
        if fold(text) in {fold(f"{name}{sep}{version}") for sep in ("-", "@", "-v")}:
            return name, version
        return _split(text, ecosystem) or ()
    if fold(name) != fold(text):
        return _split(text, ecosystem) or ()
    return _resplit(text, ecosystem, source, found.get("Filepath")) or (name, None)


def _resplit(text: str, ecosystem: str, source: str, path: str | None) -> tuple[str, str] | None:
    """A version the row itself shows in a text its sheet left whole, or None."""
    parts = PurePosixPath((path or "").strip().replace("\\", "/")).parts
    for folder, sub in pairwise(parts):
        if f"{folder}-{sub}" == text:  # Backstabber's layout: <name>/<version>/<file>
            return folder, sub
    if source.lower() == "datadog" and (cuts := list(_DATADOG_VERSION.finditer(text))):
        return text[: cuts[-1].start()], text[cuts[-1].end() :]
    grammar = _GRAMMARS.get(ecosystem)
    for i, char in enumerate(text):
        rest = text[i + 1 :]
        if char == "-" and i and _DOTTED.match(rest) and grammar and grammar.match(rest):
            return text[:i], rest
    return None


def _malware(
    sheets: list[Sheet], known: Known, warnings: list[str], rejected: list[str]
) -> list[Record]:
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
            split = _sheet_split(text, eco.name, source, found) if found else _split(text, eco.name)
            if split == ():
                rejected.append(
                    f"sheet {sheet.title} row {number}: {SIBLING} splits {text!r}"
                    f" as {found['name']!r} {found['version']!r}, which is not it,"
                    " and no rule splits it"
                )
                continue
            unsplit += split is None
            name, version = split or (text, None)
            status = (sheet.get(row, "Status") or "").lower()
            needs = (clean(d) for d in (found.get("dependencies") or "").split(","))
            records.append(
                claim(
                    source,
                    eco.name,
                    name,
                    versions=(version,) if version else (),
                    ident=f"paper/{source}/{sheet.title}/{sheet.get(row, 'ID') or f'row{number}'}",
                    available={"tracked": True, "untracked": False}.get(status),
                    released=normalise_time(found.get("published_at")),
                    description=found.get("description"),
                    dependencies=tuple(d for d in needs if d),
                    given=text,
                )
            )
    if unsplit:
        warnings.append(
            f"name_version: {unsplit} of {len(records)} rows could not be split "
            "safely (kept as names without a version)"
        )
    return records
