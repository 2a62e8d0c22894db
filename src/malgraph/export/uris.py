"""Which URLs an export may write where a schema asks for a URI (OSV's `references`, STIX's
`external_references`): sources write URLs by hand, with spaces, no scheme or two fragments."""

from __future__ import annotations

import re
from collections.abc import Iterable

# RFC 3986's characters (unreserved, reserved but brackets, percent-encoded octets), after an
# absolute scheme and `//`; at most one fragment.
_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*://{_CHAR}+(?:#{_CHAR}*)?")


def uris(urls: Iterable[str]) -> list[str]:
    """The URLs that are URIs once trimmed, in order, each once."""
    return list(dict.fromkeys(u.strip() for u in urls if _URI.fullmatch(u.strip())))
