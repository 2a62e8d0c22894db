"""Hostile data stays data: the XSS corpus of the test store (script tags, event handlers,
javascript: and data: URLs, SVG payloads, RTL overrides, a 10 KB name) rendered in Chromium
runs no script, raises no error, and leaves no clickable javascript: or data: link; IoC URLs
are shown defanged and never as links."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.web.conftest import IOC_URL, Watched, screenshot

# Every element carrying an address or an event handler, as the DOM holds them.
DANGEROUS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith("on")) found.push(`${el.tagName} ${name}`);
      const address = ["href", "src", "action", "formaction", "xlink:href", "srcdoc"];
      if (address.includes(name) && !(el.tagName === "LINK" && value === "data:,")
          && /^(javascript|data|vbscript):/.test(value.replace(/\\s/g, ""))) {
        found.push(`${el.tagName} ${name}=${value.slice(0, 60)}`);
      }
    }
  }
  return found;
}"""


def _pages(base_url: str) -> list[str]:
    def hits(q: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(
            f"{base_url}/api/search", params={"q": q, "limit": 100}
        ).json()
        return found

    pages = ["/", "/search?q=evil", "/search?q=%3Cscript%3E", "/search?q=javascript"]
    for q in ["evil", "long-", "rtl-", "<", "javascript", "data:", "{{", "evil-c2"]:
        pages += [hit["page"] for hit in hits(q)]
    pages += [f"/campaign/{i}" for i in range(1, 8)] + ["/source/ossf-malicious-packages"]
    return list(dict.fromkeys(pages))


def _visit(watched: Watched, url: str) -> None:
    page = watched.page
    page.goto(url)
    if page.locator("#graph").count():
        expect(page.locator("#graph-status")).to_contain_text("nodes")
        for button in page.locator("#node-list button, #edge-list button").all()[:30]:
            button.click()  # every detail panel renders its hostile text


def test_the_xss_corpus_runs_nothing(base_url: str, watched: Watched) -> None:
    pages = _pages(base_url)
    assert len(pages) > 20  # the corpus is there to be shown
    for path in pages:
        _visit(watched, base_url + path)
        assert watched.page.evaluate(DANGEROUS) == [], path
        assert watched.dialogs == [], path
        assert watched.errors == [], path
    watched.page.goto(base_url + "/search?q=evil2")
    screenshot(watched.page, "hostile-search")
    watched.page.locator("#hits a").first.click()
    expect(watched.page.locator("#graph-status")).to_contain_text("nodes")
    screenshot(watched.page, "hostile-package")


def test_the_10_kb_name_is_shown_and_wrapped(base_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(base_url + "/search?q=long-")
    page.locator("#hits a").first.click()
    expect(page.locator("h1.package-name")).to_contain_text("x" * 1000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280 + 20  # wrapped, not a page ten thousand characters wide


def test_a_bidi_override_is_shown_as_an_escape(base_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(base_url + "/search?q=rtl-")
    page.locator("#hits a").first.click()
    heading = page.locator("h1.package-name").inner_text()
    assert "\\u202e" in heading and "\u202e" not in heading


def test_ioc_urls_are_defanged_and_never_links(base_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(base_url + "/search?q=evil-c2")
    assert "hxxp[://]evil-c2[.]example[.]com" in page.locator("#hits").inner_text()
    page.goto(base_url + "/search?q=evil0")
    page.locator("#hits a").first.click()
    expect(page.locator("ul.iocs")).to_contain_text("hxxp[://]evil-c2[.]example[.]com/payload[.]sh")
    for path in ["/search?q=evil-c2", "/ioc/2", page.url.removeprefix(base_url)]:
        page.goto(base_url + path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
        outside = [href for href in hrefs if not href.startswith(base_url)]
        assert not [href for href in outside if "evil-c2" in href], path
        assert IOC_URL not in page.content(), path
