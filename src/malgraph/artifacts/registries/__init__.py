"""Download-only registry clients: ask each mirror in turn for one package-version's archive and
keep what every mirror said, so a removal seen on one and a survivor on another are both kept."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from malgraph.artifacts.registries import npm, pypi, rubygems
from malgraph.artifacts.registries.http import Downloader, DownloadError, HttpStatusError
from malgraph.artifacts.registries.release import Listed, MetadataError, Removed, Shape
from malgraph.core.errors import MalgraphError
from malgraph.core.kinds import RegistryStatus

__all__ = [
    "DEFAULT_MIRRORS",
    "REGISTRIES",
    "Download",
    "DownloadError",
    "Downloader",
    "FetchResult",
    "HttpStatusError",
    "Observation",
    "UnknownEcosystemError",
    "fetch",
]

DEFAULT_MIRRORS: dict[str, list[str]] = {
    "npm": ["https://registry.npmjs.org"],
    "PyPI": ["https://pypi.org"],
    "RubyGems": ["https://rubygems.org"],
}

# Ecosystem (as OSV spells it) -> the module that knows that registry's API shape.
REGISTRIES: dict[str, Shape] = {"npm": npm, "PyPI": pypi, "RubyGems": rubygems}

# A package that is gone answers 404 (or 410): that is the registry's word, not a failure.
_GONE = (404, 410)


class UnknownEcosystemError(MalgraphError):
    """fetch() was asked for an ecosystem without a registry client."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What one registry or mirror said about one package-version."""

    registry: str  # the base URL asked
    status: RegistryStatus
    detail: str  # 'HTTP 404', 'checksum mismatch: expected ..., got ...', 'timeout after 3 tries'
    released: str | None  # ISO-8601 UTC from the registry's metadata, when given
    observed_at: str  # ISO-8601 UTC time of the observation


@dataclass(frozen=True, slots=True)
class Download:
    url: str
    filename: str  # the archive's file name (from the URL path)
    data: bytes
    sha256: str  # of data (hex), always computed here
    registry: str


@dataclass(frozen=True, slots=True)
class FetchResult:
    download: Download | None
    observations: tuple[Observation, ...]  # one per mirror consulted, in order


def fetch(
    downloader: Downloader, ecosystem: str, name: str, version: str, mirrors: Sequence[str]
) -> FetchResult:
    """Try mirrors in order until one yields an archive whose published checksum verifies."""
    shape = REGISTRIES.get(ecosystem)
    if shape is None:
        known = ", ".join(sorted(REGISTRIES))
        raise UnknownEcosystemError(f"no registry client for ecosystem {ecosystem!r} ({known})")
    observations: list[Observation] = []
    for mirror in mirrors:
        observation, download = _consult(downloader, shape, mirror, name, version)
        observations.append(observation)
        if download is not None:
            return FetchResult(download, tuple(observations))
    return FetchResult(None, tuple(observations))


def _consult(
    downloader: Downloader, shape: Shape, mirror: str, name: str, version: str
) -> tuple[Observation, Download | None]:
    try:
        release = shape.resolve(downloader, mirror, name, version)
    except HttpStatusError as error:
        return _said(
            mirror,
            RegistryStatus.REMOVED if error.status in _GONE else RegistryStatus.ERROR,
            error.reason,
        ), None
    except DownloadError as error:
        return _said(mirror, RegistryStatus.ERROR, error.reason), None
    except MetadataError as error:
        return _said(mirror, RegistryStatus.ERROR, f"malformed metadata: {error}"), None
    if isinstance(release, Removed):
        return _said(mirror, RegistryStatus.REMOVED, release.detail, release.released), None
    return _download(downloader, release, mirror)


def _download(
    downloader: Downloader,
    release: Listed,
    mirror: str,
) -> tuple[Observation, Download | None]:
    try:
        data = downloader.get_bytes(release.url)
    except DownloadError as error:
        # Listed but not downloadable is a failure of this mirror, not a removal.
        detail = f"archive {release.url}: {error.reason}"
        return _said(mirror, RegistryStatus.ERROR, detail, release.released), None
    checksum = release.checksum
    if checksum is None:
        detail = "no checksum published; not verified"
    elif checksum.matches(data):
        detail = f"{checksum.algorithm} verified"
    else:
        detail = f"checksum mismatch: expected {checksum.written()}, got {checksum.of(data)}"
        return _said(mirror, RegistryStatus.ERROR, detail, release.released), None
    filename = unquote(urlsplit(release.url).path.rsplit("/", 1)[-1])
    download = Download(
        url=release.url,
        filename=filename,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        registry=mirror,
    )
    return _said(mirror, RegistryStatus.PRESENT, detail, release.released), download


def _said(
    mirror: str, status: RegistryStatus, detail: str, released: str | None = None
) -> Observation:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Observation(mirror, status, detail, released, now)
