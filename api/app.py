"""FastAPI application factory: a thin HTTP shell over ``learn``.

``create_app(catalog_path)`` builds an app with its own :class:`api.service.Service` on ``app.state``
(no global state); ``learn serve`` runs it with uvicorn. Routes: ``/api/...`` (JSON, GeoJSON, downloads,
jobs), ``/tiles/...`` (PNG map tiles); the web map (``webmap/``) is served at ``/``, after the API routes,
and its npm libraries (``webmap/node_modules``) also at ``/vendor/``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from api import errors, openapi
from api.methods import MethodsMiddleware
from api.routers import (
    areas,
    inventory,
    jobs,
    pathways,
    prepare,
    regions,
    sources,
    summary_files,
    tiles,
    trend,
)
from api.service import Service, Settings
from api.sources_status import SourcesMonitor
from api.tile_workers import ProcessTileRenderer
from learn import __version__
from learn.errors import CatalogError
from learn.sources.catalog import default_catalog_path

WEBMAP_DIR = Path(__file__).resolve().parent.parent / "webmap"
METHOD_DOC = Path(__file__).resolve().parent.parent / "docs" / "method.md"
#: Swagger UI of /docs, from npm (webmap/package.json) under /vendor/: the page works without internet.
SWAGGER = "/vendor/swagger-ui-dist"


def _public_url(url: str | None) -> str | None:
    """The configured public URL without a trailing slash (refused unless http(s)://host[/path])."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise CatalogError(
            f"the public URL {url!r} is not an http(s) URL",
            hint="e.g. LEARN_PUBLIC_URL=https://learn.example.org",
        )
    return url.rstrip("/")


def create_app(
    catalog_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    *,
    sync_limit_ha: float = 50_000.0,
    max_upload_bytes: int = 5 * 1024 * 1024,
    max_vertices: int = 100_000,
    tile_workers: int = 0,
    max_pending_jobs: int = 16,
    max_pending_prepare: int = 4,
    max_areas: int = 5000,
    public_url: str | None = None,
    webmap_dir: str | Path | None = WEBMAP_DIR,
) -> FastAPI:
    """The API for one catalog (default: ``$LEARN_CATALOG`` or ``./data_catalog.yaml``).

    ``cache_dir`` holds the per-region summaries (default ``outputs/api_cache``); custom polygons larger
    than ``sync_limit_ha`` hectares run as background jobs; uploads are limited to ``max_upload_bytes``
    and ``max_vertices``; at most ``max_pending_jobs`` background jobs wait or run (more → 503), and at most
    ``max_pending_prepare`` counties wait to be prepared on request (0: the server prepares none); the
    ``max_areas`` drawn/uploaded areas used most recently (posted or read) are kept for their links (``cache_dir/areas``).
    ``public_url`` (default ``$LEARN_PUBLIC_URL``) is the absolute URL clients reach the service at, for
    TileJSON tile URLs (root-relative without it). ``tile_workers`` > 0 renders cold map tiles in that many processes (``learn
    serve`` uses every core); 0 renders them on the server's threads. ``webmap_dir=None`` serves the API only.
    """
    settings = Settings(
        catalog_path=Path(catalog_path) if catalog_path else default_catalog_path(),
        cache_dir=Path(cache_dir) if cache_dir else Settings.cache_dir,
        sync_limit_ha=sync_limit_ha,
        max_upload_bytes=max_upload_bytes,
        max_vertices=max_vertices,
        tile_workers=tile_workers,
        max_pending_jobs=max_pending_jobs,
        max_pending_prepare=max_pending_prepare,
        max_areas=max_areas,
        public_url=_public_url(public_url or os.environ.get("LEARN_PUBLIC_URL")),
    )
    service = Service(settings)  # a broken catalog fails here, with the library's message

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if isinstance(service.tiles, ProcessTileRenderer):
            service.tiles.start()  # in the background: the server answers at once
        yield
        service.close()

    app = FastAPI(
        title="LEARN Navigator API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served below from the npm copy of Swagger UI, not FastAPI's CDN default
        redoc_url=None,
        description="Forest and tree-canopy greenhouse-gas inventories per jurisdiction (t CO2e/yr, hectares), "
        'after the ICLEI USA / WRI LEARN method. Errors are JSON `{"detail": "..."}` (a 422 adds `errors`).',
    )
    app.state.service = service
    app.state.sources_monitor = SourcesMonitor(settings.catalog_path)  # GET /api/sources/status
    errors.install(app)
    for module in (regions, summary_files, inventory, areas, trend, pathways, jobs, prepare, sources, tiles):
        app.include_router(module.router)
    openapi.install(app, service.catalog)
    _add_doc_pages(app)
    app.add_middleware(MethodsMiddleware, routes=list(app.router.routes))  # API routes only, not the mounts
    if webmap_dir is not None and Path(webmap_dir).is_dir():
        vendor = Path(webmap_dir) / "node_modules"
        if vendor.is_dir():
            app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
        app.mount("/", StaticFiles(directory=webmap_dir, html=True), name="webmap")
    return app


def _add_doc_pages(app: FastAPI) -> None:
    """``/docs`` (Swagger UI with local script and styles) and ``/method`` (docs/method.md as text, linked from
    the map's report panel)."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API docs",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    @app.get("/method", include_in_schema=False)
    def method() -> PlainTextResponse:
        if not METHOD_DOC.is_file():
            return PlainTextResponse("docs/method.md is not installed with this server", status_code=404)
        return PlainTextResponse(METHOD_DOC.read_text(encoding="utf-8"))
