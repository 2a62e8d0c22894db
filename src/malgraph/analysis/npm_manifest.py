"""npm facts from package.json: identity, scripts run on install, dependencies, bundled copies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from malgraph.analysis.manifest_types import Found
from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest

ECOSYSTEM = "npm"
# Lifecycle scripts npm runs by itself when the package is installed (prepare: from git) or removed.
HOOKS = (
    "preinstall",
    "install",
    "postinstall",
    "prepare",
    "preprepare",
    "postprepare",
    "prepublish",
    "preuninstall",
    "uninstall",
    "postuninstall",
)
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
BUNDLE_FIELDS = ("bundledDependencies", "bundleDependencies")
GYP_HOOK = "node-gyp rebuild (implicit, binding.gyp)"

# The last node_modules/<name>/ or node_modules/@scope/<name>/ right above package.json.
_BUNDLED = re.compile(r"(?:^|/)node_modules/((?:@[^/]+/)?[^@/][^/]*)/package\.json$")
# A JSON string (with the colon when it is a key), a bracket, or a newline: enough to place keys.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"(\s*:)?|[{}\[\]\n]')


def scan(package_jsons: Sequence[Member], gyp_dirs: frozenset[str], found: Found) -> None:
    own: list[Member] = []
    for member in package_jsons:
        bundled = _BUNDLED.search(member.path)
        if bundled:
            _bundled(member, bundled.group(1), found)
        elif "node_modules" not in member.path.split("/"):
            own.append(member)
    if own:
        top = min(m.path.count("/") for m in own)
        for member in own:
            if member.path.count("/") == top:
                _package(member, gyp_dirs, found)


def _load(member: Member, found: Found) -> tuple[str, dict[str, Any]] | None:
    text = found.text(member)
    if text is None:
        return None
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        found.problem(member.path, f"invalid JSON: {error}")
        return None
    if not isinstance(doc, dict):
        found.problem(member.path, "top level is not a JSON object")
        return None
    return text, doc


def _string(doc: dict[str, Any], key: str, path: str, found: Found) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    found.problem(path, f"'{key}' is not a string")
    return None


def _package(member: Member, gyp_dirs: frozenset[str], found: Found) -> None:
    loaded = _load(member, found)
    if loaded is None:
        return
    text, doc = loaded
    path = member.path
    found.manifests.append(
        Manifest(
            ECOSYSTEM,
            path,
            _string(doc, "name", path, found),
            _string(doc, "version", path, found),
            _string(doc, "description", path, found),
        )
    )
    lines = key_lines(text)
    scripts = doc.get("scripts")
    if not isinstance(scripts, dict):
        if scripts is not None:
            found.problem(path, "'scripts' is not an object")
        scripts = {}
    for hook in HOOKS:
        command = scripts.get(hook)
        if isinstance(command, str):
            found.install_hooks.append(
                InstallHook(hook, command, path, lines.get(("scripts", hook)))
            )
        elif command is not None:
            found.problem(path, f"'scripts.{hook}' is not a string")
    # npm adds `install: node-gyp rebuild` itself in this case (@npmcli/package-json, gypfile).
    root = path.rpartition("/")[0]
    if (
        root in gyp_dirs
        and not scripts.get("install")
        and not scripts.get("preinstall")
        and doc.get("gypfile") is not False
    ):
        found.install_hooks.append(InstallHook("install", GYP_HOOK, path, None))

    for kind in DEPENDENCY_FIELDS:
        section = doc.get(kind)
        if section is None:
            continue
        if not isinstance(section, dict):
            found.problem(path, f"'{kind}' is not an object")
            continue
        for name, spec in section.items():
            if not isinstance(spec, str):
                found.problem(path, f"'{kind}.{name}' is not a string")
                spec = ""
            found.dependencies.append(
                Dependency(ECOSYSTEM, name, spec, kind, path, lines.get((kind, name)))
            )
    _bundle_fields(doc, lines, path, found)


def _bundle_fields(
    doc: dict[str, Any], lines: dict[tuple[str, ...], int], path: str, found: Found
) -> None:
    dependencies = doc.get("dependencies")
    if not isinstance(dependencies, dict):
        dependencies = {}
    for field in BUNDLE_FIELDS:
        value = doc.get(field)
        if value is None or value is False:
            continue
        if value is True:  # bundle everything in dependencies
            named = [(name, lines.get((field,))) for name in dependencies]
        elif isinstance(value, list):
            named = []
            for name in value:
                if isinstance(name, str):
                    named.append((name, lines.get((field, name))))
                else:
                    found.problem(path, f"'{field}' holds a non-string")
        else:
            found.problem(path, f"'{field}' is neither a list nor a boolean")
            continue
        for name, line in named:
            spec = dependencies.get(name)
            spec = spec if isinstance(spec, str) else ""
            found.dependencies.append(
                Dependency(ECOSYSTEM, name, spec, "bundledDependencies", path, line)
            )


def _bundled(member: Member, name: str, found: Found) -> None:
    """A package shipped inside this one under node_modules/: installed as is, never fetched."""
    loaded = _load(member, found)
    if loaded is None:
        return
    version = _string(loaded[1], "version", member.path, found)
    found.dependencies.append(
        Dependency(ECOSYSTEM, name, version or "", "bundled", member.path, None)
    )


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based lines of top-level keys (key,), of keys one level down (section, key) and of
    strings in top-level arrays (section, string). `text` must be valid JSON."""
    lines: dict[tuple[str, ...], int] = {}
    line = 1
    # Each open container with the key that holds it; only depths 1 and 2 are recorded.
    stack: list[tuple[str, str | None]] = []
    key: str | None = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "\n":
            line += 1
        elif first in "{[":
            stack.append((first, key))
            key = None
        elif first in "}]":
            if stack:
                stack.pop()
            key = None
        else:
            colon = match.group(1)
            value = _unquote(token[: match.start(1) - match.start()] if colon else token)
            depth = len(stack)
            if colon is not None:
                key = value
                if depth == 1:
                    lines[(value,)] = line
                elif depth == 2 and stack[1][1] is not None:
                    lines[(stack[1][1], value)] = line
                line += colon.count("\n")
            elif depth == 2 and stack[1][0] == "[" and stack[1][1] is not None:
                lines.setdefault((stack[1][1], value), line)
    return lines


def _unquote(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    try:
        value = orjson.loads(token)
    except orjson.JSONDecodeError:
        return token[1:-1]
    return value if isinstance(value, str) else token[1:-1]
