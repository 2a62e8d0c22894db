"""The MalGraph paper's own graph (artifact Rebecia/OSS-MPAW, folder KG/) read as its labelling:
code clusters (`*_end.xlsx`, `clusters_*.json`), crawler results (`*_results.xlsx`) and the
NetworkX node-link graphs of its duplicated, dependency and co-existing edges.

Each file becomes groups of package-versions (or packages, where the paper gives no version)
per relation kind, with the group's key: a cluster id, a component, a report URL, a dependency
pair. They are the paper's answer, kept apart from malgraph's claims and relations so the two
can be compared; nothing here becomes a claim, a package node or an edge.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from malgraph.core.identity import ecosystem_of
from malgraph.core.kinds import LabelKind, MemberRole
from malgraph.core.model import Document, LabelGroup, LabelMember, Problem, ReportLink
from malgraph.core.urls import url_key
from malgraph.sources.base import file_time
from malgraph.sources.inputs import InputFile
from malgraph.sources.workbooks import Unusable, read_workbook

LABELLER = "malgraph-paper"
SIMILAR, SIMILAR_RUN, DUPLICATED = LabelKind.SIMILAR, LabelKind.SIMILAR_RUN, LabelKind.DUPLICATED
DEPENDENCY, DEPENDS_ON, COEXISTING = (
    LabelKind.DEPENDENCY,
    LabelKind.DEPENDS_ON,
    LabelKind.COEXISTING,
)
KINDS = tuple(LabelKind)
FOLDERS = {
    "similar_edge": SIMILAR,
    "duplicated_edge": DUPLICATED,
    "dependency_edge": DEPENDENCY,
    "co-existing_edge": COEXISTING,
}
# How the artifact names ecosystems in folders and file names (npm/, pypi_end, clusters_rb).
ECOSYSTEMS = {
    "npm": "npm",
    "js": "npm",
    "pypi": "PyPI",
    "py": "PyPI",
    "ruby": "RubyGems",
    "rb": "RubyGems",
    "rubygems": "RubyGems",
}
PLACEHOLDERS = frozenset({"", "none", "null", "nil", "nan", "n/a", "not available", "[]"})
MAX_LIST_TEXT = 1 << 20  # a found_names cell; literal_eval's cost grows with its input
_VERSION = re.compile(r"v?\d")  # a version the paper gives apart starts so
_CUT_VERSION = re.compile(r"v?\d+(\.\d+)+[0-9A-Za-z.+_!-]*\Z")  # one cut from a name: dotted
_DATADOG = re.compile(r"\d{4}-\d{2}-\d{2}-(?P<name>.+)-v(?P<version>\d[^-]*)\Z")
_SAMPLE_SUFFIX = re.compile(r"(_sourcecode)?\.(js|py|rb)\Z|\.(tar\.gz|tgz|tar|gem|zip|whl)\Z")


class _Unusable(Exception):
    """A file that cannot be read as the paper's graph; the message says why."""


def is_paper_graph(path: PurePath) -> bool:
    """Whether a file of the paper's artifact is part of its graph (the rest are its data)."""
    name = path.name.lower()
    return name.endswith((".json", "_end.xlsx", "_results.xlsx"))


