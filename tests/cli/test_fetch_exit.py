"""`malgraph fetch` exits 1 when a download failed: done, but some input was not had. The
registry is a local server on 127.0.0.1 that fails every request; nothing leaves the host."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from malgraph.cli import DONE, REJECTED, run
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.conftest import osv, write_json


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(500, "down for the test")

    def log_message(self, *_: object) -> None:  # quiet
        pass


@pytest.fixture
def failing_registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def call(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def test_fetch_exits_1_when_every_download_failed(tmp_path: Path, failing_registry: str) -> None:
    db, feed = tmp_path / "m.db", tmp_path / "osv"
    write_json(feed / "1.json", osv("MAL-1", "evil-npm", versions=["1.0.0"]))
    with Store(db) as store:
        assert ingest(store, "osv", [str(feed)]).ok
    fetch = ["--db", str(db), "fetch", "--mirror", failing_registry, "--retries", "0"]
    code, out, err = call(*fetch, "--timeout", "5")
    assert code == REJECTED, err
    assert "asked 1: 0 fetched" in out and "1 failed" in out and "failed npm/evil-npm" in err
    assert call("--db", str(db), "fetch", "--offline")[0] == DONE  # nothing asked, none failed
