"""Which package-version an archive is: the ecosystem, name and version its own metadata gives
(package.json, PKG-INFO / METADATA, a gem's metadata), checked against what its place says.
Pure: the archive's bytes (read in memory under the caps, never unpacked or run) and a path
reading in; an identity, or the reason there is none, out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from malgraph.analysis import npm_manifest, python_manifest, ruby_manifest
from malgraph.analysis.analyze import DEFAULT_LIMITS, SAMPLE_PASSWORD
from malgraph.analysis.manifest_types import Found
from malgraph.artifacts.archives import ArchiveError, Contents, Limits, Member, read_archive
from malgraph.artifacts.layouts import PathReading, same_package
from malgraph.core.code import Manifest
from malgraph.core.identity import UnsafeName, canonical_name, canonical_version, check_name

MAX_NAME = 256  # longer than any registry allows
MAX_VERSION = 128
_UNFIT = re.compile(r"[\x00-\x20\x7f-\x9f]")  # control characters and spaces: no registry allows
_PYTHON_BUILD_FILES = frozenset({"setup.py", "setup.cfg", "pyproject.toml"})


@dataclass(frozen=True, slots=True)
class Identity:
    ecosystem: str
    name: str  # as the metadata (or the path) writes it
    version: str
    by: str  # 'metadata' or 'path'
    evidence: str  # the metadata file read, or the path layout
    detected: str | None  # when the layout says the sample was detected (DataDog)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unplaced:
    reason: str
    unreadable: bool = False  # no readable archive at all (vs. read, but nothing to place it)


def identify(
    data: bytes, filename: str, place: PathReading, limits: Limits = DEFAULT_LIMITS
) -> Identity | Unplaced:
    """Metadata wins over the path, with a warning when they disagree; with no usable metadata
    the path decides, if it reads one way only. Anything else is unplaced, never guessed."""
    try:
        contents = read_archive(data, filename, password=SAMPLE_PASSWORD, limits=limits)
    except ArchiveError as exc:
        return Unplaced(str(exc), unreadable=True)
    manifests = _nearest_manifests(contents)
    if place.ecosystem and any(m.ecosystem == place.ecosystem for m in manifests):
        manifests = [m for m in manifests if m.ecosystem == place.ecosystem]
    complete = {_key(m): m for m in manifests if m.name and m.version}
    if len(complete) > 1:
        said = "; ".join(
            f"{m.ecosystem} {m.name} {m.version} ({m.file})" for m in complete.values()
        )
        return Unplaced(f"its metadata names several packages: {said}")
    if complete:
        return _by_metadata(next(iter(complete.values())), place)
    return _by_path(contents, manifests, place)


def _key(m: Manifest) -> tuple[str, str, str]:
    eco = m.ecosystem
    return eco, canonical_name(eco, m.name or ""), canonical_version(eco, m.version or "")


def _by_metadata(manifest: Manifest, place: PathReading) -> Identity | Unplaced:
    assert manifest.name and manifest.version
    problem = _unfit(manifest.name, manifest.version)
    if problem:
        return Unplaced(f"{manifest.file}: {problem}")
    warnings = []
    said = (manifest.name, manifest.version)
    if place.ecosystem and place.ecosystem != manifest.ecosystem:
        warnings.append(
            f"metadata ({manifest.file}) says {manifest.ecosystem}, its place "
            f"({place.layout}) says {place.ecosystem}: metadata taken"
        )
    if place.readings and not any(same_package(said, r) for r in place.readings):
        path_says = " or ".join(f"{n} {v}" for n, v in place.readings)
        warnings.append(
            f"metadata ({manifest.file}) says {said[0]} {said[1]}, its place "
            f"({place.layout}) says {path_says}: metadata taken"
        )
    return Identity(
        manifest.ecosystem,
        manifest.name,
        manifest.version,
        "metadata",
        manifest.file,
        place.detected,
        tuple(warnings),
    )


def _by_path(
    contents: Contents, manifests: list[Manifest], place: PathReading
) -> Identity | Unplaced:
    stopped = f" (reading stopped early: {contents.capped})" if contents.capped else ""
    partial = [f"{m.file} gives no {'name' if not m.name else 'version'}" for m in manifests]
    why = "; ".join(partial) if partial else "no metadata (package.json, PKG-INFO, METADATA, gem)"
    ecosystems = {m.ecosystem for m in manifests}
    ecosystem = place.ecosystem or (ecosystems.pop() if len(ecosystems) == 1 else None)
    if ecosystem is None and _has_python_build_file(contents.members):
        ecosystem = python_manifest.ECOSYSTEM
    if not place.readings:
        return Unplaced(f"{why}, and its path names no package-version{stopped}")
    if len(place.readings) > 1:
        ways = " or ".join(f"{n} {v}" for n, v in place.readings)
        return Unplaced(f"{why}, and its path reads several ways: {ways}{stopped}")
    if ecosystem is None:
        return Unplaced(f"{why}, and neither its contents nor its path say the ecosystem{stopped}")
    (name, version) = place.readings[0]
    problem = _unfit(name, version)
    if problem:
        return Unplaced(f"its path ({place.layout}): {problem}")
    warnings = (f"{why}: placed by its path ({place.layout})",) if partial else ()
    return Identity(ecosystem, name, version, "path", place.layout, place.detected, warnings)


def _nearest_manifests(contents: Contents) -> list[Manifest]:
    """The identity manifests nearest the archive's root: the package's own, not those of
    packages it bundles (node_modules, vendored sdists) or of its build tooling."""
    found = Found()
    package_jsons = []
    for member in contents.members:
        folder, _, base = member.path.rpartition("/")
        if base == "package.json" and "node_modules" not in member.path.split("/"):
            package_jsons.append(member)
        elif base == "PKG-INFO" or (base == "METADATA" and folder.endswith(".dist-info")):
            python_manifest.scan_metadata(member, found)
        elif base == "metadata" and b"Gem::Specification" in member.data[:256]:
            ruby_manifest.scan_metadata(member, found)
    npm_manifest.scan(package_jsons, frozenset(), found)
    if contents.metadata is not None:  # a .gem's metadata.gz: the gem's own, at its root
        ruby_manifest.scan_metadata(Member("metadata", contents.metadata), found)
    if not found.manifests:
        return []
    nearest = min(m.file.count("/") for m in found.manifests)
    return [m for m in found.manifests if m.file.count("/") == nearest]


def _has_python_build_file(members: tuple[Member, ...]) -> bool:
    return any(
        m.path.rpartition("/")[2] in _PYTHON_BUILD_FILES and m.path.count("/") <= 1 for m in members
    )


def _unfit(name: str, version: str) -> str | None:
    """Why a name or version cannot be a registry's (control characters, spaces, length)."""
    for label, text, longest in (("name", name, MAX_NAME), ("version", version, MAX_VERSION)):
        if _UNFIT.search(text):
            return f"the {label} {text!r} has control characters or spaces"
        try:  # format characters too (bidi overrides, zero-width): one rule with ingest's
            check_name(text, label)
        except UnsafeName as exc:
            return str(exc)
        if len(text) > longest:
            return f"the {label} is longer than {longest} characters"
    return None
