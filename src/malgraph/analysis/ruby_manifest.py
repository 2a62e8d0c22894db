"""RubyGems facts from the gem's YAML metadata, *.gemspec files and a Gemfile, read line by line
with regexes: no YAML loader (its Ruby object tags are part of the attack surface) and no Ruby."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from malgraph.analysis.manifest_types import Found
from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest

ECOSYSTEM = "RubyGems"

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(?:[ \t]+(.*?))?[ \t]*$")
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(?:[ \t]+(.*?))?[ \t]*$")
_PROPERTIES = re.compile(r"^(?:(?:![^\s]*|&[^\s]+)(?:\s+|$))+")  # !ruby/object:... tags, &anchors
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", "0": "\0"}
_BLOCK = frozenset({"|", ">", "|-", ">-", "|+", ">+"})

# A Ruby string literal: %q<...> (what `gem spec --ruby` writes), or quoted.
_RUBY_STRING = r"""%[qQ]?[<{(\[](?P<percent>[^>})\]]*)[>})\]]|(?P<q>['"])(?P<quoted>[^'"]*)(?P=q)"""
_STRING = re.compile(_RUBY_STRING)
_LEADING_STRING = re.compile(rf"^\s*(?:{_RUBY_STRING})")
_WORDS = re.compile(r"%[wWiI][\[({<]([^\])}>]*)[\])}>]")
_TRAILER = re.compile(r"\s+(?:if|unless)\b.*$|\s#.*$")
_GEMSPEC_DEPENDENCY = re.compile(
    rf"\.add_(?P<kind>runtime_|development_)?dependency\b\s*\(?\s*(?:{_RUBY_STRING})(?P<rest>.*)$"
)
_GEMSPEC_FIELD = re.compile(r"^\s*\w+\.(name|version|summary|description)\s*=\s*(.+?)\s*$")
_GEMSPEC_EXTENSIONS = re.compile(r"\.extensions\s*(?:\+?=|<<|\.push\b|\.concat\b)\s*\(?(.*)$")
_GEM = re.compile(rf"^\s*gem[\s(]+(?:{_RUBY_STRING})(?P<rest>.*)$")
_GEM_VERSION = re.compile(r"""\s*,\s*(['"])([^'"]*)\1""")
_GEM_SOURCE = re.compile(
    r"""(?:\b(?:git|github|path)\s*:|:(?:git|github|path)\s*=>)\s*(['"])([^'"]*)\1"""
)


@dataclass(slots=True)
class _Key:
    """A top-level key of the YAML document, with the lines under it."""

    inline: str
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)


def _scalar(raw: str) -> str:
    value = _PROPERTIES.sub("", raw.strip()).strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
    return value


def _text(key: _Key | None) -> str | None:
    if key is None:
        return None
    lines = [line.strip() for _, line in key.body]
    if key.inline in _BLOCK:
        return ("\n" if key.inline.startswith("|") else " ").join(lines).strip() or None
    return _scalar(" ".join([key.inline, *lines])) or None


def _yaml_keys(text: str) -> dict[str, _Key]:
    keys: dict[str, _Key] = {}
    current: _Key | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(("#", "---", "...")):
            continue
        if line[0] in " \t-":  # Psych writes a top-level key's list items at column 0
            if current is not None:
                current.body.append((number, line))
            continue
        match = _TOP_KEY.match(line)
        current = None
        if match:
            key = current = _Key(match.group(2) or "", number)
            keys.setdefault(match.group(1), key)
    return keys


def scan_metadata(member: Member, found: Found) -> None:
    """The gemspec as YAML (metadata.gz inside the .gem)."""
    text = found.text(member)
    if text is None:
        return
    path = member.path
    keys = _yaml_keys(text)
    version = keys.get("version")
    version_text = _scalar(version.inline) if version else ""
    if version and not version_text:  # version: !ruby/object:Gem::Version / version: 1.2.3
        for _, line in version.body:
            match = _KEY.match(line.strip())
            if match and match.group(1) == "version":
                version_text = _scalar(match.group(2) or "")
    name = keys.get("name")
    found.manifests.append(
        Manifest(
            ECOSYSTEM,
            path,
            _scalar(name.inline) or None if name else None,
            version_text or None,
            _text(keys.get("summary")) or _text(keys.get("description")),
        )
    )
    if "dependencies" in keys:
        _dependencies(keys["dependencies"], path, found)
    extensions = keys.get("extensions")
    if extensions is not None:
        inline = extensions.inline.strip()
        listed = [
            (extensions.line, item)
            for item in inline.strip("[]").split(",")
            if inline.startswith("[")
        ]
        listed += [(number, line.strip()[1:]) for number, line in extensions.body]
        for number, item in listed:
            detail = _scalar(item)
            if detail:
                found.install_hooks.append(InstallHook("extensions", detail, path, number))


@dataclass(slots=True)
class _Dependency:
    line: int
    name: str = ""
    kind: str = "runtime"
    requirements: dict[str, list[list[str]]] = field(default_factory=dict)  # block -> [op, ver]


def _dependencies(key: _Key, path: str, found: Found) -> None:
    entries: list[_Dependency] = []
    entry_indent: int | None = None
    block: str | None = None
    for number, line in key.body:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("-") and (entry_indent is None or indent == entry_indent):
            entry_indent = indent  # - !ruby/object:Gem::Dependency
            entries.append(_Dependency(number))
            block = None
            stripped = _PROPERTIES.sub("", stripped[1:].strip())
            if not stripped:
                continue
            indent = entry_indent + 2  # `- name: x`: the first key on the dash's line
        if not entries:
            continue
        entry = entries[-1]
        match = _KEY.match(stripped)
        if entry_indent is not None and indent == entry_indent + 2 and match:
            value = match.group(2) or ""
            block = None
            if match.group(1) == "name":
                entry.name, entry.line = _scalar(value), number
            elif match.group(1) == "type":
                entry.kind = _scalar(value).lstrip(":")
            elif match.group(1) in ("requirement", "version_requirements"):
                block = match.group(1)
                entry.requirements.setdefault(block, [])
            continue
        if block is None:
            continue
        pairs = entry.requirements[block]
        operator = re.match(r"^-\s+-\s+(.*)$", stripped)
        if operator:  # - - ">="
            pairs.append([_scalar(operator.group(1)), ""])
            continue
        version = re.match(r"^(?:-\s+)?version:\s*(.*)$", stripped)
        if version and pairs and not pairs[-1][1]:
            pairs[-1][1] = _scalar(version.group(1))
    for entry in entries:
        if not entry.name:
            found.problem(path, f"line {entry.line}: dependency without a name")
            continue
        pairs = entry.requirements.get("requirement") or entry.requirements.get(
            "version_requirements", []
        )
        spec = ", ".join(f"{op} {version}".strip() for op, version in pairs)
        kind = "development" if entry.kind == "development" else "runtime"
        found.dependencies.append(Dependency(ECOSYSTEM, entry.name, spec, kind, path, entry.line))


def _string(match: re.Match[str]) -> str:
    """The text of the string literal matched by _RUBY_STRING."""
    percent = match.group("percent")
    return percent if percent is not None else match.group("quoted") or ""


def _strings(code: str) -> list[str]:
    code = _TRAILER.sub("", code)
    found = [_string(match) for match in _STRING.finditer(code)]
    for words in _WORDS.finditer(code):
        found += words.group(1).split()
    return found


def scan_gemspec(member: Member, found: Found) -> None:
    """A Ruby gemspec, read with regexes: it is Ruby, so computed values stay unknown (None)."""
    text = found.text(member)
    if text is None:
        return
    path = member.path
    fields: dict[str, str | None] = {}
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        dependency = _GEMSPEC_DEPENDENCY.search(line)
        if dependency:
            name = _string(dependency)
            # Generated gemspecs repeat each dependency in a fallback branch for old RubyGems.
            if name and name not in seen:
                seen.add(name)
                kind = "development" if dependency.group("kind") == "development_" else "runtime"
                spec = ", ".join(_strings(dependency.group("rest")))
                found.dependencies.append(Dependency(ECOSYSTEM, name, spec, kind, path, number))
            continue
        assigned = _GEMSPEC_FIELD.match(line)
        if assigned and assigned.group(1) not in fields:
            literal = _LEADING_STRING.match(assigned.group(2))
            fields[assigned.group(1)] = _string(literal) if literal else None
        extensions = _GEMSPEC_EXTENSIONS.search(line)
        if extensions:
            for detail in _strings(extensions.group(1)) or [extensions.group(1).strip()[:200]]:
                found.install_hooks.append(InstallHook("extensions", detail, path, number))
    found.manifests.append(
        Manifest(
            ECOSYSTEM,
            path,
            fields.get("name"),
            fields.get("version"),
            fields.get("summary") or fields.get("description"),
        )
    )


def scan_gemfile(member: Member, found: Found) -> None:
    text = found.text(member)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), 1):
        gem = _GEM.match(line)
        if not gem:
            continue
        rest, position, specs = gem.group("rest"), 0, []
        while version := _GEM_VERSION.match(rest, position):
            specs.append(version.group(2))
            position = version.end()
        source = _GEM_SOURCE.search(rest)
        spec = ", ".join(specs) or (source.group(2) if source else "")
        found.dependencies.append(
            Dependency(ECOSYSTEM, _string(gem), spec, "gemfile", member.path, number)
        )
