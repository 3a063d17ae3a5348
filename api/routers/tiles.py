"""Map tiles (PNG, 256×256, Web Mercator) and TileJSON, rendered from the region's COGs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import RegionDep, ServiceDep
from api.models import TileJson
from api.render import layer_spec, tile_params

router = APIRouter(tags=["tiles"])
YearQuery = Annotated[int | None, Query(description="year of a 'year' layer (land_cover, tree_canopy)")]
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
    """TileJSON 3.0 of a layer: the tile URL (with the year or period filled in), bounds and legend."""
    spec = layer_spec(region, layer)
    params = tile_params(region, spec, year, start, end)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    base = str(request.base_url).rstrip("/")
    described = spec.describe()
    return TileJson(
        name=described.title,
        minzoom=0,
        maxzoom=18,
        bounds=service.bounds_4326(region),
        tiles=[f"{base}/tiles/{region.name}/{layer}/{{z}}/{{x}}/{{y}}.png?{query}"],
        legend=described.legend,
    )
