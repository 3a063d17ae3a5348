"""Map tiles (PNG, 256×256, Web Mercator) and TileJSON, rendered from the region's COGs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import RegionDep, ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from api.models import TileJson
from api.render import layer_spec, layer_title, tile_params

router = APIRouter(tags=["tiles"], responses=error_responses(*COMMON_ERRORS, 503))
YearQuery = Annotated[
    int | None, Query(description="year of a 'year' layer (land_cover, tree_canopy; default: the latest)")
]
StartQuery = Annotated[int | None, Query(description="first year of a 'period' layer")]
EndQuery = Annotated[int | None, Query(description="last year of a 'period' layer")]


@router.get(
    "/tiles/{region}/{layer}/{z}/{x}/{y}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "256×256 PNG (transparent off the data)"}},
)
def tile(
    region: RegionDep,
    service: ServiceDep,
    layer: str,
    z: int,
    x: int,
    y: int,
    year: YearQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> Response:
    """One tile of a layer (see ``tile_layers`` of ``GET /api/regions/{region}`` for layers and legends)."""
    spec = layer_spec(region, layer)
    png = service.tiles.render(region, layer, z, x, y, tile_params(region, spec, year, start, end))
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/tiles/{region}/{layer}/tilejson.json", response_model=TileJson)
def tilejson(
    request: Request,
    region: RegionDep,
    service: ServiceDep,
    layer: str,
    year: YearQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> TileJson:
    """TileJSON 3.0 of a layer: its name (with the years drawn), the tile URL (with the year or period
    filled in), bounds and legend.

    The tile URL starts with the server's configured public URL (``LEARN_PUBLIC_URL``) or, without one,
    is root-relative: never built from the request's Host header, which a client chooses."""
    spec = layer_spec(region, layer)
    params = tile_params(region, spec, year, start, end)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    base = service.settings.public_url or str(request.scope.get("root_path", ""))
    described = spec.describe()
    return TileJson(
        name=layer_title(region, spec, params),
        minzoom=0,
        maxzoom=18,
        bounds=service.bounds_4326(region),
        tiles=[f"{base}/tiles/{region.name}/{layer}/{{z}}/{{x}}/{{y}}.png?{query}"],
        legend=described.legend,
    )
