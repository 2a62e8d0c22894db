"""Archives in local folders: the `name/version/file` layout of pypi_malregistry, or loose files
named as registries name them (`name-1.0.tar.gz`, `name-1.0-py3-none-any.whl`, `name-1.0.gem`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ARCHIVE_SUFFIXES = (".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl", ".gem")


@dataclass(frozen=True, slots=True)
class LocalArchive:
    path: Path
    candidates: tuple[tuple[str, str], ...]  # (name, version) readings, most likely first


def local_archives(folder: Path) -> Iterator[LocalArchive]:
    """Every archive under `folder` with the (name, version) pairs its place and name allow;
    the store decides which pair is a package-version it knows."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink() or not path.name.endswith(ARCHIVE_SUFFIXES):
            continue
        candidates: list[tuple[str, str]] = []
        relative = path.relative_to(folder).parts
        if len(relative) >= 3:  # name/version/file
            candidates.append((relative[-3], relative[-2]))
        candidates += [c for c in name_version_readings(path.name) if c not in candidates]
        yield LocalArchive(path, tuple(candidates))


def name_version_readings(filename: str) -> list[tuple[str, str]]:
    """Each split of an archive's file name into name and version: at every '-' followed by a
    digit (`left-pad-1.3.0.tgz`, `foo-2-bar-1.0.tar.gz` are both ambiguous without the store)."""
    stem = filename
    for suffix in ARCHIVE_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if filename.endswith(".whl"):  # name-version(-build)?-python-abi-platform
        parts = stem.split("-")
        return [(parts[0], parts[1])] if len(parts) >= 5 else []
    readings = []
    for at, char in enumerate(stem):
        if char == "-" and at + 1 < len(stem) and stem[at + 1].isdigit() and at > 0:
            readings.append((stem[:at], stem[at + 1 :]))
    if filename.endswith(".gem"):  # name-version-platform: drop a platform suffix as well
        readings += [
            (name, version.split("-", 1)[0]) for name, version in readings if "-" in version
        ]
    return readings
