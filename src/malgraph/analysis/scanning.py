"""What the per-language scanners share: the credential and startup strings, finding collection,
trigger-word search, and tree-sitter parsing under a work budget."""

from __future__ import annotations

import ast
import re
import symtable
import sys
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from malgraph.analysis.hints import FRAGMENT_SEARCH, STRING_FRAGMENTS
from malgraph.analysis.setup_facts import SetupFacts
from malgraph.core.code import Finding, Import
from malgraph.core.kinds import FindingCategory, ImportKind

# Larger files are not parsed (a few per cent of npm bundles): parsing grows with the size.
MAX_CODE_CHARS = 2 * 2**20
# Tree-sitter's error recovery can cost hundreds of times a normal parse on crafted garbage: a
# parse is abandoned past about 20 times its normal cost (plus a base for small files). Budgets
# count work, not time, so that the same file gets the same answer on a busy machine: the parse
# counts tree-sitter's progress reports (one per hundred parser operations), an operation taken
# while recovering from an error weighing PARSE_ERROR_WEIGHT (it costs that much more). Lookups
# in the tree get their own budget, in tree levels descended (nodes nested thousands deep make
# each lookup slow). The calibration is in benchmarks/README.md.
PARSE_BUDGET_STEPS = 10_000
PARSE_BUDGET_STEPS_PER_KB = 200
PARSE_ERROR_WEIGHT = 40
LOOKUP_BUDGET_LEVELS = 1_000_000
LOOKUP_BUDGET_LEVELS_PER_KB = 4_000
LOOKUP_PROBE_EVERY = 8  # lookups between two depth probes


@dataclass(frozen=True, slots=True)
class CodeScan:
    imports: tuple[Import, ...]
    findings: tuple[Finding, ...]  # sorted by line; one per (category, api, line)
    problems: tuple[str, ...]  # '<path>: <reason>' when the file could not be fully parsed
    # A setup.py's tree and what the manifest reader needs of it, from the scan's one walk.
    setup: SetupFacts | None = field(default=None, compare=False, repr=False)


# Strings that name credential stores and startup locations, matched after '\' → '/' so that
# Windows paths match too. Each group's label (below) is the Finding's `api`.
CREDENTIAL_LABELS = (
    ".ssh/",
    "id_rsa",
    ".aws/credentials",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    "Login Data",
    "Cookies",
    "Local State",
    "discord",
    "Local Storage/leveldb",
    ".gnupg",
    "keychain",
    "wallet",
    "/etc/passwd",
    "/etc/shadow",
)
CREDENTIALS = re.compile(
    r"(\.ssh\b)|(\bid_(?:rsa|dsa|ecdsa|ed25519)\b)|(\.aws/+credentials)|(\.npmrc)"
    r"|(\.pypirc)|(\.git-credentials)|(Login Data)|(\bCookies\b)|(Local State)|((?i:discord))"
    r"|(Local Storage/+leveldb)|(\.gnupg)|((?i:keychain))|((?i:wallet))|(/etc/passwd)|(/etc/shadow)"
)
STARTUP_LABELS = (
    ".bashrc",
    ".bash_profile",
    ".profile",
    ".zshrc",
    "crontab",
    "/etc/cron",
    "LaunchAgents",
    "Startup",
    ".config/autostart",
    "autostart",
    "systemd",
    "CurrentVersion\\Run",
)
STARTUP = re.compile(
    r"(\.bashrc)|(\.bash_profile)|(\.profile\b)|(\.zshrc)|(crontab)|(/etc/cron)|(LaunchAgents)"
    r"|(\bStartup\b)|(\.config/+autostart)|(autostart)|(systemd)|(CurrentVersion/+Run)"
)
# The lower-case pieces of both lists (hints.STRING_FRAGMENTS) find the strings worth a look.


