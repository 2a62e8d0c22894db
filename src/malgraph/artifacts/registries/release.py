"""What one registry's metadata says about one version, read defensively, before any download."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Protocol

from malgraph.artifacts.registries.http import Downloader
from malgraph.core.dates import normalise_time
from malgraph.core.errors import MalgraphError

# Strongest first: when a registry publishes several, the strongest is checked.
_ALGORITHMS = ("sha512", "sha384", "sha256", "sha1")


class MetadataError(MalgraphError):
    """A registry answered JSON that lacks the fields its API promises (or has the wrong types)."""


@dataclass(frozen=True, slots=True)
class Checksum:
    algorithm: str  # a hashlib name from _ALGORITHMS
    digest: bytes
    sri: bool  # written as Subresource Integrity ('sha512-<base64>') rather than hex

    def written(self, digest: bytes | None = None) -> str:
        """This checksum (or another digest of the same algorithm) as the registry writes it."""
        digest = self.digest if digest is None else digest
        if self.sri:
            return f"{self.algorithm}-{base64.b64encode(digest).decode()}"
        return digest.hex()

    def matches(self, data: bytes) -> bool:
        return hmac.compare_digest(hashlib.new(self.algorithm, data).digest(), self.digest)

    def of(self, data: bytes) -> str:
        return self.written(hashlib.new(self.algorithm, data).digest())


def from_hex(algorithm: str, text: object) -> Checksum | None:
    if not isinstance(text, str):
        return None
    try:
        digest = bytes.fromhex(text.strip())
    except ValueError:
        return None
    if len(digest) != hashlib.new(algorithm).digest_size:
        return None
    return Checksum(algorithm, digest, sri=False)


def from_sri(text: object) -> Checksum | None:
    """The strongest supported hash of an SRI string ('sha512-<b64> sha1-<b64>?opt'), if any."""
    if not isinstance(text, str):
        return None
    found: dict[str, bytes] = {}
    for token in text.split():
        algorithm, _, value = token.partition("-")
        algorithm = algorithm.lower()
        if algorithm not in _ALGORITHMS:
            continue
        try:
            digest = base64.b64decode(value.split("?", 1)[0], validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == hashlib.new(algorithm).digest_size:
            found.setdefault(algorithm, digest)
    for algorithm in _ALGORITHMS:
        if algorithm in found:
            return Checksum(algorithm, found[algorithm], sri=True)
    return None


@dataclass(frozen=True, slots=True)
class Listed:
    """The registry lists the version: where its archive is and what it must hash to."""

    url: str
    checksum: Checksum | None  # None when the registry published none we can check
    released: str | None


@dataclass(frozen=True, slots=True)
class Removed:
    """The registry answered, and the version is not there (any more)."""

    detail: str
    released: str | None = None


class Shape(Protocol):
    """A module that knows one registry's API: how to ask about one version."""

    def resolve(
        self, downloader: Downloader, base: str, name: str, version: str
    ) -> Listed | Removed:
        """Raises DownloadError (HttpStatusError for HTTP answers) or MetadataError."""
        ...


def mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MetadataError(f"{what} is not an object")
    return value


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def released(value: object) -> str | None:
    return normalise_time(value)
