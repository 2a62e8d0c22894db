"""Mentions: the known packages a security write-up names, each with the evidence that it is one.

Pure: text and the store's names in, mentions out (the co-existing relation links the packages
one report names). A substring search would find "util" in "utility" and "request" in any prose,
so a name counts only with evidence: an install command, a registry URL, code, or an ecosystem
word beside a package cue. The text is tokenised once and each token is looked up in `known`.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from importlib import resources
from urllib.parse import unquote

from malgraph.core.identity import canonical_name
from malgraph.core.kinds import CodeEcosystem

INSTALL, URL, CODE = "install-command", "registry-url", "code"
WORD, LISTED = "ecosystem-word", "listed"
_RANK = {INSTALL: 0, URL: 1, CODE: 2, WORD: 3, LISTED: 4}  # the most explicit evidence is kept


@dataclass(frozen=True, slots=True)
class Mention:
    """One place where a text names a package the store knows."""

    ecosystem: str  # OSV spelling
    name: str  # canonical name as known in the store (the key of `known`)
    matched: str  # the exact text span matched
    start: int  # offset of the span in `text`
    end: int
    context: str  # up to ~60 chars either side, whitespace collapsed, for evidence
    how: str  # why it counts: "install-command", "registry-url", "code", "ecosystem-word", "listed"


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for line in text.splitlines() for w in line.split("#")[0].split())


_DATA = resources.files("malgraph.relations")
STOPWORDS = _words(_DATA.joinpath("stopwords.txt").read_text("utf-8"))
NODE_BUILTINS = _words(
    "assert async_hooks buffer child_process cluster console constants crypto dgram dns domain "
    "diagnostics_channel events fs http http2 https inspector module net os path perf_hooks "
    "process punycode querystring readline repl stream string_decoder sys timers tls "
    "trace_events tty url util v8 vm wasi worker_threads zlib"
)
PY_STDLIB = frozenset(canonical_name("PyPI", n) for n in sys.stdlib_module_names)

_ECO_WORDS = {
    w: eco
    for eco, words in [
        ("npm", "npm"),
        ("PyPI", "pypi pip pip3"),
        ("RubyGems", "rubygems gem gems"),
        ("NuGet", "nuget"),
        ("Packagist", "packagist"),
        ("crates.io", "crate crates crates.io"),
    ]
    for w in _words(words)
}
_ECO_WORD = re.compile(
    r"(?<![\w.@/-])(npm|pypi|pip3?|rubygems|gems?|nuget|crates\.io|crates?|packagist"
    r"|go[ \t]+modules?)(?![\w@/-]|\.\w)",  # "Go module": "go" alone is just a verb
    re.I,
)
_CUES = {"package", "library", "module", "gem", "crate", "dependency"}
_PLURAL_CUES = {"packages", "libraries", "modules", "gems", "crates", "dependencies"}

# Masks keep every offset: what is hidden becomes spaces and newlines stay.
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(?![`~]).*?^[ \t]*\1[^\n]*$", re.S | re.M)
_WEB = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"'`]+")
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>")
# HTML blocks end paragraphs; items and headings open Markdown ones, so one set of rules serves.
_TAG_LEAD = dict.fromkeys(_words("p div ul ol table tr pre br section blockquote"), "\n\n")
_TAG_LEAD |= {"li": "\n- ", "td": "\n\n", "th": "\n\n"} | {f"h{i}": "\n# " for i in range(1, 7)}

_PARA = re.compile(r"\n[ \t]*\n\s*")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t].*$", re.M)
_SENT = re.compile(r"[.!?][\"')\]*_`]*\s+|^(?=[ \t]*(?:(?:[-*+]|\d+[.)])[ \t]|\|))", re.M)
_TOKEN = re.compile(r"@[\w.-]+/[\w.-]*\w|\w(?:[\w.-]*\w)?")
_NUMERIC = re.compile(r"v?\d[\d.]*")  # dates, counts and versions; never read as names
_NOT_ITEM = re.compile(r"(?i:and|or)|v?\d[\d.]*")  # what joins lists, and numbers
_SEP = re.compile(r"[`'\"*]*(?:\s*([,/])\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)[`'\"*]*", re.I)
_BEFORE = re.compile(r"[\s:,\"'`*(]*(?:(?:called|named|dubbed)[\s:\"'`*]+)?", re.I)
_AFTER = re.compile(r"[\s\"'`*)]*")
_APPOSITION_END = re.compile(r"[`'\"*]*(?:[.,;:!?)\]\n]|\Z)")

_INSTALL = re.compile(
    r"(?<![\w.-])(?:(npm[ \t]+(?:install|i|add)|yarn[ \t]+(?:global[ \t]+)?add|pnpm[ \t]+(?:add|i))"
    r"|((?:python3?[ \t]+-m[ \t]+)?pip3?[ \t]+install)|(gem[ \t]+install)|(go[ \t]+(?:get|install))"
    r"|(cargo[ \t]+(?:add|install))|(dotnet[ \t]+add[ \t]+(?:\S+[ \t]+)?package|install-package)"
    r"|(composer[ \t]+require))(?=[ \t])",
    re.I,
)
_INSTALL_ECOS = ("npm", "PyPI", "RubyGems", "Go", "crates.io", "NuGet", "Packagist")
_ARGS_END = re.compile(r"[\n;|`)<]|&&|\s#")
# Flags whose value is the next word, per ecosystem ("npm i -f x" forces; "pip install -f" finds).
_VALUE_FLAGS = {
    "PyPI": _words(
        "-r -c -e -i -f -t --requirement --constraint --editable --index-url --src "
        "--extra-index-url --find-links --target --prefix --root"
    ),
    "npm": _words("--registry --tag --prefix"),
    "RubyGems": _words("-v -s -i --version --source --install-dir"),
    "NuGet": _words("-v -s -f --version --source --framework --package-directory -version"),
    "crates.io": _words("--version --vers --git --path --branch --tag --rev --features --rename"),
}
_ARG_NAME = re.compile(r"@?[\w.-]+(?:/[\w.~-]+)*")
_AFTER_ARG = re.compile(r"$|[@=<>!~\[(:,]")  # a version spec or extras, not "git+https:"
_SHELL_START = re.compile(r"[ \t]*(?:(?:[$>%!#]+|RUN|sudo)[ \t]*)*")

_REGISTRY = re.compile(
    r"(?<![\w.-])(?:((?:www\.)?npmjs\.com/package/|registry\.npmjs\.org/)"
    r"|(pypi\.org/project/|pypi\.org/simple/|pypi\.python\.org/pypi/)|(rubygems\.org/gems/)"
    r"|(crates\.io/crates/)|((?:www\.)?nuget\.org/packages/)|(pkg\.go\.dev/)"
    r"|(packagist\.org/packages/))((?:@|%40)?[\w.~%/-]*\w)",
    re.I,
)
_REGISTRY_ECOS = ("npm", "PyPI", "RubyGems", "crates.io", "NuGet", "Go", "Packagist")

_TICKS = re.compile(r"(?<!`)(`+)([^`\n]+)\1(?!`)|<code>([^<\n]+)</code>", re.I)
_CODE_NAME = re.compile(
    r"\s*(@[\w.-]+/[\w.-]+|\w[\w.-]*(?:/[\w.~-]+)*)(?:@[\w.^~*-]*|[=<>~!]=?[\w.*]+)?\s*"
)
_JS_IMPORT = re.compile(
    r"\b(?:require\(\s*|import\s*\(\s*|(?:import|export)\s+(?:[\w*{}\s,$]{1,500}?\s+from\s+)?)"
    r"(['\"])([^'\"\s]+)\1"
)
_PY_IMPORT = re.compile(  # at a line start or in backticks, so prose "we import x" is not code
    r"(?:^[ \t]*(?:>>>[ \t]*)?|`)(?:from[ \t]+(\w+)[\w.]*[ \t]+import\b"
    r"|import[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+|[ \t]*,[ \t]*[\w.]+)*)[ \t]*(?=$|[;#`]))",
    re.M,
)
_PY_ITEM = re.compile(r"(?:^|,)[ \t]*(\w+)")  # the top-level package of each imported module

_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+(.*?)[ \t]*$", re.M)
_ROW, _CELL = re.compile(r"^[ \t]*\|.*$", re.M), re.compile(r"(?<=\|)[^|\n]*")
_COLUMNS = _CUES | _PLURAL_CUES | {"name", "names"}  # a table's names are in such a column
_ITEM = re.compile(  # a name alone, maybe marked up and versioned; a link is no bare name
    r"\s*[`*_'\"]*(@[\w.-]+/[\w.-]*\w|\w(?:[\w.-]*\w)?)[`*_'\"]*"
    r"(?:\s*(?:@|==?|:)?\s*\(?v?\d[\w.+-]*\)?)?[.,;]?\s*"
)

_Hit = tuple[int, int, str, str, str, bool]  # start, end, ecosystem, name, how, ecosystem guessed
_Known = Mapping[str, Set[str]]


def find_mentions(text: str, known: _Known, default_ecosystem: str | None = None) -> list[Mention]:
    """Every mention of a name in `known` (OSV ecosystem -> canonical names), sorted by start."""
    doc = _Doc(text)
    hits = [hit for rule in _RULES for hit in rule(doc, known, default_ecosystem)]
    # A guess across every ecosystem yields to any hit whose ecosystem the text itself decided.
    decided = {hit[0] for hit in hits if not hit[5]}
    best: dict[tuple[str, str, int], _Hit] = {}
    for hit in filter(lambda h: not (h[5] and h[0] in decided), hits):
        key = (hit[2], hit[3], hit[0])
        if key not in best or _RANK[hit[4]] < _RANK[best[key][4]]:
            best[key] = hit
    return [
        Mention(eco, name, text[s:e], s, e, " ".join(text[max(0, s - 60) : e + 60].split()), how)
        for s, e, eco, name, how, _ in sorted(best.values(), key=lambda h: h[:4])
    ]


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def _tag_blank(match: re.Match[str]) -> str:
    lead, size = _TAG_LEAD.get(match.group(2).lower(), ""), len(match.group())
    return ("\n\n" if lead and match.group(1) else lead).ljust(size)[:size]


class _Doc:
    """The text under three masks of its own length, and where its paragraphs, sentences and
    ecosystem words are."""

    def __init__(self, text: str) -> None:
        self.plain = _COMMENT.sub(_blank, text)  # what a reader sees, code included
        self.code_free = _FENCE.sub(_blank, self.plain)
        self.prose = _TAG.sub(_tag_blank, _WEB.sub(_blank, self.code_free))
        heads = list(_HEADING.finditer(self.prose))
        self.sections = [0, *(m.start() for m in heads)]
        paras = {0, *(m.end() for m in _PARA.finditer(self.prose))}
        self.paras = sorted(paras | {m.start() for m in heads} | {m.end() + 1 for m in heads})
        self.sents = sorted({*self.paras, *(m.end() for m in _SENT.finditer(self.prose))})
        found = list(_ECO_WORD.finditer(self.prose))
        self.eco_pos = [m.start() for m in found]
        self.ecos = [_ECO_WORDS.get(m.group().lower(), "Go") for m in found]
        self.codes = [(m.start(), m.end()) for m in _FENCE.finditer(self.plain)]
        self.codes += [(m.start(), m.end()) for m in _TICKS.finditer(self.code_free)]

    def para_start(self, pos: int) -> int:
        return self.paras[bisect_right(self.paras, pos) - 1]

    def window(self, pos: int) -> tuple[int, int, int]:
        """The sentence around `pos` and the one before it in the same paragraph (so "packages
        on npm. They were a, b and c" still ties the names to npm)."""
        k = bisect_right(self.sents, pos) - 1
        lo = self.sents[k - 1] if k and self.sents[k - 1] >= self.para_start(pos) else self.sents[k]
        return lo, self.sents[k], self.sents[k + 1] if k + 1 < len(self.sents) else len(self.prose)

    def eco_for(self, pos: int, lo: int) -> str | None:
        """The ecosystem word of the sentence around `pos` (the nearest before it, else after
        it), else the nearest one before it from `lo`."""
        _, start, hi = self.window(pos)
        return self.eco_near(pos, start, hi) or self.eco_near(pos, lo, start)

    def eco_near(self, pos: int, lo: int, hi: int) -> str | None:
        """The nearest ecosystem word before `pos` (from `lo`), else the next one (before `hi`)."""
        i = bisect_right(self.eco_pos, pos)
        if i and self.eco_pos[i - 1] >= lo:
            return self.ecos[i - 1]
        return self.ecos[i] if i < len(self.eco_pos) and self.eco_pos[i] < hi else None


def _lookup(known: _Known, eco: str, name: str) -> tuple[str, int] | None:
    """The store's name for `name` and how much of `name` it covers."""
    names = known.get(eco)
    if not names:
        return None
    if eco == "Go":  # a package path names its module by a prefix
        parts = name.split("/")
        prefixes = ("/".join(parts[:k]) for k in range(len(parts), 0, -1))
        return next(((p, len(p)) for p in prefixes if p in names), None)
    canon = canonical_name(eco, name)
    return (canon, len(name)) if canon in names else None


def _builtin(eco: str | None, name: str) -> bool:
    python = canonical_name(CodeEcosystem.PYPI, name) in PY_STDLIB
    node = name.lower() in NODE_BUILTINS
    if eco == CodeEcosystem.PYPI:
        return python
    return node if eco == CodeEcosystem.NPM else eco is None and (python or node)


def _plausible(eco: str | None, name: str) -> bool:
    """Whether prose alone may name this: not a short or common word, nor a built-in module."""
    if len(name) <= 2 or _NUMERIC.fullmatch(name) or name.lower() in STOPWORDS:
        return False
    return not _builtin(eco, name)


def _hit(known: _Known, eco: str, raw: str, start: int, how: str) -> Iterator[_Hit]:
    found = _lookup(known, eco, raw)
    if found:
        yield start, start + found[1], eco, found[0], how, False


def _installs(doc: _Doc, known: _Known, default: str | None) -> Iterator[_Hit]:
    for m in _INSTALL.finditer(doc.plain):
        eco = _INSTALL_ECOS[(m.lastindex or 1) - 1]
        line = doc.plain.rfind("\n", 0, m.start()) + 1
        # In running prose ("npm install on every build") only the first word can be a name.
        as_code = bool(_SHELL_START.fullmatch(doc.plain, line, m.start()))
        as_code = as_code or any(s <= m.start() < e for s, e in doc.codes)
        end = _ARGS_END.search(doc.plain, m.end())
        skip_value = False
        for arg in re.finditer(r"\S+", doc.plain[m.end() : end.start() if end else None]):
            word = arg.group().lstrip("'\"")
            start, word = m.end() + arg.end() - len(word), word.rstrip("'\".,:;!?")
            if skip_value or word.startswith("-"):
                skip_value = not skip_value and word.lower() in _VALUE_FLAGS.get(eco, ())
                continue
            name = _ARG_NAME.match(word)
            raw = name.group() if name and _AFTER_ARG.match(word, name.end()) else ""
            if raw and (as_code or _plausible(eco, raw)):
                yield from _hit(known, eco, raw, start, INSTALL)
            if not as_code:
                break


def _registry_urls(doc: _Doc, known: _Known, default: str | None) -> Iterator[_Hit]:
    for m in _REGISTRY.finditer(doc.plain):
        eco = next(e for i, e in enumerate(_REGISTRY_ECOS, 1) if m.group(i))
        parts = m.group(8).split("/")
        scoped = eco == CodeEcosystem.NPM and re.match(r"@[^/]+$", unquote(parts[0])) is not None
        keep = len(parts) if eco == "Go" else 2 if eco == "Packagist" or scoped else 1
        raw = "/".join(parts[:keep])
        found = _lookup(known, eco, unquote(raw))
        if found:
            end = m.start(8) + (found[1] if eco == "Go" else len(raw))
            yield m.start(8), end, eco, found[0], URL, False


def _code(doc: _Doc, known: _Known, default: str | None) -> Iterator[_Hit]:
    for m in _JS_IMPORT.finditer(doc.plain):
        spec = m.group(2)
        name = "/".join(spec.split("/")[: 2 if spec.startswith("@") else 1])
        if not spec.startswith("node:") and not _builtin("npm", name):
            yield from _hit(known, "npm", name, m.start(2), CODE)
    for m in _PY_IMPORT.finditer(doc.plain):
        group = 1 if m.group(1) else 2
        for item in _PY_ITEM.finditer(m.group(group)):
            if not _builtin("PyPI", item.group(1)):
                yield from _hit(known, "PyPI", item.group(1), m.start(group) + item.start(1), CODE)
    for m in _TICKS.finditer(doc.code_free):
        group = 2 if m.group(2) else 3
        code = _CODE_NAME.fullmatch(m.group(group))
        if not code:
            continue
        start, raw = m.start(group) + code.start(1), code.group(1)
        if raw.lower() in _ECO_WORDS:  # "these `npm` libraries" names the ecosystem
            continue
        eco = doc.eco_for(start, doc.para_start(start)) or default
        if _builtin(eco, raw):
            continue
        # With no ecosystem in sight, each ecosystem knowing the name is a guess.
        for each in [eco] if eco else list(known):
            for s, e, _, name, how, _ in _hit(known, each, raw, start, CODE):
                yield s, e, each, name, how, eco is None


class _Tokens:
    """The prose's word tokens (numbers and list joiners left out), with the sentence of each,
    which ones are package cues, and the separator joining each to the next into a list."""

    def __init__(self, doc: _Doc) -> None:
        self.toks = [t for t in _TOKEN.finditer(doc.prose) if not _NOT_ITEM.fullmatch(t.group())]
        self.words = [t.group().lower() for t in self.toks]
        self.sent = [bisect_right(doc.sents, t.start()) - 1 for t in self.toks]
        self.cue = [w in _CUES or w in _PLURAL_CUES for w in self.words]
        self.cue_pos = [t.start() for t, c in zip(self.toks, self.cue, strict=True) if c]
        inert = [
            c or w in _ECO_WORDS or w == "go" for c, w in zip(self.cue, self.words, strict=True)
        ]
        self.joins: list[re.Match[str] | None] = [
            None
            if self.sent[i] != self.sent[i + 1] or inert[i] or inert[i + 1]
            else _SEP.fullmatch(doc.prose, self.toks[i].end(), self.toks[i + 1].start())
            for i in range(len(self.toks) - 1)
        ] + [None]

    def chains(self) -> Iterator[tuple[int, int]]:
        """(first, last) token of each run joined by separators (a lone token is a run)."""
        a = 0
        while a < len(self.toks):
            b = a
            while self.joins[b]:
                b += 1
            yield a, b
            a = b + 1


def _cue_before(doc: _Doc, t: _Tokens, a: int, b: int) -> set[int]:
    """What a cue just before the run picks ("the package x", "packages called x, y"): the
    whole run after a plural cue, its first token after a singular one."""
    k = a - 2 if a > 1 and t.words[a - 1] in ("called", "named", "dubbed") else a - 1
    if k < 0 or not t.cue[k] or t.sent[k] != t.sent[a]:
        return set()
    gap = _BEFORE.fullmatch(doc.prose, t.toks[k].end(), t.toks[a].start())
    # "the npm package, the minified file": after a comma the name must stand alone.
    if not gap or ("," in gap.group() and not _APPOSITION_END.match(doc.prose, t.toks[b].end())):
        return set()
    return set(range(a, b + 1)) if t.words[k] in _PLURAL_CUES else {a}


def _cue_after(doc: _Doc, t: _Tokens, a: int, b: int) -> set[int]:
    """What a cue just after the run picks ("x and y packages", "the x package")."""
    after = b + 1 < len(t.toks) and t.cue[b + 1] and t.sent[b + 1] == t.sent[b]
    if not after or not _AFTER.fullmatch(doc.prose, t.toks[b].end(), t.toks[b + 1].start()):
        return set()
    return set(range(a, b + 1)) if t.words[b + 1] in _PLURAL_CUES else {b}


def _enumeration(t: _Tokens, a: int, b: int, lo: int, hi: int) -> set[int]:
    """The run when it lists three or more with a comma and a cue is in the window lo-hi."""
    # Two items with a comma are as often a clause break ("after this incident, the ...").
    listed = b - a >= 2 and any(j and j.group(1) for j in t.joins[a:b])
    if listed and bisect_left(t.cue_pos, lo) < bisect_left(t.cue_pos, hi):
        return set(range(a, b + 1))
    return set()


def _prose(doc: _Doc, known: _Known, default: str | None) -> Iterator[_Hit]:
    """Rule 4: an ecosystem word in the window, and a package cue beside the name (or beside an
    enumeration holding it), or an enumeration of three or more in a window with a cue."""
    t = _Tokens(doc)
    for a, b in t.chains():
        lo, _, hi = doc.window(t.toks[a].start())
        picked = (
            _cue_before(doc, t, a, b) | _cue_after(doc, t, a, b) | _enumeration(t, a, b, lo, hi)
        )
        for i in sorted(picked):
            eco = doc.eco_for(t.toks[i].start(), lo)
            if eco and _plausible(eco, t.toks[i].group()):
                yield from _hit(known, eco, t.toks[i].group(), t.toks[i].start(), WORD)


def _listed(doc: _Doc, known: _Known, default: str | None) -> Iterator[_Hit]:
    """Rule 5: a bullet or table cell that is just a name, in a text with an ecosystem word."""
    if not doc.ecos:
        return
    items = [(m.start(1), m.group(1)) for m in _BULLET.finditer(doc.prose)]
    columns, last_row_end = set[int](), -2
    for row in _ROW.finditer(doc.prose):
        cells = list(_CELL.finditer(doc.prose, row.start(), row.end()))
        if row.start() != last_row_end + 1:  # a table's first row heads its columns
            columns = {
                i for i, c in enumerate(cells) if _COLUMNS & {*re.findall(r"\w+", c[0].lower())}
            }
        last_row_end = row.end()
        items += [(c.start(), c.group()) for i, c in enumerate(cells) if i in columns]
    for offset, body in items:
        item = _ITEM.fullmatch(body)
        if not item:
            continue
        start = offset + item.start(1)
        i = bisect_right(doc.sections, start)
        lo, hi = doc.sections[i - 1], doc.sections[i] if i < len(doc.sections) else len(doc.prose)
        eco = doc.eco_near(start, lo, hi) or default or doc.eco_near(start, 0, len(doc.prose))
        if eco and _plausible(eco, item.group(1)):
            yield from _hit(known, eco, item.group(1), start, LISTED)


_RULES = (_installs, _registry_urls, _code, _prose, _listed)
