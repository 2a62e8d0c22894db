"""The dependency relation: `A depends-on B` where B is a malicious package in the store, from
declared dependencies in A's manifests, imports in A's code (resolved by ecosystem rules), and
dependency lists that sources give without code. Each edge keeps every piece of evidence.

Versions count: when B is malicious only in some versions, a declared constraint makes an edge
only if it admits one of them; a link that names B without a readable constraint (an import, a
source's list of names, a dist-tag, a URL), or that reaches B only through claims whose versions
are unknown, is kept as a name-only edge of low confidence (step NAME_ONLY_STEP), which the
dependency-hidden counts (RQ3) and campaign evidence leave out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from malgraph.core.graph import NAME_ONLY_STEP
from malgraph.core.identity import canonical_name
from malgraph.core.kinds import (
    CodeEcosystem,
    CodeLanguage,
    DependencyKind,
    DependencyMatch,
    DependencyVia,
    EdgeKind,
    NodeType,
)
from malgraph.core.languages import language_of
from malgraph.core.model import Edge, Scope
from malgraph.core.relations import (
    ArchiveDependencies,
    CodeImport,
    DeclaredDependency,
    ListedDependencies,
    TargetClaim,
)
from malgraph.relations.dependency_rules import own_modules, package_of_import, spec_admits

LANGUAGE_ECOSYSTEM: dict[str, CodeEcosystem] = {
    CodeLanguage.PYTHON: CodeEcosystem.PYPI,
    CodeLanguage.JAVASCRIPT: CodeEcosystem.NPM,
    CodeLanguage.RUBY: CodeEcosystem.RUBYGEMS,
}
# Kinds a consumer's install does not pull in: still a link, a weaker one.
DEVELOPMENT_KINDS = frozenset(
    {
        DependencyKind.DEV_DEPENDENCIES,
        DependencyKind.DEVELOPMENT,
        DependencyKind.TESTS_REQUIRE,
        DependencyKind.GEMFILE,
    }
)
EVIDENCE_KEPT = 10  # per edge; "evidence_count" says how many there were
NAME_ONLY = 0.2  # the same name, no version shown malicious: a lead, not a dependency
Node = tuple[NodeType, int]  # a package-version or a package
# How a link reaches a malicious version (Targets.admits).
Reach = tuple[DependencyMatch, list[str] | None]


@dataclass
class DependencySummary:
    edges: int = 0
    by_via: Counter[DependencyVia] = field(default_factory=Counter)
    excluded_by_spec: int = 0  # declared, but the spec admits no malicious version
    name_only: int = 0  # edges by name only (left out of the dependency-hidden counts)


class Targets:
    """Malicious packages in the store: the versions their claims name, whether a claim holds
    every version, and whether one names the package without saying which versions."""

    def __init__(self, claims: Iterable[TargetClaim]) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.versions: dict[int, set[str]] = defaultdict(set)
        self.every: set[int] = set()  # some claim: every version is malicious
        self.unknown: set[int] = set()  # some claim: versions unknown (or a range's examples)
        for package, eco, name, scope, version in claims:
            self.ids[eco, name] = package
            if scope == Scope.ALL:
                self.every.add(package)
            elif scope != Scope.LISTED or version is None:
                self.unknown.add(package)
            if version is not None:
                self.versions[package].add(version)

    def find(self, ecosystem: str, name: str) -> int | None:
        return self.ids.get((ecosystem, canonical_name(ecosystem, name)))

    def admits(self, ecosystem: str, target: int, spec: str | None) -> Reach | None:
        """How a dependency on the target with this constraint (None: none given) reaches a
        malicious version: (VERSION, the malicious versions it admits, None for every
        version), (NAME_ONLY, None), or None when the constraint admits none of them."""
        if target in self.every:
            return DependencyMatch.VERSION, None
        admitted = spec_admits(ecosystem, spec, self.versions[target]) if spec is not None else None
        if admitted:
            return DependencyMatch.VERSION, admitted
        if admitted is None or target in self.unknown:
            return DependencyMatch.NAME_ONLY, None
        return None


class _Edges:
    def __init__(self) -> None:
        self.found: dict[tuple[Node, int], list[tuple[float, dict[str, Any]]]] = defaultdict(list)

    def add(self, src: Node, dst: int, confidence: float, evidence: dict[str, Any]) -> None:
        self.found[src, dst].append((confidence, evidence))


def dependency_edges(
    claims: Iterable[TargetClaim],
    package_of: Mapping[int, int],
    archives: Iterable[ArchiveDependencies],
    listed: Iterable[ListedDependencies],
) -> tuple[list[Edge], DependencySummary]:
    """Every depends-on edge: from each archive's declared dependencies and imports (for every
    package-version holding it; `package_of` maps those to their package) and from the
    sources' dependency lists, to the packages the active `claims` make malicious."""
    summary, edges, targets = DependencySummary(), _Edges(), Targets(claims)
    for archive in archives:
        _from_code(archive, targets, package_of, edges, summary)
    for dependencies in listed:
        _from_sources(dependencies, targets, edges)
    found_edges = [
        _edge(src, dst, found, summary) for (src, dst), found in sorted(edges.found.items())
    ]
    summary.edges = len(found_edges)
    return found_edges, summary


