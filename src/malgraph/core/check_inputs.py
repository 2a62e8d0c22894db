"""What `malgraph check` reads from a project: the packages its manifests, lockfiles and SBOMs
name, the package archives it was given, and the files it could not read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dependency:
    """One package a project file names.

    `ecosystem` is OSV's spelling ("npm", "PyPI", "RubyGems"); `name` is as the file writes it
    (the check canonicalises it). `version` is the exact version a lockfile or SBOM pins, or
    None where the file gives only a range (`spec`, as written) or nothing. `path` is the
    chain of package names from a direct dependency down to this one, where the lockfile
    tells it (empty for a direct dependency or when unknown)."""

    ecosystem: str
    name: str
    version: str | None
    file: str
    spec: str | None = None
    path: tuple[str, ...] = ()
    direct: bool | None = None


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file (or one entry of it) that could not be read, and why."""

    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything read from the paths given to `malgraph check`.

    `files` lists every manifest, lockfile and SBOM read (in the order read); `archives` the
    package archives to identify and compare by code (their bytes are read by the check, under
    its size caps)."""

    dependencies: tuple[Dependency, ...]
    archives: tuple[str, ...]
    problems: tuple[InputProblem, ...]
    files: tuple[str, ...]
