"""Hand-made read-model values for the pure analyses: packages named by their npm names,
each with its versions and their release times (None: undated)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from malgraph.core.graph import Groupings, PackageEdge, PackageName, Packages, VersionOf
from malgraph.core.kinds import DependencyVia


class Made:
    """Packages 1, 2, ... in the order given; their versions 101, 102, ... likewise."""

    def __init__(self, spec: Mapping[str, Mapping[str, str | None]]) -> None:
        self.package: dict[str, int] = {}
        self.version: dict[tuple[str, str], int] = {}
        names: dict[int, PackageName] = {}
        versions: dict[int, VersionOf] = {}
        released: dict[int, str] = {}
        for pid, (name, numbers) in enumerate(spec.items(), start=1):
            self.package[name] = pid
            names[pid] = PackageName("npm", name, f"pkg:npm/{name}")
            for number, when in numbers.items():
                vid = 101 + len(versions)
                self.version[name, number] = vid
                versions[vid] = VersionOf(pid, name, number, "npm")
                if when:
                    released[vid] = when
        self.packages = Packages(names, versions, released)

    def ids(self, *names: str) -> frozenset[int]:
        return frozenset(self.package[n] for n in names)

    def edge(self, src: str, dst: str, *vias: str) -> PackageEdge:
        shown_by = frozenset(DependencyVia(v) for v in vias or (DependencyVia.MANIFEST,))
        return PackageEdge(self.package[src], self.package[dst], shown_by)


def groupings(
    *,
    reports: Mapping[str, frozenset[int]] | None = None,
    families: Mapping[str, frozenset[int]] | None = None,
    edges: Iterable[PackageEdge] = (),
) -> Groupings:
    """Reports by URL (ids 1, 2, ... in order), families by id, depends-on edges; no campaign."""
    reports = reports or {}
    return Groupings(
        {i: members for i, members in enumerate(reports.values(), start=1)},
        {i: url for i, url in enumerate(reports, start=1)},
        [],
        {},
        dict(families or {}),
        list(edges),
    )
