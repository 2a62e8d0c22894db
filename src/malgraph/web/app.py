"""The explorer's web application (`malgraph serve`): FastAPI over a store opened read-only,
HTML pages and their JSON twins, static files shipped in the package, strict headers."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from malgraph.web.api import api_router
from malgraph.web.explorer import Explorer
from malgraph.web.pages import page_router, templates
from malgraph.web.responses import AllowedHosts, JsonResponse, SecurityHeaders

STATIC = Path(__file__).parent / "static"
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]


def create_app(store: Path, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The app on the store at `store`. `allowed_hosts` are the Host headers it answers
    (loopback names by default: a web page elsewhere cannot reach it by DNS rebinding);
    ["*"] answers any."""
    explorer = Explorer(store)
    app = FastAPI(
        title="malgraph explorer",
        version=version("malgraph"),
        description="A read-only explorer of a malgraph store: each page has a JSON twin.",
        docs_url=None,  # the interactive docs load scripts from a CDN: not here
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(AllowedHosts, hosts=allowed_hosts or LOOPBACK_NAMES)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_router(explorer))
    app.include_router(page_router(explorer))
    views = templates()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """JSON for /api/, a page for the rest; the detail is data, escaped."""
        if request.url.path.startswith("/api/"):
            return JsonResponse({"error": exc.detail}, status_code=exc.status_code)
        page: HTMLResponse = views.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )
        return page

    return app
