"""The MalOSS lists (osssanitizer/maloss, NDSS'21): name lists per registry, Snyk's list, a
jcenter path list, and a detail sheet with upload, report and removal dates.

Each file is a document of the `maloss` feed. Snyk's list is attributed to `snyk`, whose
claims MalOSS relays; everything else to `maloss`. The `.with_stats` files repeat the names
of their plain twins with download counts, so they add no claim.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from malgraph.core.dates import normalise_day
from malgraph.core.model import Document, Problem, Record
from malgraph.sources.base import claim, file_time, text_of
from malgraph.sources.inputs import InputFile

REGISTRIES = {
    "npmjs": "npm",
    "npm": "npm",
    "pypi": "PyPI",
    "pip": "PyPI",
    "rubygems": "RubyGems",
    "maven": "Maven",
}
_NAME_LIST = re.compile(r"^(npmjs|pypi|rubygems|maven)-mal-pkgs(?:\.([a-z]+?)(\d{4})?)?\.txt$")
_SNYK_LINE = re.compile(r"^(npm|pip|rubygems)/(.+)/([^/]+)/README\.md:- \[(.*)\]\((\S+)\)\s*$")
_SNYK_ECOSYSTEM = (
    ("snyk.io/vuln/npm:", "npm"),
    ("SNYK-JS-", "npm"),
    ("SNYK-PYTHON-", "PyPI"),
    ("SNYK-RUBY-", "RubyGems"),
)
DETAIL_SHEET = "Reported Malware Analysis - Detail.csv"


class MalossSource:
    name: str = "maloss"
    description: str = (
        "the MalOSS lists (osssanitizer/maloss malware/): names, Snyk, jcenter, details"
    )
    suffixes: tuple[str, ...] = (".txt", ".csv")
    containers: bool = True

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        file_name = item.inner.name
        text = text_of(raw, item)
        if isinstance(text, Problem):
            return text
        warnings: tuple[str, ...] = ()
        rejected: list[str] = []
        if file_name == DETAIL_SHEET:
            records = list(_detail_sheet(text, rejected))
        elif file_name == "snyk-mal-pkgs.txt":
            records = list(_snyk(text, rejected))
        elif file_name == "jcenter-mal-pkgs.txt":
            records = list(_jcenter(text, rejected))
        elif file_name.endswith(".with_stats.txt"):
            records, warnings = [], ("download counts of a name list; its names come from there",)
        elif match := _NAME_LIST.match(file_name):
            records = list(_name_list(text, REGISTRIES[match[1]], match[2], match[3]))
        else:  # the folder also holds scripts' files (requirements.txt): not data
            records, warnings = [], ("not a MalOSS list by its name (skipped)",)
        return Document(
            item.display,
            sha256,
            "maloss",
            f"maloss/{file_name}",
            file_time(item),
            tuple(records),
            warnings,
            tuple(rejected),
        )


def _name_list(text: str, ecosystem: str, month: str | None, year: str | None) -> Iterator[Record]:
    listed = normalise_day(f"{month} {year}") if month and year else None
    names = [line.strip() for line in text.splitlines()]
    for name in dict.fromkeys(n for n in names if n and n.lower() != "package name"):
        yield claim("maloss", ecosystem, name, published=listed)


def _snyk(text: str, rejected: list[str]) -> Iterator[Record]:
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if match := _SNYK_LINE.match(line):
            eco, name, ident, title, url = match.groups()
            yield claim(
                "snyk",
                REGISTRIES[eco],
                name,
                ident=f"snyk/{eco}/{name}/{ident}",
                urls=(url,),
                details=title,
            )
        elif line.strip() and not line.startswith(" ") and "/" not in line:
            # The tail of the file: "name[=v1,v2]" then an indented advisory URL.
            url = lines[number].strip().removeprefix("- ") if number < len(lines) else ""
            eco = next((e for marker, e in _SNYK_ECOSYSTEM if marker in url), None)
            if eco is None:
                rejected.append(f"line {number}: no Snyk advisory URL names the registry")
                continue
            name, _, versions = line.strip().partition("=")
            yield claim(
                "snyk",
                eco,
                name,
                versions=tuple(versions.split(",")) if versions else (),
                urls=(url,),
            )


def _jcenter(text: str, rejected: list[str]) -> Iterator[Record]:
    """Paths /user/repo/<group...>/<artifact>/<version>/<file> (or .../maven-metadata.xml)."""
    artifacts: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        parts = [p for p in line.strip().split("/") if p]
        if not parts:
            continue
        metadata = parts[-1].startswith("maven-metadata")
        group, artifact = (parts[2:-2], parts[-2]) if metadata else (parts[2:-3], parts[-3])
        if len(parts) < 5 or not group:
            rejected.append(f"line {number}: not a Maven repository path")
            continue
        versions = artifacts.setdefault(".".join(group) + ":" + artifact, [])
        if not metadata and parts[-2] not in versions:
            versions.append(parts[-2])
    for coordinates, versions in artifacts.items():
        yield claim("maloss", "Maven", coordinates, versions=tuple(versions))


def _detail_sheet(text: str, rejected: list[str]) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        where = f"line {reader.line_num}"
        name = (row.get("Package Name") or "").strip()
        registry = (row.get("Package Manager") or "").strip().lower()
        if not name or registry not in REGISTRIES:
            rejected.append(f"{where}: needs a package name and a known package manager")
            continue
        versions = tuple(v.strip() for v in (row.get("Package Version") or "").split(","))
        traits = [f"{k.lower()}: {row[k]}" for k in ("Stage", "Strategy", "Behavior") if row.get(k)]
        day = {
            k: normalise_day(row[k]) if row.get(k) else None
            for k in ("First Reported", "Upload Time", "Remove Time")
        }
        yield claim(
            "maloss",
            REGISTRIES[registry],
            name,
            versions=versions,
            ident=f"maloss/detail/{registry}/{name}",
            published=day["First Reported"],
            released=day["Upload Time"],
            removed=day["Remove Time"],
            details="; ".join(traits) or None,
        )
