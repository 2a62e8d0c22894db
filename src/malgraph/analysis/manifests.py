"""Manifest facts of one package: picks manifest files by path, hands each to its reader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from malgraph.analysis import npm_manifest, python_manifest, python_setup, ruby_manifest
from malgraph.analysis.features import Dependency, InstallHook, Manifest
from malgraph.artifacts.archives import Member

MAX_MANIFEST_BYTES = 2 * 2**20
MAX_PROBLEMS_PER_FILE = 20  # a hostile file must not flood the store with problems


@dataclass(frozen=True, slots=True)
class ManifestScan:
    manifests: tuple[Manifest, ...]
    dependencies: tuple[Dependency, ...]
    install_hooks: tuple[InstallHook, ...]
    problems: tuple[str, ...]  # '<path>: <reason>'


@dataclass(slots=True)
class Found:
    """What the readers have found so far; mutable only while one package is being read."""

    manifests: list[Manifest] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    install_hooks: list[InstallHook] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)

    def problem(self, path: str, reason: str) -> None:
        count = self.problem_counts[path] = self.problem_counts.get(path, 0) + 1
        if count <= MAX_PROBLEMS_PER_FILE:
            self.problems.append(f"{path}: {reason}")

    def scan(self) -> ManifestScan:
        problems = self.problems + [
            f"{path}: {count - MAX_PROBLEMS_PER_FILE} more problems not listed"
            for path, count in self.problem_counts.items()
            if count > MAX_PROBLEMS_PER_FILE
        ]
        return ManifestScan(
            tuple(self.manifests),
            tuple(self.dependencies),
            tuple(self.install_hooks),
            tuple(problems),
        )

    def text(self, member: Member) -> str | None:
        """The member as text, or None (and a problem) when it is too large to be a manifest."""
        if len(member.data) > MAX_MANIFEST_BYTES:
            self.problem(member.path, "larger than 2 MiB, not read as a manifest")
            return None
        text = member.data.decode("utf-8", errors="replace")
        return text[1:] if text.startswith("\ufeff") else text


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
