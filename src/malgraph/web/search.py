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
PURL = "pkg:"
TRIGRAM_SPAN = 32  # typos are looked for in the start of a text, where a search begins
MAX_PREFIX_SCAN = 500  # prefix keys read before ranking: enough to rank, bounded for "a"
FUZZY_BELOW = 10  # near misses are looked for when exact and prefix hits are fewer than this
FUZZY_CANDIDATES = 100  # trigram-ranked entries whose edit distance is computed
RAREST_TRIGRAMS = 6  # the query's rarest trigrams choose the candidates (common ones tell little)
MAX_COUNTED = 40_000  # postings counted at most: past that the query is too common for a typo


@dataclass(frozen=True, slots=True)
class SearchHit:
    entry: SearchEntry
    how: str  # exact, prefix, word or typo


def _norm(text: str) -> str:
    return text.casefold().strip()


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def prefix_distance(query: str, text: str) -> int:
    """The fewest edits (Levenshtein) that turn `query` into some prefix of `text`."""
    previous = list(range(len(text) + 1))
    for i, cq in enumerate(query, 1):
        current = [i]
        for j, ct in enumerate(text, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cq != ct)))
        previous = current
    return min(previous)


class SearchIndex:
    """Entries by prefix of their text or of a word in it, and by trigram for typos."""

    def __init__(self, entries: Iterable[SearchEntry]) -> None:
        self.entries: list[SearchEntry] = []
        self._texts: list[str] = []
        keyed: list[tuple[str, int]] = []
        tails: list[tuple[str, int]] = []
        grams: dict[str, list[int]] = {}
        for index, entry in enumerate(entries):
            text = _norm(entry.text)[:200]  # a 10 KB name is indexed by its start
            self.entries.append(entry)
            self._texts.append(text)
            keyed.append((text, index))
            if text.startswith(PURL):  # a purl's words are its name's, indexed with the name
                continue
            tails.extend((text[m.start() :], index) for m in WORD_START.finditer(text[:100]))
            for gram in _trigrams(text[:TRIGRAM_SPAN]):
                held = grams.get(gram)
                if held is None:
                    grams[gram] = [index]
                else:
                    held.append(index)
        keyed.sort()
        tails.sort()
        self._keys = [key for key, _ in keyed]
        self._ids = array("i", (index for _, index in keyed))
        self._tails = [key for key, _ in tails]
        self._tail_ids = array("i", (index for _, index in tails))
        self._grams = {gram: array("i", ids) for gram, ids in grams.items()}

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
        if len(hits) < FUZZY_BELOW:
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
        """Texts starting with q, then texts with a word starting with q."""
        found = []
        for index, key in _starting(self._keys, self._ids, q):
            found.append((index, "exact" if key == q else "prefix"))
        if len(found) < MAX_PREFIX_SCAN:
            found.extend((index, "word") for index, _ in _starting(self._tails, self._tail_ids, q))
        return found

    def _near(self, q: str) -> list[int]:
        grams = _trigrams(q[:64])
        if not grams:
            return []
        lists = sorted((self._grams[g] for g in grams if g in self._grams), key=len)
        counts: Counter[int] = Counter()
        counted = 0
        for ids in lists[:RAREST_TRIGRAMS]:
            counted += len(ids)
            if counts and counted > MAX_COUNTED:
                break
            counts.update(ids[:MAX_COUNTED])
        allowed = 1 + len(q) // 5
        near = []
        for index, _ in counts.most_common(FUZZY_CANDIDATES):
            text = self._texts[index]
            distance = prefix_distance(q[:64], text[: len(q) + allowed])
            if distance <= allowed:
                near.append((distance, len(text), index))
        return [index for *_, index in sorted(near)]


def _starting(keys: list[str], ids: array[int], q: str) -> list[tuple[int, str]]:
    """The first MAX_PREFIX_SCAN (id, key) of the sorted keys that start with q."""
    found = []
    at = bisect_left(keys, q)
    end = min(len(keys), at + MAX_PREFIX_SCAN)
    while at < end and keys[at].startswith(q):
        found.append((ids[at], keys[at]))
        at += 1
    return found
