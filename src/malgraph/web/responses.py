"""The JSON twin's body and the headers every response carries: a Content-Security-Policy
that allows only the server's own scripts, styles and images (no inline code, no network),
and no sniffing, framing or referrer."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from malgraph.core.graph import Family

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def family_json(family: Family) -> dict[str, Any]:
    return {**family._asdict(), "members": [member._asdict() for member in family.members]}


class JsonResponse(Response):
    """orjson's encoding: dataclasses as objects, enums as their values."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def host_name(header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8321` gives `[::1]`."""
    if header.startswith("["):
        return header[: header.find("]") + 1]
    return header.partition(":")[0]


class AllowedHosts:
    """An ASGI middleware answering 400 to a request whose Host header names none of `hosts`
    (["*"]: any): a web page elsewhere cannot reach a loopback server by DNS rebinding."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app, self.hosts = app, {host.lower() for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.hosts:
            header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(header.lower()) not in self.hosts:
                await PlainTextResponse("Invalid host header", 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """An ASGI middleware adding HEADERS to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
