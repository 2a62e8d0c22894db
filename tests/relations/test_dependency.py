"""The dependency relation on inert packages written here: what links and, as much, what must
not (the standard library, a package's own modules, a version spec that excludes the
malicious version)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from malgraph.artifacts.cache import cache_for
from malgraph.cli import app, explore  # noqa: F401  (importing registers the commands)
from malgraph.core.kinds import DependencyKind, EdgeKind, ImportKind, NodeType
from malgraph.core.model import Scope
from malgraph.core.relations import (
    ArchiveDependencies,
    CodeImport,
    DeclaredDependency,
    ListedDependencies,
    TargetClaim,
)
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_dependencies
from malgraph.relations.dependency import NAME_ONLY, NAME_ONLY_STEP, Targets, dependency_edges
from malgraph.relations.dependency_rules import gem_requirement_admits, spec_admits
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.card import find_packages, read_card
from tests.conftest import osv, write_json
from tests.inert_packages import gem, tar_gz
from tests.sources.test_paper import write_book

runner = CliRunner()

MALICIOUS = [  # (ecosystem, name, versions or None for all)
    ("npm", "flatmap-stream", ["0.1.1"]),
    ("npm", "@evil/payload", None),
    ("PyPI", "sys", None),  # a real squat of a stdlib name: `import sys` must not link to it
    ("PyPI", "Evil_Lib", None),
    ("RubyGems", "bad-gem", ["0.1.0"]),
]


def _npm(name: str, manifest: dict[str, object], code: str) -> bytes:
    files = {
        "package/package.json": json.dumps(
            {"name": name, "version": "1.0.0", **manifest}, indent=2
        ),
        "package/index.js": code,
    }
    return tar_gz({k: v.encode() for k, v in files.items()})


def _sdist(name: str, files: dict[str, str]) -> bytes:
    return tar_gz({f"{name}-1.0/{path}": text.encode() for path, text in files.items()})


GEM_DEPENDENCY = """dependencies:
- !ruby/object:Gem::Dependency
  name: bad-gem
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '0.1'
  type: :runtime
