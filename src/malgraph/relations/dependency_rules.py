"""Which package an import or a declared dependency names, and whether a version spec admits
a malicious version: the ecosystem rules that keep `import sys` from linking to a package
called `sys`. Pure functions."""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterable

import semantic_version
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from malgraph.core.kinds import CodeEcosystem

# Node's built-in modules (`require('node:x')` is always built in, prefix or not).
NODE_BUILTINS = frozenset(
    """assert async_hooks buffer child_process cluster console constants
crypto dgram diagnostics_channel dns domain events fs http http2 https inspector module net os
path perf_hooks process punycode querystring readline repl stream string_decoder sys timers tls
trace_events tty url util v8 vm wasi worker_threads zlib test sqlite sea""".split()  # noqa: SIM905
)
# Ruby's standard library and default gems that `require` loads without a Gemfile entry.
RUBY_STDLIB = frozenset(
    """abbrev base64 benchmark bigdecimal cgi coverage csv date delegate
did_you_mean digest drb english erb etc fcntl fiddle fileutils find forwardable getoptlong io
ipaddr irb json logger matrix minitest monitor mutex_m net objspace observer open-uri open3
openssl optparse ostruct pathname pp prettyprint prime pstore psych racc rbconfig rdoc readline
reline resolv rinda ripper securerandom set shellwords singleton socket stringio strscan
syslog tempfile time timeout tmpdir tracer tsort un uri weakref yaml zlib rubygems bundler
English thread enumerator rational complex continuation pty expect io-console nkf""".split()  # noqa: SIM905
)
# Import names that differ from the distribution that provides them (the usual ones).
PYTHON_PROVIDERS = {
    "yaml": "pyyaml",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "bs4": "beautifulsoup4",
    "sklearn": "scikit-learn",
    "dateutil": "python-dateutil",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "jwt": "pyjwt",
    "dotenv": "python-dotenv",
    "git": "gitpython",
    "serial": "pyserial",
    "usb": "pyusb",
    "OpenSSL": "pyopenssl",
    "magic": "python-magic",
    "win32api": "pywin32",
    "win32con": "pywin32",
    "win32crypt": "pywin32",
    "nacl": "pynacl",
    "socks": "pysocks",
    "telegram": "python-telegram-bot",
    "discord": "discord-py",
    "Levenshtein": "python-levenshtein",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "google": "protobuf",
    "attr": "attrs",
    "pkg_resources": "setuptools",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "websocket": "websocket-client",
    "zmq": "pyzmq",
}
_PY_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__", "__main__", "builtins"}


def package_of_import(
    ecosystem: str, module: str, relative: bool, own: Collection[str]
) -> tuple[str, str] | None:
    """(package name, why) an import refers to, or None when it is no other package's: built
    in, standard library, relative, or a module of the importing package itself."""
    if relative or not module:
        return None
    if ecosystem == CodeEcosystem.NPM:
        if module.startswith(("node:", ".", "/")) or module.split("/")[0] in NODE_BUILTINS:
            return None
        parts = module.split("/")
        name = "/".join(parts[:2]) if module.startswith("@") else parts[0]
        return None if name in own else (name, "require")
    if ecosystem == CodeEcosystem.PYPI:
        top = module.lstrip(".").split(".")[0]
        if top in _PY_STDLIB or top in own or not top:
            return None
        provider = PYTHON_PROVIDERS.get(top)
        return (provider, f"import {top} (provided by {provider})") if provider else (top, "import")
    if ecosystem == CodeEcosystem.RUBYGEMS:
        top = module.split("/")[0]
        if top in RUBY_STDLIB or top in own:
            return None
        return top, "require"
    return None


def own_modules(ecosystem: str, paths: Iterable[str], manifest_names: Iterable[str]) -> set[str]:
    """The names under which a package can import itself: its own name and, for Python and
    Ruby, every folder and module file it ships (so `import mypkg.util` inside mypkg is no
    dependency, whatever the archive's layout)."""
    own = {n for n in manifest_names if n}
    for path in paths:
        parts = path.split("/")
        if ecosystem in (CodeEcosystem.PYPI, CodeEcosystem.RUBYGEMS):
            own.update(parts[:-1])
            stem = re.sub(r"\.(py|pyw|pyi|rb|so|pyd)$", "", parts[-1])
            own.add(stem)
    return own


def spec_admits(ecosystem: str, spec: str, versions: Collection[str]) -> list[str] | None:
    """The versions (of those given) that a dependency spec admits; None when the spec is not
    one this can read (a URL, a tag, a path): then it may admit any."""
    spec = spec.split(";")[0].strip()
    if not spec or spec in ("*", "x", "X"):  # any version ("latest" is a dist-tag: unknown)
        return sorted(versions)
    try:
        if ecosystem == CodeEcosystem.NPM:
            npm = semantic_version.NpmSpec(spec)
            return sorted(v for v in versions if _npm_match(npm, v))
        if ecosystem == CodeEcosystem.PYPI:
            pep440 = SpecifierSet(spec)
            return sorted(v for v in versions if _pep440_match(pep440, v))
        if ecosystem == CodeEcosystem.RUBYGEMS:
            return sorted(v for v in versions if gem_requirement_admits(spec, v))
    except (ValueError, InvalidSpecifier):
        return None
    return None


def _npm_match(spec: semantic_version.NpmSpec, version: str) -> bool:
    try:
        return bool(spec.match(semantic_version.Version.coerce(version)))
    except ValueError:
        return True  # a version that is not semver: cannot exclude it


def _pep440_match(spec: SpecifierSet, version: str) -> bool:
    try:
        return Version(version) in spec or spec.contains(version, prereleases=True)
    except InvalidVersion:
        return True


_GEM_OP = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*([0-9][0-9A-Za-z.]*)\s*$")


def gem_requirement_admits(requirement: str, version: str) -> bool:
    """RubyGems requirements such as '~> 1.2', '>= 1.0, < 2' (each part must hold)."""
    for part in requirement.split(","):
        match = _GEM_OP.match(part)
        if not match:
            raise ValueError(f"not a gem requirement: {part!r}")
        op, wanted = match[1] or "=", _gem_key(match[2])
        have = _gem_key(version)
        if op == "~>":
            numbers = match[2].split(".")
            bumped = numbers[:-1] or numbers  # '~> 1.2.3' means < 1.3, '~> 1.2' < 2, '~> 1' < 2
            upper = [*bumped[:-1], str(int(bumped[-1]) + 1)]
            if have < wanted or have >= _gem_key(".".join(upper)):
                return False
        elif not {
            "=": have == wanted,
            "!=": have != wanted,
            ">": have > wanted,
            "<": have < wanted,
            ">=": have >= wanted,
            "<=": have <= wanted,
        }[op]:
            return False
    return True


def _gem_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Gem::Version order: numeric segments by value; a letter segment (prerelease) sorts
    before any number; trailing zeros do not count."""
    parts = [p for p in re.split(r"[.-]", version) if p]
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts)
