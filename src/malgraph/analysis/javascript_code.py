"""JavaScript and TypeScript source: imports and sensitive calls, found from the positions of
the words that matter (a regex over the bytes) by asking tree-sitter for the node there and
climbing a few parents. Nothing walks the tree: a tree-sitter query pass costs the same whatever
it looks for (a large share of the parse), a lookup by position very little, and most files have
few words that matter, while bundles have many of them everywhere."""

from __future__ import annotations

import re

import tree_sitter_javascript
from tree_sitter import Language, Node

from malgraph.analysis.hints import Hints, HintScanner
from malgraph.analysis.scanning import (
    Budget,
    CodeScan,
    CodeText,
    Collector,
    credential_stores,
    first_error_line,
    over_budget_problem,
    parse,
    startup_location,
    words_pattern,
)
from malgraph.core.kinds import FindingCategory, ImportKind

_LANGUAGE = Language(tree_sitter_javascript.language())

# Globals that find calls, plus `export` (re-exports name modules). `window`, `global` and
# `globalThis` are left out: `window.eval` holds `eval` anyway, and browser code says `window`
# dozens of times per KB.
_GLOBAL_WORDS = """eval Function setTimeout setInterval fetch XMLHttpRequest WebSocket atob
    decodeURIComponent unescape fromCharCode Buffer process require import""".split()  # noqa: SIM905
HINTS = HintScanner([*_GLOBAL_WORDS, "export"], "javascript")
# Words whose node may start an import or a binding (`const e = eval`, `const {env} = process`).
_BINDING_WORDS = frozenset({b"require", b"import", b"export", b"eval", b"Function", b"process"})
_MAX_HITS = 20_000  # words looked up per file: beyond that a file is data, not code
# Parents climbed from a value to the declaration that names it: `const x = require('m').y`.
_VALUE_PARENTS = frozenset(
    {
        "member_expression",
        "subscript_expression",
        "call_expression",
        "arguments",
        "await_expression",
        "parenthesized_expression",
        "sequence_expression",
        "string",
        "template_string",
        "binary_expression",
        "template_substitution",
    }
)
_DECLARATIONS = frozenset({"variable_declarator", "assignment_expression"})
_STRINGS = frozenset({"string", "template_string"})