"""
DEPENDENTS = {  # name -> (ecosystem, archive)
    "event-stream": (
        "npm",
        _npm(
            "event-stream",
            {"dependencies": {"flatmap-stream": "0.1.1"}},
            "module.exports = require('flatmap-stream');\n",
        ),
    ),
    "careful": (
        "npm",
        _npm("careful", {"dependencies": {"flatmap-stream": "^0.2.0"}}, "module.exports = 1;\n"),
    ),  # the spec excludes 0.1.1
    "scoped-user": (
        "npm",
        _npm(
            "scoped-user",
            {},
            "const p = require('@evil/payload/lib/x');\nconst fs = require('node:fs');\n",
        ),
    ),  # import only
    "victim": (
        "PyPI",
        _sdist(
            "victim",
            {
                "setup.py": "from setuptools import setup\nsetup(name='victim', version='1.0',\n"
                "      install_requires=['evil-lib>=1'])\n",
                "victim/__init__.py": "import sys\nimport evil_lib.core\n",
            },
        ),
    ),  # PEP 503: evil-lib
    "innocent": ("PyPI", _sdist("innocent", {"innocent/__init__.py": "import sys, os\n"})),
    "vendoring": (
        "PyPI",
        _sdist(
            "vendoring",
            {  # ships its own module named like the squat
                "vendoring/__init__.py": "from evil_lib import helper\n",
                "evil_lib/__init__.py": "helper = 1\n",
            },
        ),
    ),
    "gem-user": ("RubyGems", gem("gem-user", "1.0.0", GEM_DEPENDENCY)),
}


def _build(store: Store, tmp_path: Path) -> None:
    feed, folder = tmp_path / "osv", tmp_path / "archives"
    for i, (eco, name, versions) in enumerate(MALICIOUS):
        write_json(
            feed / f"m{i}.json",
            osv(
                f"MAL-M{i}",
                name,
                ecosystem=eco,
                versions=versions,
                published=f"2024-01-0{i + 1}T00:00:00Z",
            ),
        )
    folder.mkdir(parents=True)
    for i, (name, (eco, archive)) in enumerate(DEPENDENTS.items()):
        write_json(
            feed / f"d{i}.json",
            osv(f"MAL-D{i}", name, ecosystem=eco, versions=["1.0" if eco == "PyPI" else "1.0.0"]),
        )
        suffix = {"npm": "-1.0.0.tgz", "PyPI": "-1.0.tar.gz", "RubyGems": "-1.0.0.gem"}[eco]
        (folder / f"{name}{suffix}").write_bytes(archive)
    assert ingest(store, "osv", [str(feed)]).ok
    cache = cache_for(store.path)
    assert register_local(store, cache, folder).registered == len(DEPENDENTS)
    analyze_stored(store, cache, jobs=1)


def _links(store: Store) -> dict[tuple[str, str], list[dict[str, object]]]:
    rows = store.db.execute(
        "SELECT s.name, d.name, e.evidence FROM edges e JOIN package_versions pv"
        " ON pv.id = e.src_id JOIN packages s ON s.id = pv.package_id"
        " JOIN packages d ON d.id = e.dst_id WHERE e.kind = 'depends_on'"
    )
    return {(a, b): json.loads(ev)["evidence"] for a, b, ev in rows}


def test_declared_and_imported_dependencies_link_and_only_those(
    store: Store, tmp_path: Path
) -> None:
    _build(store, tmp_path)
    summary = refresh_dependencies(store)
    links = _links(store)
    assert set(links) == {
        ("event-stream", "flatmap-stream"),
        ("scoped-user", "@evil/payload"),
        ("victim", "evil-lib"),
        ("gem-user", "bad-gem"),
    }
    [gem_link] = links["gem-user", "bad-gem"]
    assert gem_link["kind"] == "runtime" and gem_link["spec"] == "~> 0.1"
    assert gem_link["admits"] == ["0.1.0"] and gem_link["file"] == "metadata"
    [declared, imported] = links["event-stream", "flatmap-stream"]
    assert declared == {
        "via": "manifest",
        "kind": "dependencies",
        "name": "flatmap-stream",
        "spec": "0.1.1",
        "file": "package/package.json",
        "line": 5,
        "snippet": '"flatmap-stream": "0.1.1"',
        "match": "version",
        "admits": ["0.1.1"],
    }
    assert imported["via"] == "import" and imported["declared"] is True
    [scoped] = links["scoped-user", "@evil/payload"]
    assert scoped["via"] == "import" and scoped["module"] == "@evil/payload/lib/x"
    assert scoped["line"] == 1 and scoped["declared"] is False
    assert scoped["snippet"] == "const p = require('@evil/payload/lib/x');"
    victim = {e["via"]: e for e in links["victim", "evil-lib"]}
    assert victim["manifest"]["name"] == "evil-lib" and victim["manifest"]["kind"] == (
        "install_requires"
    )
    assert victim["import"]["module"] == "evil_lib.core" and victim["import"]["line"] == 2
    assert summary.excluded_by_spec == 1  # careful's ^0.2.0 admits no malicious version
    confidence = dict(
        store.db.execute(
            "SELECT json_extract(evidence, '$.evidence[0].via'), confidence FROM edges"
            " WHERE kind = 'depends_on'"
        )
    )
    assert confidence["manifest"] == 1.0 and confidence["import"] == 0.6

    numbers = stats(store.db)["dependency"]
    assert numbers["hidden_packages"] == 4 and numbers["dependent_packages"] == 4
    assert [g["size"] for g in numbers["groups"]] == [2, 2, 2, 2]
    assert all(g["active_days"] is None and g["undated_members"] == 2 for g in numbers["groups"])
    [pid] = find_packages(store.db, "flatmap-stream", "npm")
    links = read_card(store.db, pid).dependency
    assert [(x.name, x.version) for x in links.pulled_in_by] == [("event-stream", "1.0.0")]
    shown = runner.invoke(app, ["--db", str(store.path), "show", "event-stream"]).output
    assert "pulls in flatmap-stream (npm) from 1.0.0: manifest dependencies" in shown


def test_dependency_lists_from_sources_without_code(store: Store, tmp_path: Path) -> None:
    header = ("Source", "name_version", "Status", "ID", "OSS")
    write_book(
        tmp_path / "paper" / "malware.xlsx",
        {
            "NPM": [
                header,
                ("Snyk.io", "loadyaml-1.0.0", "untracked", 1, "NPM"),
                ("Snyk.io", "node-serialize-0.0.4", "untracked", 2, "NPM"),
            ]
        },
    )
    write_book(
        tmp_path / "paper" / "malware_deduplicated.xlsx",
        {
            "NPM": [
                ("name_version", "name", "version", "published_at", "dependencies"),
                (
                    "loadyaml-1.0.0",
                    "loadyaml",
                    "1.0.0",
                    "2019-01-01T00:00:00Z",
                    "node-machine-id, node-serialize, loadyaml",
                ),
                ("node-serialize-0.0.4", "node-serialize", "0.0.4", "2019-03-01T12:00:00Z", None),
            ]
        },
    )
    assert ingest(store, "paper", [str(tmp_path / "paper")]).ok
    summary = refresh_dependencies(store)
    assert summary.edges == 1 and summary.name_only == 1
    [(link, evidence)] = _links(store).items()
    assert link == ("loadyaml", "node-serialize")  # itself and unknown names are no links
    assert evidence[0]["via"] == "source" and evidence[0]["source"] == "snyk"  # the paper's Snyk.io
    # node-serialize is claimed in 0.0.4 only and the list names no version: a name-only lead,
    # of low confidence, in none of the dependency-hidden counts
    assert evidence[0]["match"] == "name-only"
    [(confidence, step)] = store.db.execute(
        "SELECT confidence, step FROM edges WHERE kind = 'depends_on'"
    )
    assert (confidence, step) == (NAME_ONLY, "dependency/name-only")
    numbers = stats(store.db)["dependency"]
    assert numbers["edges"] == numbers["hidden_packages"] == 0 and numbers["groups"] == []
    assert numbers["name_only_edges"] == numbers["name_only_targets"] == 1
    # once a source says every version of it is malicious, any dependency on it reaches one
    write_json(tmp_path / "osv" / "all.json", osv("MAL-ALL", "node-serialize", versions=None))
    assert ingest(store, "osv", [str(tmp_path / "osv")]).ok
    summary = refresh_dependencies(store)
    assert summary.edges == 1 and summary.name_only == 0
    [group] = stats(store.db)["dependency"]["groups"]
    assert group["active_days"] == 59.5 and group["undated_members"] == 0


def test_a_constraint_links_only_when_it_admits_a_malicious_version() -> None:
    """Claims: flatmap-stream 0.1.1; electron 1.0.0 and once with versions unknown; payload in
    every version; evil-lib 1.5 (PyPI); rest-client 1.6.13 (RubyGems)."""
    targets = Targets(
        [
            TargetClaim(1, "npm", "flatmap-stream", Scope.LISTED, "0.1.1"),
            TargetClaim(2, "npm", "electron", Scope.LISTED, "1.0.0"),
            TargetClaim(2, "npm", "electron", Scope.UNKNOWN, None),
            TargetClaim(3, "npm", "payload", Scope.ALL, None),
            TargetClaim(4, "PyPI", "evil-lib", Scope.LISTED, "1.5"),
            TargetClaim(5, "RubyGems", "rest-client", Scope.LISTED, "1.6.13"),
        ]
    )

    def reach(eco: str, name: str, spec: str | None) -> tuple[str, list[str] | None] | None:
        found = targets.find(eco, name)
        assert found is not None
        return targets.admits(eco, found, spec)

    version, name_only = "version", ("name-only", None)
    assert reach("npm", "flatmap-stream", "^0.1.0") == (version, ["0.1.1"])
    assert reach("npm", "flatmap-stream", "~0.1.0 || >=3") == (version, ["0.1.1"])
    assert reach("npm", "flatmap-stream", "0.1.x") == (version, ["0.1.1"])
    assert reach("npm", "flatmap-stream", "*") == (version, ["0.1.1"])
    assert reach("npm", "flatmap-stream", "^0.2.0") is None  # no edge at all
    assert reach("npm", "flatmap-stream", "latest") == name_only  # a dist-tag: cannot tell
    assert reach("npm", "flatmap-stream", None) == name_only  # a name without a constraint
    # electron: 1.0.0 is malicious, and a claim says "some version": ^20 reaches neither shown
    assert reach("npm", "electron", "^20.0.0") == name_only
    assert reach("npm", "electron", "^1.0.0") == (version, ["1.0.0"])
    assert reach("npm", "payload", "^9.9.9") == (version, None)  # every version is malicious
    assert reach("npm", "payload", None) == (version, None)
    assert reach("PyPI", "evil_lib", ">=1,<2") == (version, ["1.5"])
    assert reach("PyPI", "evil-lib", "==2.*") is None
    assert reach("RubyGems", "rest-client", "~> 1.6") == (version, ["1.6.13"])
    assert reach("RubyGems", "rest-client", ">= 1.6.10, < 1.7") == (version, ["1.6.13"])
    assert reach("RubyGems", "rest-client", "~> 2.0") is None


def test_version_specs_per_ecosystem() -> None:
    assert spec_admits("npm", "^1.2.0", ["1.3.0", "2.0.0"]) == ["1.3.0"]
    assert spec_admits("npm", "~0.1.0 || >=3", ["0.1.1", "2.0.0"]) == ["0.1.1"]
    assert spec_admits("npm", "git+https://example.invalid/x.git", ["1.0.0"]) is None
    assert spec_admits("PyPI", ">=1,<2; python_version>'3'", ["1.5", "2.0"]) == ["1.5"]
    assert spec_admits("PyPI", "==2.0.*", ["2.0.1", "2.1"]) == ["2.0.1"]
    assert spec_admits("RubyGems", "~> 1.2", ["1.9.9", "2.0", "1.1"]) == ["1.9.9"]
    assert gem_requirement_admits("~> 1.2.3", "1.2.9") and not gem_requirement_admits(
        "~> 1.2.3", "1.3.0"
    )
    assert gem_requirement_admits(">= 1.0, < 2", "1.0.0") and not gem_requirement_admits(
        "!= 1.0", "1.0.0"
    )


def test_dependency_edges_from_typed_inputs() -> None:
    """An archive held by two versions declares `evil` at a version shown malicious and
    imports `payload` (bad in every version); a source lists `evil` for another claim."""
    claims = [
        TargetClaim(10, "npm", "evil", Scope.LISTED, "1.0.0"),
        TargetClaim(11, "npm", "payload", Scope.ALL, None),
        TargetClaim(12, "npm", "host", Scope.LISTED, "2.0.0"),
    ]
    archive = ArchiveDependencies(
        "a" * 64,
        (100, 101),
        ("package/index.js", "package/package.json"),
        ("host",),
        (
            DeclaredDependency(
                "npm", "evil", "^1.0.0", DependencyKind.DEPENDENCIES, "package.json", 3, None
            ),
            DeclaredDependency(
                "npm", "evil", "^2.0.0", DependencyKind.DEV_DEPENDENCIES, "package.json", 9, None
            ),
        ),
        (
            CodeImport(
                "payload", ImportKind.REQUIRE, False, "package/index.js", 1, "require('payload')"
            ),
        ),
    )
    listed = ListedDependencies(7, 12, "npm", "feed", ("evil", "host"), ())
    edges, summary = dependency_edges(claims, {100: 12, 101: 12}, [archive], [listed])
    by_end = {(e.src, e.dst[1]): e for e in edges}
    assert set(by_end) == {
        ((NodeType.PACKAGE, 12), 10),  # the source's list, for the package (no version named)
        ((NodeType.PACKAGE_VERSION, 100), 10),
        ((NodeType.PACKAGE_VERSION, 100), 11),
        ((NodeType.PACKAGE_VERSION, 101), 10),
        ((NodeType.PACKAGE_VERSION, 101), 11),
    }  # never to its own package (host)
    assert all(e.kind == EdgeKind.DEPENDS_ON for e in edges)
    declared = by_end[(NodeType.PACKAGE_VERSION, 100), 10]
    assert declared.confidence == 1.0 and declared.step == "dependency/manifest"
    assert declared.evidence["evidence"][0]["admits"] == ["1.0.0"]
    imported = by_end[(NodeType.PACKAGE_VERSION, 100), 11]
    assert imported.confidence == 0.6 and imported.evidence["evidence"][0]["declared"] is False
    from_list = by_end[(NodeType.PACKAGE, 12), 10]
    assert from_list.step == NAME_ONLY_STEP and from_list.confidence == NAME_ONLY
    assert summary.edges == 5 and summary.name_only == 1
    assert summary.excluded_by_spec == 1  # ^2.0.0 admits no malicious version of evil
    assert summary.by_via == {"manifest": 2, "import": 2, "source": 1}
