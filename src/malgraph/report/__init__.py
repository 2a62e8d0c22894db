"""The report: numbers.py composes every number from the read model (store.read) and the pure
insights; sections/ turns each part into text, figures and tables; figures.py draws SVG and
html.py writes one offline page."""

from __future__ import annotations

from malgraph.core.errors import MalgraphError


class ReportError(MalgraphError):
    """A figure or page cannot be rendered from what the caller passed (a bug in the caller)."""
