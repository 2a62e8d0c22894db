"""Every kind of dependency the manifest readers write is a DependencyKind, the vocabulary the
read model accepts back from the store (store.read.relations refuses any other)."""

from __future__ import annotations

from malgraph.analysis.manifests import read_manifests
from malgraph.artifacts.archives import Member
from malgraph.core.kinds import DependencyKind

MANIFESTS = {
    "package/package.json": """{"name": "a", "version": "1.0.0",
        "dependencies": {"d1": "1"}, "devDependencies": {"d2": "1"},
        "optionalDependencies": {"d3": "1"}, "peerDependencies": {"d4": "1"},
        "bundledDependencies": ["d5"]}""",
    "package/node_modules/d6/package.json": '{"name": "d6", "version": "1.0.0"}',
    "pkg/requirements.txt": "r1==1.0\n",
    "pkg/setup.py": (
        "from setuptools import setup\n"
        "setup(name='b', install_requires=['s1'], setup_requires=['s2'],"
        " tests_require=['s3'], extras_require={'x': ['s4']})\n"
    ),
    "pkg/pyproject.toml": (
        '[project]\nname = "b"\ndependencies = ["p1"]\n'
        '[project.optional-dependencies]\nx = ["p2"]\n'
        '[build-system]\nrequires = ["p3"]\n'
    ),
    "gem/evil.gemspec": (
        "Gem::Specification.new do |spec|\n"
        '  spec.name = "evil"\n'
        '  spec.add_dependency "g1", "~> 1.0"\n'
        '  spec.add_development_dependency "g2", "~> 1.0"\n'
        "end\n"
    ),
    "gem/Gemfile": 'source "https://rubygems.org"\ngem "g3"\n',
}


def test_the_manifest_readers_write_exactly_the_dependency_kinds() -> None:
    found = read_manifests([Member(path, text.encode()) for path, text in MANIFESTS.items()])
    assert {d.kind for d in found.dependencies} == set(DependencyKind)  # each reached once
