"""Python source: imports and sensitive calls read from its `ast` (parsed only: never compiled or
run), with an error-tolerant tree-sitter reading for Python 2 and broken files."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from itertools import accumulate
from typing import NamedTuple

import tree_sitter_python
from tree_sitter import Language, Node, Query, QueryCursor

from malgraph.analysis.hints import Hints, HintScanner, hit_lines
from malgraph.analysis.python_pieces import Unparsed, parse_in_pieces
from malgraph.analysis.python_tree import (
    CHILD_FIELDS,
    STATEMENT_LEVEL,
    STATEMENTS,
    child_fields,
    is_chain,
    push_children,
)
from malgraph.analysis.scanning import (
    CodeScan,
    CodeText,
    Collector,
    credential_stores,
    in_source_order,
    over_budget_problem,
    parse,
    parse_python_ast,
    startup_location,
    words_pattern,
)
from malgraph.analysis.setup_facts import Entry, SetupFacts, SetupRecorder, push_entries
from malgraph.core.kinds import FindingCategory, ImportKind

_OS_EXEC = """execl execle execlp execlpe execv execve execvp execvpe spawnl spawnle spawnlp
    spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp""".split()  # noqa: SIM905
_CATEGORIES: dict[FindingCategory, tuple[str, ...]] = {
    FindingCategory.PROCESS: (
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.run",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.popen2",
        "os.popen3",
        "os.popen4",
        "os.startfile",
        *(f"os.{name}" for name in _OS_EXEC),
        "pty.spawn",
        "commands.getoutput",
        "commands.getstatusoutput",
        "popen2.popen2",
        "popen2.popen3",
        "asyncio.create_subprocess_shell",
        "asyncio.create_subprocess_exec",
    ),
    FindingCategory.EVAL: ("eval", "exec", "compile", "execfile", "builtins.eval", "builtins.exec"),
    FindingCategory.DYNAMIC_IMPORT: (
        "__import__",
        "builtins.__import__",
        "importlib.import_module",
        "importlib.__import__",
        "imp.load_source",
        "imp.load_module",
    ),
    FindingCategory.NETWORK: (
        "socket.socket",
        "socket.create_connection",
        "urllib.request.urlopen",
        "urllib.request.Request",
        "urllib.request.urlretrieve",
        "urllib.urlopen",
        "urllib.urlretrieve",
        "urllib2.urlopen",
        "urllib2.Request",
        *(
            f"requests.{f}"
            for f in ("get", "post", "put", "patch", "delete", "head", "request", "Session")
        ),
        "requests.session",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "httplib.HTTPConnection",
        "httplib.HTTPSConnection",
        "aiohttp.ClientSession",
        "aiohttp.request",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "ftplib.FTP",
        "ftplib.FTP_TLS",
        "urllib3.PoolManager",
    ),
    FindingCategory.ENV: ("os.environ", "os.environb", "os.getenv", "os.getenvb"),
    FindingCategory.DECODE: (
        *(
            f"base64.{f}"
            for f in """b64decode b32decode b16decode a85decode b85decode decodebytes decodestring
            urlsafe_b64decode standard_b64decode""".split()  # noqa: SIM905
        ),
        "codecs.decode",
        "bytes.fromhex",
        "bytearray.fromhex",
        "binascii.unhexlify",
        "binascii.a2b_base64",
        "binascii.a2b_hex",
        "zlib.decompress",
        "marshal.loads",
        "pickle.loads",
        "cPickle.loads",
        "bz2.decompress",
        "lzma.decompress",
        "gzip.decompress",
    ),
}
_APIS = {api: category for category, apis in _CATEGORIES.items() for api in apis}
_CALLED_MODULES = {
    "httpx": FindingCategory.NETWORK,
    "telnetlib": FindingCategory.NETWORK,
}  # any function of these, called
_BUILTIN_MODULES = {"__builtins__": "builtins", "__builtin__": "builtins"}
_IMPORTERS = frozenset(
    {"__import__", "builtins.__import__", "importlib.import_module", "importlib.__import__"}
)
_OPENERS = frozenset({"open", "builtins.open", "io.open", "codecs.open"})
_WRITERS = frozenset(
    {
        *(f"shutil.{f}" for f in ("copy", "copy2", "copyfile", "copytree", "move")),
        *(f"os.{f}" for f in ("rename", "replace", "symlink", "link")),
        *(
            f"{module}.{f}"
            for module in ("winreg", "_winreg")
            for f in ("SetValue", "SetValueEx", "CreateKey", "CreateKeyEx", "OpenKey", "OpenKeyEx")
        ),
    }
)
_PY2_CODECS = frozenset({"base64", "hex", "rot13", "rot_13", "zlib", "bz2", "uu", "string_escape"})

# Every import or finding needs one of these words on its lines; other lines are not walked.
_WORDS = sorted(
    {api.split(".")[0] for api in _APIS}
    | set(_CALLED_MODULES)
    | set(_BUILTIN_MODULES)
    | {"import", "getattr", "open", "decode", "write_text", "write_bytes", "shutil", "winreg"}
    | {"_winreg", "io", "codecs", "exec"}
)
HINTS = HintScanner(_WORDS, "python")
_API_PARTS = max(api.count(".") + 1 for api in _APIS)
_MAX_DEPTH = 32  # for recursion over hostile expressions: no real name or literal is deeper
_HEADS = frozenset(_WORDS)  # names a dotted name we look for can start with, unless aliased
_KNOWN_MODULES = frozenset({api.split(".")[0] for api in _APIS} | set(_CALLED_MODULES))


def scan_python(
    path: str, text: str, hints: Hints | None = None, keep_tree: bool = False
) -> CodeScan:
    """Imports and findings of one Python file (`hints`: HINTS.scan(text), if made already).
    With `keep_tree` (a setup.py) the same walk also records what the manifest reader needs,
    handed over with the tree in the scan's `setup`."""
    if "\r" in text:  # the parser counts a lone CR as a line end; keep line numbers in step
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        hints = None
    if hints is None:
        hints = HINTS.scan(text)
    hits = hit_lines(hints.data, [start for start, _end, _word in hints.words])
    hits |= hit_lines(hints.data, [start for start, _end in hints.fragments])
    if not hits and not keep_tree:
        return CodeScan((), (), ())
    if not keep_tree and not _mostly_live(hits, text):
        try:
            pieces = parse_in_pieces(text, path, hits)
            if pieces is not None:
                return _AstScan(path, text, pieces, hits).scan(keep_tree)
        except (RecursionError, MemoryError):
            pass  # parsed whole below, which says what it always said of such a file
    try:
        tree = parse_python_ast(text, path)  # `"\d"` and friends warn: not our problem
    except SyntaxError as e:
        where = f"at line {e.lineno}" if e.lineno else f"({e.msg})"
        problem = f"{path}: python syntax error {where}, read with tree-sitter"
        return _TreeSitterScan(path, text).scan(problem) if hits else CodeScan((), (), ())
    except ValueError:  # null bytes, before Python 3.12
        problem = f"{path}: python source contains null bytes, read with tree-sitter"
        return _TreeSitterScan(path, text).scan(problem) if hits else CodeScan((), (), ())
    except (RecursionError, MemoryError):
        problem = f"{path}: python nested too deeply for ast, read with tree-sitter"
        return _TreeSitterScan(path, text).scan(problem) if hits else CodeScan((), (), ())
    return _AstScan(path, text, tree, hits).scan(keep_tree)


