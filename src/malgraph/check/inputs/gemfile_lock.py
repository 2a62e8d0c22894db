"""Bundler's `Gemfile.lock`.

Sections start at column 0. GEM, GIT and PATH sections list their gems under "  specs:" as
four-space `name (version)` lines, each followed by six-space lines naming what it depends
on; DEPENDENCIES lists the Gemfile's own (direct) gems, "!" marking one from a GIT or PATH
source. A version may carry a platform ("1.15.4-x86_64-linux"); RubyGems versions contain no
"-", so the platform is what follows the first one, and the platform variants of a gem are
one version. A PATH gem is the project's own code: it is no dependency, but what it depends
on is direct. A GIT gem is no registry release: it keeps its source as `spec`. No parser
library for this format is maintained on PyPI; its grammar is small and fixed by Bundler."""

from __future__ import annotations

import re

from malgraph.check.inputs.chains import shortest_chains
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency

ECOSYSTEM = "RubyGems"
_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_CHILD = re.compile(r"^      (\S+)(?: \(.*\))?$")
_DIRECT = re.compile(r"^  (\S+?)!?(?: \(.*\))?$")
_SOURCES = ("GEM", "GIT", "PATH")


class _Gem:
    __slots__ = ("children", "name", "source", "spec", "version")

    def __init__(self, name: str, version: str | None, spec: str | None, source: str):
        self.name = name
        self.version = version
        self.spec = spec
        self.source = source
        self.children: list[str] = []


def parse_gemfile_lock(file: str, data: bytes) -> list[Dependency]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableInput(f"not UTF-8 text: {error.reason}") from error
    gems, declared = _read_sections(text)
    if not gems and not declared:
        raise UnreadableInput("not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES section")
    local = {g.name: g for g in gems if g.source == "PATH"}
    direct = {c for n in declared for c in (local[n].children if n in local else [n])}
    edges: dict[str, list[str]] = {}
    for gem in gems:
        edges.setdefault(gem.name, []).extend(gem.children)
    chains = shortest_chains(sorted(direct - set(local)), edges, lambda name: name)
    found: dict[tuple[str, str | None], Dependency] = {}
    for gem in gems:
        if gem.source == "PATH":
            continue
        chain = chains.get(gem.name)
        found.setdefault(
            (gem.name, gem.version),
            Dependency(
                ECOSYSTEM,
                gem.name,
                gem.version,
                file,
                spec=gem.spec,
                path=chain or (),
                direct=None if chain is None else chain == (),
            ),
        )
    return list(found.values())


def _read_sections(text: str) -> tuple[list[_Gem], list[str]]:
    gems: list[_Gem] = []
    declared: list[str] = []
    section = ""
    remote = revision = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section, remote, revision = line.strip(), "", ""
        elif section in _SOURCES:
            if line.startswith("  remote: "):
                remote = line.split(": ", 1)[1]
            elif line.startswith("  revision: "):
                revision = line.split(": ", 1)[1]
            elif spec := _SPEC.match(line):
                gems.append(_gem(spec.group(1), spec.group(2), section, remote, revision))
            elif (child := _CHILD.match(line)) and gems:
                gems[-1].children.append(child.group(1))
        elif section == "DEPENDENCIES" and (entry := _DIRECT.match(line)):
            declared.append(entry.group(1))
    return gems, declared


def _gem(name: str, version: str, section: str, remote: str, revision: str) -> _Gem:
    if section == "GIT":
        return _Gem(name, None, f"git: {remote}" + (f"@{revision}" if revision else ""), section)
    if section == "PATH":
        return _Gem(name, None, f"path: {remote}", section)
    return _Gem(name, version.split("-", 1)[0], None, section)
