"""How hostile text is shown in the explorer: control and bidi characters as visible escapes,
IoCs defanged, links only to http(s) addresses, page addresses with names percent-encoded.
Jinja's auto-escaping does the HTML; these do what escaping cannot."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from malgraph.core.kinds import SearchKind
from malgraph.core.web import PackageRef

LABEL_CHARACTERS = 120  # a label in a list or on the graph is cut here; pages show all


def _visible(char: str) -> str:
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def visible(value: object) -> str:
    """The text with every non-printable character (C0, C1, bidi overrides, zero-width and
    line separators) written as its escape: an RTL override cannot reorder what is read."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _visible(c) for c in text)


def short(value: object, limit: int = LABEL_CHARACTERS) -> str:
    text = visible(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


def defang(value: object) -> str:
    """An IoC as analysts write it so that nothing makes it live: hxxp(s)://, [.] and [:]."""
    text = visible(value)
    text = _SCHEME.sub(lambda m: m.group(1).lower().replace("http", "hxxp") + "[://]", text)
    return text.replace(".", "[.]")


def safe_href(url: object) -> str | None:
    """The URL when it is an http(s) address a report may link to; None for anything else
    (javascript:, data:, vbscript:, relative or malformed), which is shown as text."""
    text = str(url or "").strip()
    if not text.isprintable():
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


def package_path(ref: PackageRef) -> str:
    return f"/package/{quote(ref.ecosystem, safe='')}/{quote(ref.name, safe='@')}"


def page_path(kind: SearchKind | str, key: object) -> str:
    """The explorer's page of a search hit (`ecosystem/name` for a package)."""
    kind, key = SearchKind(kind), str(key)
    if kind is SearchKind.PACKAGE:
        ecosystem, _, name = key.partition("/")
        return package_path(PackageRef(ecosystem, name))
    return f"/{kind.value}/{quote(key, safe='')}"
