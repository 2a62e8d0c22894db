"""What a setup.py declares and what it does at module level, read with ast and never run: pip runs
the whole file whenever it builds the sdist, so module-level actions are install hooks."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from malgraph.analysis.manifest_types import Found
from malgraph.analysis.python_code import setup_facts
from malgraph.analysis.python_manifest import (
    ECOSYSTEM,
    add_requirement,
    add_requirement_line,
    member_path,
    requirement_lines,
)
from malgraph.analysis.scanning import parse_python_ast
from malgraph.analysis.setup_facts import Scope, SetupFacts
from malgraph.artifacts.archives import Member
from malgraph.core.code import InstallHook, Manifest

SETUP_CALLS = frozenset(
    {
        "setup",
        "setuptools.setup",
        "distutils.core.setup",
        "numpy.distutils.core.setup",
        "skbuild.setup",
    }
)
REQUIREMENT_KEYWORDS = ("install_requires", "setup_requires", "tests_require")

# Calls honest setup.py files make at module level to read files and build paths and strings;
# they do not make a statement "setup code". Functions by canonical (as imported) dotted name...
SAFE_FUNCTIONS = frozenset(
    {
        "print",
        "len",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "reversed",
        "map",
        "filter",
        "zip",
        "range",
        "enumerate",
        "min",
        "max",
        "any",
        "all",
        "isinstance",
        "repr",
        "Path",
        "Extension",
        "find_packages",
        "os.getcwd",
        "os.getenv",
        "os.environ.get",
        "os.listdir",
        "os.walk",
        "glob.glob",
        "sys.exit",
        "sys.path.insert",
        "sys.path.append",
        "warnings.warn",
        "platform.system",
        "platform.machine",
        "platform.python_version",
        "platform.python_implementation",
        "pathlib.Path",
        "json.load",
        "json.loads",
        "ast.literal_eval",
        "re.search",
        "re.match",
        "re.compile",
        "re.findall",
        "re.sub",
        "setuptools.find_packages",
        "setuptools.find_namespace_packages",
        "setuptools.Extension",
        "distutils.core.Extension",
        "distutils.extension.Extension",
        "distutils.util.convert_path",
        "versioneer.get_version",
        "versioneer.get_cmdclass",
    }
)
# ... and methods on values that are not modules (files, strings, lists, paths, matches).
SAFE_METHODS = frozenset(
    {
        "read",
        "readline",
        "readlines",
        "read_text",
        "read_bytes",
        "splitlines",
        "split",
        "rsplit",
        "strip",
        "lstrip",
        "rstrip",
        "join",
        "joinpath",
        "format",
        "replace",
        "startswith",
        "endswith",
        "lower",
        "upper",
        "encode",
        "decode",
        "append",
        "extend",
        "insert",
        "items",
        "keys",
        "values",
        "get",
        "search",
        "match",
        "group",
        "groups",
        "findall",
        "sub",
        "resolve",
        "absolute",
        "exists",
        "is_file",
        "is_dir",
        "close",
        "copy",
        "update",
        "count",
        "index",
        "partition",
        "rpartition",
    }
)
_SAFE_PREFIXES = ("os.path.", "posixpath.", "ntpath.")
_OPENS = frozenset({"open", "io.open", "codecs.open"})  # safe only when reading
_MAX_DEPTH = 8  # name lookups through module-level bindings
_MAX_STEPS = 5_000  # value resolution steps per file: `a = [a, a, a]` must not explode
_MAX_SETUP_CODE = 50  # setup-code hooks per file
_MAX_SETUPS = 16

# Python 2 files (ast cannot read them): best-effort regexes.
_PY2_LIST = re.compile(r"install_requires\s*=\s*[\[(]([^\])]*)[\])]")
_PY2_QUOTED = re.compile(r"""(['"])([^'"\n]+)\1""")
_PY2_SCALAR = re.compile(r"""\b(name|version|description)\s*=\s*(['"])([^'"\n]*)\2""")
_PY2_ACTION = re.compile(
    r"\b(?:os\.system|os\.popen|subprocess\.|exec\b|eval\(|urllib|urlopen|requests\.|socket\.|"
    r"__import__)"
)

_Item = tuple[str, str, int | None]  # requirement, file, line


@dataclass(frozen=True, slots=True)
class _Binding:
    value: ast.expr
    context: tuple[ast.expr, ...]  # the `with` items around it: `with open('req.txt') as f:`


def scan(
    member: Member, members: Sequence[Member], found: Found, facts: SetupFacts | None = None
) -> None:
    """`facts`: what the code scan's walk of this file recorded for this reader, when it has
    scanned it (its text differs from this reader's only in line ends, which do not change the
    tree); else the file is parsed and walked here."""
    text = found.text(member)
    if text is None:
        return
    try:
        if facts is None:
            facts = setup_facts(parse_python_ast(text, member.path))
    except (SyntaxError, ValueError, RecursionError) as error:
        if isinstance(error, SyntaxError):
            where = f" at line {error.lineno}" if error.lineno else ""
            reason = f"not Python 3 syntax ({error.msg}{where})"
        else:
            reason = f"cannot be parsed ({error})"
        found.problem(member.path, f"{reason}; read with regexes instead")
        _python2(member.path, text, found)
        return
    try:
        _SetupPy(member.path, text, facts, members, found).run()
    except RecursionError:
        found.problem(member.path, "nested too deeply to analyse")


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


_LINE_ENDS = re.compile(r"\r\n|\r|\n")


class _SetupPy:
    def __init__(
        self, path: str, text: str, facts: SetupFacts, members: Sequence[Member], found: Found
    ) -> None:
        self.path = path
        self.folder = path.rpartition("/")[0]
        # The lines as `re.split(r"\r\n|\r|\n")` cuts them; most files have no CR, and a
        # plain split of a payload's megabytes is much cheaper than the regex's.
        self.source = _LINE_ENDS.split(text) if "\r" in text else text.split("\n")
        self.facts = facts
        self.members = members
        self.found = found
        self.imports: dict[str, str] = {}  # bound name -> module or module.attribute
        self.classes: dict[str, int] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.bindings: dict[str, _Binding] = {}
        self.safe_functions: dict[str, bool] = {}
        self.steps = _MAX_STEPS
        self.by_path: dict[str, Member] | None = None  # built when a file name is resolved
        for stmt, context in facts.statements:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.bindings[target.id] = _Binding(stmt.value, context)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                self.bindings[stmt.target.id] = _Binding(stmt.value, context)
        # The calls of each scope: None for module level (run at every build), else a local
        # function, taken (with its imports and classes) only when the module calls it.
        self.scopes: dict[Scope, list[ast.Call]] = {}
        self._calls(None)
        setups = [call for call in self.scopes[None] if self._is_setup(call)]
        for function in self.functions.values() if not setups else ():
            setups += [call for call in self._calls(function) if self._is_setup(call)]
        self.setup = setups[0] if setups else None
        self.setup_ids = {id(call) for call in setups}
        self.setups = setups[:_MAX_SETUPS]  # whose arguments are judged leniently

    def _calls(self, scope: Scope) -> list[ast.Call]:
        """The calls of a scope in source order; the first time, its imports and classes are
        noted (the code scan's walk recorded them: see setup_facts.ScopeFacts)."""
        calls = self.scopes.get(scope)
        if calls is None:
            facts = self.facts.scopes.get(scope)
            if facts is not None:
                for node in facts.imports:
                    self._import(node)
                for cls in facts.classes:
                    self.classes.setdefault(cls.name, cls.lineno)
            calls = self.scopes[scope] = facts.calls if facts is not None else []
        return calls

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    root = alias.name.partition(".")[0]
                    self.imports[root] = root
            return
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name != "*":
                self.imports[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _is_setup(self, call: ast.Call) -> bool:
        return self._canonical(call.func) in SETUP_CALLS

    def _canonical(self, func: ast.expr) -> str | None:
        dotted = _dotted(func)
        if dotted is None:
            return None
        root, dot, rest = dotted.partition(".")
        return self.imports[root] + dot + rest if root in self.imports else dotted

    def run(self) -> None:
        keywords = self._keywords() if self.setup is not None else {}
        self.found.manifests.append(
            Manifest(
                ECOSYSTEM,
                self.path,
                self._scalar(keywords.get("name")),
                self._scalar(keywords.get("version")),
                self._scalar(keywords.get("description")),
            )
        )
        for keyword in REQUIREMENT_KEYWORDS:
            if keyword in keywords:
                self._add_requirements(keywords[keyword], keyword, None)
        if "extras_require" in keywords:
            extras = self._mapping(keywords["extras_require"])
            if extras is None:
                self._unresolved(keywords["extras_require"], "extras_require")
            for extra, value in extras or ():
                self._add_requirements(value, "extras_require", extra)
        if "cmdclass" in keywords:
            self._cmdclass(keywords["cmdclass"])
        lines = sorted({call.lineno for call in self._unsafe_calls(None)})
        for line in lines[:_MAX_SETUP_CODE]:
            self.found.install_hooks.append(
                InstallHook("setup-code", self._line(line), self.path, line)
            )
        if len(lines) > _MAX_SETUP_CODE:
            more = len(lines) - _MAX_SETUP_CODE
            self.found.problem(self.path, f"{more} more lines of setup code not listed")

    def _line(self, number: int) -> str:
        return self.source[number - 1].strip()[:200] if 0 < number <= len(self.source) else ""

    def _unresolved(self, node: ast.expr, what: str) -> None:
        self.found.problem(self.path, f"line {node.lineno}: '{what}' is not a literal")

    # --- values -------------------------------------------------------------------------------

    def _keywords(self) -> dict[str, ast.expr]:
        assert self.setup is not None
        keywords: dict[str, ast.expr] = {}
        for keyword in self.setup.keywords:
            if keyword.arg is not None:
                keywords[keyword.arg] = keyword.value
                continue
            mapping = self._mapping(keyword.value)  # setup(**options)
            if mapping is None:
                self._unresolved(keyword.value, "**" + (_dotted(keyword.value) or "..."))
            keywords.update(mapping or ())
        return keywords

    def _step(self, depth: int) -> bool:
        """Whether resolving may go on: bounded in depth and in total work."""
        self.steps -= 1
        return depth <= _MAX_DEPTH and self.steps > 0

    def _mapping(self, node: ast.expr, depth: int = 0) -> list[tuple[str, ast.expr]] | None:
        """A dict literal, dict(...) call or a name bound to one, as (key, value expression)."""
        if not self._step(depth):
            return None
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            return None if binding is None else self._mapping(binding.value, depth + 1)
        entries: list[tuple[str, ast.expr]] = []
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    entries += self._mapping(value, depth + 1) or ()
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    entries.append((key.value, value))
            return entries
        if isinstance(node, ast.Call) and self._canonical(node.func) == "dict":
            for arg in node.args:
                entries += self._mapping(arg, depth + 1) or ()
            for keyword in node.keywords:
                if keyword.arg is None:
                    entries += self._mapping(keyword.value, depth + 1) or ()
                else:
                    entries.append((keyword.arg, keyword.value))
            return entries
        return None

    def _scalar(self, node: ast.expr | None, depth: int = 0) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.bindings and self._step(depth + 1):
            return self._scalar(self.bindings[node.id].value, depth + 1)
        return None

    def _add_requirements(self, node: ast.expr, kind: str, extra: str | None) -> None:
        items = self._requirements(node, (), kind, 0)
        if items is None:
            self._unresolved(node, kind)
            return
        for text, file, line in items:
            if file == self.path:
                add_requirement(self.found, text, kind, file, line, extra)
            else:
                add_requirement_line(self.found, text, kind, file, line, extra)

    def _requirements(
        self, node: ast.expr, context: tuple[ast.expr, ...], kind: str, depth: int
    ) -> list[_Item] | None:
        if not self._step(depth):
            return None
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str):
                return None
            lines = (line.strip() for line in node.value.splitlines())
            return [
                (line, self.path, node.lineno + offset)
                for offset, line in enumerate(lines)
                if line and not line.startswith("#")
            ]
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[_Item] = []
            for element in node.elts:
                inner = element.value if isinstance(element, ast.Starred) else element
                found = self._requirements(inner, context, kind, depth + 1)
                if found is None:
                    self._unresolved(element, kind)
                items += found or ()
            return items
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            if binding is None:
                return None
            return self._requirements(binding.value, binding.context, kind, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._requirements(node.left, context, kind, depth + 1)
            right = self._requirements(node.right, context, kind, depth + 1)
            return None if left is None and right is None else (left or []) + (right or [])
        if isinstance(node, ast.IfExp):
            body = self._requirements(node.body, context, kind, depth + 1)
            orelse = self._requirements(node.orelse, context, kind, depth + 1)
            return None if body is None and orelse is None else (body or []) + (orelse or [])
        return self._from_file((node, *context))

    def _from_file(self, nodes: tuple[ast.expr, ...]) -> list[_Item] | None:
        """Requirements read from a file of the package, found by the file name written in the
        expression: open('requirements.txt').read().splitlines(), parse_reqs(REQS_FILE)..."""
        if self.by_path is None:
            self.by_path = {member.path: member for member in self.members}
        for name in self._file_names(nodes):
            target = self.by_path.get(member_path(self.folder, name) or "")
            if target is None:
                continue
            text = self.found.text(target)
            if text is None:
                return []
            return [(item, target.path, line) for line, item in requirement_lines(text)]
        return None

    def _file_names(self, nodes: tuple[ast.expr, ...]) -> Iterator[str]:
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Name) and node.id in self.bindings:
                    node = self.bindings[node.id].value
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if node.value.endswith((".txt", ".in")):
                        yield node.value
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    # os.path.join(here, 'requirements', 'base.txt')
                    parts = [
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    ]
                    if node.func.attr in ("join", "joinpath") and len(parts) > 1:
                        yield "/".join(parts)

    def _cmdclass(self, node: ast.expr) -> None:
        mapping = self._mapping(node)
        if mapping is None:  # e.g. versioneer.get_cmdclass(): commands we cannot see
            self.found.install_hooks.append(
                InstallHook("cmdclass", self._segment(node), self.path, node.lineno)
            )
            return
        for command, value in mapping:
            target = _dotted(value) or self._segment(value)
            line = self.classes.get(target.rpartition(".")[2], value.lineno)
            self.found.install_hooks.append(
                InstallHook("cmdclass", f"{command}={target}", self.path, line)
            )

    def _segment(self, node: ast.expr) -> str:
        if node.end_lineno != node.lineno or node.end_col_offset is None:
            return self._line(node.lineno)
        # Column offsets count UTF-8 bytes.
        line = self.source[node.lineno - 1].encode()
        return line[node.col_offset : node.end_col_offset].decode(errors="replace")[:200]

    # --- setup code ---------------------------------------------------------------------------

    def _unsafe_calls(self, scope: Scope) -> Iterator[ast.Call]:
        """Calls in `scope` (None: module level, run at every build) other than reads of files,
        paths and strings and the setup call. In setup()'s own arguments only calls of local
        functions count: their bodies can be judged, and the arguments are mostly metadata."""
        for call in self._calls(scope):
            if id(call) in self.setup_ids:
                continue
            if any(_within(call, setup) for setup in self.setups):
                func = call.func
                local = isinstance(func, ast.Name) and func.id in self.functions
                if local and not self._safe_call(call):
                    yield call
            elif not self._safe_call(call):
                yield call

    def _safe_call(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            name = self.imports.get(func.id, func.id)
            if name in _OPENS:
                return _reading(call)
            if name in SAFE_FUNCTIONS or name in SETUP_CALLS:
                return True
            if func.id in self.functions and func.id not in self.imports:
                return self._safe_function(func.id)
            return func.id not in self.imports and func.id.endswith(("Error", "Exception"))
        if not isinstance(func, ast.Attribute):
            return False  # getattr(os, 'system')(...), x[0](), (lambda: ...)()
        dotted = _dotted(func)
        if dotted is not None and dotted.partition(".")[0] in self.imports:
            name = self._canonical(func) or ""
            if name in _OPENS:
                return _reading(call)
            return name in SAFE_FUNCTIONS or name in SETUP_CALLS or name.startswith(_SAFE_PREFIXES)
        return func.attr in SAFE_METHODS

    def _safe_function(self, name: str) -> bool:
        """A local function is safe to call when every call in its body is."""
        if name not in self.safe_functions:
            self.safe_functions[name] = True  # a recursive call is judged by the rest of the body
            unsafe = next(self._unsafe_calls(self.functions[name]), None)
            self.safe_functions[name] = unsafe is None
        return self.safe_functions[name]


def _reading(call: ast.Call) -> bool:
    """Whether an open(...) call only reads: its mode is a literal without w, a, x or +."""
    modes = [keyword.value for keyword in call.keywords if keyword.arg == "mode"]
    mode = call.args[1] if len(call.args) > 1 else modes[0] if modes else None
    if mode is None:
        return not any(keyword.arg is None for keyword in call.keywords)  # open(f, **options)
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and not set(mode.value) & set("wax+")
    )


def _within(inner: ast.expr, outer: ast.expr) -> bool:
    end, outer_end = inner.end_lineno or inner.lineno, outer.end_lineno or outer.lineno
    return (outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset) and (
        end,
        inner.end_col_offset or 0,
    ) <= (outer_end, outer.end_col_offset or 0)


def _python2(path: str, text: str, found: Found) -> None:
    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    scalars: dict[str, str] = {}
    for match in _PY2_SCALAR.finditer(text):
        scalars.setdefault(match.group(1), match.group(3))
    found.manifests.append(
        Manifest(
            ECOSYSTEM,
            path,
            scalars.get("name"),
            scalars.get("version"),
            scalars.get("description"),
        )
    )
    listed = _PY2_LIST.search(text)
    if listed:
        for quoted in _PY2_QUOTED.finditer(listed.group(1)):
            line = line_of(listed.start(1) + quoted.start())
            add_requirement(found, quoted.group(2), "install_requires", path, line)
    for number, source in enumerate(text.splitlines(), 1):
        # Module level only: indented code is in functions or setup() arguments.
        top_level = source[:1].strip() and not source.startswith(("import", "from", "#"))
        if top_level and _PY2_ACTION.search(source):
            found.install_hooks.append(
                InstallHook("setup-code", source.strip()[:200], path, number)
            )
