"""What the manifest readers share: the facts found so far in one package, and the scan they
make. Apart from analysis.manifests, which calls the readers, so that each reader can name it."""

from __future__ import annotations

from dataclasses import dataclass, field

from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest

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