def words_pattern(words: Iterable[str]) -> str:
    """A regex alternation of words factored into a trie (`o(?:pen|s)`): Python's regex engine
    tries alternatives one by one, so sharing prefixes saves it most of the tries."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            body = f"(?:{body})?"
        return body

    return build(trie)


FRAGMENTS = re.compile(words_pattern(STRING_FRAGMENTS))
# Past this length an ASCII string is searched by Hyperscan rather than lower-cased for FRAGMENTS.
_LONG_STRING = 256


def names_a_fragment(value: str) -> bool:
    """Whether a string holds a fragment of STRING_FRAGMENTS in any case. Short strings and
    non-ASCII ones take FRAGMENTS on the lower-cased copy (`lower()` makes ASCII letters of a
    few others: the Kelvin sign becomes 'k'); a long ASCII string one Hyperscan pass, which
    gives the same answer."""
    if len(value) > _LONG_STRING and value.isascii():
        return FRAGMENT_SEARCH.found_in(value.encode("ascii"))
    return FRAGMENTS.search(value.lower()) is not None


def credential_stores(value: str) -> list[str]:
    """The labels of the credential stores a string names, in order, each once."""
    if not names_a_fragment(value):  # the cheap test first: most strings fail it
        return []
    found = (
        m.group() if m.lastindex == 2 else CREDENTIAL_LABELS[m.lastindex - 1]  # id_rsa, id_ed25519
        for m in CREDENTIALS.finditer(value.replace("\\", "/"))
        if m.lastindex
    )
    return list(dict.fromkeys(found))


def startup_location(value: str) -> str | None:
    """The label of the first startup location a string names, if any."""
    if not names_a_fragment(value):
        return None
    m = STARTUP.search(value.replace("\\", "/"))
    return STARTUP_LABELS[m.lastindex - 1] if m and m.lastindex else None


class Lines:
    """Source lines for snippets, split lazily: most files have no finding at all."""

    __slots__ = ("_lines", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def snippet(self, line: int, column: int = 0) -> str:
        """The trimmed source line; a 200-character window around `column` on long lines."""
        if self._lines is None:
            self._lines = self._text.split("\n")
        if not 1 <= line <= len(self._lines):
            return ""
        raw = self._lines[line - 1]
        text = raw.strip()
        if len(text) <= 200:
            return text
        start = max(0, min(column - 60, len(raw) - 200))
        return raw[start : start + 200].strip()


class Collector:
    """Findings and imports of one file, deduplicated, in source order."""

    __slots__ = ("_findings", "_imports", "lines", "path")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = Lines(text)
        self._findings: dict[tuple[FindingCategory, str, int], Finding] = {}
        self._imports: dict[tuple[str, str, int], Import] = {}

    def finding(self, category: FindingCategory, api: str, line: int, column: int = 0) -> None:
        key = (category, api, line)
        if key not in self._findings:
            snippet = self.lines.snippet(line, column)
            self._findings[key] = Finding(category, api, self.path, line, snippet)

    def import_(self, module: str, kind: ImportKind, relative: bool, line: int) -> None:
        key = (module, kind, line)
        if module and key not in self._imports:
            snippet = self.lines.snippet(line)
            self._imports[key] = Import(module, kind, relative, self.path, line, snippet)

    def scan(self, problems: Iterable[str] = ()) -> CodeScan:
        imports = sorted(self._imports.values(), key=lambda i: (i.line, i.module))
        findings = sorted(self._findings.values(), key=lambda f: (f.line, f.category, f.api))
        return CodeScan(tuple(imports), tuple(findings), tuple(problems))


def merge_spans(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans, merged when under 64 bytes apart (one query instead of two)."""
    found.sort()
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if spans and start - spans[-1][1] < 64:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _source_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def in_source_order(captures: dict[str, list[Node]]) -> dict[str, list[Node]]:
    """Each capture's nodes in source order (an enclosing node before the nodes it holds).
    tree-sitter's `captures` lists them in an order that changes from one parse of the same
    bytes to the next, and the scans keep the first finding of a line and the last binding of
    a name: without this the same file could give other snippets and aliases."""
    for nodes in captures.values():
        nodes.sort(key=_source_order)
    return captures


def ranged_captures(
    query: Query, root: Node, spans: Sequence[tuple[int, int]]
) -> dict[str, list[Node]]:
    """Captures of nodes intersecting any span, each once, in source order. The query runs in C
    either way; many scattered spans cost more than one pass over the tree, so past a point it
    does just that."""
    if len(spans) > 100:  # each span has a fixed cost: past 100, one pass over the tree is less
        spans = [(spans[0][0], spans[-1][1])]
    merged: dict[str, list[Node]] = {}
    seen: set[tuple[str, int, int]] = set()
    for start, end in spans:
        cursor = QueryCursor(query)
        cursor.set_byte_range(start, end)
        for name, nodes in cursor.captures(root).items():
            bucket = merged.setdefault(name, [])
            for node in nodes:
                key = (name, node.start_byte, node.end_byte)
                if key not in seen:
                    seen.add(key)
                    bucket.append(node)
    return in_source_order(merged)


class CodeText:
    """The bytes a tree was parsed from. Node text is sliced from here: `node.text` on a tree parsed
    through a read callback (the only cancellable kind) calls back into Python for every node."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def text(self, node: Node | None) -> str:
        """A node's source text ('' for no node)."""
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def head(self, node: Node, limit: int = 2000) -> str:
        """The first `limit` bytes of a node's text: enough to search a call's arguments without
        making nested calls quadratic."""
        end = min(node.end_byte, node.start_byte + limit)
        return self.data[node.start_byte : end].decode("utf-8", "replace")


