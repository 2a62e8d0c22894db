"""Which packages belong together, from the read model's groupings: how a report is named,
dependency links as package pairs (relations.components joins them)."""

from __future__ import annotations

from collections.abc import Iterable

from malgraph.core.graph import PackageEdge

LIST_REPORT = 200  # a report naming more packages than this is a list, not a campaign signal


def dependency_links(edges: Iterable[PackageEdge]) -> list[tuple[int, int]]:
    """Depends-on edges lifted to packages (depending, depended on), distinct and sorted."""
    return sorted({(edge.src, edge.dst) for edge in edges})


def report_label(url: str) -> str:
    """How the report is named: its URL, or for a write-up read from a file, its path inside
    the archive (or its file name), so that the numbers do not depend on where the inputs
    lay."""
    if not url.startswith("file:"):
        return url
    return "file:" + (url.rsplit("!", 1)[1] if "!" in url else url.rsplit("/", 1)[-1])
