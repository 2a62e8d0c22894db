"""A local registry for tests: npm-, PyPI- and RubyGems-shaped answers on 127.0.0.1, with faults
injected per path and a log of what was asked. Several can run at once (a mirror, a primary)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

_CHUNK = 64 * 1024


@dataclass
class Fault:
    fail: int = 0  # answer this many more requests with `status` (then behave)
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0  # seconds to wait before answering, every request
    truncate: bool = False  # declare the whole Content-Length, send half, close
    body: bytes | None = None  # serve these bytes instead (breaks the published checksum)


@dataclass
class _Reply:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stream: int | None = None  # generate this many bytes instead of `body`
    declare_length: bool = True


class RegistryServer:
    """Starts serving at construction; `url` is the base URL a client is given."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.requests: list[str] = []  # raw request targets, in order
        self.sent: dict[str, int] = {}  # body bytes written, per decoded path
        self._routes: dict[str, Callable[[], _Reply]] = {}
        self._faults: dict[str, Fault] = {}
        self._npm: dict[str, dict[str, Any]] = {}
        self._pypi: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.registry = self
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.url = self.origin + self.prefix
        # A short poll interval keeps close() quick; it is how often shutdown() is noticed.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._closing.set()  # wakes delayed handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> RegistryServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the registries hold ------------------------------------------------------------

    def add_npm(
        self,
        name: str,
        version: str,
        tarball: bytes,
        *,
        time: str | None = None,
        integrity: str | None = "sha512",
        shasum: bool = True,
    ) -> str:
        """A version in the packument; integrity is an algorithm to compute, a literal SRI
        string (containing '-'), or None to publish only the sha1 shasum."""
        path = f"/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        dist: dict[str, Any] = {"tarball": self.url + path}
        if integrity is not None and "-" not in integrity:
            integrity = _sri(integrity, tarball)
        if integrity is not None:
            dist["integrity"] = integrity
        if shasum:
            dist["shasum"] = hashlib.sha1(tarball).hexdigest()
        with self._lock:
            packument = self._packument(name)
            packument["versions"][version] = {"name": name, "version": version, "dist": dist}
            packument["dist-tags"]["latest"] = version
            if time is not None:
                packument["time"][version] = time
        self.add_raw(path, tarball)
        return path

    def npm_placeholder(self, name: str) -> str:
        """What npm leaves after removing malware: only its own 0.0.1-security version."""
        path = self.add_npm(name, "0.0.1-security", b"security holding package")
        with self._lock:
            self._npm[name]["description"] = "security holding package"
        return path

    def npm_unpublished(self, name: str, when: str, versions: list[str]) -> None:
        with self._lock:
            self._npm[name] = {
                "_id": name,
                "name": name,
                "time": {"created": when, "unpublished": {"time": when, "versions": versions}},
            }
        self._routes[self.prefix + "/" + name] = lambda: self._json(self._npm[name])

    def add_pypi(
        self,
        name: str,
        version: str,
        filename: str,
        data: bytes,
        *,
        packagetype: str | None = None,
        upload_time: str | None = None,
    ) -> str:
        path = f"/packages/{filename}"
        entry = {
            "filename": filename,
            "packagetype": packagetype or ("bdist_wheel" if filename.endswith(".whl") else "sdist"),
            "url": self.url + path,
            "digests": {"sha256": hashlib.sha256(data).hexdigest()},
            "upload_time_iso_8601": upload_time,
        }
        with self._lock:
            self._pypi_release(name, version)["urls"].append(entry)
        self.add_raw(path, data)
        return path

    def add_pypi_release(self, name: str, version: str) -> None:
        """A release with no files left (all deleted)."""
        with self._lock:
            self._pypi_release(name, version)

    def add_gem(
        self,
        name: str,
        version: str,
        data: bytes,
        *,
        created_at: str | None = None,
        platform: str = "ruby",
    ) -> str:
        stem = f"{name}-{version}" if platform == "ruby" else f"{name}-{version}-{platform}"
        path = f"/gems/{stem}.gem"
        document = {
            "name": name,
            "number": version,
            "platform": platform,
            "sha": hashlib.sha256(data).hexdigest(),
            "created_at": created_at,
        }
        self._routes[f"{self.prefix}/api/v2/rubygems/{name}/versions/{version}.json"] = lambda: (
            self._json(document)
        )
        self.add_raw(path, data)
        return path

    def add_raw(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        reply = _Reply(body, headers=dict(headers or {}))
        self._routes[self.prefix + path] = lambda: reply

    def add_stream(self, path: str, size: int, *, declare_length: bool = True) -> None:
        """A body of `size` zero bytes, written in chunks (so a client can stop it early)."""
        reply = _Reply(stream=size, declare_length=declare_length)
        self._routes[self.prefix + path] = lambda: reply

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        reply = _Reply(status=status, headers={"Location": location})
        self._routes[self.prefix + path] = lambda: reply

    # -- faults and the log ------------------------------------------------------------------

    def fail(
        self, path: str, times: int, status: int = 503, retry_after: str | None = None
    ) -> None:
        fault = self._fault(path)
        fault.fail, fault.status, fault.retry_after = times, status, retry_after

    def delay(self, path: str, seconds: float) -> None:
        self._fault(path).delay = seconds

    def truncate(self, path: str) -> None:
        self._fault(path).truncate = True

    def replace(self, path: str, body: bytes) -> None:
        self._fault(path).body = body

    def hits(self, path: str) -> int:
        """Requests whose decoded path is `path` (relative to `url`)."""
        with self._lock:
            return sum(1 for raw in self.requests if _decoded(raw) == self.prefix + path)

    # -- internals ---------------------------------------------------------------------------

    def _fault(self, path: str) -> Fault:
        with self._lock:
            return self._faults.setdefault(self.prefix + path, Fault())

    def _packument(self, name: str) -> dict[str, Any]:
        if name not in self._npm or "versions" not in self._npm[name]:
            self._npm[name] = {
                "_id": name,
                "name": name,
                "dist-tags": {},
                "versions": {},
                "time": {"created": "2020-01-01T00:00:00.000Z"},
            }
            self._routes[self.prefix + "/" + name] = lambda: self._json(self._npm[name])
        return self._npm[name]

    def _pypi_release(self, name: str, version: str) -> dict[str, Any]:
        key = (name, version)
        if key not in self._pypi:
            self._pypi[key] = {"info": {"name": name, "version": version}, "urls": []}
            path = f"{self.prefix}/pypi/{name}/{version}/json"
            self._routes[path] = lambda: self._json(self._pypi[key])
        return self._pypi[key]

    def _json(self, document: object) -> _Reply:
        with self._lock:
            return _Reply(json.dumps(document).encode(), "application/json")


def _sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def _decoded(raw: str) -> str:
    return unquote(urlsplit(raw).path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default 5 makes parallel clients wait for SYN retransmits
    registry: RegistryServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are the point of several tests


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        registry = self.server.registry
        path = _decoded(self.path)
        with registry._lock:
            registry.requests.append(self.path)
            fault = registry._faults.get(path, Fault())
            failing = fault.fail > 0
            if failing:
                fault.fail -= 1
        if fault.delay:
            registry._closing.wait(fault.delay)
        if failing:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(_Reply(b"failing on purpose", "text/plain", fault.status, headers), path)
            return
        route = registry._routes.get(path)
        if route is None:
            self._send(_Reply(b'{"error": "Not found"}', "application/json", 404), path)
            return
        reply = route()
        if fault.body is not None:
            reply = _Reply(fault.body, reply.content_type, reply.status, reply.headers)
        self._send(reply, path, truncate=fault.truncate)

    def _send(self, reply: _Reply, path: str, truncate: bool = False) -> None:
        size = reply.stream if reply.stream is not None else len(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.declare_length:
            self.send_header("Content-Length", str(size))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        limit = size // 2 if truncate else size
        body = reply.body if reply.stream is None else None
        written = 0
        try:
            while written < limit:
                step = min(_CHUNK, limit - written)
                self.wfile.write(
                    body[written : written + step] if body is not None else bytes(step)
                )
                written += step
                with self.server.registry._lock:
                    self.server.registry.sent[path] = written
        except OSError:
            pass  # the client hung up: exactly what an over-cap test wants
        self.close_connection = True