def parse_budget(source: bytes) -> int:
    """The parse work allowed for a file of this size, in weighted progress reports."""
    return PARSE_BUDGET_STEPS + PARSE_BUDGET_STEPS_PER_KB * len(source) // 1024


class Budget:
    """Work for the lookups in one file, in tree levels: every LOOKUP_PROBE_EVERY-th lookup
    measures the depth of the tree at its position and is charged for the lookups until the
    next probe (a lookup costs the depth it descends). Deterministic: the same file and hits
    give the same cut."""

    __slots__ = ("_charge", "_left", "_root", "_steps", "exceeded")

    def __init__(self, source: bytes, root: Node) -> None:
        self._left = LOOKUP_BUDGET_LEVELS + LOOKUP_BUDGET_LEVELS_PER_KB * len(source) // 1024
        self._root = root
        self._steps = 0
        self._charge = 1
        self.exceeded = False

    def ok(self, position: int) -> bool:
        """Whether a lookup at this byte position may still run."""
        if self.exceeded:
            return False
        if self._steps % LOOKUP_PROBE_EVERY == 0:
            self._charge = 1 + depth_at(self._root, position, self._left)
        self._steps += 1
        self._left -= self._charge
        if self._left < 0:
            self.exceeded = True
        return not self.exceeded


def depth_at(root: Node, position: int, cap: int) -> int:
    """How many levels a lookup at a byte position descends (at most `cap`: a probe never costs
    more than the budget left)."""
    cursor = root.walk()
    depth = 0
    while depth < cap and cursor.goto_first_child_for_byte(position) is not None:
        depth += 1
    return depth


def parse(language: Language, source: bytes) -> Tree | None:
    """A tree-sitter tree, or None when the parse ran over its work budget."""
    left = [parse_budget(source)]

    def read(offset: int, _point: object) -> bytes:
        # Small chunks: query predicates read each candidate node's text through this too.
        return source[offset : offset + 1024]

    def over_budget(_offset: int, has_error: bool) -> bool:
        left[0] -= PARSE_ERROR_WEIGHT if has_error else 1
        return left[0] < 0

    # Only a parse that reads through a callback can be cancelled (by the progress callback).
    try:
        return Parser(language).parse(read, progress_callback=over_budget)
    except ValueError:  # "Parsing failed": cancelled
        return None


def over_budget_problem(path: str, language: str, source: bytes) -> str:
    return f"{path}: {language} parse abandoned over its work budget ({len(source):,} bytes)"


# Python frames the conversion of a parse into an `ast` may use. Its recursion limit counts the
# frames of whoever called it too, so without a fixed allowance a deeply nested file would parse
# in a shallow caller and fail in a deeper one (a worker process against `check`).
AST_FRAMES = 1000
_RECURSION_LIMIT = threading.Lock()


def _call_depth() -> int:
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


def parse_python_ast(text: str, filename: str) -> ast.Module:
    """`ast.parse` with the same recursion allowance at any call depth (never compiled or run).
    Raises what ast.parse raises: SyntaxError, ValueError, RecursionError, MemoryError."""
    depth = _call_depth()
    with _RECURSION_LIMIT:  # the limit is the process's: threads (Dask workers) take turns
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(depth + AST_FRAMES)
        try:
            with warnings.catch_warnings():  # hostile code is full of invalid escapes
                warnings.simplefilter("ignore")
                return ast.parse(text, filename=filename)
        finally:
            sys.setrecursionlimit(limit)


def python_syntax_holds(text: str, filename: str) -> bool:
    """Whether parse_python_ast would give a tree for `text`, told without making the tree:
    `symtable` runs the same parser and then only a table of names (it raises what the parser
    raises, and a few errors of its own), under a third of ast's recursion allowance (the
    conversion to `ast` objects counts at most two levels for one of symtable's, so a text
    that passes here converts). False on a syntax error (the parser's or symtable's own);
    raises ValueError, RecursionError or MemoryError as parse_python_ast does. Never
    compiled or run."""
    depth = _call_depth()
    with _RECURSION_LIMIT:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(depth + AST_FRAMES // 3)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                symtable.symtable(text, filename, "exec")
            return True
        except SyntaxError:
            return False
        finally:
            sys.setrecursionlimit(limit)


def first_error_line(root: Node) -> int | None:
    """The line of the first syntax error under a tree-sitter root, found by descending only into
    children that contain one (a query over the whole tree would visit every node)."""
    node = root
    while True:
        for child in node.children:
            if child.is_error or child.is_missing:
                return child.start_point.row + 1
            if child.has_error:
                node = child
                break
        else:
            return node.start_point.row + 1 if node is not root else None
