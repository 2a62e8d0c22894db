"""What static analysis finds in one artifact: plain frozen values, stored as they are. They
live in core because the analysers make them and the store keeps them, and neither of those
imports the other. Also what the code steps read back (store.read.code): the package-versions
without code, what registries said, the archives to analyse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from malgraph.core.kinds import (
    AnalysisStatus,
    CodeLanguage,
    FindingCategory,
    ImportKind,
    IocKind,
    ObfuscationKind,
)

# Bump when extraction changes, so `malgraph analyze` redoes artifacts analysed by older rules.
# 2: snippets of imports and dependencies; 3: IoCs not from docs; 4: long encoded strings
# described, budgets in work units
ANALYZER_VERSION = 4


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str
    sha256: str
    size: int
    language: CodeLanguage | None  # None for anything else
    normalised_sha256: str | None  # of the file's normalised token stream (code files only)
    tokens: int  # length of that stream


@dataclass(frozen=True, slots=True)
class Manifest:
    ecosystem: str  # npm, PyPI, RubyGems
    file: str  # package.json, setup.py, setup.cfg, pyproject.toml, PKG-INFO, *.gemspec, metadata
    name: str | None
    version: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class Dependency:
    ecosystem: str
    name: str  # as written
    spec: str  # version spec as written ('' when none)
    kind: str  # dependencies, devDependencies, optionalDependencies, peerDependencies,
    # bundledDependencies, install_requires, extras_require, setup_requires, build-system,
    # requirements, runtime, development
    file: str
    line: int | None
    snippet: str = ""  # the manifest line, trimmed (filled in by analysis.analyze)


@dataclass(frozen=True, slots=True)
class InstallHook:
    kind: str  # npm: preinstall/install/postinstall/prepare...; PyPI: cmdclass, setup-code;
    # RubyGems: extensions
    detail: str  # the command, class or file
    file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # as written: 'os.path', 'child_process', 'node:fs', '@scope/pkg/sub', './x'
    kind: ImportKind
    relative: bool
    file: str
    line: int
    snippet: str = ""  # the source line, trimmed


@dataclass(frozen=True, slots=True)
class Finding:
    category: FindingCategory
    api: str  # e.g. 'subprocess.Popen', 'child_process.exec', 'eval', 'base64.b64decode'
    file: str
    line: int
    snippet: str  # the source line, trimmed to 200 characters


@dataclass(frozen=True, slots=True)
class CodeIoc:
    kind: IocKind  # url, webhook, domain or ip: the kinds code is searched for
    value: str
    as_written: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class ObfuscationSign:
    sign: ObfuscationKind
    file: str
    line: int | None
    value: float  # entropy in bits per byte, string length, or longest line
    detail: str


@dataclass(frozen=True, slots=True)
class Features:
    files: tuple[FileFacts, ...]
    manifests: tuple[Manifest, ...]
    dependencies: tuple[Dependency, ...]
    install_hooks: tuple[InstallHook, ...]
    imports: tuple[Import, ...]
    findings: tuple[Finding, ...]
    iocs: tuple[CodeIoc, ...]
    obfuscation: tuple[ObfuscationSign, ...]
    tokens: str  # normalised token stream of all code files, space-separated, files by path
    problems: tuple[str, ...]  # '<file>: <reason>' for files that could not be fully parsed


@dataclass(frozen=True, slots=True)
class Analysis:
    status: AnalysisStatus
    format: str | None
    reason: str | None
    skipped: tuple[tuple[str, str], ...]  # (path, reason) of members refused
    features: Features | None


def token_digest(tokens: list[str]) -> str:
    """sha256 hex of a normalised token stream, '\\x00'-joined (FileFacts.normalised_sha256):
    equal for files that differ only in names, literals, layout and comments."""
    return hashlib.sha256("\x00".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()


class VersionRef(NamedTuple):
    """A package-version to fetch code for."""

    id: int
    ecosystem: str
    name: str  # PyPI: PEP 503 (its APIs accept it); else as sources spell it most often, since
    version: str  # npm has legacy mixed-case names (`JSONStream`): a wrong case looks removed


class Removal(NamedTuple):
    """A registry whose latest word on a package-version is that it was removed."""

    version_id: int
    registry: str


class ArchivePlaces(NamedTuple):
    """An archive content, and every place a copy of it lies."""

    sha256: str
    places: tuple[str, ...]


class HeldArtifact(NamedTuple):
    """An archive a document holds."""

    sha256: str
    location: str
    detected: str | None
