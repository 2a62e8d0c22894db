"""The MalGraph paper's report workbooks: the report URLs with their sites' categories
(report.xlsx), the IoCs and package names each report gives (IoC-report.xlsx), and the packages
each report named ({npm,pypi,ruby}_source_report.xlsx); package names are read as
report-to-package links, never as claims.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import PurePosixPath

from malgraph.core.dates import normalise_time
from malgraph.core.model import ReportLink, ReportSite, SecurityReport
from malgraph.core.urls import url_key
from malgraph.sources.paper_graph import split_name_version
from malgraph.sources.workbooks import Sheet, Unusable, data_sheets

SOURCE_REPORT = re.compile(r"(npm|pypi|ruby)_source_report\.xlsx\Z", re.IGNORECASE)
ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI", "ruby": "RubyGems"}
SITES = ("Site", "Categories")
LINKS = ("source", "name")  # "source" is the report's URL; "Source" names who reported it
EVIDENCE = ("Source", "status", "error", "published_at", "ID")
# IoC-report.xlsx: Name holds one name or several (a line or a comma each), the headerless
# column after it the paper's sample path(s) ("pypi/Backstabber/colourama/0.1.6"), whose first
# known word says the ecosystem; without a path, the report's URL must name exactly one.
# Cells that are notes rather than names (a few are in Chinese) are rejected by row.
_NAME = re.compile(r"(@[A-Za-z0-9][\w.~-]*/)?[A-Za-z0-9][\w.~-]*\Z", re.ASCII)
_WORDS = {
    "npm": "npm",
    "pypi": "PyPI",
    "ruby": "RubyGems",
    "rubygems": "RubyGems",
    "gem": "RubyGems",
    "gems": "RubyGems",
    "mavencentral": "Maven",
    "maven": "Maven",
    "nuget": "NuGet",
}
NOT_A_NAME = "not a package name (a note)"
NO_ECOSYSTEM = "no ecosystem (no sample path, and the URL names none or several)"
UNLINKED_SHOWN = 10
_ARCHIVE = re.compile(r"(\.tar\.gz|\.tgz|\.tar|\.zip|\.whl|\.gem|\.jar)[a-z]*\Z")


def report_sites(
    sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
) -> tuple[list[SecurityReport], list[ReportSite]]:
    """report.xlsx: its URLs, and each site's category (site_count, and again final)."""
    urls = [sheet for sheet in sheets if "URL" in sheet.columns]
    rest = data_sheets([s for s in sheets if "URL" not in s.columns], SITES, label, warnings)
    if not urls and not rest:
        raise Unusable(f"{label}: no sheet has a 'URL' or a 'Site' column")
    sites: dict[str, ReportSite] = {}
    for sheet in rest:
        category = None  # a category written once stands for the rows below it (final's groups)
        for number, row in sheet.rows:
            category = sheet.get(row, "Categories") or category
            if not (site := sheet.get(row, "Site")):
                continue  # a row of the per-category totals beside the table
            if category is None:
                rejected.append(f"sheet {sheet.title} row {number}: no Categories for {site!r}")
                continue
            count = sheet.get(row, "Count")
            number_of_reports = (
                int(count) if count and count.isascii() and count.isdigit() else None
            )
            found = sites.setdefault(site, ReportSite(site, category, number_of_reports))
            if found.category != category:
                warnings.append(
                    f"sheet {sheet.title} row {number}: {site!r} is {category!r},"
                    f" another sheet says {found.category!r} (that kept)"
                )
    return _reports(urls, False, rejected), list(sites.values())


def ioc_reports(
    sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
) -> list[SecurityReport]:
    """IoC-report.xlsx: a report per URL, its other cells (names, IoCs) as the report's text."""
    found = data_sheets(sheets, ("URL",), label, warnings)
    if not found:
        raise Unusable(f"{label}: no sheet has a 'URL' column")
    return _reports(found, True, rejected)


def _reports(sheets: list[Sheet], with_iocs: bool, rejected: list[str]) -> list[SecurityReport]:
    """One report per URL; rows repeating a URL (one per package) add their cells to its text.
    The first URL column is the report's: a later one (IoC-report.xlsx) holds IoC URLs."""
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
    return [
        SecurityReport(key, url, site, None, None, "\n".join(cells))
        for key, (url, site, cells) in found.items()
    ]


