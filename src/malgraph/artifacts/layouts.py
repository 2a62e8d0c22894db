"""What an archive's place in a folder says it is: DataDog's sample tree, pypi_malregistry's
`name/version/file` tree, or a file name as registries write them. Pure: a path in, readings out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from malgraph.artifacts.local import name_version_readings
from malgraph.core.datadog_samples import INTENTS, sample_place

_SUFFIX_ECOSYSTEMS = ((".whl", "PyPI"), (".gem", "RubyGems"))
_LOOSE_NAME = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class PathReading:
    layout: str  # 'datadog sample', 'name/version/file', 'file name', or 'none'
    ecosystem: str | None  # when the place says it (DataDog's folder, a .whl or .gem)
    readings: tuple[tuple[str, str], ...]  # (name, version) the place allows; one: unambiguous
    detected: str | None = None  # DataDog's detection date, from the sample's file name


def read_place(parts: Sequence[str], depth: int) -> PathReading:
    """`parts`: the archive's absolute path, split; `depth`: how many of the last parts lie
    inside the folder given (a DataDog tree is recognised above it too, since a user may give
    `samples/npm`; `name/version/file` only inside it, since folders above are anyone's)."""
    filename = parts[-1]
    sample = _datadog_sample(parts)
    if sample is not None:
        return sample
    ecosystem = next(
        (eco for suffix, eco in _SUFFIX_ECOSYSTEMS if filename.lower().endswith(suffix)), None
    )
    from_name = name_version_readings(filename)
    folder = (parts[-3], parts[-2]) if depth >= 3 and _version_like(parts[-2]) else None
    if folder is None:
        return PathReading("file name" if from_name else "none", ecosystem, tuple(from_name))
    if not from_name or any(same_package(folder, reading) for reading in from_name):
        return PathReading("name/version/file", ecosystem, (folder,))
    return PathReading("name/version/file", ecosystem, (folder, *from_name))


def same_package(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two (name, version) readings agree, whatever the ecosystem: names compared the
    loosest way a registry compares them (PEP 503), versions without a leading 'v'."""
    return _loose_name(a[0]) == _loose_name(b[0]) and _loose_version(a[1]) == _loose_version(b[1])


def _loose_name(name: str) -> str:
    return _LOOSE_NAME.sub("-", name.strip()).lower()


def _loose_version(version: str) -> str:
    version = version.strip().lower()
    return version[1:] if version[:1] == "v" and version[1:2].isdigit() else version


def _version_like(text: str) -> bool:
    return text[:1].isdigit() or (text[:1] in "vV" and text[1:2].isdigit())


def _datadog_sample(parts: Sequence[str]) -> PathReading | None:
    """A sample of DataDog's tree (its layout is read by core.datadog_samples), found by the last
    intent folder on the path."""
    intent = next((i for i in range(len(parts) - 1, -1, -1) if parts[i] in INTENTS), None)
    if intent is None or intent < 1 or len(parts) - intent < 4:
        return None
    ecosystem, name, version, detected = sample_place(parts, intent)
    if ecosystem is None:
        return None
    return PathReading("datadog sample", ecosystem, ((name, version),), detected)