# Globals, matched whatever binds them; module APIs only through a require/import binding, since
# local functions called `request` or `get` are everywhere.
_GLOBAL_APIS = {
    "eval": FindingCategory.EVAL,
    "Function": FindingCategory.EVAL,
    "setTimeout": FindingCategory.EVAL,  # with a string argument only
    "setInterval": FindingCategory.EVAL,
    "fetch": FindingCategory.NETWORK,
    "XMLHttpRequest": FindingCategory.NETWORK,
    "WebSocket": FindingCategory.NETWORK,
    "atob": FindingCategory.DECODE,
    "Buffer.from": FindingCategory.DECODE,  # with a base64 or hex encoding only
    "Buffer": FindingCategory.DECODE,  # `new Buffer(s, 'base64')`
    "decodeURIComponent": FindingCategory.DECODE,  # on a literal with %-escapes only
    "unescape": FindingCategory.DECODE,
    "String.fromCharCode": FindingCategory.DECODE,  # with many arguments only
}
_MODULE_APIS = {
    **{
        f"vm.{f}": FindingCategory.EVAL
        for f in ("runInNewContext", "runInThisContext", "runInContext")
    },
    "vm.Script": FindingCategory.EVAL,
    "vm.compileFunction": FindingCategory.EVAL,
    **{f"{m}.{f}": FindingCategory.NETWORK for m in ("http", "https") for f in ("request", "get")},
    **{f"net.{f}": FindingCategory.NETWORK for f in ("connect", "createConnection", "Socket")},
    "http2.connect": FindingCategory.NETWORK,
    "tls.connect": FindingCategory.NETWORK,
    **{
        f"zlib.{f}{sync}": FindingCategory.DECODE
        for f in ("inflate", "inflateRaw", "gunzip", "unzip", "brotliDecompress")
        for sync in ("", "Sync")
    },
    "zlib.createGunzip": FindingCategory.DECODE,
    "zlib.createInflate": FindingCategory.DECODE,
}
# Any use of these modules, or calling the module itself.
_MODULE_WILDCARDS = {
    "child_process": FindingCategory.PROCESS,
    "dns": FindingCategory.NETWORK,
    "dgram": FindingCategory.NETWORK,
    "axios": FindingCategory.NETWORK,
    "node-fetch": FindingCategory.NETWORK,
    "cross-fetch": FindingCategory.NETWORK,
    "request": FindingCategory.NETWORK,
    "got": FindingCategory.NETWORK,
    "ws": FindingCategory.NETWORK,
    "undici": FindingCategory.NETWORK,
    "needle": FindingCategory.NETWORK,
    "superagent": FindingCategory.NETWORK,
}
_FS_WRITERS = frozenset(
    f"{module}.{f}"
    for module in ("fs", "fs.promises", "fs-extra")
    for f in """writeFile writeFileSync appendFile appendFileSync copyFile copyFileSync cp cpSync
    createWriteStream rename renameSync symlink symlinkSync outputFile outputFileSync""".split()  # noqa: SIM905
)
_INTERESTING_MODULES = frozenset(
    {api.split(".")[0] for api in _MODULE_APIS} | set(_MODULE_WILDCARDS) | {"fs", "fs-extra"}
)
_GLOBAL_OBJECTS = ("global.", "globalThis.", "window.", "self.")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_TYPESCRIPT = (".ts", ".tsx")
_MAX_DEPTH = 32  # for recursion over hostile expressions: no real name or literal is deeper


def scan_javascript(path: str, text: str, hints: Hints | None = None) -> CodeScan:
    """Imports and findings of one JavaScript or TypeScript file (TypeScript is read with the
    JavaScript grammar: type annotations become error nodes, calls and imports survive).
    `hints`: HINTS.scan(text), if made already."""
    if hints is None:
        hints = HINTS.scan(text)
    source = hints.data
    hits = list(hints.words)
    strings = list(hints.fragments)
    if not hits and not strings:
        return CodeScan((), (), ())  # nothing to find: skip the parse
    tree = parse(_LANGUAGE, source)
    if tree is None:
        return CodeScan((), (), (over_budget_problem(path, "javascript", source),))
    root = tree.root_node
    scan = _Scan(path, text, source, root, strings=bool(strings))
    problems: list[str] = []
    budget = Budget(source, root)
    for start, end, word in hits[:_MAX_HITS]:
        if word in _BINDING_WORDS and budget.ok(start):
            scan.binding_word(start, end, word)
    for start, end in strings[:_MAX_HITS]:
        if budget.ok(start):
            scan.string(start, end)
    aliases = scan.aliases()
    if aliases and not budget.exceeded:
        names = re.compile(rb"(?<![\w$])" + words_pattern(aliases).encode() + rb"(?![\w$])")
        hits += [(m.start(), m.end(), m.group()) for m in names.finditer(source)]
    for start, end, word in hits[:_MAX_HITS]:
        if budget.ok(start):
            scan.word(start, end, word)
    if budget.exceeded:
        problems.append(f"{path}: javascript scan cut short over its work budget (deep nesting)")
    if len(hits) > _MAX_HITS:
        problems.append(f"{path}: {len(hits):,} words to look up, only the first {_MAX_HITS:,}")
    if root.has_error and not path.lower().endswith(_TYPESCRIPT):
        line = first_error_line(root)
        where = f" at line {line}" if line is not None else ""
        problems.append(f"{path}: javascript syntax error{where}, read tolerantly")
    return scan.out.scan(problems)


