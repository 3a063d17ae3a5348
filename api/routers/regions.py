"""Service health, regions, their boundaries (GeoJSON) and the totals of every boundary (summary)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import PeriodDep, RegionDep, ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from api.models import Health, RegionDetail, RegionInfo, Summary
from api.render import tile_layers
from api.tile_workers import ProcessTileRenderer
from learn import __version__

router = APIRouter(tags=["regions"], responses=error_responses(*COMMON_ERRORS))


@router.get("/api/health", response_model=Health)
async def health(service: ServiceDep) -> Health:
    """Liveness, the software version and whether the tile processes are up (false while they (re)start)."""
    tiles = service.tiles
    if isinstance(tiles, ProcessTileRenderer):
        return Health(
            version=__version__,
            tile_workers=tiles.workers,
            tile_workers_ready=tiles.ready_now(),
            tile_worker_restarts=tiles.restarts,
        )
    return Health(version=__version__)


@router.get("/api/regions", response_model=list[RegionInfo])
def regions(service: ServiceDep) -> list[RegionInfo]:
    """The catalog's regions with their land-cover years and default period."""
    out = []
    for name in service.region_names():
        reg = service.region(name)
        out.append(
            RegionInfo(
                name=name,
                title=service.preparer.title(name) or name,
                description=reg.spec.description,
                synthetic=reg.spec.synthetic,
                years=reg.land_cover_years,
                default_period=reg.default_period,
            )
        )
    return out


@router.get("/api/regions/{region}", response_model=RegionDetail)
def region_detail(region: RegionDep, service: ServiceDep) -> RegionDetail:
    """One region: years, canopy years, disturbance periods, layers, extent (EPSG:4326) and tile layers."""
    return RegionDetail(
        name=region.name,
        title=service.preparer.title(region.name) or region.name,
        description=region.spec.description,
        synthetic=region.spec.synthetic,
        years=region.land_cover_years,
        canopy_years=region.canopy_years,
        disturbance_periods=region.disturbance_periods,
        default_period=region.default_period,
        layers=list(region.spec.layers),
        boundaries_count=len(region.boundaries.frame),
        bounds=service.bounds_4326(region),
        tile_layers=tile_layers(region),
    )


@router.get(
    "/api/regions/{region}/boundaries",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}, "description": "GeoJSON FeatureCollection"}},
)
def boundaries(
    region: RegionDep,
    service: ServiceDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="case-insensitive part of a name, or the start of an id"),
    ] = None,
) -> Response:
    """Boundaries as GeoJSON in EPSG:4326, simplified to about one pixel; properties ``id``, ``name``, ``kind``."""
    frame, text = service.display_boundaries(region)
    if q and q.strip():
        needle = q.strip().lower()
        hit = frame["name"].str.lower().str.contains(needle, regex=False) | frame[
            "id"
        ].str.lower().str.startswith(needle)
        text = frame[hit].to_json(drop_id=True)
    return Response(text, media_type="application/geo+json")


@router.get("/api/regions/{region}/summary", response_model=Summary)
def summary(region: RegionDep, period: PeriodDep, service: ServiceDep) -> Summary:
    """Totals (t CO2e/yr, and t CO2e/ha/yr) of every boundary for one period, for the choropleth.

    Computed once with one raster pass (``learn batch``) and kept on disk under the cache folder.
    """
    start, end = period
    return Summary(start=start, end=end, boundaries=service.summary(region, start, end))
