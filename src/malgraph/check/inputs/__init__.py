"""Reading a project for `malgraph check`: find its manifests, lockfiles, SBOMs and package
archives (in directories, or as given), parse each with the parser its file name calls for,
and report a file that cannot be read without losing the others.

Project files are untrusted input: each is read under a size cap and parsed as data only."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path

from malgraph.check.inputs.files import MAX_PROJECT_FILE_BYTES, read_capped
from malgraph.check.inputs.gemfile_lock import parse_gemfile_lock
from malgraph.check.inputs.npm_lock import parse_package_lock
from malgraph.check.inputs.npm_manifest import parse_package_json
from malgraph.check.inputs.pnpm_lock import parse_pnpm_lock
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.check.inputs.python_locks import (
    parse_pipfile_lock,
    parse_poetry_lock,
    parse_uv_lock,
)
from malgraph.check.inputs.python_manifest import parse_pipfile, parse_pyproject
from malgraph.check.inputs.python_requirements import parse_requirements
from malgraph.check.inputs.sbom import parse_sbom
from malgraph.check.inputs.yarn_lock import parse_yarn_lock
from malgraph.core.check_inputs import Dependency, InputProblem, Inputs

# A parser returns what it read; a format with parts in other files (requirements includes)
# also returns the problems of the parts it could not read, beside what it could.
Parser = Callable[[str, bytes], Sequence[Dependency | InputProblem]]

# File-name patterns and their parser, matched case-sensitively on the base name, or on
# "folder/name" for a pattern with a slash. The first pattern that matches wins.
__all__ = ["MAX_PROJECT_FILE_BYTES", "PARSERS", "is_archive", "parser_for", "read_inputs"]

PARSERS: tuple[tuple[str, Parser], ...] = (
    ("package-lock.json", parse_package_lock),
    ("npm-shrinkwrap.json", parse_package_lock),
    ("yarn.lock", parse_yarn_lock),
    ("pnpm-lock.yaml", parse_pnpm_lock),
    ("package.json", parse_package_json),
    ("poetry.lock", parse_poetry_lock),
    ("uv.lock", parse_uv_lock),
    ("Pipfile.lock", parse_pipfile_lock),
    ("Pipfile", parse_pipfile),
    ("pyproject.toml", parse_pyproject),
    ("requirements*.txt", parse_requirements),
    ("requirements*.in", parse_requirements),
    ("requirements/*.txt", parse_requirements),
    ("requirements/*.in", parse_requirements),
    ("Gemfile.lock", parse_gemfile_lock),
    ("bom.json", parse_sbom),
    ("sbom.json", parse_sbom),
    ("*.cdx.json", parse_sbom),
    ("*.bom.json", parse_sbom),
    ("*.spdx.json", parse_sbom),
)
# A file named explicitly whose name is not in PARSERS: a JSON file is read as an SBOM, which
# its content must then say it is (`bomFormat` or `spdxVersion`). A text file is not guessed
# to be a requirements file: any word on a line reads as a requirement.
EXPLICIT_PARSERS: tuple[tuple[str, Parser], ...] = (("*.json", parse_sbom),)
# A manifest beside one of these lockfiles (same folder, same ecosystem) is left out: the
# lockfile pins what the manifest's ranges allow, and a range would only repeat a pinned entry.
SUPERSEDED_BY: dict[str, tuple[str, ...]] = {
    "package.json": ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"),
    "pyproject.toml": ("poetry.lock", "uv.lock"),
    "Pipfile": ("Pipfile.lock",),
}
# Package archives: read by the check itself (identified and compared by code).
ARCHIVE_PATTERNS = ("*.tgz", "*.tar.gz", "*.tar.bz2", "*.whl", "*.zip", "*.gem")
# Folders never searched inside a directory: installed copies, caches and VCS data. What is
# installed there is what the lockfile beside them pins.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox"}
)


def parser_for(path: Path | str) -> Parser | None:
    """The parser for a project file of this name (a bare name, or a path whose folder counts
    for "requirements/*.txt"), or None if it is no file we read."""
    path = Path(path)
    base_name = path.name
    in_folder = f"{path.parent.name}/{base_name}"
    for pattern, parse in PARSERS:
        if fnmatch(in_folder if "/" in pattern else base_name, pattern):
            return parse
    return None


def is_archive(base_name: str) -> bool:
    return any(fnmatch(base_name.lower(), pattern) for pattern in ARCHIVE_PATTERNS)


def read_inputs(paths: Sequence[Path]) -> Inputs:
    """Read every project file and list every archive under `paths`. A directory is searched
    (SKIPPED_DIRS aside) for files we know; a file named explicitly is read even if its name
    is unusual, as an archive if it looks like one, else it is a problem. A manifest is left
    out where a lockfile beside it was read (SUPERSEDED_BY)."""
    read: dict[Path, list[Dependency]] = {}
    archives: list[str] = []
    problems: list[InputProblem] = []
    for path, explicit in _candidates(paths, problems):
        if is_archive(path.name):
            archives.append(str(path))
            continue
        parse = parser_for(path) or (_explicit_parser(path) if explicit else None)
        if parse is None:
            if explicit:
                problems.append(
                    InputProblem(
                        str(path), "not a manifest, lockfile, SBOM or archive malgraph reads"
                    )
                )
            continue
        try:
            found = parse(str(path), read_capped(path))
        except UnreadableInput as error:
            problems.append(InputProblem(str(path), str(error)))
            continue
        read[path] = [item for item in found if isinstance(item, Dependency)]
        problems.extend(item for item in found if isinstance(item, InputProblem))
    kept = [path for path in read if not _superseded(path, read)]
    dependencies = dict.fromkeys(d for path in kept for d in read[path])  # once, in order
    return Inputs(
        tuple(dependencies),
        tuple(archives),
        tuple(dict.fromkeys(problems)),
        tuple(str(path) for path in kept),
    )


def _explicit_parser(path: Path) -> Parser | None:
    return next((parse for pattern, parse in EXPLICIT_PARSERS if fnmatch(path.name, pattern)), None)


def _superseded(path: Path, read: dict[Path, list[Dependency]]) -> bool:
    """A manifest with its lockfile beside it; a pip-tools source (`.in`) with the `.txt`
    compiled from it."""
    if path.suffix == ".in" and path.with_suffix(".txt") in read:
        return True
    return any(path.with_name(lock) in read for lock in SUPERSEDED_BY.get(path.name, ()))


def _candidates(paths: Iterable[Path], problems: list[InputProblem]) -> Iterator[tuple[Path, bool]]:
    for path in paths:
        if path.is_dir():
            yield from ((found, False) for found in _walk(path))
        elif path.is_file():
            yield path, True
        else:
            problems.append(InputProblem(str(path), "no such file or directory"))


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(folder, name)
            if parser_for(path) is not None or is_archive(name):
                yield path