def _module(name: str) -> str:
    """'node:fs/promises' → 'fs.promises': one spelling per module for matching."""
    name = name.removeprefix("node:")
    return name[: -len("/promises")] + ".promises" if name.endswith("/promises") else name


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        if code[0] == "u" and len(code) > 1:
            value = int(code.strip("u{}"), 16)
            return chr(value) if value < 0x110000 else ""
        return _SIMPLE_ESCAPES.get(code, code if code != "\n" else "")

    return _ESCAPE.sub(one, body) if "\\" in body else body


def _literal(src: CodeText, node: Node | None, depth: int = 0) -> str | None:
    """The value of a string literal, a template without substitutions or a concatenation of
    those (`'child_' + 'process'`)."""
    if node is None or depth > _MAX_DEPTH:
        return None
    kind = node.type
    if kind == "string":
        return _unescape(src.text(node)[1:-1])
    if kind == "template_string":
        if any(child.type == "template_substitution" for child in node.named_children):
            return None
        return _unescape(src.text(node)[1:-1])
    if kind == "binary_expression" and src.text(node.child_by_field_name("operator")) == "+":
        left = _literal(src, node.child_by_field_name("left"), depth + 1)
        right = _literal(src, node.child_by_field_name("right"), depth + 1)
        return None if left is None or right is None else left + right
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return _literal(src, node.named_children[0], depth + 1)
    return None


def _arguments(node: Node) -> list[Node]:
    args = node.child_by_field_name("arguments")
    if args is None:
        return []
    return [a for a in args.named_children if a.type != "comment"]


def _has_string(node: Node, depth: int = 0) -> bool:
    if node.type in ("string", "template_string"):
        return True
    if node.type == "binary_expression" and depth < _MAX_DEPTH:
        return any(_has_string(child, depth + 1) for child in node.named_children)
    return False


