"""Fixtures for artifact tests: local registries (as many as a test needs) and a fast client."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from malgraph.artifacts.registries import Downloader
from tests.artifacts.registry_server import RegistryServer


@pytest.fixture
def registry_servers() -> Iterator[Callable[..., RegistryServer]]:
    """A factory: each call starts one more local registry; all are closed after the test."""
    started: list[RegistryServer] = []

    def start(prefix: str = "") -> RegistryServer:
        server = RegistryServer(prefix)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def registry(registry_servers: Callable[..., RegistryServer]) -> RegistryServer:
    return registry_servers()


@pytest.fixture
def closed_url() -> str:
    """A base URL on which nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def downloader() -> Iterator[Downloader]:
    """Retries and backoff kept tiny so that fault tests take milliseconds."""
    with Downloader(timeout=2.0, retries=2, backoff=0.01, retry_after_cap=0.3) as client:
        yield client
