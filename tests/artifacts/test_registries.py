"""Registry clients against local registries: checksums, removals, mirrors, retries and caps."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from malgraph.artifacts.registries import (
    DEFAULT_MIRRORS,
    REGISTRIES,
    Downloader,
    DownloadError,
    HttpStatusError,
    UnknownEcosystemError,
    fetch,
)
from malgraph.artifacts.registries.http import _retry_after
from malgraph.artifacts.registries.npm import packument_url
from tests.artifacts.registry_server import RegistryServer

Servers = Callable[..., RegistryServer]

# Inert: it would decode and run a harmless print if anyone ran it; nobody does.
_PAYLOAD = b"eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())\n"


def tarball(name: str = "package/index.js", payload: bytes = _PAYLOAD) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo(name)
        member.size = len(payload)
        archive.addfile(member, io.BytesIO(payload))
    return buffer.getvalue()


def test_npm_fetch_verifies_sri_and_reads_release_time(
    registry: RegistryServer, downloader: Downloader
) -> None:
    data = tarball()
    path = registry.add_npm("evil-pkg", "1.0.2", data, time="2023-01-02T03:04:05.678Z")

    result = fetch(downloader, "npm", "evil-pkg", "1.0.2", [registry.url])

    assert result.download is not None
    assert result.download.data == data
    assert result.download.sha256 == hashlib.sha256(data).hexdigest()
    assert result.download.filename == "evil-pkg-1.0.2.tgz"
    assert result.download.url == registry.url + path
    assert result.download.registry == registry.url
    (seen,) = result.observations
    assert (seen.status, seen.detail) == ("present", "sha512 verified")
    assert seen.released == "2023-01-02T03:04:05Z"
    assert seen.registry == registry.url
    assert seen.observed_at.endswith("Z") and len(seen.observed_at) == 20


@pytest.mark.parametrize(
    ("integrity", "shasum", "algorithm"),
    [("sha256", True, "sha256"), ("sha1", False, "sha1"), (None, True, "sha1")],
)
def test_npm_accepts_other_sri_and_falls_back_to_shasum(
    registry: RegistryServer,
    downloader: Downloader,
    integrity: str | None,
    shasum: bool,
    algorithm: str,
) -> None:
    registry.add_npm("pkg", "2.0.0", tarball(), integrity=integrity, shasum=shasum)
    result = fetch(downloader, "npm", "pkg", "2.0.0", [registry.url])
    assert result.download is not None
    assert result.observations[0].detail == f"{algorithm} verified"


def test_npm_scoped_name_is_asked_as_scope_2f_name(
    registry: RegistryServer, downloader: Downloader
) -> None:
    data = tarball()
    registry.add_npm("@evil/scoped", "0.1.0", data)

    result = fetch(downloader, "npm", "@evil/scoped", "0.1.0", [registry.url])

    assert result.download is not None and result.download.data == data
    assert result.download.filename == "scoped-0.1.0.tgz"
    assert registry.requests[0].lower() == "/@evil%2fscoped"
    assert packument_url("https://r.example/", "@a/b") == "https://r.example/@a%2fb"


def test_base_urls_with_path_prefix_and_trailing_slash(
    registry_servers: Servers, downloader: Downloader
) -> None:
    server = registry_servers("/mirror/npm")
    server.add_npm("pkg", "1.0.0", tarball())
    result = fetch(downloader, "npm", "pkg", "1.0.0", [server.url + "/"])
    assert result.download is not None
    assert server.requests[0] == "/mirror/npm/pkg"


def test_pypi_prefers_sdist_and_reads_sha256_and_upload_time(
    registry: RegistryServer, downloader: Downloader
) -> None:
    wheel, sdist = b"wheel bytes", tarball("evil-1.0/setup.py", b"exec('print(1)')\n")
    registry.add_pypi("evil", "1.0", "evil-1.0-py3-none-any.whl", wheel)
    registry.add_pypi(
        "evil", "1.0", "evil-1.0.tar.gz", sdist, upload_time="2024-05-06T07:08:09.123456Z"
    )

    result = fetch(downloader, "PyPI", "evil", "1.0", [registry.url])

    assert result.download is not None
    assert (result.download.filename, result.download.data) == ("evil-1.0.tar.gz", sdist)
    (seen,) = result.observations
    assert (seen.status, seen.detail, seen.released) == (
        "present",
        "sha256 verified",
        "2024-05-06T07:08:09Z",
    )
    assert registry.hits("/pypi/evil/1.0/json") == 1
    assert registry.hits("/packages/evil-1.0-py3-none-any.whl") == 0


def test_pypi_without_sdist_prefers_pure_wheel(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_pypi("evil", "2.0", "evil-2.0-cp311-cp311-manylinux1_x86_64.whl", b"binary")
    registry.add_pypi("evil", "2.0", "evil-2.0-py2.py3-none-any.whl", b"pure")
    result = fetch(downloader, "PyPI", "evil", "2.0", [registry.url])
    assert result.download is not None
    assert result.download.filename == "evil-2.0-py2.py3-none-any.whl"


def test_pypi_release_without_files_is_removed(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_pypi_release("gone", "0.1")
    result = fetch(downloader, "PyPI", "gone", "0.1", [registry.url])
    assert result.download is None
    assert [(o.status, o.detail) for o in result.observations] == [("removed", "no files")]


@pytest.mark.parametrize("platform", ["ruby", "x86_64-linux"])
def test_rubygems_fetch_with_platform(
    registry: RegistryServer, downloader: Downloader, platform: str
) -> None:
    data = b"gem archive bytes"
    path = registry.add_gem(
        "evilgem", "0.0.3", data, created_at="2022-11-12T13:14:15.000Z", platform=platform
    )

    result = fetch(downloader, "RubyGems", "evilgem", "0.0.3", [registry.url])

    assert result.download is not None and result.download.data == data
    assert result.download.url == registry.url + path
    suffix = "" if platform == "ruby" else f"-{platform}"
    assert result.download.filename == f"evilgem-0.0.3{suffix}.gem"
    assert result.observations[0].released == "2022-11-12T13:14:15Z"
    assert result.observations[0].detail == "sha256 verified"


@pytest.mark.parametrize("ecosystem", ["npm", "PyPI", "RubyGems"])
def test_404_is_removed(registry: RegistryServer, downloader: Downloader, ecosystem: str) -> None:
    result = fetch(downloader, ecosystem, "nothing-here", "1.0.0", [registry.url])
    assert result.download is None
    assert [(o.status, o.detail) for o in result.observations] == [("removed", "HTTP 404")]
    assert len(registry.requests) == 1  # a 404 is an answer, never retried


def test_npm_security_placeholder_is_removed(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.npm_placeholder("stolen-tokens")
    result = fetch(downloader, "npm", "stolen-tokens", "1.4.0", [registry.url])
    assert result.download is None
    assert result.observations[0].status == "removed"
    assert result.observations[0].detail == "npm security placeholder 0.0.1-security"


def test_npm_unpublished_and_missing_versions_are_removed(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.npm_unpublished("unpub", "2021-03-04T05:06:07.000Z", ["1.0.0"])
    registry.add_npm("alive", "1.0.0", tarball())

    unpublished = fetch(downloader, "npm", "unpub", "1.0.0", [registry.url])
    missing = fetch(downloader, "npm", "alive", "9.9.9", [registry.url])

    assert unpublished.observations[0].status == "removed"
    assert unpublished.observations[0].detail == "npm unpublished 2021-03-04T05:06:07Z"
    assert (missing.observations[0].status, missing.observations[0].detail) == (
        "removed",
        "version not in registry",
    )


def test_checksum_mismatch_is_an_error_and_the_next_mirror_is_tried(
    registry_servers: Servers, downloader: Downloader
) -> None:
    first, second = registry_servers(), registry_servers()
    data = tarball()
    tampered = first.add_npm("pkg", "1.0.0", data)
    second.add_npm("pkg", "1.0.0", data)
    first.replace(tampered, b"not the published bytes")

    result = fetch(downloader, "npm", "pkg", "1.0.0", [first.url, second.url])

    assert result.download is not None and result.download.registry == second.url
    bad, good = result.observations
    assert bad.status == "error" and bad.registry == first.url
    expected = "sha512-" + __import__("base64").b64encode(hashlib.sha512(data).digest()).decode()
    assert bad.detail.startswith(f"checksum mismatch: expected {expected}, got sha512-")
    assert good.status == "present"


def test_mirror_fallback_past_a_dead_mirror_and_a_lagging_removal(
    registry_servers: Servers, closed_url: str, downloader: Downloader
) -> None:
    removed_here, kept_here = registry_servers(), registry_servers()
    removed_here.npm_placeholder("pkg")
    kept_here.add_npm("pkg", "3.1.4", tarball())

    result = fetch(downloader, "npm", "pkg", "3.1.4", [closed_url, removed_here.url, kept_here.url])

    assert result.download is not None and result.download.registry == kept_here.url
    assert [o.status for o in result.observations] == ["error", "removed", "present"]
    assert result.observations[0].detail.startswith("connection failed after 3 tries")


def test_mirrors_after_a_success_are_not_consulted(
    registry_servers: Servers, downloader: Downloader
) -> None:
    first, second = registry_servers(), registry_servers()
    first.add_gem("g", "1.0", b"gem")
    result = fetch(downloader, "RubyGems", "g", "1.0", [first.url, second.url])
    assert len(result.observations) == 1 and second.requests == []


def test_retries_after_503s_then_succeeds(registry: RegistryServer, downloader: Downloader) -> None:
    path = registry.add_npm("pkg", "1.0.0", tarball())
    registry.fail("/pkg", 2, status=503)
    registry.fail(path, 1, status=500)

    result = fetch(downloader, "npm", "pkg", "1.0.0", [registry.url])

    assert result.download is not None
    assert registry.hits("/pkg") == 3 and registry.hits(path) == 2


def test_persistent_503_is_an_error_after_all_tries(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_pypi("evil", "1.0", "evil-1.0.tar.gz", b"sdist")
    registry.fail("/pypi/evil/1.0/json", 99, status=503)
    result = fetch(downloader, "PyPI", "evil", "1.0", [registry.url])
    assert [(o.status, o.detail) for o in result.observations] == [
        ("error", "HTTP 503 after 3 tries")
    ]
    assert registry.hits("/pypi/evil/1.0/json") == 3


def test_other_4xx_is_not_retried(registry: RegistryServer, downloader: Downloader) -> None:
    registry.fail("/thing", 5, status=403)
    with pytest.raises(HttpStatusError) as raised:
        downloader.get_bytes(registry.url + "/thing")
    assert raised.value.status == 403 and "HTTP 403" in str(raised.value)
    assert registry.url + "/thing" in str(raised.value)
    assert registry.hits("/thing") == 1


def test_429_waits_as_retry_after_asks_up_to_the_cap(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_raw("/blob", b"payload")
    registry.fail("/blob", 1, status=429, retry_after="1")  # capped at 0.3 s by the fixture

    assert downloader.get_bytes(registry.url + "/blob") == b"payload"
    assert registry.hits("/blob") == 2
    # The pause before a retry: what Retry-After asks, up to the cap, never under the backoff.
    assert downloader._pause(1, 1.0) == 0.3
    assert downloader._pause(1, 0.2) == 0.2
    assert 0.01 <= downloader._pause(1, None) <= 0.0125
    assert 0.01 <= downloader._pause(1, 0.0) <= 0.0125


def test_retry_after_header_forms() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after("-3") == 0.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_slow_response_is_a_timeout_observation(registry: RegistryServer) -> None:
    registry.add_gem("slow", "1.0", b"gem")
    registry.delay("/api/v2/rubygems/slow/versions/1.0.json", 2.0)

    with Downloader(timeout=0.2, retries=1, backoff=0.01) as quick:
        result = fetch(quick, "RubyGems", "slow", "1.0", [registry.url])

    assert [(o.status, o.detail) for o in result.observations] == [
        ("error", "timeout after 2 tries")
    ]


def test_truncated_body_is_an_error(registry: RegistryServer, downloader: Downloader) -> None:
    path = registry.add_npm("pkg", "1.0.0", tarball() * 20)
    registry.truncate(path)

    result = fetch(downloader, "npm", "pkg", "1.0.0", [registry.url])

    assert result.download is None
    (seen,) = result.observations
    assert seen.status == "error"
    prefix = f"archive {registry.url + path}: incomplete or malformed response after 3 tries ("
    assert seen.detail.startswith(prefix)
    assert "received" in seen.detail  # httpx's own words on how much arrived
    assert registry.hits(path) == 3


def test_declared_length_over_cap_is_refused_before_reading(registry: RegistryServer) -> None:
    registry.add_stream("/huge", 50 * 2**20)
    with Downloader(max_bytes=2**20, retries=0) as capped, pytest.raises(DownloadError) as raised:
        capped.get_bytes(registry.url + "/huge")
    assert raised.value.reason == f"over size cap: Content-Length {50 * 2**20} > {2**20} bytes"


def test_undeclared_body_over_cap_stops_reading(registry: RegistryServer) -> None:
    total = 200 * 2**20
    registry.add_stream("/endless", total, declare_length=False)

    too_long = pytest.raises(DownloadError, match="over size cap: body > 1048576 bytes")
    with Downloader(max_bytes=2**20, retries=0) as capped, too_long:
        capped.get_bytes(registry.url + "/endless")

    time.sleep(0.1)  # let the server notice the hang-up
    assert registry.sent["/endless"] < total // 4


def test_gzip_bomb_is_stopped_at_the_cap(registry: RegistryServer) -> None:
    bomb = gzip.compress(bytes(20 * 2**20))  # 20 MiB of zeros in about 20 KiB
    registry.add_raw("/bomb.json", bomb, headers={"Content-Encoding": "gzip"})
    registry.add_raw("/small.json", gzip.compress(b'{"ok": true}'), {"Content-Encoding": "gzip"})

    with Downloader(max_bytes=2**20, retries=0) as capped:
        assert capped.get_json(registry.url + "/small.json") == {"ok": True}
        with pytest.raises(DownloadError, match="over size cap"):
            capped.get_json(registry.url + "/bomb.json")


def test_redirects_are_followed_only_to_http(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_raw("/real", b"content")
    registry.add_redirect("/moved", registry.url + "/real")
    registry.add_redirect("/to-file", "file:///etc/passwd")

    assert downloader.get_bytes(registry.url + "/moved") == b"content"
    with pytest.raises(DownloadError, match="refused redirect to 'file:///etc/passwd'"):
        downloader.get_bytes(registry.url + "/to-file")
    with pytest.raises(DownloadError, match="only http and https"):
        downloader.get_bytes("ftp://127.0.0.1/x")


def test_malformed_metadata_is_an_error_observation(
    registry: RegistryServer, downloader: Downloader
) -> None:
    registry.add_raw("/pypi/odd/1.0/json", b'{"urls": "not a list"}')
    registry.add_raw("/broken", b"{not json")
    result = fetch(downloader, "PyPI", "odd", "1.0", [registry.url])
    assert result.observations[0].status == "error"
    assert result.observations[0].detail.startswith("malformed metadata")
    with pytest.raises(DownloadError, match="invalid JSON"):
        downloader.get_json(registry.url + "/broken")


def test_shared_downloader_from_a_thread_pool(
    registry: RegistryServer, downloader: Downloader
) -> None:
    blobs = {f"/blob{i}": bytes([i]) * (1000 + i) for i in range(16)}
    for path, data in blobs.items():
        registry.add_raw(path, data)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda p: downloader.get_bytes(registry.url + p), blobs))
    assert got == list(blobs.values())


def test_unknown_ecosystem_and_defaults(downloader: Downloader) -> None:
    with pytest.raises(UnknownEcosystemError, match="'cargo'"):
        fetch(downloader, "cargo", "x", "1", ["https://example.invalid"])
    assert set(DEFAULT_MIRRORS) == set(REGISTRIES) == {"npm", "PyPI", "RubyGems"}
    assert fetch(downloader, "npm", "x", "1", []).observations == ()
