"""The explorer's search: an in-memory index built once from the read model, so the server
never writes the store (an SQLite full-text table would need a write). Prefixes are found by
bisection in a sorted list of keys (each name, and each of its words' tails, so `web3` finds
`@solana/web3.js`); typos through a trigram index, ranked by edit distance to the typed text."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from malgraph.core.web import SearchEntry

WORD_START = re.compile(r"(?<=[/@\s._:-])\w")
MAX_PREFIX_SCAN = 2000  # prefix keys read before ranking: enough to rank, bounded for "a"
FUZZY_CANDIDATES = 300  # trigram-ranked entries whose edit distance is computed
COMMON_TRIGRAM = 20000  # a trigram on more entries than this tells little; skipped if possible


@dataclass(frozen=True, slots=True)
class SearchHit:
    entry: SearchEntry
    how: str  # exact, prefix, word or typo


def _norm(text: str) -> str:
    return text.casefold().strip()


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class SearchIndex:
    """Entries by prefix of their text or of a word in it, and by trigram for typos."""

    def __init__(self, entries: Iterable[SearchEntry]) -> None:
        self.entries: list[SearchEntry] = []
        self._texts: list[str] = []
        keyed: list[tuple[str, int]] = []
        grams: dict[str, array[int]] = {}
        for index, entry in enumerate(entries):
            text = _norm(entry.text)[:200]  # a 10 KB name is indexed by its start
            self.entries.append(entry)
            self._texts.append(text)
            keyed.append((text, index))
            keyed.extend((text[m.start() :], ~index) for m in WORD_START.finditer(text[:100]))
            for gram in _trigrams(text[:64]):
                grams.setdefault(gram, array("i")).append(index)
        keyed.sort()
        self._keys = [key for key, _ in keyed]
        self._ids = array("i", (index for _, index in keyed))
        self._grams = grams

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Exact matches, then prefixes of the whole text (shortest first), then prefixes of
        a word in it, then near misses (at most one edit in five characters)."""
        q = _norm(query)
        if not q:
            return []
        hits: dict[int, SearchHit] = {}
        for index, how in self._prefixed(q):
            hits.setdefault(index, SearchHit(self.entries[index], how))
        if len(hits) < limit:
            for index in self._near(q):
                hits.setdefault(index, SearchHit(self.entries[index], "typo"))
        order = {"exact": 0, "prefix": 1, "word": 2, "typo": 3}
        ranked = sorted(
            hits.items(), key=lambda item: (order[item[1].how], len(self._texts[item[0]]))
        )
        seen: set[tuple[str, str]] = set()
        found = []
        for _, hit in ranked:
            page = (hit.entry.kind, hit.entry.key)
            if page not in seen:
                seen.add(page)
                found.append(hit)
        return found[:limit]

    def _prefixed(self, q: str) -> list[tuple[int, str]]:
        found = []
        at = bisect_left(self._keys, q)
        end = min(len(self._keys), at + MAX_PREFIX_SCAN)
        while at < end and self._keys[at].startswith(q):
            ident = self._ids[at]
            if ident >= 0:
                found.append((ident, "exact" if self._keys[at] == q else "prefix"))
            else:
                found.append((~ident, "word"))
            at += 1
        return found

    def _near(self, q: str) -> list[int]:
        grams = _trigrams(q[:64])
        if not grams:
            return []
        lists = [self._grams[g] for g in grams if g in self._grams]
        telling = [ids for ids in lists if len(ids) <= COMMON_TRIGRAM] or lists
        counts: Counter[int] = Counter()
        for ids in telling:
            counts.update(ids)
        allowed = 1 + len(q) // 5
        near = []
        for index, _ in counts.most_common(FUZZY_CANDIDATES):
            text = self._texts[index]
            distance = min(edit_distance(q, text[: len(q)]), edit_distance(q, text[:64]))
            if distance <= allowed:
                near.append((distance, len(text), index))
        return [index for *_, index in sorted(near)]
