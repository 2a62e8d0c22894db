"""One HTTP client for registries: GET only, capped bodies, bounded retries, no foreign schemes."""

from __future__ import annotations

import email.utils
import random
import time
import zlib
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from malgraph import __version__
from malgraph.core.errors import MalgraphError

USER_AGENT = f"malgraph/{__version__} (+https://github.com/malgraph/malgraph)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class DownloadError(MalgraphError):
    """A URL could not be fetched; `reason` is short enough to keep as an observation's detail."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot fetch {url}: {reason}")
        self.url = url
        self.reason = reason


class HttpStatusError(DownloadError):
    """The server's final answer was an HTTP error status (after retries, for 429 and 5xx)."""

    def __init__(self, status: int, url: str, tries: int = 1) -> None:
        reason = f"HTTP {status}" if tries == 1 else f"HTTP {status} after {tries} tries"
        super().__init__(url, reason)
        self.status = status


class _Transient(Exception):
    """One try failed in a way a later try may not: retried, then reported."""

    def __init__(
        self, reason: str, note: str = "", status: int | None = None, wait: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.note = note  # the last failure's own words, kept for the final message
        self.status = status
        self.wait = wait  # what Retry-After asked for, in seconds


class Downloader:
    """GETs JSON and archives. Safe to share between threads: httpx.Client is, and the rest is
    read-only configuration."""

    def __init__(
        self,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_bytes: int = 64 * 2**20,
        user_agent: str = USER_AGENT,
        *,
        retry_after_cap: float = 30.0,
    ) -> None:
        if retries < 0 or max_bytes <= 0 or timeout <= 0:
            raise ValueError("timeout and max_bytes must be positive and retries not negative")
        self.retries = retries  # tries after the first, so each URL is asked at most retries + 1
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.retry_after_cap = retry_after_cap
        # Redirects are followed by hand: httpx would read a redirect's body without any cap.
        # Only gzip is advertised: it is what registries use, and it is inflated under the cap.
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip"},
        )

    def get_json(self, url: str) -> Any:
        body = self._get(url, "application/json")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise DownloadError(url, f"invalid JSON ({error})") from None

    def get_bytes(self, url: str) -> bytes:
        return self._get(url, "*/*")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _get(self, url: str, accept: str) -> bytes:
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            try:
                return self._try(url, accept)
            except _Transient as failure:
                if attempt == tries:
                    if failure.status is not None:
                        raise HttpStatusError(failure.status, url, tries) from None
                    note = f" ({failure.note})" if failure.note else ""
                    raise DownloadError(
                        url, f"{failure.reason} after {tries} tries{note}"
                    ) from None
                time.sleep(self._pause(attempt, failure.wait))
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _pause(self, attempt: int, asked: float | None) -> float:
        pause = self.backoff * 2.0 ** (attempt - 1)
        pause *= 1 + random.uniform(0, 0.25)  # jitter: parallel workers must not retry in step
        if asked is not None:
            pause = max(pause, min(asked, self.retry_after_cap))
        return pause

    def _try(self, url: str, accept: str) -> bytes:
        """One try, following redirects; transient failures raise _Transient."""
        _check_scheme(url, url)
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                request = self._client.build_request("GET", target, headers={"Accept": accept})
                response = self._client.send(request, stream=True)
            except httpx.TimeoutException:
                raise _Transient("timeout") from None
            except httpx.UnsupportedProtocol as error:
                raise DownloadError(url, f"unsupported URL ({error})") from None
            except httpx.TransportError as error:
                raise _Transient(*_describe(error)) from None
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                raise DownloadError(url, f"bad request ({error})") from None
            try:
                if response.has_redirect_location:
                    target = _redirect(url, response)
                    continue
                status = response.status_code
                if status == 429 or 500 <= status <= 599:
                    wait = _retry_after(response.headers.get("retry-after"))
                    raise _Transient(f"HTTP {status}", status=status, wait=wait)
                if not 200 <= status <= 299:
                    raise HttpStatusError(status, url)
                return self._read(response, url)
            except httpx.TimeoutException:
                raise _Transient("timeout") from None
            except httpx.TransportError as error:
                raise _Transient(*_describe(error)) from None
            finally:
                response.close()
        raise DownloadError(url, f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response: httpx.Response, url: str) -> bytes:
        """The decoded body, refused as soon as it is known to exceed max_bytes."""
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise DownloadError(
                url, f"over size cap: Content-Length {int(declared)} > {self.max_bytes} bytes"
            )
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            raise DownloadError(url, f"unsupported Content-Encoding {encoding!r}")
        gunzip = _Gunzip(url) if "gzip" in encoding else None
        body = bytearray()
        for chunk in response.iter_raw(_CHUNK):
            room = self.max_bytes - len(body)
            # One byte past the cap is enough to know: a gzip bomb is never inflated further.
            piece = gunzip(chunk, room + 1) if gunzip else chunk
            if len(piece) > room:
                raise DownloadError(url, f"over size cap: body > {self.max_bytes} bytes")
            body += piece
        if gunzip:
            gunzip.finish()
        return bytes(body)


def _check_scheme(url: str, target: str, what: str = "URL") -> None:
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        raise DownloadError(url, f"malformed {what}") from None
    if scheme not in ("http", "https"):
        raise DownloadError(url, f"refused {what}: only http and https are fetched")


def _redirect(url: str, response: httpx.Response) -> str:
    """The absolute http(s) URL a redirect points to; a relative Location is resolved."""
    location = response.headers["location"]
    what = f"redirect to {location[:200]!r}"
    try:
        target = str(response.url.join(location))
    except (httpx.InvalidURL, ValueError):
        raise DownloadError(url, f"malformed {what}") from None
    _check_scheme(url, target, what)
    return target


class _Gunzip:
    """Decompresses a gzip body chunk by chunk, never producing more than asked for."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._stream = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected

    def __call__(self, chunk: bytes, limit: int) -> bytes:
        # Output held back by `limit` would only matter past the cap, which the caller refuses.
        try:
            return self._stream.decompress(chunk, max(limit, 1))
        except zlib.error as error:
            raise DownloadError(self._url, f"corrupt gzip body ({error})") from None

    def finish(self) -> None:
        if not self._stream.eof:
            raise DownloadError(self._url, "truncated gzip body")


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or an HTTP date), None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _describe(error: httpx.TransportError) -> tuple[str, str]:
    """A short kind of failure, and the library's own words about it."""
    if isinstance(error, httpx.ConnectError):
        kind = "connection failed"
    elif isinstance(error, httpx.RemoteProtocolError):
        kind = "incomplete or malformed response"
    elif isinstance(error, httpx.ReadError):
        kind = "read error"
    else:
        kind = type(error).__name__
    return kind, str(error).strip()[:120]