class _Scan:
    def __init__(self, path: str, text: str, source: bytes, root: Node, strings: bool) -> None:
        self.out = Collector(path, text)
        self.src = CodeText(source)
        self.root = root
        self.strings = strings  # whether the file names a credential store or startup location
        self.bindings: dict[str, tuple[str, bool]] = {}  # name → (dotted target, from a module)
        self.startup_names: dict[str, str] = {}  # variables holding a startup location
        self._seen: set[tuple[int, int, str]] = set()  # nodes handled, reached from two words

    def aliases(self) -> list[str]:
        """Names worth finding: bound to a module or API we look for, or to a startup path."""
        names = set(self.startup_names)
        for name, (target, bound) in self.bindings.items():
            if (target.split(".")[0] in _INTERESTING_MODULES) if bound else target in _GLOBAL_APIS:
                names.add(name)
        return sorted(names)

    def _once(self, node: Node) -> bool:
        key = (node.start_byte, node.end_byte, node.type)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    # Pass 1: imports and the names they bind, in source order.

    def binding_word(self, start: int, end: int, word: bytes) -> None:
        # The smallest named node: an identifier, `(import)`, or the statement around a keyword.
        # Words in comments and strings land on those nodes and fall through.
        node = self.root.named_descendant_for_byte_range(start, end)
        if node is None:
            return
        kind = node.type
        if kind in ("import_statement", "export_statement"):
            if node.start_byte == start and self._once(node):
                self._esm(node)
            return
        parent = node.parent
        if parent is None:
            return
        if kind == "import" or (kind == "identifier" and word == b"require"):
            if parent.type == "call_expression" and parent.child_by_field_name("function") == node:
                if self._once(parent):
                    if kind == "import":
                        self._require(parent, ImportKind.DYNAMIC, "import()")
                    else:
                        self._require(parent, ImportKind.REQUIRE, "require")
                self._bind_from(parent)
                outer = parent.parent
                if outer is not None and outer.type in (
                    "member_expression",
                    "subscript_expression",
                ):
                    self._climb(parent, outer)  # `require('child_process').exec(...)`
        elif kind == "identifier" and parent.type in _DECLARATIONS:  # `const e = eval`
            self._bind_from(node)

    def string(self, start: int, end: int) -> None:
        """A credential or startup name: a finding in a string, a startup variable if bound."""
        node = self.root.named_descendant_for_byte_range(start, end)
        for _ in range(3):  # string_fragment → string (→ template_string)
            if node is None or node.type in _STRINGS:
                break
            node = node.parent
        if node is None or node.type not in _STRINGS or not self._once(node):
            return
        value = _literal(self.src, node) if node.type == "string" else self.src.text(node)
        stores = credential_stores(value or "")
        if stores and not self._is_module_name(node):
            for store in stores:
                self._finding(FindingCategory.CREDENTIALS, store, node)
        if startup_location(value or "") is not None:
            self._bind_from(node)

    def _bind_from(self, node: Node) -> None:
        """Climb from a value to the declaration that names it, if any, and bind that name."""
        for _ in range(8):
            parent = node.parent
            if parent is None:
                return
            if parent.type in _DECLARATIONS:
                value = parent.child_by_field_name(
                    "value" if parent.type == "variable_declarator" else "right"
                )
                if value == node and self._once(parent):
                    self._declarator(parent)
                return
            if parent.type not in _VALUE_PARENTS:
                return
            node = parent

    def _line(self, node: Node) -> int:
        return node.start_point.row + 1

    def _finding(self, category: FindingCategory, api: str, node: Node) -> None:
        self.out.finding(category, api, node.start_point.row + 1, node.start_point.column)

    def _require(self, node: Node, kind: ImportKind, api: str) -> None:
        args = _arguments(node)
        if not args:
            return
        name = _literal(self.src, args[0])
        if name is None:
            self._finding(FindingCategory.DYNAMIC_IMPORT, api, node)
        else:
            relative = name.startswith(("./", "../", "/")) or name in (".", "..")
            self.out.import_(name, kind, relative, self._line(node))

    def _esm(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        name = _literal(self.src, source)
        if name is None:
            return
        relative = name.startswith(("./", "../", "/"))
        self.out.import_(name, ImportKind.ESM, relative, self._line(node))
        module = _module(name)
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return
        for part in clause.named_children:
            if part.type == "identifier":  # default import
                self.bindings[self.src.text(part)] = (module, True)
            elif part.type == "namespace_import":
                for ident in part.named_children:
                    self.bindings[self.src.text(ident)] = (module, True)
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    imported = self.src.text(spec.child_by_field_name("name")).strip("'\"")
                    local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                    target = module if imported == "default" else f"{module}.{imported}"
                    self.bindings[self.src.text(local)] = (target, True)

    def _declarator(self, node: Node) -> None:
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        else:
            name, value = node.child_by_field_name("left"), node.child_by_field_name("right")
        if name is None or value is None:
            return
        location = startup_location(self.src.head(value)) if self.strings else None
        if location is not None and name.type == "identifier":
            self.startup_names[self.src.text(name)] = location
        resolved = self._dotted(value)
        if resolved is None:
            return
        dotted, bound = resolved
        if name.type == "identifier":
            # `const cp = require('child_process')`, `const e = eval`, `const x = cp.exec`.
            if bound or self._match(dotted, bound) is not None:
                self.bindings[self.src.text(name)] = resolved
        elif name.type == "object_pattern" and (bound or dotted == "process"):
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    local = self.src.text(part)
                    self.bindings[local] = (f"{dotted}.{local}", bound)
                    key = local
                elif part.type == "pair_pattern":
                    key = self.src.text(part.child_by_field_name("key")).strip("'\"")
                    local_node = part.child_by_field_name("value")
                    if local_node is not None and local_node.type == "identifier":
                        self.bindings[self.src.text(local_node)] = (f"{dotted}.{key}", bound)
                else:
                    continue
                if dotted == "process" and key == "env":  # `const {env} = process`
                    self._finding(FindingCategory.ENV, "process.env", part)

    def _dotted(self, node: Node | None, depth: int = 0) -> tuple[str, bool] | None:
        """What an expression names: ('child_process.exec', True) for `cp.exec` after
        `const cp = require('node:child_process')`; ('eval', False) for `window['eval']`."""
        if node is None or depth > _MAX_DEPTH:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.src.text(node)
            return self.bindings.get(name, (name, False))
        if kind in ("member_expression", "subscript_expression"):
            return self._dotted_member(node, depth)
        if kind == "call_expression":
            return self._dotted_call(node, depth)
        if kind == "await_expression" and node.named_child_count == 1:
            return self._dotted_import(node.named_children[0])
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            inner_node = node.named_children[0]
            if inner_node.type == "sequence_expression":  # `(0, eval)(s)`, `(0, _cp.exec)(c)`
                last = inner_node.named_children[-1] if inner_node.named_children else None
                return self._dotted(last, depth + 1)
            return self._dotted(inner_node, depth + 1)
        return None

    def _dotted_member(self, node: Node, depth: int) -> tuple[str, bool] | None:
        """`a.b` or `a['b']`: what `a` names, one property further."""
        inner = self._dotted(node.child_by_field_name("object"), depth + 1)
        if inner is None:
            return None
        if node.type == "member_expression":
            prop: str | None = self.src.text(node.child_by_field_name("property"))
        else:
            prop = _literal(self.src, node.child_by_field_name("index"))
        if not prop:
            return None
        base, bound = inner
        if prop == "default" and bound:  # transpiled `import x from 'm'` reads m.default
            return inner
        dotted = f"{base}.{prop}"
        while not bound and dotted.startswith(_GLOBAL_OBJECTS):
            dotted = dotted.split(".", 1)[1]
        return dotted, bound

    def _dotted_call(self, node: Node, depth: int) -> tuple[str, bool] | None:
        """`require('m')` names module m; so do the interop wrappers transpilers put around it."""
        function = node.child_by_field_name("function")
        args = _arguments(node)
        if function is None or not args:
            return None
        fname = self.src.text(function)
        if fname == "require" and "require" not in self.bindings:
            required = _literal(self.src, args[0])
            return (_module(required), True) if required is not None else None
        if fname.startswith(("_interopRequire", "__importDefault", "__importStar")):
            return self._dotted(args[0], depth + 1)
        return None

    def _dotted_import(self, call: Node) -> tuple[str, bool] | None:
        """`await import('m')` names module m."""
        function = call.child_by_field_name("function")
        if call.type != "call_expression" or function is None:
            return None
        if function.type != "import":
            return None
        args = _arguments(call)
        imported = _literal(self.src, args[0]) if args else None
        return (_module(imported), True) if imported is not None else None

    def _match(self, dotted: str, bound: bool) -> tuple[FindingCategory, str] | None:
        if bound:
            name = dotted
            while True:
                category = _MODULE_APIS.get(name)
                if category is not None:
                    return category, name
                cut = name.rfind(".")
                if cut < 0:
                    break
                name = name[:cut]
            head, _, rest = dotted.partition(".")
            if head in _MODULE_WILDCARDS:
                api = f"{head}.{rest.split('.')[0]}" if rest else head
                return _MODULE_WILDCARDS[head], api
            return None
        category = _GLOBAL_APIS.get(dotted)
        return (category, dotted) if category is not None else None

    # Pass 2: calls and constructions whose callee holds a word, and process.env.

    def word(self, start: int, end: int, word: bytes) -> None:
        if word in (b"require", b"import", b"export"):
            return  # pass 1 handled these, and climbed from require calls
        node = self.root.named_descendant_for_byte_range(start, end)
        if node is not None and node.type == "string_fragment":  # `window['eval']`, `cp['exec']`
            string = node.parent
            node = string.parent if string is not None else None
            if node is None or node.type != "subscript_expression":
                return
            if node.child_by_field_name("index") != string:
                return
        elif node is None or node.type not in ("identifier", "property_identifier"):
            return
        parent = node.parent
        if word == b"process" and parent is not None and self._is_env(parent, node):
            if self._once(parent):
                self._finding(FindingCategory.ENV, "process.env", parent)
            return
        self._climb(node, parent)

    def _climb(self, node: Node, parent: Node | None) -> None:
        """Up the callee: `cp.exec`, `cp['exec']`, `String.fromCharCode`, `(0, eval)`, and on
        through calls that return modules (`require('cp').exec(...)`), handling each call."""
        for _ in range(12):
            if parent is None:
                return
            kind = parent.type
            if kind in ("member_expression", "subscript_expression"):
                if parent.child_by_field_name("object") != node and kind == "subscript_expression":
                    return
            elif kind == "call_expression":
                if parent.child_by_field_name("function") != node:
                    return
                if self._once(parent):
                    self._call(parent, node, new=False)
            elif kind == "new_expression":
                if parent.child_by_field_name("constructor") == node and self._once(parent):
                    self._call(parent, node, new=True)
                return
            elif kind not in ("parenthesized_expression", "sequence_expression"):
                return
            node, parent = parent, parent.parent

    def _is_env(self, parent: Node, node: Node) -> bool:
        if parent.child_by_field_name("object") != node:
            return False
        if parent.type == "member_expression":
            return self.src.text(parent.child_by_field_name("property")) == "env"
        if parent.type == "subscript_expression":
            return _literal(self.src, parent.child_by_field_name("index")) == "env"
        return False

    def _is_module_name(self, node: Node) -> bool:
        """`require('ethereum-wallet')` names a package, not a wallet file."""
        parent = node.parent
        if parent is None:
            return False
        if parent.type in ("import_statement", "export_statement"):
            return True
        call = parent.parent
        if parent.type != "arguments" or call is None or call.type != "call_expression":
            return False
        function = call.child_by_field_name("function")
        return function is not None and self.src.text(function) in ("require", "import")

    def _call(self, node: Node, function: Node | None, new: bool) -> None:
        if function is None or function.type == "import":
            return
        resolved = self._dotted(function)
        if resolved is None:
            return
        dotted, bound = resolved
        hit = self._match(dotted, bound)
        if hit is None and dotted.endswith((".call", ".apply", ".bind")):
            dotted = dotted.rsplit(".", 1)[0]  # `eval.call(null, s)`, `fromCharCode.apply`
            hit = self._match(dotted, bound)
        if hit is not None and self._applies(hit[1], node, new, function):
            self._finding(hit[0], hit[1], node)
            if hit[0] == FindingCategory.PROCESS:
                self._startup_write(node)
        if bound and dotted in _FS_WRITERS:
            self._startup_write(node)

    def _applies(self, api: str, node: Node, new: bool, function: Node) -> bool:
        """The conditions under which some globals decode or evaluate."""
        args = _arguments(node)
        if api in ("setTimeout", "setInterval"):
            return bool(args) and _has_string(args[0])
        if api == "Buffer.from" or (api == "Buffer" and new):
            encoding = _literal(self.src, args[1]) if len(args) > 1 else None
            return encoding is not None and encoding.lower() in ("base64", "base64url", "hex")
        if api == "Buffer":
            return False
        if api in ("decodeURIComponent", "unescape"):
            value = _literal(self.src, args[0]) if args else None
            return value is not None and len(_PERCENT_ESCAPE.findall(value)) >= 4
        if api == "String.fromCharCode":
            spread = any(a.type == "spread_element" for a in args)
            return len(args) >= 4 or spread or self.src.text(function).endswith(".apply")
        return True

    def _startup_write(self, node: Node) -> None:
        args = node.child_by_field_name("arguments")
        if args is None:
            return
        text = self.src.head(args)
        location = startup_location(text)
        if location is None and self.startup_names:
            words = re.findall(r"[A-Za-z_$][\w$]*", text)
            location = next((self.startup_names[w] for w in words if w in self.startup_names), None)
        if location is not None:
            self._finding(FindingCategory.STARTUP_WRITE, location, node)
