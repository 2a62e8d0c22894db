"""RubyGems: a JSON document per version (sha256, time, platform); gems at a fixed path."""

from __future__ import annotations

from urllib.parse import quote

from malgraph.artifacts.registries.http import Downloader
from malgraph.artifacts.registries.release import Listed, Removed, from_hex, mapping, released, text


def version_url(base: str, name: str, version: str) -> str:
    path = f"api/v2/rubygems/{quote(name, safe='')}/versions/{quote(version, safe='')}.json"
    return f"{base.rstrip('/')}/{path}"


def gem_url(base: str, name: str, version: str, platform: str = "ruby") -> str:
    stem = f"{name}-{version}" if platform == "ruby" else f"{name}-{version}-{platform}"
    return f"{base.rstrip('/')}/gems/{quote(stem, safe='')}.gem"


def resolve(downloader: Downloader, base: str, name: str, version: str) -> Listed | Removed:
    document = mapping(downloader.get_json(version_url(base, name, version)), "the version")
    platform = text(document.get("platform")) or "ruby"
    return Listed(
        gem_url(base, name, version, platform),
        from_hex("sha256", document.get("sha")),
        released(document.get("created_at")),
    )
