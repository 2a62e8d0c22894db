"""Source names: one canonical name per reporter, whatever label each dataset gives it.

Datasets name the same reporter differently (the MalGraph paper's `DataDog` and `Snyk.io`
are DataDog's manifests' `datadog` and MalOSS's `snyk`). A label is matched to a source by
its key: case and punctuation ignored. The shipped table (data/source_aliases.toml) names the
reporters malgraph's inputs use; a user's file in the same format extends or overrides it.

A label no table knows is a source of its own; labels no table knows that share a key are
one source, named by the spelling that wins `_preferred` among them, so the name depends on
which labels exist, never on the order they arrived in.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from malgraph.core.errors import MalgraphError

SHIPPED = "source_aliases.toml"
_FIELDS = frozenset({"aliases", "description", "url"})


class SourceAliasError(MalgraphError):
    """A source aliases file cannot be read or says something contradictory."""


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A reporter: its canonical name, the other labels it goes by, and what it is."""

    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    url: str = ""


def label_key(label: str) -> str:
    """What two labels of one reporter share: letters and digits, case-folded (NFKC first,
    so full-width and other compatibility forms match too). A label with neither keeps its
    stripped self."""
    text = unicodedata.normalize("NFKC", label).casefold()
    key = "".join(ch for ch in text if ch.isalnum())
    return key or label.strip()


def _preferred(labels: Iterable[str]) -> str:
    """Of several spellings of one unlisted reporter: lower-case ones first, then in order."""
    return min((label.strip() for label in labels), key=lambda s: (s != s.lower(), s))


def parse_table(text: str, where: str) -> tuple[SourceEntry, ...]:
    """A table's TOML: one `[NAME]` table per source with `aliases` (a list of labels) and
    optional `description` and `url`. Any mistake is one SourceAliasError naming `where`."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceAliasError(f"{where}: not valid TOML ({exc})") from None
    entries: list[SourceEntry] = []
    owner: dict[str, str] = {}
    for name, body in doc.items():
        if not isinstance(body, dict):
            raise SourceAliasError(
                f"{where}: {name!r} is not a table; write [{name}] with aliases = [...]"
            )
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise SourceAliasError(
                f"{where}: [{name}] has unknown field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_FIELDS))}"
            )
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise SourceAliasError(f"{where}: [{name}] aliases is not a list of strings")
        for field in ("description", "url"):
            if not isinstance(body.get(field, ""), str):
                raise SourceAliasError(f"{where}: [{name}] {field} is not a string")
        if not name.strip() or any(not a.strip() for a in aliases):
            raise SourceAliasError(f"{where}: [{name}] has an empty name or alias")
        for label in (name, *aliases):
            other = owner.setdefault(label_key(label), name)
            if other != name:
                raise SourceAliasError(
                    f"{where}: {label!r} is listed under both [{other}] and [{name}]"
                )
        entries.append(
            SourceEntry(
                name.strip(),
                tuple(a.strip() for a in aliases),
                body.get("description", ""),
                body.get("url", ""),
            )
        )
    return tuple(entries)


def read_table(path: Path) -> tuple[SourceEntry, ...]:
    """A user's aliases file, or SourceAliasError saying why it cannot be used."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SourceAliasError(f"{path}: cannot read the source aliases file ({reason})") from None
    return parse_table(text, str(path))


@cache
def shipped_table() -> tuple[SourceEntry, ...]:
    text = resources.files("malgraph.data").joinpath(SHIPPED).read_text("utf-8")
    return parse_table(text, SHIPPED)


class SourceNames:
    """The shipped table with a user's on top: label -> canonical source name."""

    def __init__(self, user: Iterable[SourceEntry] = ()) -> None:
        self.user = tuple(user)
        entries: dict[str, SourceEntry] = {e.name: e for e in shipped_table()}
        by_key: dict[str, str] = {}
        for layer in (shipped_table(), self.user):  # the user's word wins, key by key
            for entry in layer:
                entries[entry.name] = entry
                for label in (entry.name, *entry.aliases):
                    by_key[label_key(label)] = entry.name
        # A shipped source the user made an alias of another: its own aliases follow it.
        self._by_key = {key: by_key.get(label_key(name), name) for key, name in by_key.items()}
        self.entries = {
            name: entry for name, entry in entries.items() if self._by_key[label_key(name)] == name
        }

    def listed(self, label: str) -> str | None:
        """The canonical name of a label a table lists, else None."""
        return self._by_key.get(label_key(label))

    def canonical(self, labels: Iterable[str]) -> dict[str, str]:
        """Each label's canonical name, given every label there is (unlisted labels that
        share a key are one source, named by their preferred spelling)."""
        labels = set(labels)
        groups: dict[str, list[str]] = {}
        for label in labels:
            if self.listed(label) is None:
                groups.setdefault(label_key(label), []).append(label)
        named = {key: _preferred(group) for key, group in groups.items()}
        return {label: self.listed(label) or named[label_key(label)] for label in labels}

    def aliases_of(self, labels: Iterable[str] = ()) -> dict[str, list[str]]:
        """Canonical name -> the other labels that mean it: the tables' and `labels`."""
        out: dict[str, set[str]] = {name: set() for name in self.entries}
        tables = (
            label
            for layer in (shipped_table(), self.user)
            for e in layer
            for label in (e.name, *e.aliases)
        )
        for label in tables:
            out[self._by_key[label_key(label)]].add(label)
        for label, name in self.canonical(labels).items():
            out.setdefault(name, set()).add(label)
        for name, aliases in out.items():
            aliases.discard(name)
        return {
            name: sorted(aliases, key=lambda a: (a.casefold(), a))
            for name, aliases in sorted(out.items())
        }


def table_json(entries: Iterable[SourceEntry]) -> list[dict[str, Any]]:
    """A table as JSON-ready values (how a store keeps a user's table)."""
    return [
        {"name": e.name, "aliases": list(e.aliases), "description": e.description, "url": e.url}
        for e in entries
    ]


def table_from_json(values: Iterable[Mapping[str, Any]]) -> tuple[SourceEntry, ...]:
    return tuple(
        SourceEntry(v["name"], tuple(v["aliases"]), v["description"], v["url"]) for v in values
    )