def parse_paper_graph(raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
    """One file of the paper's graph -> a Document holding only its label groups."""
    path = item.inner
    name = path.name.lower()
    warnings: list[str] = []
    rejected: list[str] = []
    links: list[ReportLink] = []
    try:
        if name.endswith("_end.xlsx"):
            groups = _end_workbook(raw, path, rejected)
        elif name.endswith("_results.xlsx"):
            groups, links = _results_workbook(raw, path, rejected)
        else:
            groups = _json_file(raw, path, warnings, rejected)
    except _Unusable as exc:
        return Problem(item.display, str(exc))
    if not groups and rejected:
        return Problem(item.display, f"no usable group ({rejected[0]})")
    return Document(
        item.display,
        sha256,
        "paper",
        f"paper-graph/{_relative(path)}",
        file_time(item),
        (),
        tuple(warnings),
        tuple(rejected),
        links=tuple(links),
        labels=tuple(groups),
    )


def _relative(path: PurePath) -> str:
    """The file's path from the artifact's KG/ folder on, so that two checkouts of the
    artifact are one document; the last three parts when there is no KG/ above it."""
    parts = path.parts
    lowered = [p.lower() for p in parts]
    start = len(parts) - 1 - lowered[::-1].index("kg") if "kg" in lowered else len(parts) - 3
    return "/".join(parts[max(start, 0) :])


def _ecosystem_of_path(path: PurePath) -> str | None:
    """npm/, pypi_end.xlsx, clusters_rb.json, ruby_graph.json: the nearest hint wins."""
    for part in reversed(path.parts):
        for word in re.split(r"[_.\-/]", part.lower()):
            if word in ECOSYSTEMS:
                return ECOSYSTEMS[word]
    return None


def _text(value: object) -> str | None:
    """A cell or attribute as text; the paper's ways of writing "unknown" become None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return None if text.lower() in PLACEHOLDERS else text


def _ecosystem(oss: object, fallback: str | None) -> str | None:
    given = _text(oss)
    return ecosystem_of(ECOSYSTEMS.get(given.lower(), given)).name if given else fallback


def split_name_version(text: str) -> tuple[str, str | None]:
    """A name and version run together -> (name, version): "name-1.2.3", "@scope/name@1.0.1",
    a DataDog sample's "2023-04-02-name-v1.0". Names hold hyphens and digits, so a hyphen cuts
    only before a dotted version; without one the text is a name alone."""
    if found := _DATADOG.match(text):
        return found["name"], found["version"]
    at = text.rfind("@")
    if at > 0 and _VERSION.match(text, at + 1):
        return text[:at], text[at + 1 :]
    for i, char in enumerate(text):
        if char == "-" and i and _CUT_VERSION.match(text, i + 1):
            return text[:i], text[i + 1 :]
    return text, None


def _member(
    ecosystem: str | None,
    name: str | None,
    version: str | None,
    given: str,
    role: MemberRole = MemberRole.MEMBER,
) -> LabelMember | None:
    if not ecosystem or not name:
        return None
    if version is not None and not _VERSION.match(version):
        version = None  # e.g. a scope split off as a version ("-dydxprotocol/solo")
    return LabelMember(ecosystem, name, version, given, role)


# --- workbooks ---------------------------------------------------------------------------------


def _rows(raw: bytes, label: str, needed: tuple[str, ...]) -> Iterable[tuple[int, dict[str, Any]]]:
    """Each data row of every sheet as {header: value} (the first of repeated headers), with
    its row number as Excel shows it, read by the paper's one safe workbook reader."""
    try:
        sheets = read_workbook(raw, label)
    except Unusable as exc:
        raise _Unusable(str(exc)) from exc
    out = []
    for sheet in sheets:
        if missing := [c for c in needed if c not in sheet.columns]:
            raise _Unusable(f"{label} sheet {sheet.title}: missing column {missing[0]!r}")
        out += [
            (number, {h: row[i] if i < len(row) else None for h, i in sheet.columns.items()})
            for number, row in sheet.rows
        ]
    return out


def _end_workbook(raw: bytes, path: PurePath, rejected: list[str]) -> list[LabelGroup]:
    """The paper's final code clusters: a row per package-version, its label in `cluster`."""
    fallback = _ecosystem_of_path(path)
    clusters: dict[str, list[LabelMember]] = defaultdict(list)
    for number, row in _rows(raw, path.name, ("cluster", "name_version")):
        cluster, text = _text(row["cluster"]), _text(row["name_version"])
        name, version = _text(row.get("name")), _text(row.get("version"))
        if text and name and text.startswith(name + "-"):  # a version typed as a number
            version = text[len(name) + 1 :]  # loses its zeros; the joined text keeps them
        elif text and not name:
            name, version = split_name_version(text)
        found = _member(_ecosystem(row.get("OSS"), fallback), name, version, text or "")
        if cluster is None or found is None:
            why = "cluster" if cluster is None else "name or ecosystem"
            rejected.append(f"row {number}: no {why}")
            continue
        clusters[cluster].append(found)
    return [
        LabelGroup(LABELLER, SIMILAR, f"{members[0].ecosystem} cluster {cluster}", tuple(members))
        for cluster, members in clusters.items()
    ]


def _names(cell: object) -> list[str] | None:
    """found_names: a Python list literal of names, as the crawler wrote it."""
    text = _text(cell)
    if text is None:
        return []
    if len(text) > MAX_LIST_TEXT:
        return None
    if not text.startswith("["):
        return [n.strip() for n in text.split(",") if n.strip()]
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
        return None
    return [n.strip() for n in value if n.strip()]


def _results_workbook(
    raw: bytes, path: PurePath, rejected: list[str]
) -> tuple[list[LabelGroup], list[ReportLink]]:
    """The crawler's results: a report URL and the package names found in its page. They are
    the paper's co-existing labelling and, like a source-report list, report-to-package links
    (never claims)."""
    ecosystem = _ecosystem_of_path(path)
    if ecosystem is None:
        raise _Unusable(f"{path.name}: no ecosystem in its name (npm_, pypi_, ruby_)")
    groups: dict[str, dict[LabelMember, None]] = defaultdict(dict)
    links: dict[tuple[str, str], ReportLink] = {}
    for number, row in _rows(raw, path.name, ("url", "found_names")):
        url, names = _text(row["url"]), _names(row["found_names"])
        keyed = url_key(url) if url else None
        if keyed is None or names is None:
            why = f"{url!r} is not an http(s) URL" if keyed is None else "found_names unreadable"
            rejected.append(f"row {number}: {why}")
            continue
        for name in names:
            groups[keyed[0]][LabelMember(ecosystem, name, None, name)] = None
            where = (("row", f"{path.name} row {number}"),)
            links.setdefault((keyed[0], name), ReportLink(str(url), ecosystem, name, None, where))
    return [
        LabelGroup(LABELLER, COEXISTING, key, tuple(members))
        for key, members in groups.items()
        if members
    ], list(links.values())


# --- JSON: clusters and node-link graphs -------------------------------------------------------


def _json_file(
    raw: bytes, path: PurePath, warnings: list[str], rejected: list[str]
) -> list[LabelGroup]:
    try:  # the graphs hold bare NaN (pandas' missing value): read as None
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=lambda _: None)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Unusable(f"{path.name}: not JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("nodes"), list):
        return _graph(data, path, warnings, rejected)
    if (
        isinstance(data, dict)
        and data
        and all(isinstance(v, dict) and isinstance(v.get("samples"), list) for v in data.values())
    ):
        return _clusters(data, path, rejected)
    warnings.append("neither a node-link graph nor clusters of the paper's (skipped)")
    return []


def _sample_member(file_path: str, ecosystem: str | None) -> LabelMember | None:
    """A sample's path (".../sourcecode/coming_soon-0.2.4_sourcecode.rb") -> its package."""
    base = PurePath(file_path.replace("\\", "/")).name
    stem = base
    while found := _SAMPLE_SUFFIX.search(stem):
        stem = stem[: found.start()]
    name, version = split_name_version(stem)
    return _member(ecosystem, name, version, base)


def _clusters(data: dict[str, Any], path: PurePath, rejected: list[str]) -> list[LabelGroup]:
    """A clustering run's output: per cluster id, the samples (code files) it holds."""
    ecosystem = _ecosystem_of_path(path)
    groups = []
    for cluster, value in data.items():
        members: dict[LabelMember, None] = {}
        for index, sample in enumerate(value["samples"]):
            where = sample.get("file_path") if isinstance(sample, dict) else sample
            found = _sample_member(where, ecosystem) if isinstance(where, str) else None
            if found is None:
                rejected.append(f"cluster {cluster} sample {index}: no package in {where!r}")
                continue
            members[found] = None
        if members:
            key = f"{ecosystem or 'unknown'} run cluster {cluster}"
            groups.append(LabelGroup(LABELLER, SIMILAR_RUN, key, tuple(members)))
    return groups


def _node_member(node: dict[str, Any], fallback: str | None) -> LabelMember | None:
    """A node as a package(-version). The graphs name it in several ways: name and version
    apart (`version`, or `verison` in the metadata graphs), a joined `package_name` or
    `name_version`, or only an id "name-version" (the source-code dependency graphs)."""
    ecosystem = _ecosystem(node.get("OSS"), fallback)
    joined = _text(node.get("name_version")) or _text(node.get("package_name"))
    name = _text(node.get("name"))
    if name:
        version = _text(node.get("version")) or _text(node.get("verison"))
        if joined and joined.startswith(name + "-"):
            version = joined[len(name) + 1 :]
        elif version and _VERSION.match(version) and name.endswith(f"-{version}"):  # twice
            name = name[: -len(version) - 1]
        return _member(
            ecosystem, name, version, joined or name + (f"-{version}" if version else "")
        )
    text = joined or (node["id"] if isinstance(node.get("id"), str) else None)
    if not text:
        return None
    return _member(ecosystem, *split_name_version(text), text)


def _kind_of_graph(
    path: PurePath, nodes: list[dict[str, Any]], links: list[dict[str, Any]], directed: bool
) -> LabelKind | None:
    """The relation a graph draws: from its folder in the artifact, else from its attributes."""
    for part in reversed(path.parts):
        if part.lower() in FOLDERS:
            return FOLDERS[part.lower()]
    if any("report" in e for e in links) or any("report" in n or "url" in n for n in nodes):
        return COEXISTING
    if directed or any("edge_dependency" in n for n in nodes):
        return DEPENDENCY
    if any("edge_name" in n for n in nodes):
        return DUPLICATED
    return None


def _components(nodes: Iterable[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Weakly connected components of two or more nodes, each sorted, in node order."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in parent:
        groups[root(n)].append(n)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _graph(
    data: dict[str, Any], path: PurePath, warnings: list[str], rejected: list[str]
) -> list[LabelGroup]:
    """A NetworkX node-link graph: components (duplicated, dependency), dependency pairs
    (source depends on target, as the paper added them), or report groups (co-existing)."""
    nodes = [n for n in data["nodes"] if isinstance(n, dict) and "id" in n]
    raw_links = data.get("links", data.get("edges")) or []
    links = [e for e in raw_links if isinstance(e, dict)]
    kind = _kind_of_graph(path, nodes, links, bool(data.get("directed")))
    if kind is None:
        warnings.append("a graph of no relation the paper draws (skipped)")
        return []
    fallback = _ecosystem_of_path(path)
    members: dict[str, LabelMember] = {}
    for node in nodes:  # ids are ints in some files and strings in others; links mix them
        if (found := _node_member(node, fallback)) is not None:
            members[str(node["id"])] = found
        else:
            rejected.append(f"node {node['id']!r}: no package name or ecosystem")
    pairs: list[tuple[str, str, str | None]] = []
    for index, link in enumerate(links):
        ends = (str(link.get("source")), str(link.get("target")))
        if not all(end in members for end in ends):
            rejected.append(f"link {index}: an end names no package node {ends!r}")
            continue
        report = _text(link.get("report"))
        pairs.append((*ends, report))
    if kind == COEXISTING:
        return _report_groups(nodes, members, pairs)
    components = _components(members, ((a, b) for a, b, _ in pairs))
    groups = [
        LabelGroup(
            LABELLER,
            kind,
            f"component at node {ids[0]}",
            tuple(dict.fromkeys(members[i] for i in ids)),
        )
        for ids in components
    ]
    if kind == DEPENDENCY:
        for a, b, _ in dict.fromkeys(pairs):
            pair = (
                replace(members[a], role=MemberRole.FROM),
                replace(members[b], role=MemberRole.TO),
            )
            groups.append(
                LabelGroup(LABELLER, DEPENDS_ON, f"{pair[0].given} -> {pair[1].given}", pair)
            )
    alone = len(members) - len({i for ids in components for i in ids})
    if alone > 0:
        warnings.append(f"{alone} nodes without an edge are in no group")
    return groups


def _report_groups(
    nodes: list[dict[str, Any]],
    members: dict[str, LabelMember],
    pairs: list[tuple[str, str, str | None]],
) -> list[LabelGroup]:
    """Per report URL, the packages its nodes or edges carry it for."""
    by_report: dict[str, dict[LabelMember, None]] = defaultdict(dict)
    for node in nodes:
        url = _text(node.get("url")) or _text(node.get("report"))
        if url and str(node["id"]) in members:
            by_report[url][members[str(node["id"])]] = None
    for a, b, url in pairs:
        if url:
            by_report[url].update(dict.fromkeys((members[a], members[b])))
    groups: dict[str, dict[LabelMember, None]] = defaultdict(dict)
    for url, found in by_report.items():
        keyed = url_key(url)
        groups[keyed[0] if keyed else url].update(found)
    return [LabelGroup(LABELLER, COEXISTING, key, tuple(found)) for key, found in groups.items()]
