"""FastAPI application factory: a thin shell over ``learn``.

``create_app(catalog_path)`` builds an app with its own :class:`api.service.Service` (no global
state); ``learn serve`` runs it with uvicorn. The web map (``webmap/``) is served at ``/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api.routes import router
from api.service import Service
from api.tiles import router as tiles_router
from learn import __version__
from learn.catalog import default_catalog_path

WEBMAP_DIR = Path(__file__).resolve().parent.parent / "webmap"


def create_app(
    catalog_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    sync_limit_ha: float = 50_000.0,
) -> FastAPI:
    """The API for one catalog; ``cache_dir`` holds batch summaries (default ``outputs/api_cache``)."""
    service = Service(
        catalog_path=Path(catalog_path) if catalog_path else default_catalog_path(),
        cache_dir=Path(cache_dir) if cache_dir else Path("outputs") / "api_cache",
        sync_limit_ha=sync_limit_ha,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        title="LEARN Navigator API",
        version=__version__,
        lifespan=lifespan,
        description="Forest and tree-canopy GHG inventories (t CO2e/yr) per jurisdiction, "
        "after ICLEI USA / WRI LEARN.",
    )
    app.state.service = service
    errors.install(app)
    app.include_router(router)
    app.include_router(tiles_router)
    if WEBMAP_DIR.exists():
        app.mount("/", StaticFiles(directory=WEBMAP_DIR, html=True), name="webmap")
    return app
