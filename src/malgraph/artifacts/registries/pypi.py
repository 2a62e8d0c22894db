"""PyPI's JSON API: one document per release, listing its files with digests and upload times."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin

from malgraph.artifacts.registries.http import Downloader
from malgraph.artifacts.registries.release import (
    Listed,
    MetadataError,
    Removed,
    from_hex,
    mapping,
    released,
    text,
)

_PURE_WHEELS = ("-py3-none-any.whl", "-py2.py3-none-any.whl")


def release_url(base: str, name: str, version: str) -> str:
    return f"{base.rstrip('/')}/pypi/{quote(name, safe='')}/{quote(version, safe='')}/json"


def resolve(downloader: Downloader, base: str, name: str, version: str) -> Listed | Removed:
    url = release_url(base, name, version)
    document = mapping(downloader.get_json(url), "the release document")
    files = document.get("urls")
    if not isinstance(files, list):
        raise MetadataError("the release document has no 'urls' list")
    usable = [entry for entry in files if isinstance(entry, dict) and text(entry.get("url"))]
    if not usable:
        return Removed("no files")
    chosen = _choose(usable)
    digests = chosen.get("digests")
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    return Listed(
        urljoin(url, chosen["url"]),  # mirrors may list files by relative URL
        from_hex("sha256", sha256),
        released(chosen.get("upload_time_iso_8601")),
    )


def _choose(files: list[dict[str, Any]]) -> dict[str, Any]:
    """The sdist (the source as written), else a pure-Python wheel, else a wheel, else any."""

    def rank(entry: dict[str, Any]) -> int:
        filename = text(entry.get("filename")) or entry["url"].rsplit("/", 1)[-1]
        if entry.get("packagetype") == "sdist":
            return 0
        if filename.endswith(_PURE_WHEELS):
            return 1
        return 2 if entry.get("packagetype") == "bdist_wheel" or filename.endswith(".whl") else 3

    return min(files, key=rank)  # min keeps the registry's order among equals
