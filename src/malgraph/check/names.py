"""name-like-malicious: a name one edit (or one confusable character) away from a malicious
package of a known typosquatting family, a warning only.

A typosquatting family is the malicious packages whose names imitate one popular name (one
edit or one confusable character from it); the popular names are the shipped lists of each
ecosystem's most-depended-on packages (`data/popular/`). The popular name itself is never
warned about (`requests` is no warning because `reqeusts` is malware), nor is any name on the
list. A project name two edits from a popular name is the only one worth the look-up of its
one-edit neighbours among the store's malicious packages, so a lockfile of thousands of names
costs a few dictionary probes a name."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from malgraph.core.check import Finding
from malgraph.core.kinds import FindingKind, Severity

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_."
# Shorter names are one or two edits from hundreds of others: no signal, only noise.
MIN_LENGTH = 4
# Sequences that read alike in most fonts, and the one each is read as.
_CONFUSABLE_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_CONFUSABLE_CHARS = str.maketrans({"1": "l", "i": "l", "0": "o", "_": "-", ".": "-"})
_SEQUENCES = re.compile("|".join(s for s, _ in _CONFUSABLE_SEQUENCES))
_READ_AS = dict(_CONFUSABLE_SEQUENCES)


def skeleton(name: str) -> str:
    """How a name reads: confusable characters and sequences folded to one spelling."""
    return _SEQUENCES.sub(lambda m: _READ_AS[m.group()], name.lower()).translate(_CONFUSABLE_CHARS)


def within(a: str, b: str, limit: int) -> bool:
    """Whether the optimal-string-alignment distance (insert, delete, substitute, swap two
    neighbours) between a and b is at most `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _up_to_two_deletes(word: str) -> set[str]:
    """The word, and every word one or two deletions make of it."""
    n = len(word)
    found = {word[:i] + word[i + 1 : j] + word[j + 1 :] for i in range(n) for j in range(i + 1, n)}
    found |= _deletes(word)
    found.add(word)
    return found


def one_edit_variants(name: str) -> set[str]:
    """Every name one edit from `name` (over ALPHABET), and its confusable respellings."""
    found = _deletes(name)
    for i in range(len(name) - 1):
        found.add(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    for i in range(len(name) + 1):
        for char in ALPHABET:
            found.add(name[:i] + char + name[i:])
            if i < len(name):
                found.add(name[:i] + char + name[i + 1 :])
    for seq, read_as in _CONFUSABLE_SEQUENCES:
        found.update(_respelled(name, seq, read_as))
        found.update(_respelled(name, read_as, seq))
    found.discard(name)
    return found


def _respelled(name: str, old: str, new: str) -> Iterator[str]:
    start = name.find(old)
    while start >= 0:
        yield name[:start] + new + name[start + len(old) :]
        start = name.find(old, start + 1)


@dataclass(frozen=True)
class PopularNames:
    """One ecosystem's popular names (canonical), indexed by their skeletons: each with its
    one-character deletions (to find names one edit away), and the set of every skeleton up
    to two deletions away (to tell whether a name is within two edits of any of them)."""

    names: frozenset[str]
    index: dict[str, frozenset[str]]
    two_deletions: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> PopularNames:
        index: dict[str, set[str]] = {}
        reach: set[str] = set()
        kept = frozenset(n for n in names if len(n) >= MIN_LENGTH)
        for name in kept:
            shape = skeleton(name)
            for key in {shape} | _deletes(shape):
                index.setdefault(key, set()).add(name)
            reach |= _up_to_two_deletes(shape)
        return cls(kept, {k: frozenset(v) for k, v in index.items()}, frozenset(reach))

    def near(self, name: str) -> set[str]:
        """Popular names whose skeleton is within one edit of this name's."""
        shape = skeleton(name)
        found = {p for key in {shape} | _deletes(shape) for p in self.index.get(key, ())}
        return {p for p in found if within(shape, skeleton(p), 1)}

    def within_two(self, name: str) -> bool:
        """Whether some popular name's skeleton may be within two edits of this name's (a
        shared skeleton after at most two deletions on each side: never a miss, rarely a
        false lead)."""
        return not _up_to_two_deletes(skeleton(name)).isdisjoint(self.two_deletions)


@lru_cache(maxsize=8)
def popular_index(names: frozenset[str]) -> PopularNames:
    return PopularNames.of(names)


@dataclass(frozen=True, slots=True)
class NameSubject:
    """A package name a project file gives (canonical, and as written)."""

    ecosystem: str
    canonical: str
    name: str
    version: str | None
    file: str
    path: tuple[str, ...]


def name_findings(
    subjects: Iterable[NameSubject],
    popular: PopularNames,
    malicious_among: Callable[[Collection[str]], set[str]],
) -> list[Finding]:
    """A warning for each subject one edit or one confusable character from a malicious
    package that imitates a popular name; `malicious_among(names)` says which of the names
    given are malicious packages of the ecosystem (asked once, for every candidate)."""
    candidates = [
        (subject, one_edit_variants(subject.canonical))
        for subject in subjects
        if len(subject.canonical) >= MIN_LENGTH
        and subject.canonical not in popular.names
        and popular.within_two(subject.canonical)
    ]
    if not candidates:
        return []
    malicious = malicious_among(set().union(*(variants for _, variants in candidates)))
    findings = []
    for subject, variants in candidates:
        like = _typosquats_near(subject.canonical, sorted(variants & malicious), popular)
        if like:
            findings.append(
                Finding(
                    FindingKind.NAME_LIKE_MALICIOUS,
                    Severity.WARNING,
                    subject.ecosystem,
                    subject.name,
                    subject.version,
                    subject.file,
                    (),
                    {"like": like},
                    subject.path,
                )
            )
    return findings


def _typosquats_near(
    name: str, malicious: list[str], popular: PopularNames
) -> list[dict[str, str]]:
    """Those of the malicious names (each one edit from `name`) that imitate a popular name
    other than `name`: the members of a typosquatting family."""
    like = []
    for found in malicious:
        if found in popular.names:
            continue
        imitated = sorted(popular.near(found) - {name})
        if imitated:
            how = "one confusable character" if skeleton(found) == skeleton(name) else "one edit"
            like.append({"name": found, "how": how, "imitates": imitated[0]})
    return like
