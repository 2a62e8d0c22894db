"""The JSON twins of the explorer's pages, under /api/ (OpenAPI at /api/openapi.json)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from malgraph.core.web import PackageRef
from malgraph.web.explorer import Explorer
from malgraph.web.graph import ALL_KINDS, MAX_DEPTH, any_node, start_node
from malgraph.web.present import page_path
from malgraph.web.responses import JsonResponse, family_json

Depth = Annotated[int, Query(ge=1, le=MAX_DEPTH, description="Steps from the start node.")]
Kinds = Annotated[
    str | None,
    Query(description=f"Comma-separated link kinds (default all): {', '.join(sorted(ALL_KINDS))}"),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Neighbours shown per node.")]


def kinds_of(text: str | None) -> frozenset[str]:
    """The kinds asked for; HTTP 400 on one the graph does not know."""
    if not text:
        return ALL_KINDS
    asked = frozenset(kind.strip() for kind in text.split(",") if kind.strip())
    unknown = asked - ALL_KINDS
    if unknown:
        raise HTTPException(400, f"unknown kinds: {', '.join(sorted(unknown))}")
    return asked


def found(value: Any, what: str) -> Any:
    if value is None:
        raise HTTPException(404, f"no {what} in the store")
    return value


def api_router(explorer: Explorer) -> APIRouter:
    api = APIRouter(prefix="/api", default_response_class=JsonResponse)

    @api.get("/overview")
    def overview() -> Any:
        """The store's totals and the RQ1 numbers the overview draws."""
        return JsonResponse(explorer.overview.as_json())

    @api.get("/search")
    def search(q: str = "", limit: Limit = 50) -> Any:
        """Packages (name or purl), IoCs, reports, families, campaigns and sources whose text
        starts with q, or is one typo from it; each hit with its page."""
        hits = explorer.search(q, limit)
        return JsonResponse(
            [
                {
                    **_entry(hit.entry),
                    "match": hit.how,
                    "page": page_path(hit.entry.kind, hit.entry.key),
                }
                for hit in hits
            ]
        )

    @api.get("/package/{ecosystem}/{name:path}")
    def package(ecosystem: str, name: str) -> Any:
        """The package's card, as `malgraph show --format json` prints it, without
        `coreported` (a report may name thousands of packages: see its reports and
        campaigns, or the graph)."""
        card = found(explorer.package(ecosystem, name), "such package").as_json()
        del card["coreported"]
        return JsonResponse(card)

    @api.get("/graph/{ecosystem}/{name:path}")
    def graph(
        ecosystem: str, name: str, depth: Depth = 1, kinds: Kinds = None, limit: Limit = 25
    ) -> Any:
        """The neighbourhood of a package: nodes, edges with their evidence, and per node the
        neighbours left out by `limit` (`more`)."""
        card = found(explorer.package(ecosystem, name), "such package")
        start = start_node(PackageRef(card.ecosystem, card.name))
        return JsonResponse(explorer.graph(start, depth, kinds_of(kinds), limit).as_json())

    @api.get("/node")
    def node(id: str, depth: Depth = 1, kinds: Kinds = None, limit: Limit = 25) -> Any:
        """The neighbourhood of any node by its id (`package:npm/name`, `family:ID`,
        `report:ID`, `campaign:ID`, `ioc:ID`): what expanding a node of the graph adds."""
        try:
            start = any_node(id)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return JsonResponse(explorer.graph(start, depth, kinds_of(kinds), limit).as_json())

    _group_routes(api, explorer)
    return api


def _group_routes(api: APIRouter, explorer: Explorer) -> None:
    """The twins of the family, report, campaign, IoC and source pages."""

    @api.get("/family/{family}")
    def family(family: str) -> Any:
        return JsonResponse(family_json(found(explorer.family(family), "such family")))

    @api.get("/report/{report}")
    def report(report: int) -> Any:
        return JsonResponse(found(explorer.report(report), "such report"))

    @api.get("/campaign/{campaign}")
    def campaign(campaign: int) -> Any:
        return JsonResponse(found(explorer.campaign(campaign), "such campaign"))

    @api.get("/ioc/{ioc}")
    def ioc(ioc: int) -> Any:
        return JsonResponse(found(explorer.ioc(ioc), "such IoC"))

    @api.get("/source/{source}")
    def source(source: str) -> Any:
        return JsonResponse(found(explorer.source(source), "such source"))


def _entry(entry: Any) -> dict[str, Any]:
    return {"kind": entry.kind, "text": entry.text, "key": entry.key, "label": entry.label}
