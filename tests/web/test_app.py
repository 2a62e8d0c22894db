"""The explorer's routes without a browser: JSON twins, headers, refusals, the store left
unwritten, and `malgraph serve`'s guard on the address."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from malgraph.web.app import create_app
from malgraph.web.explorer import Explorer
from malgraph.web.present import defang, safe_href
from malgraph.web.responses import CONTENT_SECURITY_POLICY
from tests.cli.calls import call
from tests.web.conftest import IOC_URL

STATIC = Path(__file__).resolve().parents[2] / "src" / "malgraph" / "web" / "static"


@pytest.fixture(scope="module")
def client(web_store: Path) -> TestClient:
    return TestClient(create_app(web_store), base_url="http://127.0.0.1")


def test_every_page_has_a_json_twin(client: TestClient) -> None:
    family = client.get("/api/search", params={"q": "F-"}).json()[0]
    assert family["kind"] == "family"
    report = client.get("/api/search", params={"q": "<script>"}).json()
    pages = [
        "/",
        "/search?q=alpha",
        "/package/PyPI/alpha",
        family["page"],
        next(hit["page"] for hit in report if hit["kind"] == "report"),
        "/campaign/1",
        "/ioc/1",
        "/source/ossf-malicious-packages",
    ]
    for page in pages:
        html, twin = client.get(page), client.get("/api" + (page if page != "/" else "/overview"))
        assert html.status_code == 200, page
        assert html.headers["content-type"].startswith("text/html")
        assert twin.status_code == 200, page
        assert twin.headers["content-type"] == "application/json"


def test_package_twin_is_the_show_card(client: TestClient) -> None:
    card = client.get("/api/package/PyPI/alpha").json()
    assert (card["ecosystem"], card["name"], card["purl"]) == ("PyPI", "alpha", "pkg:pypi/alpha")
    assert card["similarity"][0]["family"]["size"] == 2
    assert client.get("/api/package/pypi/ALPHA").json()["name"] == "alpha"  # as `show` finds it


def test_graph_twin_has_nodes_edges_and_evidence(client: TestClient) -> None:
    graph = client.get("/api/graph/PyPI/alpha", params={"depth": 2}).json()
    ids = {node["id"] for node in graph["nodes"]}
    assert {"package:PyPI/alpha", "package:PyPI/beta"} <= ids
    (similar,) = [edge for edge in graph["edges"] if edge["kind"] == "similar"]
    assert similar["evidence"] and similar["confidence"] > 0
    only = client.get("/api/graph/PyPI/alpha", params={"kinds": "similar"}).json()
    assert {edge["kind"] for edge in only["edges"]} == {"similar"}
    assert client.get("/api/graph/PyPI/alpha", params={"kinds": "nope"}).status_code == 400
    assert client.get("/api/graph/PyPI/alpha", params={"depth": 9}).status_code == 422


def test_dependency_edges_keep_their_direction(client: TestClient) -> None:
    graph = client.get("/api/graph/npm/node-serialize").json()
    (edge,) = [edge for edge in graph["edges"] if edge["kind"] == "depends_on"]
    assert (edge["source"], edge["target"]) == (
        "package:npm/loadyaml",
        "package:npm/node-serialize",
    )


def test_a_hub_shows_its_cap_and_counts_the_rest(client: TestClient) -> None:
    graph = client.get("/api/node", params={"id": "package:npm/" + _evil0(client), "limit": 2})
    body = graph.json()
    assert body["more"]["package:npm/" + _evil0(client)] > 0
    assert len(body["nodes"]) <= 1 + 2 * 2  # two relations and two groups at most


def _evil0(client: TestClient) -> str:
    (hit,) = [h for h in client.get("/api/search", params={"q": "evil0"}).json()][:1]
    return str(hit["key"]).partition("/")[2]


def test_names_are_percent_encoded_in_page_addresses(client: TestClient) -> None:
    name = _evil0(client)
    page = client.get(f"/package/npm/{quote(name, safe='@')}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text  # escaped
    assert "&lt;script&gt;alert" in page.text


def test_search_finds_prefixes_words_purls_iocs_and_typos(client: TestClient) -> None:
    def first(q: str) -> str:
        return str(client.get("/api/search", params={"q": q}).json()[0]["label"])

    assert first("alph") == "alpha (PyPI)"
    assert first("pkg:pypi/be") == "beta (PyPI)"
    assert first("serialize").startswith("node-serialize")
    assert first("evil-c2.example") == "domain: evil-c2.example.com"
    assert first("laodyaml") == "loadyaml (npm)"
    assert client.get("/api/search", params={"q": ""}).json() == []


def test_headers_forbid_inline_code_and_framing(client: TestClient) -> None:
    for path in ["/", "/api/overview", "/static/graph.js", "/nowhere"]:
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_pages_hold_no_inline_script_style_or_remote_resource(client: TestClient) -> None:
    for path in ["/", "/search?q=a", "/package/PyPI/alpha", "/ioc/1", "/graph?node=ioc:1"]:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\ssrc=\"/static/)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"(src|href)=\"(https?:)?//", html.replace(IOC_URL, "")), path


def test_another_host_name_is_refused(client: TestClient) -> None:
    """A page on another site that resolves its name to 127.0.0.1 reads nothing."""
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"host": "127.0.0.1.attacker.example"}).status_code == 400
    for host in ["127.0.0.1:8321", "localhost", "[::1]:8321", "LOCALHOST:1"]:
        assert client.get("/", headers={"host": host}).status_code == 200, host


def test_the_store_is_never_written(web_store: Path) -> None:
    before = hashlib.sha256(web_store.read_bytes()).hexdigest()
    client = TestClient(create_app(web_store), base_url="http://127.0.0.1")
    for path in ["/", "/api/search?q=a", "/api/graph/PyPI/alpha?depth=3", "/api/family/x"]:
        client.get(path)
    assert hashlib.sha256(web_store.read_bytes()).hexdigest() == before
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        Explorer(web_store).db().execute("CREATE TABLE written (x)")


def test_ioc_urls_are_defanged_and_only_http_links_are_made() -> None:
    assert defang("http://evil-c2.example.com/x") == "hxxp[://]evil-c2[.]example[.]com/x"
    assert defang("url: https://a.b") == "url: hxxps[://]a[.]b"
    for url in ["javascript:alert(1)", " JavaScript:x", "data:text/html,x", "/relative", "x"]:
        assert safe_href(url) is None
    assert safe_href("https://example.com/r") == "https://example.com/r"


def test_the_graph_library_ships_with_its_licence() -> None:
    assert (STATIC / "vendor" / "cytoscape.min.js").stat().st_size > 100_000
    assert "Cytoscape Consortium" in (STATIC / "vendor" / "cytoscape.LICENSE").read_text()


def test_serve_refuses_a_remote_address_unless_allowed(web_store: Path) -> None:
    code, _, err = call("--db", str(web_store), "serve", "--host", "0.0.0.0")
    assert code == 2 and "--allow-remote" in err


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    code, _, err = call("--db", str(tmp_path / "none.db"), "serve")
    assert code == 2 and "none.db" in err
    assert not (tmp_path / "none.db").exists()
