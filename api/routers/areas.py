"""Stored areas (drawn or uploaded polygons, :mod:`api.areas`): their shape, report and downloads by id.

The same report and the same download builders as a jurisdiction's; files are named
``learn_<area name>_<start>_<end>.<ext>``.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.concurrency import run_in_threadpool

from api.areas import AREA_ID
from api.deps import OptionsDep, PeriodDep, RegionDep, ServiceDep
from api.downloads import CONTENT, DOWNLOADS, ascii_name, download
from api.errors import COMMON_ERRORS, NotFound, error_responses
from api.service import CachedReport, Service
from learn.pipeline.region import InventoryOptions, Region
from learn.report.models import Report

router = APIRouter(tags=["areas"], responses=error_responses(*COMMON_ERRORS))
AreaId = Annotated[
    str,
    Path(
        pattern=AREA_ID.pattern,
        description="the id a posted polygon got (header Learn-Area-Id, or the map's ?area=): 22 characters",
    ),
]
BASE = "/api/regions/{region}/areas/{area_id}"


def area_download_name(report: Report, ext: str) -> str:
    """``learn_<name>_<start>_<end>.<ext>``, the name in ASCII ("area" when it has none to show)."""
    name = ascii_name(report.boundary.name) or "area"
    return f"learn_{name}_{report.period.start}_{report.period.end}.{ext}"


def _report(
    service: Service,
    region: Region,
    area_id: str,
    period: tuple[int, int],
    options: InventoryOptions,
) -> CachedReport:
    area = service.areas.get(region.name, area_id)
    return service.area_report(region, area, period[0], period[1], options)


@router.get(
    BASE,
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}, "description": "GeoJSON Feature, EPSG:4326"}},
)
def area_shape(region: RegionDep, area_id: AreaId, service: ServiceDep) -> Response:
    """The stored area as a GeoJSON Feature (EPSG:4326) with its ``id``, ``name`` and ``region``."""
    area = service.areas.get(region.name, area_id)
    return Response(json.dumps(area.feature), media_type="application/geo+json")


@router.get(f"{BASE}/inventory", response_model=Report, response_class=Response)
async def area_inventory(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The JSON report of a stored area: the report its POST answered (cached), for any period."""
    cached = await run_in_threadpool(_report, service, region, area_id, period, options)
    return Response(cached.json, media_type="application/json")


def _download(
    service: Service,
    region: Region,
    area_id: str,
    period: tuple[int, int],
    options: InventoryOptions,
    ext: str,
) -> Response:
    area = service.areas.get(region.name, area_id)
    report = service.area_report(region, area, period[0], period[1], options).report
    b = area.boundary(region.grid.crs) if ext == "geojson" else None
    return download(report, ext, area_download_name(report, ext), b, area_id=area.id)


@router.get(f"{BASE}/inventory.json", response_model=Report, response_class=Response)
def area_inventory_json(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The JSON report as a download."""
    return _download(service, region, area_id, period, options, "json")


@router.get(f"{BASE}/inventory.csv", response_class=Response, responses=CONTENT["csv"])
def area_inventory_csv(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report in LEARN's 4-table CSV layout, as for a jurisdiction."""
    return _download(service, region, area_id, period, options, "csv")


@router.get(f"{BASE}/inventory.xlsx", response_class=Response, responses=CONTENT["xlsx"])
def area_inventory_xlsx(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report as an Excel workbook (About sheet, one sheet per table)."""
    return _download(service, region, area_id, period, options, "xlsx")


@router.get(f"{BASE}/inventory.geojson", response_class=Response, responses=CONTENT["geojson"])
def area_inventory_geojson(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The area (EPSG:4326) as a GeoJSON FeatureCollection with the report's totals and ``area_id`` as properties."""
    return _download(service, region, area_id, period, options, "geojson")


@router.get(f"{BASE}/inventory.html", response_class=Response, responses=CONTENT["html"])
def area_inventory_html(
    region: RegionDep, area_id: AreaId, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report as one self-contained printable HTML page."""
    return _download(service, region, area_id, period, options, "html")


@router.get(BASE + "/inventory.{ext}", include_in_schema=False)
def area_inventory_unknown_format(ext: str) -> Response:
    raise NotFound(
        f"unknown download format '.{ext}'", hint=f"use one of {', '.join('.' + d for d in DOWNLOADS)}"
    )