def setup_facts(tree: ast.Module) -> SetupFacts:
    """What the manifest reader needs of a setup.py's tree, when no code scan walked it (the
    scan was recalled from the memo): the same walk, with no line holding a trigger word."""
    return _AstScan("", "", tree, set()).walk_setup([])[1]


def _mostly_live(lines: set[int], text: str) -> bool:
    """Whether most lines hold a trigger: then checking each statement costs more than it
    saves, and every statement is walked (so none is left unparsed)."""
    return len(lines) * 2 > text.count("\n") + 3


def _hit_lines(pattern: re.Pattern[str], text: str) -> set[int]:
    """Lines with a match (`text` may be lower-cased: that keeps every newline where it was)."""
    lines: set[int] = set()
    line, last = 1, 0
    for m in pattern.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.add(line)
    return lines


def _literal(node: ast.expr | None, depth: int = 0) -> str | None:
    """The value of a string literal, also when concatenated from literal pieces."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, depth + 1), _literal(node.right, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_literal(v, depth + 1) for v in node.values]
        return None if None in parts else "".join(p for p in parts if p is not None)
    return None


def _match(dotted: str, called: bool) -> tuple[FindingCategory, str] | None:
    """(category, api) for the longest known prefix of a resolved dotted name."""
    parts = dotted.split(".", _API_PARTS)[:_API_PARTS]
    for size in range(len(parts), 0, -1):
        name = ".".join(parts[:size])
        category = _APIS.get(name)
        if category is not None:
            return category, name
    head, _, rest = dotted.partition(".")
    if called and rest and head in _CALLED_MODULES:
        return _CALLED_MODULES[head], f"{head}.{rest.split('.')[0]}"
    return None


def _bind_star(bindings: dict[str, str], module: str) -> None:
    """`from os import *` binds every name of ours that the module has."""
    prefix = module + "."
    for api in _APIS:
        if api.startswith(prefix) and "." not in api[len(prefix) :]:
            bindings[api[len(prefix) :]] = api


_BINDERS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)


class _AstScan:
    """One walk over the tree, skipping the statements on no line holding a trigger word: it
    gathers the binding statements (imports, assignments) and the nodes findings come from
    (names, calls, strings); the bindings are applied, then those nodes resolved through them.
    Aliases found (`sp = subprocess`) make more lines live: the statements skipped that hold
    one are walked then, in their place. For a setup.py the walk also goes over the skipped
    statements and records the manifest reader's facts (setup_facts.SetupFacts)."""

    def __init__(self, path: str, text: str, tree: ast.Module, hits: set[int]) -> None:
        self.out = Collector(path, text)
        self.text = text
        self.tree = tree
        self.hits = hits
        self.bindings: dict[str, str] = {}
        self.startup_names: dict[str, str] = {}  # variables holding a startup location
        self.live: list[int] = []
        self.everything_live = False

    def scan(self, keep_tree: bool) -> CodeScan:
        self._set_live(self.hits)
        binders: list[ast.stmt] = []
        facts = None
        if keep_tree:
            found, facts = self.walk_setup(binders)
        else:
            found = self._walk(self.tree, binders)
        for node in reversed(binders):  # in the order statements bind: see BLOCK_FIELDS
            self._bind(node)
        # Names bound to something we look for, under another name: `sp`, `s`, `o`, `Popen`.
        aliases = [
            name
            for name, target in self.bindings.items()
            if name != target.split(".")[0]
            and (_match(target, True) is not None or target.split(".")[0] in _KNOWN_MODULES)
        ]
        aliases += list(self.startup_names)
        if aliases:
            words = re.compile(rf"\b{words_pattern(sorted(set(aliases)))}\b")
            self._set_live(self.hits | _hit_lines(words, self.text))
        self._resolve(found)
        scan = self.out.scan()
        return scan if facts is None else replace(scan, setup=facts)

    def _set_live(self, lines: set[int]) -> None:
        marks = [0] * (self.text.count("\n") + 3)
        for line in lines:
            marks[line] = 1
        self.live = list(accumulate(marks))
        self.everything_live = _mostly_live(lines, self.text)

    def _is_live(self, node: ast.stmt | ast.excepthandler) -> bool:
        """Whether a statement spans a line with a trigger word. Expressions are not checked:
        statements are short, and one check per statement is what keeps the walk cheap."""
        if self.everything_live:
            return True
        live = self.live
        last = min(node.end_lineno or node.lineno, len(live) - 1)
        return node.lineno <= last and live[last] - live[node.lineno - 1] > 0

    def _walk(self, root: ast.AST, binders: list[ast.stmt] | None) -> list[object]:
        """The nodes findings come from under `root`, in the walk's order, a statement off the
        live lines in its place as (statement, None); the binding statements into `binders`."""
        found: list[object] = []
        record = found.append
        stack: list[object] = [root]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            if not isinstance(node, ast.AST):
                continue
            if isinstance(node, STATEMENTS) and not self._is_live(node):
                record((node, None))  # (match cases: no lines)
                continue
            kind = type(node)
            if kind is ast.Name:
                record(node)
                continue
            if kind is ast.Attribute:
                record(node)
                if is_chain(node):
                    continue  # a dotted name: nothing further down
            elif kind is ast.Call:
                assert isinstance(node, ast.Call)
                record(node)
                stack.extend(node.args)
                stack.extend(node.keywords)
                if not is_chain(node.func):
                    push(node.func)
                continue
            elif kind is ast.Constant:
                assert isinstance(node, ast.Constant)
                if isinstance(node.value, str | bytes):
                    record(node)
                continue
            elif kind is ast.Expr:
                assert isinstance(node, ast.Expr)
                if isinstance(node.value, ast.Constant):  # docstrings describe, they do not act
                    continue
            elif binders is not None and isinstance(node, _BINDERS):
                binders.append(node)
            push_children(node, stack)
        return found

    def walk_setup(self, binders: list[ast.stmt]) -> tuple[list[object], SetupFacts]:
        """_walk's nodes and binders for a setup.py, in the same order, and in the same walk
        what the manifest reader needs (setup_facts.SetupFacts). The statements off the live
        lines are walked too, for the reader only: as in _walk, each is left in its place as
        (statement, None), walked again for findings only if an alias makes it live. The
        statements go through a stack that carries their scope and place; the expressions
        under each, which hold most of the nodes, through _walk_expression."""
        found: list[object] = []
        unused: list[object] = []  # where the nodes of statements off the live lines go
        facts = SetupRecorder()
        calls_of = facts.calls_of
        stack: list[Entry] = [(self.tree, found, None, (), ())]
        while stack:
            node, sink, scope, context, key = stack.pop()
            if type(node) is ast.Name:  # the commonest expression under a statement
                sink.append(node)
                continue
            if not isinstance(node, STATEMENT_LEVEL):
                self._walk_expression(node, sink, calls_of(scope), facts)
                if sink is unused:
                    unused.clear()
                continue
            if isinstance(node, STATEMENTS):
                facts.statement(node, scope, context, key)
                if sink is unused:
                    pass  # inside a statement off the live lines: so is this one
                elif not self._is_live(node):
                    sink.append((node, None))
                    sink = unused
                elif isinstance(node, _BINDERS):
                    binders.append(node)
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                    continue  # a docstring, as _walk skips it
            push_entries(node, sink, scope, context, key, stack)
        return found, facts.done(self.tree)

    @staticmethod
    def _walk_expression(
        root: object, sink: list[object], calls: list[ast.Call], facts: SetupRecorder
    ) -> None:
        """_walk below a statement (expressions hold no statement), its calls also into `calls`:
        those of the scope, but inside a lambda those of the lambda. push_children is written
        out here: most of a file's nodes pass through this loop."""
        record = sink.append
        stack: list[object] = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        known_fields = CHILD_FIELDS
        while stack:
            node = pop()
            kind = type(node)
            if kind is ast.Name:
                record(node)
                continue
            if not isinstance(node, ast.AST):
                if kind is _LambdaEnd:
                    calls = node.calls  # type: ignore[attr-defined]
                continue
            if kind is ast.Attribute:
                record(node)
                if is_chain(node):
                    continue
            elif kind is ast.Call:
                assert isinstance(node, ast.Call)
                record(node)
                calls.append(node)
                extend(node.args)
                extend(node.keywords)
                if not is_chain(node.func):
                    push(node.func)
                continue
            elif kind is ast.Constant:
                assert isinstance(node, ast.Constant)
                if isinstance(node.value, str | bytes):
                    record(node)
                continue
            elif kind is ast.Lambda:
                push(_LambdaEnd(calls))
                calls = facts.calls_of(node)
            fields = known_fields.get(kind)
            for name in fields if fields is not None else child_fields(kind):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    extend(value)
                elif value is not None:
                    push(value)

    def _resolve(self, found: list[object]) -> None:
        """Findings from the walk's nodes, in its order; a statement it set aside is resolved
        in its place when it is live now (walked now, if it was not)."""
        pending = [iter(found)]
        while pending:
            item = next(pending[-1], None)
            if item is None:
                pending.pop()
            elif isinstance(item, tuple):
                statement, walked = item
                if self._is_live(statement):
                    if isinstance(statement, Unparsed):  # its tree, now that it is live
                        statement = statement.parse(self.out.path)
                    pending.append(iter(self._walk(statement, None) if walked is None else walked))
            elif isinstance(item, ast.Call):
                self._call(item)
            elif isinstance(item, ast.Constant):
                value = item.value  # str or bytes: the walk records no other constant
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                for store in credential_stores(text):
                    self.out.finding(
                        FindingCategory.CREDENTIALS, store, item.lineno, item.col_offset
                    )
            elif isinstance(item, ast.Name | ast.Attribute):
                dotted = self._dotted(item)
                if dotted is not None:
                    self._reference(dotted, False, item)

    def _bind(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.out.import_(alias.name, ImportKind.IMPORT, False, node.lineno)
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.bindings[top] = top
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            self.out.import_(module, ImportKind.FROM, node.level > 0, node.lineno)
            if node.level == 0:
                for alias in node.names:
                    if alias.name == "*":
                        _bind_star(self.bindings, module)
                    else:
                        self.bindings[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            self._assignment(node)

    def _assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names or node.value is None:
            return
        value = node.value
        dotted = self._dotted(value)
        # `o = __import__('os')`, `s = os.system`, `e = eval`: aliases malware uses to hide calls.
        if dotted is not None and (
            _match(dotted, True) is not None or dotted.split(".")[0] in _KNOWN_MODULES
        ):
            for name in names:
                self.bindings[name] = dotted
        location = self._startup_in([value])
        if location is not None:
            for name in names:
                self.startup_names[name] = location

    def _dotted(self, node: ast.AST, depth: int = 0) -> str | None:
        """`sp.Popen` → 'subprocess.Popen' through the bindings; also `getattr(os, 'system')`,
        `__builtins__['exec']` and `__import__('os').system`."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
            if len(parts) > _MAX_DEPTH:
                return None
        if isinstance(node, ast.Name):
            if node.id not in self.bindings and node.id not in _HEADS:
                return None  # a local variable: most names are
            base = self.bindings.get(node.id, node.id)
        elif isinstance(node, ast.Call) and depth < _MAX_DEPTH:
            base_or_none = self._call_value(node, depth + 1)
            if base_or_none is None:
                return None
            base = base_or_none
        elif isinstance(node, ast.Subscript) and depth < _MAX_DEPTH:
            key = _literal(node.slice)
            inner = self._dotted(node.value, depth + 1)
            if key is None or inner is None or _BUILTIN_MODULES.get(inner, inner) != "builtins":
                return None
            base = f"builtins.{key}"
        else:
            return None
        head, dot, rest = base.partition(".")
        base = _BUILTIN_MODULES.get(head, head) + dot + rest
        parts.append(base)
        return ".".join(reversed(parts))

    def _call_value(self, node: ast.Call, depth: int) -> str | None:
        """What a call evaluates to when it names a module or attribute with literals."""
        func = node.func
        name = self._dotted(func, depth) if isinstance(func, ast.Name | ast.Attribute) else None
        first = _literal(node.args[0]) if node.args else None
        if name in _IMPORTERS and first:
            return first
        if name in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            attr = _literal(node.args[1])
            owner = self._dotted(node.args[0], depth)
            if attr and owner:
                return f"{owner}.{attr}"
        return None

    def _reference(self, dotted: str, called: bool, node: ast.expr) -> None:
        hit = _match(dotted, called)
        if hit is not None:
            self.out.finding(hit[0], hit[1], node.lineno, node.col_offset)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        dotted = self._dotted(func)
        line, column = node.lineno, node.col_offset
        if dotted is not None:
            self._reference(dotted, True, func)
            hit = _match(dotted, True)
            if dotted in _IMPORTERS:
                name = _literal(node.args[0]) if node.args else None
                if name:
                    self.out.import_(name, ImportKind.DYNAMIC, name.startswith("."), line)
            elif dotted in _OPENERS:
                if self._writes(node, 1):
                    self._startup_write(node.args[:1] + self._keyword(node, "file"), line, column)
            elif dotted in _WRITERS or (hit is not None and hit[0] == FindingCategory.PROCESS):
                self._startup_write([*node.args, *(k.value for k in node.keywords)], line, column)
        if isinstance(func, ast.Attribute):
            if func.attr in ("write_text", "write_bytes"):
                self._startup_write([func.value, *node.args], line, column)
            elif func.attr == "open" and dotted is None and self._writes(node, 0):
                self._startup_write([func.value], line, column)
            elif func.attr == "decode" and node.args:
                codec = _literal(node.args[0])
                if codec is not None and codec.lower() in _PY2_CODECS:
                    self.out.finding(FindingCategory.DECODE, "str.decode", line, column)

    @staticmethod
    def _keyword(node: ast.Call, name: str) -> list[ast.expr]:
        return [k.value for k in node.keywords if k.arg == name]

    def _writes(self, node: ast.Call, position: int) -> bool:
        """Whether an open() call's mode writes, appends or creates."""
        modes = node.args[position : position + 1] or self._keyword(node, "mode")
        mode = _literal(modes[0]) if modes else None
        return mode is not None and any(c in mode for c in "wax+")

    def _startup_in(self, nodes: list[ast.expr]) -> str | None:
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    location = startup_location(node.value)
                    if location is not None:
                        return location
                elif isinstance(node, ast.Name) and node.id in self.startup_names:
                    return self.startup_names[node.id]
        return None

    def _startup_write(self, nodes: list[ast.expr], line: int, column: int) -> None:
        location = self._startup_in(nodes)
        if location is not None:
            self.out.finding(FindingCategory.STARTUP_WRITE, location, line, column)


class _LambdaEnd(NamedTuple):
    """Pushed under a lambda's children: when taken, the calls go to the outer scope again."""

    calls: list[ast.Call]


_TS_LANGUAGE = Language(tree_sitter_python.language())
_TS_QUERY = Query(
    _TS_LANGUAGE,
    """
    (import_statement) @import
    (import_from_statement) @from
    (call function: [(identifier) (attribute)]) @call
    (attribute) @attribute
    (string) @string
    (expression_statement . (string) @docstring .)
    (exec_statement) @exec
    """,
)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_TS_STRING = re.compile(r"(?s)^[rRbBuUfF]{0,2}('''|\"\"\"|'|\")(.*)\1$")


class _TreeSitterScan:
    """Imports, calls, attributes and strings from tree-sitter's error-tolerant tree: less exact
    than the ast (no aliases through getattr, no variables), but it reads Python 2 and worse."""

    def __init__(self, path: str, text: str) -> None:
        self.out = Collector(path, text)
        # A NUL ends tree-sitter's reading of a token; a space keeps every offset in place.
        self.src = CodeText(text.replace("\x00", " ").encode("utf-8", "replace"))
        self.bindings: dict[str, str] = {}

    def scan(self, problem: str) -> CodeScan:
        tree = parse(_TS_LANGUAGE, self.src.data)
        if tree is None:
            return self.out.scan(
                [problem, over_budget_problem(self.out.path, "python", self.src.data)]
            )
        captures = in_source_order(QueryCursor(_TS_QUERY).captures(tree.root_node))
        for node in captures.get("import", []):
            self._import(node)
        for node in captures.get("from", []):
            self._from(node)
        for node in captures.get("call", []):
            self._call(node)
        for node in captures.get("attribute", []):
            dotted = self._dotted(node)
            if dotted is not None:
                self._reference(dotted, False, node)
        docstrings = {node.start_byte for node in captures.get("docstring", [])}
        for node in captures.get("string", []):
            if node.start_byte in docstrings:
                continue
            for store in credential_stores(_string_value(self.src, node)):
                self._finding(FindingCategory.CREDENTIALS, store, node)
        for node in captures.get("exec", []):
            self._finding(FindingCategory.EVAL, "exec", node)
        return self.out.scan([problem])

    def _finding(self, category: FindingCategory, api: str, node: Node) -> None:
        self.out.finding(category, api, node.start_point.row + 1, node.start_point.column)

    def _import(self, node: Node) -> None:
        line = node.start_point.row + 1
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                module = self.src.text(name.child_by_field_name("name"))
                alias = self.src.text(name.child_by_field_name("alias"))
                self.bindings[alias] = module
            else:
                module = self.src.text(name)
                top = module.split(".")[0]
                self.bindings[top] = top
            self.out.import_(module, ImportKind.IMPORT, False, line)

    def _from(self, node: Node) -> None:
        module = "".join(self.src.text(node.child_by_field_name("module_name")).split())
        self.out.import_(module, ImportKind.FROM, module.startswith("."), node.start_point.row + 1)
        if module.startswith("."):
            return
        if any(child.type == "wildcard_import" for child in node.children):
            _bind_star(self.bindings, module)
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                target = self.src.text(name.child_by_field_name("name"))
                self.bindings[self.src.text(name.child_by_field_name("alias"))] = (
                    f"{module}.{target}"
                )
            else:
                self.bindings[self.src.text(name)] = f"{module}.{self.src.text(name)}"

    def _dotted(self, node: Node) -> str | None:
        if node.end_byte - node.start_byte > 200:  # no API name is that long: spare chains
            return None
        text = "".join(self.src.text(node).split())
        if not _DOTTED.fullmatch(text):
            return None
        head, dot, rest = text.partition(".")
        head = self.bindings.get(head, head)
        top, tdot, trest = head.partition(".")
        return _BUILTIN_MODULES.get(top, top) + tdot + trest + dot + rest

    def _reference(self, dotted: str, called: bool, node: Node) -> None:
        hit = _match(dotted, called)
        if hit is not None:
            self._finding(hit[0], hit[1], node)

    def _call(self, node: Node) -> None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        dotted = self._dotted(function) if function is not None else None
        if dotted is None:
            return
        self._reference(dotted, True, node)
        args = list(arguments.named_children) if arguments is not None else []
        first = _string_value(self.src, args[0]) if args and args[0].type == "string" else None
        if dotted in _IMPORTERS and first:
            self.out.import_(
                first, ImportKind.DYNAMIC, first.startswith("."), node.start_point.row + 1
            )
        elif dotted.endswith(".decode") and first is not None and first.lower() in _PY2_CODECS:
            self._finding(FindingCategory.DECODE, "str.decode", node)
        hit = _match(dotted, True)
        writes = (
            dotted in _OPENERS
            or dotted in _WRITERS
            or (hit is not None and hit[0] == FindingCategory.PROCESS)
        )
        if writes and arguments is not None:
            location = startup_location(self.src.head(arguments))
            if location is not None:
                self._finding(FindingCategory.STARTUP_WRITE, location, node)


def _string_value(src: CodeText, node: Node) -> str:
    text = src.text(node)
    m = _TS_STRING.match(text)
    return m.group(2) if m else text
