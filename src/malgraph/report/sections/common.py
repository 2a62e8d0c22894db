"""Helpers every section shares."""

from __future__ import annotations

from malgraph.report.html import Section


def share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def left_out(counts: dict[str, int], what: str) -> list[str]:
    return [
        f"{n} {what} left out: {why.replace('_', ' ')}" for why, n in sorted(counts.items()) if n
    ]


def empty(section_id: str, title: str, what_fills_it: str) -> Section:
    """A section with nothing to show: one line saying which input would fill it."""
    return Section(section_id, title, f"Nothing to show yet: {what_fills_it}.")
