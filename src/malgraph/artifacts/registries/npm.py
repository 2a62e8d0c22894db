"""The npm registry: one packument per package; versions, tarballs and times inside it."""

from __future__ import annotations

from urllib.parse import quote, urljoin

from malgraph.artifacts.registries.http import Downloader
from malgraph.artifacts.registries.release import (
    Listed,
    MetadataError,
    Removed,
    from_hex,
    from_sri,
    mapping,
    released,
    text,
)

# npm replaces a removed malicious package by this version, published by npm itself.
PLACEHOLDER = "0.0.1-security"


def packument_url(base: str, name: str) -> str:
    """`@scope/name` travels as `@scope%2fname`: the registry's own spelling."""
    scope, slash, rest = name.partition("/")
    if name.startswith("@") and slash:
        path = "@" + quote(scope[1:], safe="") + "%2f" + quote(rest, safe="")
    else:
        path = quote(name, safe="@")
    return f"{base.rstrip('/')}/{path}"


def resolve(downloader: Downloader, base: str, name: str, version: str) -> Listed | Removed:
    url = packument_url(base, name)
    packument = mapping(downloader.get_json(url), "the packument")
    times = packument.get("time")
    times = times if isinstance(times, dict) else {}
    when = released(times.get(version))
    versions = packument.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    if version in versions:
        entry = mapping(versions[version], f"versions[{version!r}]")
        dist = mapping(entry.get("dist"), f"versions[{version!r}].dist")
        tarball = text(dist.get("tarball"))
        if tarball is None:
            raise MetadataError(f"versions[{version!r}].dist has no tarball")
        checksum = from_sri(dist.get("integrity")) or from_hex("sha1", dist.get("shasum"))
        return Listed(urljoin(url, tarball), checksum, when)
    if "unpublished" in times:
        gone = times["unpublished"]
        moment = released(gone.get("time")) if isinstance(gone, dict) else None
        return Removed(f"npm unpublished {moment}" if moment else "npm unpublished", when)
    if set(versions) == {PLACEHOLDER}:
        return Removed(f"npm security placeholder {PLACEHOLDER}", when)
    return Removed("version not in registry", when)
