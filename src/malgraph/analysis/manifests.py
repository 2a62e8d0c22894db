"""Manifest facts of one package: picks manifest files by path, hands each to its reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from malgraph.analysis import npm_manifest, python_manifest, python_setup, ruby_manifest
from malgraph.analysis.manifest_types import Found, ManifestScan
from malgraph.analysis.setup_facts import SetupFacts, is_setup_py
from malgraph.artifacts.archives import Member

# Python and Ruby manifests of bundled npm packages (node-gyp has a setup.py) are not the package's.
_PYTHON_ROOT = frozenset({"setup.py", "setup.cfg", "pyproject.toml", "PKG-INFO"})


def read_manifests(
    members: Sequence[Member], setup_facts: Mapping[Member, SetupFacts] | None = None
) -> ManifestScan:
    """`setup_facts`: by member (an archive may hold one path twice, with other text), what the
    code scan's walk of a setup.py recorded for this reader (a setup.py found there is not
    parsed or walked again)."""
    found = Found()
    by_kind: dict[str, list[Member]] = {}
    gyp_dirs: set[str] = set()
    for member in members:
        folder, _, base = member.path.rpartition("/")
        if base == "binding.gyp":
            gyp_dirs.add(folder)
            continue
        kind = _manifest_kind(member, folder, base)
        if kind is not None:
            by_kind.setdefault(kind, []).append(member)

    npm_manifest.scan(by_kind.get("package.json", []), frozenset(gyp_dirs), found)
    for member in _shallowest(by_kind.get("python root", [])):
        base = member.path.rpartition("/")[2]
        if is_setup_py(member.path):
            python_setup.scan(member, members, found, (setup_facts or {}).get(member))
        elif base == "setup.cfg":
            python_manifest.scan_setup_cfg(member, members, found)
        elif base == "pyproject.toml":
            python_manifest.scan_pyproject(member, found)
        else:
            python_manifest.scan_metadata(member, found)
    for member in _shallowest(by_kind.get("wheel metadata", [])):
        python_manifest.scan_metadata(member, found)
    for member in by_kind.get("requirements", []):
        python_manifest.scan_requirements(member, found)
    for member in by_kind.get("pth", []):
        python_manifest.scan_pth(member, found)
    for member in _shallowest(by_kind.get("gem metadata", [])):
        ruby_manifest.scan_metadata(member, found)
    for member in _shallowest(by_kind.get("gemspec", [])):
        ruby_manifest.scan_gemspec(member, found)
    for member in _shallowest(by_kind.get("Gemfile", [])):
        ruby_manifest.scan_gemfile(member, found)
    return found.scan()


def _manifest_kind(member: Member, folder: str, base: str) -> str | None:
    """Which kind of manifest a member is, by its path (None: not one we read)."""
    if base == "package.json":
        return "package.json"
    if "node_modules" in member.path and "node_modules" in member.path.split("/"):
        return None
    if base in _PYTHON_ROOT:
        return "python root"
    if base == "METADATA" and folder.endswith(".dist-info"):
        return "wheel metadata"
    if base.endswith(".pth"):
        return "pth"
    if _is_requirements(folder, base):
        return "requirements"
    if base == "metadata" and b"Gem::Specification" in member.data[:256]:
        return "gem metadata"
    if base.endswith(".gemspec"):
        return "gemspec"
    if base == "Gemfile":
        return "Gemfile"
    return None


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
