"""Data text as the report shows it: full-width ASCII forms folded to ASCII for display."""

from __future__ import annotations

import re
import unicodedata

# Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space, as in an ecosystem name
# of the paper's `Other` sheet: the bundled font has no glyph for them, and a reader's machine
# may have no CJK font either, so they are shown in their ASCII form (NFKC); report.json and
# the store keep them as read.
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e]+")


def display_text(text: str) -> str:
    """`text` with full-width ASCII forms folded to ASCII (a space put before a full-width
    opening bracket that follows a letter), every other character kept as it is."""
    spaced = re.sub("(?<=\\w)([\uff08\uff3b])", r" \1", text)
    return _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group()), spaced)
