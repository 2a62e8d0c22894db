"""The report's generic rendering layer: SVG figures (figures.py) and one offline HTML page
(html.py). It knows nothing of where the numbers come from."""

from __future__ import annotations

from malgraph.core.errors import MalgraphError


class ReportError(MalgraphError):
    """A figure or page cannot be rendered from what the caller passed (a bug in the caller)."""
