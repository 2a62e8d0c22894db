"""The explorer in a real browser: an analyst's path through it (search, a package, its
graph, an edge, a family), with screenshots of the main pages saved for review."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import Watched, screenshot


def _graph_drawn(watched: Watched) -> None:
    expect(watched.page.locator("#graph-status")).to_contain_text("nodes")


def test_search_package_graph_edge_family(base_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("Overview")
    screenshot(page, "overview")

    page.fill("#q", "alph")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=alph"))
    screenshot(page, "search")
    page.locator("#hits a", has_text="alpha").first.click()

    expect(page).to_have_url(re.compile(r"/package/PyPI/alpha$"))
    _graph_drawn(watched)
    expect(page.locator("#edge-list button", has_text="similar")).to_have_count(1)
    screenshot(page, "package")

    # expand beta: its own links (to the family, at least) join the graph
    before = page.locator("#edge-list button").count()
    page.locator("#node-list button", has_text="beta").click()
    page.locator("#detail button.expand").first.click()
    expect(page.locator("#edge-list button")).not_to_have_count(before)
    page.select_option("#graph-depth", "2")
    page.click("#graph-draw")
    _graph_drawn(watched)

    # follow the similar edge to the other package: its evidence shows, then its page opens
    page.locator("#edge-list button", has_text="similar").click()
    expect(page.locator("#detail pre.evidence")).to_be_visible()
    page.locator("#detail p.follow a", has_text="beta").click()
    expect(page).to_have_url(re.compile(r"/package/PyPI/beta$"))
    _graph_drawn(watched)

    page.locator("a.family-link").first.click()
    expect(page).to_have_url(re.compile(r"/family/F-"))
    expect(page.locator("table")).to_contain_text("alpha")
    _graph_drawn(watched)
    screenshot(page, "family")
    assert watched.dialogs == [] and watched.errors == []


def test_a_typo_still_finds_the_package(base_url: str, watched: Watched) -> None:
    watched.page.goto(base_url + "/search?q=laodyaml")
    expect(watched.page.locator("#hits")).to_contain_text("loadyaml")


def test_keyboard_reaches_search_and_graph_lists(base_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(base_url + "/package/npm/loadyaml")
    _graph_drawn(watched)
    page.keyboard.press("Tab")  # the skip link first
    expect(page.locator("a.skip")).to_be_focused()
    page.locator("#edge-list button").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_contain_text("depends_on")
    assert watched.errors == []
