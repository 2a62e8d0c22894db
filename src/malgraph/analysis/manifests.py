"""Manifest facts of one package: picks manifest files by path, hands each to its reader."""

from __future__ import annotations

from collections.abc import Sequence

from malgraph.analysis import npm_manifest, python_manifest, python_setup, ruby_manifest
from malgraph.analysis.manifest_types import Found, ManifestScan
from malgraph.artifacts.archives import Member

# Python and Ruby manifests of bundled npm packages (node-gyp has a setup.py) are not the package's.
_PYTHON_ROOT = frozenset({"setup.py", "setup.cfg", "pyproject.toml", "PKG-INFO"})


def read_manifests(members: Sequence[Member]) -> ManifestScan:
    found = Found()
    package_jsons: list[Member] = []
    gyp_dirs: set[str] = set()
    python_roots: list[Member] = []
    wheel_metadata: list[Member] = []
    requirements: list[Member] = []
    pth: list[Member] = []
    gem_metadata: list[Member] = []
    gemspecs: list[Member] = []
    gemfiles: list[Member] = []
    for member in members:
        folder, _, base = member.path.rpartition("/")
        if base == "package.json":
            package_jsons.append(member)
        elif base == "binding.gyp":
            gyp_dirs.add(folder)
        elif "node_modules" in member.path and "node_modules" in member.path.split("/"):
            continue
        elif base in _PYTHON_ROOT:
            python_roots.append(member)
        elif base == "METADATA" and folder.endswith(".dist-info"):
            wheel_metadata.append(member)
        elif base.endswith(".pth"):
            pth.append(member)
        elif _is_requirements(folder, base):
            requirements.append(member)
        elif base == "metadata" and b"Gem::Specification" in member.data[:256]:
            gem_metadata.append(member)
        elif base.endswith(".gemspec"):
            gemspecs.append(member)
        elif base == "Gemfile":
            gemfiles.append(member)

    npm_manifest.scan(package_jsons, frozenset(gyp_dirs), found)
    for member in _shallowest(python_roots):
        base = member.path.rpartition("/")[2]
        if base == "setup.py":
            python_setup.scan(member, members, found)
        elif base == "setup.cfg":
            python_manifest.scan_setup_cfg(member, members, found)
        elif base == "pyproject.toml":
            python_manifest.scan_pyproject(member, found)
        else:
            python_manifest.scan_metadata(member, found)
    for member in _shallowest(wheel_metadata):
        python_manifest.scan_metadata(member, found)
    for member in requirements:
        python_manifest.scan_requirements(member, found)
    for member in pth:
        python_manifest.scan_pth(member, found)
    for member in _shallowest(gem_metadata):
        ruby_manifest.scan_metadata(member, found)
    for member in _shallowest(gemspecs):
        ruby_manifest.scan_gemspec(member, found)
    for member in _shallowest(gemfiles):
        ruby_manifest.scan_gemfile(member, found)
    return found.scan()


def _is_requirements(folder: str, base: str) -> bool:
    if not base.endswith(".txt"):
        return False
    return base.startswith("requirements") or folder.rpartition("/")[2] == "requirements"


def depth(path: str) -> int:
    return path.count("/")


def _shallowest(members: list[Member]) -> list[Member]:
    """Those nearest the archive root: the package's own files, not vendored or test copies."""
    if len(members) < 2:
        return members
    top = min(depth(m.path) for m in members)
    return [m for m in members if depth(m.path) == top]
