"""The explorer's HTML pages, each the twin of an /api/ route; Jinja2 templates with
auto-escaping on, and the filters of malgraph.web.present for what escaping cannot do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from malgraph.core.kinds import EdgeKind, WebLinkKind
from malgraph.core.web import PackageRef
from malgraph.web.explorer import Explorer
from malgraph.web.graph import any_node, package_node_id
from malgraph.web.present import defang, package_path, page_path, safe_href, short, visible

TEMPLATES = Path(__file__).parent / "templates"
GRAPH_KINDS = [*EdgeKind, *WebLinkKind]
T = TypeVar("T")
Render = Callable[..., HTMLResponse]


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        visible=visible,
        short=short,
        defang=defang,
        safe_href=safe_href,
        package_path=package_path,
    )
    env.globals.update(page_path=page_path, PackageRef=PackageRef, graph_kinds=GRAPH_KINDS)
    return Jinja2Templates(env=env)


def shown(value: T | None, what: str) -> T:
    """The value a page shows; HTTP 404 when the store has none."""
    if value is None:
        raise HTTPException(404, f"no {what} in the store")
    return value


def page_router(explorer: Explorer) -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
    views = templates()

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        return views.TemplateResponse(request, name, context)

    @pages.get("/")
    def overview(request: Request) -> HTMLResponse:
        return render(request, "overview.html", overview=explorer.overview)

    @pages.get("/search")
    def search(request: Request, q: str = "") -> HTMLResponse:
        return render(request, "search.html", q=q, hits=explorer.search(q, 100))

    @pages.get("/package/{ecosystem}/{name:path}")
    def package(request: Request, ecosystem: str, name: str) -> HTMLResponse:
        card = shown(explorer.package(ecosystem, name), "such package")
        ref = PackageRef(card.ecosystem, card.name)
        return render(request, "package.html", card=card, node=package_node_id(ref), ref=ref)

    @pages.get("/graph")
    def graph(request: Request, node: str) -> HTMLResponse:
        try:
            start = any_node(node)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return render(request, "graph.html", start=start)

    _group_pages(pages, explorer, render)
    return pages


def _group_pages(pages: APIRouter, explorer: Explorer, render: Render) -> None:
    """The family, report, campaign, IoC and source pages."""

    @pages.get("/family/{family}")
    def family(request: Request, family: str) -> HTMLResponse:
        found = shown(explorer.family(family), "such family")
        return render(request, "family.html", family=found, node=f"family:{found.id}")

    @pages.get("/report/{report}")
    def report(request: Request, report: int) -> HTMLResponse:
        found = shown(explorer.report(report), "such report")
        return render(request, "report.html", report=found, node=f"report:{found.id}")

    @pages.get("/campaign/{campaign}")
    def campaign(request: Request, campaign: int) -> HTMLResponse:
        found = shown(explorer.campaign(campaign), "such campaign")
        return render(request, "campaign.html", campaign=found, node=f"campaign:{found.id}")

    @pages.get("/ioc/{ioc}")
    def ioc(request: Request, ioc: int) -> HTMLResponse:
        found = shown(explorer.ioc(ioc), "such IoC")
        return render(request, "ioc.html", ioc=found, node=f"ioc:{found.id}")

    @pages.get("/source/{source}")
    def source(request: Request, source: str) -> HTMLResponse:
        found = shown(explorer.source(source), "such source")
        return render(request, "source.html", source=found)
