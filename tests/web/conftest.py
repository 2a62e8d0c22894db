"""The explorer's test store, served from a thread on 127.0.0.1, and a headless Chromium
(Debian's `chromium`, driven by Playwright; never `playwright install`).

The store holds code relations (alpha and beta share their code: a similar edge and a
family; loadyaml depends on node-serialize) and an XSS corpus in every field a page shows:
package names, summaries, report titles and URLs, campaign names and descriptions, IoCs."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from malgraph.store import Store
from malgraph.web.app import create_app
from malgraph.web.background import serving
from tests.conftest import REPO, osv, write_json
from tests.graph_inputs import build_code_store, sdist
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
LONG = "x" * 10_240
XSS = [  # what an attacker writes where a page shows text
    "<script>alert('script')</script>",
    '"><img src=x onerror=alert("img")>',
    "<svg onload=alert('svg')><script>alert(1)</script></svg>",
    "javascript:alert('js-url')",
    "data:text/html,<script>alert('data-url')</script>",
    "\u202eexe.txt\u202c <b onmouseover=alert('rtl')>",
    "{{7*7}} ${alert('template')}",
]
RTL = "\u202e"
# ingest refuses a name with a bidi override (no registry allows one): that one is put in
# directly, with the rows below
HOSTILE_NAMES = [f"evil{i}-{p}" for i, p in enumerate(XSS) if RTL not in p] + [f"long-{LONG}"]
HOSTILE_URLS = [
    "javascript:alert('href')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "JaVaScRiPt:alert('mixed')",
    " javascript:alert('spaced')",
]
IOC_URL = "http://evil-c2.example.com/payload.sh"


def _feed(feed: Path, folder: Path) -> None:
    seed = program(SEED_FUNCTIONS)
    for name, code in {"alpha": seed, "beta": seed, "other": program(OTHER_FUNCTIONS)}.items():
        record = osv(f"MAL-{name}", name, ecosystem="PyPI", versions=["1.0"])
        write_json(feed / f"{name}.json", record)
        (folder / f"{name}-1.0.tar.gz").write_bytes(sdist(name, code))
    write_json(feed / "ns.json", osv("MAL-NS", "node-serialize", versions=None))
    for i, name in enumerate(HOSTILE_NAMES):
        record = osv(
            f"MAL-XSS-{i}",
            name,
            versions=["1.0.0"],
            summary=XSS[i % len(XSS)],
            details=f"{XSS[i % len(XSS)]} fetches {IOC_URL}",
            references=[{"type": "REPORT", "url": url} for url in HOSTILE_URLS],
        )
        write_json(feed / f"xss-{i}.json", record)


def _hostile_rows(db: sqlite3.Connection) -> None:
    """A report, a campaign and IoCs written as an attacker would, tied to the first hostile
    package: put in directly, so that no ingest-time cleaning hides what the pages must
    withstand."""
    (record,) = db.execute(
        "SELECT min(r.id) FROM records r JOIN packages p ON p.id = r.package_id"
        " WHERE p.name LIKE 'evil0-%'"
    ).fetchone()
    (source,) = db.execute("SELECT min(id) FROM sources").fetchone()
    for i, payload in enumerate(XSS):
        url = HOSTILE_URLS[i % len(HOSTILE_URLS)]
        db.execute(
            "INSERT INTO reports (url_key, url, site, title) VALUES (?, ?, ?, ?)",
            (f"xss-{i}", url, payload, payload),
        )
        db.execute(
            "INSERT INTO record_reports VALUES (?, last_insert_rowid(), 'REPORT')", (record,)
        )
        db.execute(
            "INSERT INTO campaigns (source_id, key, name, category, description, refs)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (source, f"xss-{i}", payload, payload, payload, f'["{url}"]'),
        )
        db.execute("INSERT INTO campaign_members VALUES (last_insert_rowid(), ?)", (record,))
    for kind, value in [
        ("url", IOC_URL),
        ("url", HOSTILE_URLS[0]),
        ("domain", "evil-c2.example.com"),
    ]:
        db.execute("INSERT OR IGNORE INTO iocs (kind, value) VALUES (?, ?)", (kind, value))
        (ioc,) = db.execute(
            "SELECT id FROM iocs WHERE kind = ? AND value = ?", (kind, value)
        ).fetchone()
        db.execute(
            "INSERT OR IGNORE INTO ioc_sightings (ioc_id, record_id, as_written) VALUES (?, ?, ?)",
            (ioc, record, value),
        )
    db.execute(
        "INSERT INTO packages (ecosystem, name, ecosystem_known, purl) VALUES (?, ?, 1, ?)",
        ("npm", f"rtl-{XSS[5]}", "pkg:npm/rtl"),
    )
    db.commit()


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    feed, folder = root / "osv", root / "archives"
    folder.mkdir()
    _feed(feed, folder)
    with Store(root / "web.db") as store:
        build_code_store(store, feed, folder, root / "paper")
        _hostile_rows(store.db)
    return root / "web.db"


@pytest.fixture(scope="session")
def base_url(web_store: Path) -> Iterator[str]:
    with serving(create_app(web_store)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("the browser tests need Debian's chromium: see the README's test command")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()


class Watched:
    """A page with every dialog, console error and page error it raised."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield Watched(page)
    context.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where the screenshots of this run are, for review."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"explorer screenshots: {SCREENSHOTS}")


def screenshot(page: Page, name: str) -> Path:
    """Save the page for review (the run's summary names the folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path
