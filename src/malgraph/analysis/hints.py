"""One pass over a code file for every hint the scanners look for (a language's trigger words,
credential and startup fragments, IoC hints, long encoded runs), with one Hyperscan database a
language; and the IoC search on the lines with a hint. Why Hyperscan: benchmarks/README.md."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import hyperscan

from malgraph.analysis.compiled_patterns import block_database
from malgraph.core.code import CodeIoc
from malgraph.core.iocs import NETWORK_KINDS, TLDS, iocs_in_text
from malgraph.core.kinds import IocKind

# Lower-case pieces of the credential and startup strings (scanning.CREDENTIALS and STARTUP),
# matched case-insensitively to find the strings worth a look.
STRING_FRAGMENTS = (
    ".ssh",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".aws",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    "login data",
    "cookies",
    "local state",
    "discord",
    "local storage",
    ".gnupg",
    "keychain",
    "wallet",
    "/etc/passwd",
    "/etc/shadow",
    ".bashrc",
    ".bash_profile",
    ".profile",
    ".zshrc",
    "crontab",
    "/etc/cron",
    "launchagents",
    "startup",
    "autostart",
    "systemd",
    "currentversion",
)
# The IoCs in code are URLs, webhooks, domains and IPs. Most lines hold none, and the
# full IoC search is the costly part, so it runs only on lines with a hint of one: a scheme,
# a defang marker, a webhook service, a name ending in a known TLD, a dotted quad.
DOT_HINT = rf"\.(?:\d{{1,3}}\.\d|(?:{'|'.join(sorted(TLDS, key=lambda tld: (-len(tld), tld)))})\b)"
WORD_HINTS = (
    r"://",
    r"h[xX]{2}ps?",
    r"\[\.\]",
    r"\(\.\)",
    r"\[dot\]",
    r"\[:",
    "discord",
    r"hooks\.slack",
    "telegram",
)
# What marks an IoC that no hint above names: a TLD in capitals, the defang markers `{.}` and
# `(dot)` in any case, two colons with hex digits between (an IPv6 address). They send no line
# to the IoC search (a line is searched when it holds a hint, as before), but on a long line the
# search reads only the stretches around hints and these marks: see code_iocs.
QUIET_MARKS = (
    (DOT_HINT, True),
    (r"\{\.\}", False),
    (r"[\[({]dot[\])}]", True),
    (r":[0-9a-fA-F]*:", False),
)
ENCODED_RUN = 200  # obfuscation.ENCODED_MIN_CHARS: a run this long of the base64/hex alphabet
_RUNS = re.compile(rb"[A-Za-z0-9+/_-]{%d,}" % ENCODED_RUN)
_ASCII_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, slots=True)
class Hints:
    """Where one file's hints are, as offsets into `data` (the file's text as UTF-8)."""

    data: bytes
    words: tuple[tuple[int, int, bytes], ...]  # trigger words: start, end, the word; in order
    fragments: tuple[tuple[int, int], ...]  # credential and startup fragments, not overlapping
    ioc_hints: tuple[int, ...]  # an offset on each line worth an IoC search, ascending
    encoded_run: bool  # whether a run of ENCODED_RUN base64/hex characters is in the file
    encoded_runs: tuple[tuple[int, int], ...] = ()  # their spans, when there are any
    ioc_marks: tuple[int, ...] = ()  # an offset in each QUIET_MARKS match, ascending


class HintScanner:
    """A Hyperscan database for one language's trigger words plus the hints every file gets.

    `boundary` says how a trigger word must stand: 'python' (`\\b` of Python's `re` on text:
    a non-ASCII neighbour is checked as a Unicode character), 'javascript' (not next to an
    ASCII word character or `$`) or 'ascii' (`\\b` on bytes)."""

    def __init__(self, words: Sequence[str], boundary: str, loose: Sequence[str] = ()) -> None:
        """`loose`: trigger strings found wherever they are (Ruby's backtick and `%x`)."""
        self.words = tuple(word.encode() for word in (*words, *loose))
        self.boundary = boundary
        bounded = boundary != "javascript"
        expressions = [
            rb"\b%s\b" % re.escape(w) if bounded and i < len(words) else re.escape(w)
            for i, w in enumerate(self.words)
        ]
        flags = [0] * len(expressions)
        self._fragments = len(expressions)
        expressions += [re.escape(f).encode() for f in STRING_FRAGMENTS]
        flags += [hyperscan.HS_FLAG_CASELESS] * len(STRING_FRAGMENTS)
        self._ioc_hints = len(expressions)
        expressions += [h.encode() for h in (DOT_HINT, *WORD_HINTS)]
        flags += [0] * (1 + len(WORD_HINTS))
        self._marks = len(expressions)
        expressions += [mark.encode() for mark, _caseless in QUIET_MARKS]
        flags += [hyperscan.HS_FLAG_CASELESS if caseless else 0 for _m, caseless in QUIET_MARKS]
        self._run = len(expressions)
        expressions.append(rb"[A-Za-z0-9+/_-]{%d}" % ENCODED_RUN)
        flags.append(hyperscan.HS_FLAG_SINGLEMATCH)
        self._database = block_database(expressions, flags)
        # A scratch serves one scan at a time: each thread (a Dask worker's) scans with its
        # own clone, so threads never wait on one another as they would behind a lock.
        self._scratch = hyperscan.Scratch(self._database)
        self._thread = threading.local()

    def _own_scratch(self) -> hyperscan.Scratch:
        scratch: hyperscan.Scratch | None = getattr(self._thread, "scratch", None)
        if scratch is None:
            scratch = self._thread.scratch = self._scratch.clone()
        return scratch

    def scan(self, text: str) -> Hints:
        data = text.encode("utf-8", "replace")
        words: list[tuple[int, int, bytes]] = []
        fragments: list[tuple[int, int]] = []
        ioc_hints: list[int] = []
        marks: list[int] = []
        run = [False]
        first_fragment, first_ioc, first_mark = self._fragments, self._ioc_hints, self._marks
        run_id = self._run
        own = self.words

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> None:
            if pattern < first_fragment:
                word = own[pattern]
                words.append((end - len(word), end, word))
            elif pattern < first_ioc:
                fragments.append((end - len(STRING_FRAGMENTS[pattern - first_fragment]), end))
            elif pattern < first_mark:
                ioc_hints.append(end - 1)
            elif pattern < run_id:
                marks.append(end - 1)
            else:
                run[0] = True

        self._database.scan(data, match_event_handler=on_match, scratch=self._own_scratch())
        words.sort(key=_longest_first)
        runs = tuple(m.span() for m in _RUNS.finditer(data)) if run[0] else ()
        return Hints(
            data,
            tuple(self._standing(data, words)),
            tuple(_leftmost(fragments)),
            tuple(sorted(set(ioc_hints))),
            run[0],
            runs,
            tuple(sorted(set(marks))),
        )

    def _standing(
        self, data: bytes, words: list[tuple[int, int, bytes]]
    ) -> list[tuple[int, int, bytes]]:
        """The words that stand on their own by this scanner's rule, as `re` would find them:
        leftmost first, the longest standing one at a place, none overlapping."""
        kept: list[tuple[int, int, bytes]] = []
        last_end = -1
        for start, end, word in words:
            if start < last_end:
                continue
            if self.boundary == "javascript":
                if _js_word_byte(data, start - 1) or _js_word_byte(data, end):
                    continue
            elif self.boundary == "python" and not _python_word(data, start, end):
                continue
            kept.append((start, end, word))
            last_end = end
        return kept


def _longest_first(word: tuple[int, int, bytes]) -> tuple[int, int]:
    """Words by start, the longest first at one start (as the old passes' alternation tried)."""
    return word[0], -word[1]


def _js_word_byte(data: bytes, at: int) -> bool:
    return 0 <= at < len(data) and (data[at] in _ASCII_WORD or data[at] == 0x24)  # '$'


def _python_word(data: bytes, start: int, end: int) -> bool:
    """Whether Python's `\\b` (Unicode word characters) holds on both sides of a word that
    Hyperscan's ASCII `\\b` found: it differs only next to a non-ASCII character."""
    if start > 0 and data[start - 1] >= 0x80:
        begin = start - 1
        while begin > 0 and 0x80 <= data[begin] < 0xC0:
            begin -= 1
        before = data[begin:start].decode("utf-8", "replace")[-1:]
        if before.isalnum() or before == "_":
            return False
    if end < len(data) and data[end] >= 0x80:
        after = data[end : end + 4].decode("utf-8", "ignore")[:1]
        if after.isalnum() or after == "_":
            return False
    return True


def _leftmost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans as `re.finditer` finds them: leftmost first, the longest at one start, none
    overlapping."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def hit_lines(data: bytes, offsets: Sequence[int]) -> set[int]:
    """The lines (from 1) holding these ascending offsets."""
    lines: set[int] = set()
    line, last = 1, 0
    for at in offsets:
        line += data.count(b"\n", last, at)
        last = at
        lines.add(line)
    return lines


COMMON = HintScanner((), "ascii")


class FragmentSearch:
    """Whether an ASCII text holds a credential or startup fragment, in any case, by one
    Hyperscan pass: on ASCII the caseless match is the lower-cased copy's match, made without
    the copy (a payload literal of megabytes is read once, not copied and read by `re`)."""

    def __init__(self) -> None:
        expressions = [re.escape(f).encode() for f in STRING_FRAGMENTS]
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
        self._database = block_database(expressions, [flags] * len(expressions))
        self._scratch = hyperscan.Scratch(self._database)
        self._thread = threading.local()  # a scratch a thread, as HintScanner has

    def found_in(self, data: bytes) -> bool:
        scratch: hyperscan.Scratch | None = getattr(self._thread, "scratch", None)
        if scratch is None:
            scratch = self._thread.scratch = self._scratch.clone()
        found: list[int] = []

        def on_match(pattern: int, _start: int, _end: int, _flags: int, _context: object) -> None:
            found.append(pattern)

        self._database.scan(data, match_event_handler=on_match, scratch=scratch)
        return bool(found)


FRAGMENT_SEARCH = FragmentSearch()  # a file in no language with trigger words: a shell script


# A hint is recorded at its last byte. A name's hint (".com") ends inside a run when the run
# goes on right after it ("evil.com/AAAA..."): such a run starts just after the hint's dot.
_HINT_REACH = 64


def _inside_a_run(
    data: bytes, at: int, runs: tuple[tuple[int, int], ...], run_starts: list[int]
) -> bool:
    """Whether the hint ending at `at` lies wholly inside a long encoded run."""
    inside = bisect_right(run_starts, at) - 1
    if inside < 0 or at >= runs[inside][1]:
        return False
    start = runs[inside][0]
    return not (start > 0 and data[start - 1] == ord(".") and at - start < _HINT_REACH)


def code_iocs(path: str, hints: Hints) -> list[CodeIoc]:
    """The URLs, webhooks, domains and IPs of a file, searched for on the lines with a hint.
    A hint inside a long encoded run does not count (a payload's letters spell "hxxp" or
    "discord" by chance): the run's alphabet has no '.', ':' or brackets, so an IoC there has a
    hint of its own at the run's edge (its dot, its '://'). A line over LONG_LINE bytes (a
    minified bundle's) is searched in its stretches with a hint or a quiet mark: see
    _Stretches.marked for why that finds what the whole line gives."""
    data = hints.data
    found: dict[tuple[IocKind, str], CodeIoc] = {}
    line, counted, done = 1, 0, -1
    runs = hints.encoded_runs
    run_starts = [start for start, _end in runs]
    stretches: _Stretches | None = None
    for at in hints.ioc_hints:
        if at <= done:
            continue  # that line was read already
        if _inside_a_run(data, at, runs, run_starts):
            continue
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        done = end = len(data) if end < 0 else end
        line += data.count(b"\n", counted, start)
        counted = start
        if end - start > LONG_LINE:
            stretches = stretches or _Stretches(hints)
            text = stretches.marked(start, end)
        else:
            text = data[start:end].decode("utf-8", "replace")
        for ioc in iocs_in_text(text, NETWORK_KINDS):
            if (ioc.kind, ioc.value) not in found:
                found[ioc.kind, ioc.value] = CodeIoc(
                    ioc.kind, ioc.value, ioc.as_written, path, line
                )
    return list(found.values())


LONG_LINE = 4096
# Bytes that no URL, domain, IP or defang marker holds, and that none of their regular
# expressions' lookarounds (core.iocs) ask for: every IoC lies inside one stretch between them.
_SEPARATORS = b" \t\n\r\x0b\x0c\"'`<>|"
_STRETCH_MAP = bytes(0 if b in _SEPARATORS else 1 for b in range(256))


class _Stretches:
    """A file's stretches between separators, for the search of its long lines."""

    def __init__(self, hints: Hints) -> None:
        self.data = hints.data
        self.bounds = hints.data.translate(_STRETCH_MAP)  # separators are 0
        self.marks = sorted({*hints.ioc_hints, *hints.ioc_marks})

    def marked(self, start: int, end: int) -> str:
        """The stretches of data[start:end] that hold an IoC hint or a quiet mark, in order,
        one a line. Every code IoC holds one of them (a URL its '://' or `[:`, a domain its TLD
        or its defang marker, an IP its dots or colons, a webhook its service's name), and a
        stretch is searched as the whole line would search it: a match never crosses a
        separator, and what a lookaround sees past a stretch's edge (a separator, or the edge
        of the line or of the text) fails it alike. So the IoCs, their order and which domains
        are a URL's host are those of the whole line."""
        marks, bounds = self.marks, self.bounds
        stretches: list[str] = []
        reached = start
        for at in marks[bisect_left(marks, start) : bisect_left(marks, end)]:
            if at < reached:
                continue
            first = max(start, bounds.rfind(b"\x00", start, at) + 1)
            last = bounds.find(b"\x00", at, end)
            reached = end if last < 0 else last
            stretches.append(self.data[first:reached].decode("utf-8", "replace"))
        return "\n".join(stretches)
