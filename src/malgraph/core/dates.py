"""Timestamps as the store keeps them: UTC, whole seconds, 'YYYY-MM-DDTHH:MM:SSZ', so that
text order is time order."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The usual shape, checked field by field so the fast path needs no datetime parsing.
_UTC = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z\Z"
)


def normalise_time(text: object) -> str | None:
    """The UTC second of an RFC 3339 time or a plain date; None when it is not one."""
    if not isinstance(text, str):
        return None
    if _UTC.match(text):  # fast path: most feeds write exactly this
        return text[:19] + "Z"
    text = text.strip()
    if _DATE.match(text):
        text += "T00:00:00Z"
    elif not _RFC3339.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text[:19] + text[19:].lstrip(".0123456789"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")


def normalise_day(text: str) -> str | None:
    """A written date ("April 5th, 2019", "Jun 5, 2019", "2019-06-05") as a store timestamp."""
    text = _ORDINAL.sub(r"\1", text.replace(",", " ").replace(".", " ")).strip()
    text = " ".join(text.split())
    for pattern in ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%B %Y", "%b %Y"):
        try:
            return datetime.strptime(text, pattern).strftime("%Y-%m-%dT00:00:00Z")
        except ValueError:
            continue
    return normalise_time(text)


def now_utc() -> str:
    """This second, as the store keeps times."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
