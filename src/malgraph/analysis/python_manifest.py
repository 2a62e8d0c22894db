"""PyPI facts from declarative files: setup.cfg, pyproject.toml, PKG-INFO/METADATA, requirements
files, and .pth files that the interpreter runs at start-up."""

from __future__ import annotations

import bisect
import configparser
import posixpath
import re
import tomllib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from malgraph.analysis.manifest_types import Found
from malgraph.artifacts.archives import Member
from malgraph.core.code import Dependency, InstallHook, Manifest

ECOSYSTEM = "PyPI"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|(?:git|hg|svn|bzr)\+)", re.IGNORECASE)
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_ARCHIVE_NAME = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*?)(?:-\d.*)?\.(?:whl|zip|tar\.gz|tgz|tar)$"
)


# --- requirements ---------------------------------------------------------------------------


def _parse(text: str) -> tuple[str, str] | None:
    # The same few thousand requirements recur across packages; long (hostile) ones are not kept.
    return _parse_cached(text) if len(text) <= 200 else _parse_requirement(text)


def _parse_requirement(text: str) -> tuple[str, str] | None:
    """(name, spec) of a PEP 508 requirement; spec is the specifier or URL, then '; marker'."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    spec = requirement.url or str(requirement.specifier)
    if requirement.marker is not None:
        spec = f"{spec}; {requirement.marker}" if spec else f"; {requirement.marker}"
    return requirement.name, spec


_parse_cached = lru_cache(maxsize=4096)(_parse_requirement)


def add_requirement(
    found: Found, text: str, kind: str, path: str, line: int | None, extra: str | None = None
) -> None:
    """Record one requirement string; an unparsable one keeps its leading name and is a problem."""
    text = text.strip()
    if not text:
        return
    parsed = _parse(text)
    if parsed is None:
        where = f"line {line}: " if line is not None else ""
        found.problem(path, f"{where}unparsable requirement {text[:200]!r}")
        leading = _NAME.match(text)
        if leading is None:
            return
        parsed = leading.group(), text[leading.end() :].strip()
    name, spec = parsed
    if extra is not None:
        spec = _with_extra(spec, extra)
    found.dependencies.append(Dependency(ECOSYSTEM, name, spec, kind, path, line))


def _with_extra(spec: str, extra: str) -> str:
    """Put the extra in the marker as wheel metadata does; setuptools keys may be 'extra:marker'."""
    extra, _, key_marker = extra.partition(":")
    version, _, marker = spec.partition("; ")
    markers = [m for m in (marker.strip(), key_marker.strip()) if m]
    clauses = [f"({m})" for m in markers] if len(markers) + bool(extra) > 1 else markers
    if extra:
        clauses.append(f'extra == "{extra}"')
    return f"{version}; {' and '.join(clauses)}" if clauses else version


def requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line, requirement) of a pip requirements file, without comments and options; URL and VCS
    lines (also after -e) are kept as they are."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        line = _COMMENT.sub("", pending + raw).strip()
        pending = ""
        if not line:
            continue
        if line.startswith("-"):
            option, _, target = line.partition(" ")
            if option in ("-e", "--editable") and _URL.match(target.strip()):
                yield start, target.strip()
            continue
        yield start, _TRAILING_OPTIONS.sub("", line)


def add_requirement_line(
    found: Found, text: str, kind: str, path: str, line: int | None, extra: str | None = None
) -> None:
    """A requirements-file line: a URL, VCS or archive path is kept whole as the spec."""
    if _URL.match(text) or text.startswith((".", "/")):
        egg = re.search(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)", text)
        archive = _ARCHIVE_NAME.match(text.split("#")[0].rstrip("/").rpartition("/")[2])
        name = egg.group(1) if egg else archive.group(1) if archive else text
        found.dependencies.append(Dependency(ECOSYSTEM, name, text, kind, path, line))
    else:
        add_requirement(found, text, kind, path, line, extra)


def scan_requirements(member: Member, found: Found) -> None:
    text = found.text(member)
    if text is not None:
        for line, requirement in requirement_lines(text):
            add_requirement_line(found, requirement, "requirements", member.path, line)


def member_path(folder: str, name: str) -> str | None:
    """The member path a file name written in a manifest means, relative to its folder."""
    name = name.strip()
    if not name or name.startswith("/"):
        return None
    return posixpath.normpath(posixpath.join(folder, name)) if folder else posixpath.normpath(name)


def file_member(members: Sequence[Member], folder: str, name: str) -> Member | None:
    wanted = member_path(folder, name)
    return next((member for member in members if member.path == wanted), None)


# --- .pth -------------------------------------------------------------------------------------


def scan_pth(member: Member, found: Found) -> None:
    """site.py executes every line of a .pth file that starts with 'import' at interpreter start."""
    text = found.text(member)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("import ", "import\t")):
            found.install_hooks.append(InstallHook("pth", line.strip()[:200], member.path, number))


# --- PKG-INFO / METADATA ----------------------------------------------------------------------


def scan_metadata(member: Member, found: Found) -> None:
    text = found.text(member)
    if text is None:
        return
    end = re.search(r"\n[ \t]*\r?\n", text)  # the body (long description) is not needed
    headers: list[tuple[str, list[str], int]] = []  # name, value and continuation lines, line
    for number, raw in enumerate(text[: end.start() if end else len(text)].splitlines(), 1):
        if raw[:1] in (" ", "\t"):
            if headers:
                headers[-1][1].append(raw.strip())
            continue
        name, colon, value = raw.partition(":")
        if colon:
            headers.append((name.strip().lower(), [value.strip()], number))
        elif raw.strip():
            found.problem(member.path, f"line {number}: not a header")
    first = {name: " ".join(parts) for name, parts, _ in reversed(headers)}
    found.manifests.append(
        Manifest(
            ECOSYSTEM, member.path, first.get("name"), first.get("version"), first.get("summary")
        )
    )
    for name, parts, line in headers:
        if name == "requires-dist":
            add_requirement(found, " ".join(parts), "install_requires", member.path, line)


# --- setup.cfg --------------------------------------------------------------------------------


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]\[]*?)\s*\]\]?\s*(?:[#;].*)?$")
_QUOTED = re.compile(r"""(["'])((?:(?!\1).)*)\1""")
_TOML_KEY = re.compile(r"""^\s*(["']?)([^"'=]+?)\1\s*=""")
_INI_KEY = re.compile(r"^\s*[\w.:-]+\s*[=:]\s*")


class _Lines:
    """Finds the line where a value is written in an INI or TOML file, preferring its section.
    Each kind of value is indexed once: a file with many entries stays linear."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []
        for index, line in enumerate(self.lines):
            if line.lstrip().startswith("["):
                header = _HEADER.match(line)
                if header:
                    self.headers.append((index, header.group(1).replace(" ", "").replace('"', "")))
        self.indexes: dict[str, dict[str, list[int]]] = {}
        self.sections: dict[str, list[tuple[int, int]]] = {}

    def _index(self, kind: str) -> dict[str, list[int]]:
        if kind not in self.indexes:
            index: dict[str, list[int]] = {}
            for number, line in enumerate(self.lines):
                if kind == "quoted":  # TOML strings
                    values = [match.group(2) for match in _QUOTED.finditer(line)]
                elif kind == "key":  # TOML keys
                    key = _TOML_KEY.match(line)
                    values = [key.group(2).strip()] if key else []
                else:  # INI list items, alone on a line or after `key =`
                    values = [line.strip(), _INI_KEY.sub("", line, count=1).strip()]
                for value in values:
                    places = index.setdefault(value, [])
                    if not places or places[-1] != number:
                        places.append(number)
            self.indexes[kind] = index
        return self.indexes[kind]

    def find(self, section: str, kind: str, value: str) -> int | None:
        """1-based line of `value` inside `section` (or the nearest enclosing section that has a
        header), else anywhere, else None."""
        places = self._index(kind).get(value)
        if not places:
            return None
        for start, stop in self._ranges(section):
            first = bisect.bisect_right(places, start)
            if first < len(places) and places[first] < stop:
                return places[first] + 1
        return places[0] + 1

    def _ranges(self, section: str) -> list[tuple[int, int]]:
        """(header line, end) of the section's tables, else of its nearest enclosing one's."""
        if section not in self.sections:
            ranges: list[tuple[int, int]] = []
            name = section
            while name and not ranges:
                for number, (index, header) in enumerate(self.headers):
                    if header == name:
                        following = self.headers[number + 1 : number + 2]
                        ranges.append((index, following[0][0] if following else len(self.lines)))
                name = name.rpartition(".")[0]
            self.sections[section] = ranges
        return self.sections[section]


def _cfg_value(value: str | None) -> str | None:
    if value is None or value.startswith(("attr:", "file:")):
        return None  # computed by setuptools at build time
    return value.strip() or None


def _cfg_requirements(
    value: str, folder: str, members: Sequence[Member], found: Found
) -> Iterator[tuple[str, str, int | None]]:
    """(requirement, file, line) of a setup.cfg list, following `file:` to requirement files."""
    if value.strip().startswith("file:"):
        for name in value.strip()[5:].split(","):
            target = file_member(members, folder, name)
            text = found.text(target) if target is not None else None
            if target is not None and text is not None:
                for line, requirement in requirement_lines(text):
                    yield requirement, target.path, line
        return
    # setuptools splits on newlines, or on ';' when the value is one line.
    for item in value.splitlines() if "\n" in value else value.split(";"):
        item = item.strip()
        if item and not item.startswith("#"):
            yield item, "", None


def scan_setup_cfg(member: Member, members: Sequence[Member], found: Found) -> None:
    text = found.text(member)
    if text is None:
        return
    config = configparser.RawConfigParser(strict=False, comment_prefixes=("#", ";"))
    config.optionxform = str  # type: ignore[assignment,method-assign]  # keep extras' case
    try:
        config.read_string(text)
    except (configparser.Error, ValueError) as error:
        found.problem(member.path, f"invalid setup.cfg: {str(error).splitlines()[0]}")
        return
    if not (config.has_section("metadata") or config.has_section("options")):
        return  # a tools-only setup.cfg (flake8, pytest...)
    path = member.path
    folder = path.rpartition("/")[0]
    lines = _Lines(text)
    found.manifests.append(
        Manifest(
            ECOSYSTEM,
            path,
            _cfg_value(config.get("metadata", "name", fallback=None)),
            _cfg_value(config.get("metadata", "version", fallback=None)),
            _cfg_value(config.get("metadata", "description", fallback=None)),
        )
    )
    sources: list[tuple[str, str, str | None]] = [
        ("options", key, None) for key in ("install_requires", "setup_requires")
    ]
    if config.has_section("options.extras_require"):
        sources += [
            ("options.extras_require", extra, extra)
            for extra in config.options("options.extras_require")
        ]
    for section, key, extra in sources:
        value = config.get(section, key, fallback=None)
        if not value:
            continue
        kind = key if extra is None else "extras_require"
        for requirement, file, line in _cfg_requirements(value, folder, members, found):
            if file:
                add_requirement_line(found, requirement, kind, file, line, extra)
            else:
                add_requirement(
                    found,
                    requirement,
                    kind,
                    path,
                    lines.find(section, "item", requirement),
                    extra,
                )


# --- pyproject.toml ---------------------------------------------------------------------------


def _table(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = doc.get(key)
        if not isinstance(value, dict):
            return {}
        doc = value
    return doc


def _toml_strings(
    value: object,
    kind: str,
    section: str,
    path: str,
    lines: _Lines,
    found: Found,
    extra: str | None = None,
) -> None:
    if not isinstance(value, list):
        found.problem(path, f"'{section}' {kind} is not a list")
        return
    for item in value:
        if isinstance(item, str):
            add_requirement(found, item, kind, path, lines.find(section, "quoted", item), extra)
        else:
            found.problem(path, f"'{section}' {kind} holds a non-string")


def _poetry_spec(value: object) -> str:
    """Poetry writes a version string, a table (version, git, url, path...) or a list of tables."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("version", "git", "url", "path", "file"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return ""
    if isinstance(value, list):
        return " || ".join(spec for spec in map(_poetry_spec, value) if spec)
    return ""


def scan_pyproject(member: Member, found: Found) -> None:
    text = found.text(member)
    if text is None:
        return
    path = member.path
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as error:
        found.problem(path, f"invalid TOML: {error}")
        return
    lines = _Lines(text)
    project = _table(doc, "project")
    poetry = _table(doc, "tool", "poetry")
    if project or poetry:
        identity = project or poetry

        def text_of(key: str) -> str | None:
            value = identity.get(key)
            return value if isinstance(value, str) else None

        found.manifests.append(
            Manifest(ECOSYSTEM, path, text_of("name"), text_of("version"), text_of("description"))
        )
    if "dependencies" in project:
        _toml_strings(project["dependencies"], "dependencies", "project", path, lines, found)
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, dict):
        for extra, value in optional.items():
            _toml_strings(
                value, "extras_require", "project.optional-dependencies", path, lines, found, extra
            )
    build = _table(doc, "build-system")
    if "requires" in build:
        _toml_strings(build["requires"], "build-system", "build-system", path, lines, found)
    section = "tool.poetry.dependencies"
    for name, value in _table(doc, "tool", "poetry", "dependencies").items():
        if name.lower() == "python":
            continue  # the interpreter constraint, not a package
        line = lines.find(section, "key", name)
        found.dependencies.append(
            Dependency(ECOSYSTEM, name, _poetry_spec(value), "dependencies", path, line)
        )