def _edge(
    src: Node, dst: int, found: list[tuple[float, dict[str, Any]]], summary: DependencySummary
) -> Edge:
    """One edge with its strongest evidence first (at most EVIDENCE_KEPT of it)."""
    found.sort(key=lambda f: (-f[0], orjson.dumps(f[1], option=orjson.OPT_SORT_KEYS)))
    evidence = [e for _, e in found[:EVIDENCE_KEPT]]
    name_only = all(e.get("match") == DependencyMatch.NAME_ONLY for _, e in found)
    summary.name_only += name_only
    summary.by_via.update({e["via"] for e in evidence})
    return Edge(
        EdgeKind.DEPENDS_ON,
        src,
        (NodeType.PACKAGE, dst),
        {"evidence": evidence, "evidence_count": len(found)},
        found[0][0],
        NAME_ONLY_STEP if name_only else f"dependency/{found[0][1]['via']}",
    )


def _from_code(
    archive: ArchiveDependencies,
    targets: Targets,
    package_of: Mapping[int, int],
    edges: _Edges,
    summary: DependencySummary,
) -> None:
    """The archive's links, for every package-version holding it (never to its own package)."""

    def link(target: int, confidence: float, evidence: dict[str, Any]) -> None:
        for version in archive.versions:
            if target != package_of[version]:
                edges.add((NodeType.PACKAGE_VERSION, version), target, confidence, evidence)

    declared: set[tuple[str, str]] = set()
    for dependency in archive.declared:
        declared.add((dependency.ecosystem, canonical_name(dependency.ecosystem, dependency.name)))
        target = targets.find(dependency.ecosystem, dependency.name)
        if target is None:
            continue
        if (reach := targets.admits(dependency.ecosystem, target, dependency.spec or "")) is None:
            summary.excluded_by_spec += 1
            continue
        link(target, *_declared_link(dependency, reach))
    for code_import in archive.imports:
        eco = LANGUAGE_ECOSYSTEM.get(language_of(code_import.file) or "")
        own = own_modules(eco or "", archive.paths, archive.manifest_names)
        resolved = (
            package_of_import(eco, code_import.module, code_import.relative, own) if eco else None
        )
        if resolved is None or (target := targets.find(eco or "", resolved[0])) is None:
            continue
        named = (eco or "", canonical_name(eco or "", resolved[0])) in declared
        match = DependencyMatch.VERSION if target in targets.every else DependencyMatch.NAME_ONLY
        link(target, *_import_link(code_import, resolved[1], named, match))


def _declared_link(dependency: DeclaredDependency, reach: Reach) -> tuple[float, dict[str, Any]]:
    """The confidence and evidence of a declared dependency that reaches a target."""
    evidence = {
        "via": DependencyVia.MANIFEST,
        "kind": dependency.kind,
        "name": dependency.name,
        "spec": dependency.spec,
        "file": dependency.file,
        "line": dependency.line,
        "snippet": dependency.snippet,
        "match": reach[0],
        "admits": reach[1],
    }
    confidence = 0.7 if dependency.kind in DEVELOPMENT_KINDS else 1.0
    return (confidence if reach[0] == DependencyMatch.VERSION else NAME_ONLY), evidence


def _import_link(
    code_import: CodeImport, rule: str, declared: bool, match: DependencyMatch
) -> tuple[float, dict[str, Any]]:
    """The confidence and evidence of an import resolved to a target by `rule`."""
    evidence = {
        "via": DependencyVia.IMPORT,
        "kind": code_import.kind,
        "module": code_import.module,
        "file": code_import.file,
        "line": code_import.line,
        "snippet": code_import.snippet,
        "rule": rule,
        "declared": declared,
        "match": match,
    }
    return ((0.9 if declared else 0.6) if match == DependencyMatch.VERSION else NAME_ONLY), evidence


def _from_sources(listed: ListedDependencies, targets: Targets, edges: _Edges) -> None:
    nodes: list[Node] = [(NodeType.PACKAGE_VERSION, v) for v in listed.versions]
    for name in listed.names:
        target = targets.find(listed.ecosystem, name)
        if target is None or target == listed.package_id:
            continue
        # a source's list names no constraint: only a package bad in every version is reached
        match = DependencyMatch.VERSION if target in targets.every else DependencyMatch.NAME_ONLY
        evidence = {
            "via": DependencyVia.SOURCE,
            "source": listed.source,
            "record": listed.record_id,
            "name": name,
            "match": match,
        }
        for node in nodes or [(NodeType.PACKAGE, listed.package_id)]:
            edges.add(
                node, target, 0.9 if match == DependencyMatch.VERSION else NAME_ONLY, evidence
            )
