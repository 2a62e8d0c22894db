"""The dependency relation: `A depends-on B` where B is a malicious package in the store, from
declared dependencies in A's manifests, imports in A's code (resolved by ecosystem rules), and
dependency lists that sources give without code. Each edge keeps every piece of evidence.

Versions count: when B is malicious only in some versions, a declared constraint makes an edge
only if it admits one of them; a link that names B without a readable constraint (an import, a
source's list of names, a dist-tag, a URL), or that reaches B only through claims whose versions
are unknown, is kept as a name-only edge of low confidence (step NAME_ONLY_STEP), which the
dependency-hidden counts (RQ3) and campaign evidence leave out."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from malgraph.analysis.languages import language_of
from malgraph.core.graph import NAME_ONLY_STEP
from malgraph.core.identity import canonical_name
from malgraph.relations.dependency_rules import own_modules, package_of_import, spec_admits
from malgraph.store import Store

LANGUAGE_ECOSYSTEM = {"python": "PyPI", "javascript": "npm", "ruby": "RubyGems"}
# Kinds a consumer's install does not pull in: still a link, a weaker one.
DEVELOPMENT_KINDS = frozenset({"devDependencies", "development", "tests_require", "gemfile"})
EVIDENCE_KEPT = 10  # per edge; "evidence_count" says how many there were
NAME_ONLY = 0.2  # the same name, no version shown malicious: a lead, not a dependency
Node = tuple[str, int]  # ('package_version' | 'package', id)


@dataclass
class DependencySummary:
    edges: int = 0
    by_via: Counter[str] = field(default_factory=Counter)
    excluded_by_spec: int = 0  # declared, but the spec admits no malicious version
    name_only: int = 0  # edges by name only (left out of the dependency-hidden counts)


class Targets:
    """Malicious packages in the store: the versions their claims name, whether a claim holds
    every version, and whether one names the package without saying which versions."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.versions: dict[int, set[str]] = defaultdict(set)
        self.every: set[int] = set()  # some claim: every version is malicious
        self.unknown: set[int] = set()  # some claim: versions unknown (or a range's examples)
        for package, eco, name, scope, version in db.execute(
            "SELECT p.id, p.ecosystem, p.name, r.scope, pv.version FROM records r"
            " JOIN packages p ON p.id = r.package_id LEFT JOIN record_versions rv"
            " ON rv.record_id = r.id LEFT JOIN package_versions pv ON pv.id = rv.version_id"
            " WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        ):
            self.ids[eco, name] = package
            if scope == "all":
                self.every.add(package)
            elif scope != "listed" or version is None:
                self.unknown.add(package)
            if version is not None:
                self.versions[package].add(version)

    def find(self, ecosystem: str, name: str) -> int | None:
        return self.ids.get((ecosystem, canonical_name(ecosystem, name)))

    def admits(
        self, ecosystem: str, target: int, spec: str | None
    ) -> tuple[str, list[str] | None] | None:
        """How a dependency on the target with this constraint (None: none given) reaches a
        malicious version: ("version", the malicious versions it admits, None for every
        version), ("name-only", None), or None when the constraint admits none of them."""
        if target in self.every:
            return "version", None
        admitted = spec_admits(ecosystem, spec, self.versions[target]) if spec is not None else None
        if admitted:
            return "version", admitted
        if admitted is None or target in self.unknown:
            return "name-only", None
        return None


class _Edges:
    def __init__(self) -> None:
        self.found: dict[tuple[Node, int], list[tuple[float, dict[str, Any]]]] = defaultdict(list)

    def add(self, src: Node, dst: int, confidence: float, evidence: dict[str, Any]) -> None:
        self.found[src, dst].append((confidence, evidence))


def refresh_dependencies(store: Store) -> DependencySummary:
    """Recompute every depends-on edge (read first, then one write transaction)."""
    db, summary, edges = store.db, DependencySummary(), _Edges()
    targets = Targets(db)
    package_of = dict(db.execute("SELECT id, package_id FROM package_versions"))
    _from_code(db, targets, package_of, edges, summary)
    _from_sources(db, targets, edges)
    rows = []
    for ((src_type, src_id), dst), found in sorted(edges.found.items()):
        found.sort(key=lambda f: (-f[0], orjson.dumps(f[1], option=orjson.OPT_SORT_KEYS)))
        evidence = [e for _, e in found[:EVIDENCE_KEPT]]
        name_only = all(e.get("match") == "name-only" for _, e in found)
        summary.name_only += name_only
        summary.by_via.update({e["via"] for e in evidence})
        rows.append(
            (
                src_type,
                src_id,
                dst,
                orjson.dumps({"evidence": evidence, "evidence_count": len(found)}).decode(),
                found[0][0],
                NAME_ONLY_STEP if name_only else f"dependency/{found[0][1]['via']}",
            )
        )
    with store.transaction() as tx:
        tx.execute("DELETE FROM edges WHERE kind = 'depends_on'")
        tx.executemany(
            "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence,"
            " step) VALUES ('depends_on', ?, ?, 'package', ?, ?, ?, ?)",
            rows,
        )
    summary.edges = len(rows)
    return summary


def _from_code(
    db: sqlite3.Connection,
    targets: Targets,
    package_of: dict[int, int],
    edges: _Edges,
    summary: DependencySummary,
) -> None:
    holders: dict[str, list[int]] = defaultdict(list)
    for sha256, version in db.execute(
        "SELECT DISTINCT a.sha256, a.package_version_id FROM artifacts a"
        " JOIN code_analyses c ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
    ):
        holders[sha256].append(version)
    for sha256, versions in sorted(holders.items()):
        paths = [
            p for (p,) in db.execute("SELECT path FROM code_files WHERE sha256 = ?", (sha256,))
        ]
        [(manifests,)] = db.execute(
            "SELECT manifests FROM code_analyses WHERE sha256 = ?", (sha256,)
        )
        names = [m["name"] for m in orjson.loads(manifests) if m.get("name")]
        declared: set[tuple[str, str]] = set()
        for eco, name, spec, kind, file, line, snippet in db.execute(
            "SELECT ecosystem, name, spec, kind, file, line, snippet FROM code_dependencies"
            " WHERE sha256 = ?",
            (sha256,),
        ):
            declared.add((eco, canonical_name(eco, name)))
            target = targets.find(eco, name)
            if target is None:
                continue
            if (reach := targets.admits(eco, target, spec or "")) is None:
                summary.excluded_by_spec += 1
                continue
            evidence = {
                "via": "manifest",
                "kind": kind,
                "name": name,
                "spec": spec,
                "file": file,
                "line": line,
                "snippet": snippet,
                "match": reach[0],
                "admits": reach[1],
            }
            confidence = 0.7 if kind in DEVELOPMENT_KINDS else 1.0
            confidence = confidence if reach[0] == "version" else NAME_ONLY
            for version in versions:
                if target != package_of[version]:
                    edges.add(("package_version", version), target, confidence, evidence)
        for module, kind, relative, file, line, snippet in db.execute(
            "SELECT module, kind, relative, file, line, snippet FROM code_imports WHERE sha256 = ?",
            (sha256,),
        ):
            eco = LANGUAGE_ECOSYSTEM.get(language_of(file) or "")
            own = own_modules(eco or "", paths, names)
            resolved = package_of_import(eco, module, bool(relative), own) if eco else None
            if resolved is None or (target := targets.find(eco or "", resolved[0])) is None:
                continue
            named = (eco or "", canonical_name(eco or "", resolved[0])) in declared
            match = "version" if target in targets.every else "name-only"
            evidence = {
                "via": "import",
                "kind": kind,
                "module": module,
                "file": file,
                "line": line,
                "snippet": snippet,
                "rule": resolved[1],
                "declared": named,
                "match": match,
            }
            confidence = (0.9 if named else 0.6) if match == "version" else NAME_ONLY
            for version in versions:
                if target != package_of[version]:
                    edges.add(("package_version", version), target, confidence, evidence)


def _from_sources(db: sqlite3.Connection, targets: Targets, edges: _Edges) -> None:
    for record, package, eco, source, listed, versions in db.execute(
        "SELECT r.id, r.package_id, p.ecosystem, s.name, r.dependencies,"
        " (SELECT json_group_array(version_id) FROM record_versions WHERE record_id = r.id)"
        " FROM records r JOIN packages p ON p.id = r.package_id"
        " JOIN sources s ON s.id = r.source_id WHERE r.role = 'claim' AND r.withdrawn IS NULL"
        " AND r.dependencies IS NOT NULL AND r.dependencies != '[]'"
    ):
        nodes: list[Node] = [("package_version", v) for v in orjson.loads(versions)]
        for name in orjson.loads(listed):
            target = targets.find(eco, name)
            if target is None or target == package:
                continue
            # a source's list names no constraint: only a package bad in every version is reached
            match = "version" if target in targets.every else "name-only"
            evidence = {
                "via": "source",
                "source": source,
                "record": record,
                "name": name,
                "match": match,
            }
            for node in nodes or [("package", package)]:
                edges.add(node, target, 0.9 if match == "version" else NAME_ONLY, evidence)
