"""The MalGraph paper's report workbooks: the report URLs with their sites' categories
(report.xlsx), the IoCs each report gives (IoC-report.xlsx), and the packages each report named
({npm,pypi,ruby}_source_report.xlsx), read as report-to-package links, never as claims.
"""

from __future__ import annotations

import re

from malgraph.dates import normalise_time
from malgraph.model import Report, ReportLink, ReportSite
from malgraph.sources.workbooks import Sheet, Unusable, data_sheets
from malgraph.urls import url_key

SOURCE_REPORT = re.compile(r"(npm|pypi|ruby)_source_report\.xlsx\Z", re.IGNORECASE)
ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI", "ruby": "RubyGems"}
SITES = ("Site", "Categories")
LINKS = ("source", "name")  # "source" is the report's URL; "Source" names who reported it
EVIDENCE = ("Source", "status", "error", "published_at", "ID")


def report_sites(sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
                 ) -> tuple[list[Report], list[ReportSite]]:  # fmt: skip
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
            found = sites.setdefault(site, ReportSite(
                site, category, int(count) if count and count.isdigit() else None))  # fmt: skip
            if found.category != category:
                warnings.append(f"sheet {sheet.title} row {number}: {site!r} is {category!r},"
                                f" another sheet says {found.category!r} (that kept)")  # fmt: skip
    return _reports(urls, False, rejected), list(sites.values())


def ioc_reports(sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
                ) -> list[Report]:  # fmt: skip
    """IoC-report.xlsx: a report per URL, its other cells (names, IoCs) as the report's text."""
    found = data_sheets(sheets, ("URL",), label, warnings)
    if not found:
        raise Unusable(f"{label}: no sheet has a 'URL' column")
    return _reports(found, True, rejected)


def _reports(sheets: list[Sheet], with_iocs: bool, rejected: list[str]) -> list[Report]:
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
    return [Report(key, url, site, None, None, "\n".join(cells))
            for key, (url, site, cells) in found.items()]  # fmt: skip


def source_links(sheets: list[Sheet], label: str, warnings: list[str], rejected: list[str]
                 ) -> list[ReportLink]:  # fmt: skip
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
            links.append(ReportLink(url, ecosystem, name, version,
                                    (*said, ("row", f"{sheet.title} row {number}"))))  # fmt: skip
    return links