def source_links(
    sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
) -> list[ReportLink]:
    """A source-report workbook: each row links the report at its URL to a package it named.
    The npm and pypi sheets write "name@version" in name; the ruby one has a version column."""
    matched = SOURCE_REPORT.match(label)
    ecosystem = ECOSYSTEMS[matched.group(1).lower()] if matched else "npm"
    links = []
    for sheet in data_sheets(sheets, LINKS, label, warnings):
        for number, row in sheet.rows:
            url, text = sheet.get(row, "source"), sheet.get(row, "name")
            if not url or not url_key(url):
                rejected.append(f"sheet {sheet.title} row {number}: {url!r} is not an http(s) URL")
                continue
            if not text:
                rejected.append(f"sheet {sheet.title} row {number}: no name")
                continue
            name, version = text, sheet.get(row, "version")
            at = text.rfind("@")  # the last '@' but a scope's leading one
            if not version and at > 0:
                name, version = text[:at], text[at + 1 :] or None
            said = [(c, v) for c in EVIDENCE if (v := sheet.get(row, c))]
            said = [(c, normalise_time(v) or v if c == "published_at" else v) for c, v in said]
            links.append(
                ReportLink(
                    url, ecosystem, name, version, (*said, ("row", f"{sheet.title} row {number}"))
                )
            )
    return links


def ioc_links(sheets: list[Sheet], warnings: list[str]) -> list[ReportLink]:
    """IoC-report.xlsx's package names: a link from the row's report to each, with the
    ecosystem (and the version, where given) of the sample path beside it. A name that cannot
    be linked leaves its row's report and IoCs in: it is counted in a warning with its rows."""
    links: dict[tuple[str, str, str], ReportLink] = {}
    unlinked: dict[str, dict[str, None]] = {NOT_A_NAME: {}, NO_ECOSYSTEM: {}}
    for sheet in sheets:
        if "URL" not in sheet.columns or "Name" not in sheet.columns:
            continue
        after = sheet.columns["Name"] + 1
        headerless = after not in sheet.columns.values()
        for number, row in sheet.rows:
            url, cell = sheet.get(row, "URL"), sheet.get(row, "Name")
            if not cell or not url or not (keyed := url_key(url)):
                continue  # a report with no name (its URL, if bad, is rejected as a report)
            where = f"sheet {sheet.title} row {number}"
            paths = (row[after] or "").split() if headerless and after < len(row) else []
            names = [n.strip(" \u00a0") for n in re.split(r"[\n,]", cell)]
            names = [n for n in names if n]
            for index, given in enumerate(names):
                if not _NAME.match(given):
                    unlinked[NOT_A_NAME][f"{number}: {given!r}"] = None
                    continue
                path = paths[index] if len(paths) == len(names) else None
                ecosystem = _ecosystem(path or " ".join(paths), url)
                if ecosystem is None:
                    unlinked[NO_ECOSYSTEM][f"{number}: {given!r}"] = None
                    continue
                name, version = _from_path(given, path)
                said = (("path", path),) if path else ()
                links.setdefault(
                    (keyed[0], ecosystem, name),
                    ReportLink(url, ecosystem, name, version, (*said, ("row", where))),
                )
    for why, found in unlinked.items():
        if found:
            more = "; ..." if len(found) > UNLINKED_SHOWN else ""
            shown = "; ".join(list(found)[:UNLINKED_SHOWN]) + more
            warnings.append(f"Name: {len(found)} names left unlinked, {why} (row: {shown})")
    return list(links.values())


def _ecosystem(paths: str, url: str) -> str | None:
    """The first ecosystem word of the sample path(s); else the one word of the URL."""
    for part in re.split(r"[/\s]", paths):
        if part.lower() in _WORDS:
            return _WORDS[part.lower()]
    found = {_WORDS[w] for w in re.split(r"[^a-z]+", url.lower()) if w in _WORDS}
    return found.pop() if len(found) == 1 else None


def _fold(text: str) -> str:
    return text.lower().replace("_", "-")


def _from_path(given: str, path: str | None) -> tuple[str, str | None]:
    """(name, version): the version from the sample's path when the path is this package's
    ("<name>/<version>/..." or a file "<name>-<version>.tgz"), the name as the row wrote it
    (or without the version it carries, as "coa-2.1.3" beside "coa-2.1.3.tgz")."""
    if not path:
        return given, None
    parts = PurePosixPath(path).parts
    for folder, sub in pairwise(parts):
        if _fold(folder) == _fold(given) and sub[:1].isdigit():
            return given, sub
    stem = _ARCHIVE.sub("", parts[-1]) if parts else ""
    name, version = split_name_version(stem)
    if version and _fold(name) == _fold(given):
        return given, version
    if version and _fold(stem) == _fold(given):
        return name, version
    return given, None
