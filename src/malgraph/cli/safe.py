"""Attacker-controlled text made safe for a terminal: control characters shown, never obeyed.

Package names, summaries, report titles, IoCs, archive member names and file paths come from
hostile inputs. Printed raw, an ESC or C1 byte starts a terminal sequence that can clear the
screen, plant a hyperlink or set the window title; a bidi override reorders what is read; and
rich would read `[link=...]` as markup. Every such string goes through `shown` (text for rich)
or `json_safe` (JSON text) before it is printed.
"""

from __future__ import annotations

from rich.markup import escape


def _visible(char: str) -> str:
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        point -= 0xDC00
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def escape_controls(text: str) -> str:
    """Every character Python's repr would escape (C0, DEL, C1, bidi and zero-width format
    characters, line separators, lone surrogates, unassigned code points) as its escape,
    e.g. ESC as the four characters `\\x1b`. Spaces and printable text stay as they are."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _visible(c) for c in text)


def shown(value: object) -> str:
    """A value as rich markup that prints it literally, with control characters escaped."""
    return escape(escape_controls(str(value)))


def _json_escape(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000  # outside the BMP, JSON spells a character as its surrogate pair
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def json_safe(text: str) -> str:
    """JSON text (as orjson writes it) with every non-printable character inside its strings
    written as a \\u escape: the same JSON value, and no raw C1 or bidi byte on a terminal.
    orjson escapes C0 itself; outside strings it writes only spaces and newlines."""
    return "\n".join(line if line.isprintable() else _json_line(line) for line in text.split("\n"))


def _json_line(line: str) -> str:
    return "".join(c if c.isprintable() else _json_escape(c) for c in line)
