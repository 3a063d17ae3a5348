"""Inventories: the report of a boundary (JSON, cached), its downloads, and reports of custom polygons."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import shapely
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import BoundaryQuery, OptionsDep, PeriodDep, RegionDep, ServiceDep, period_query
from api.downloads import CONTENT, DOWNLOADS, XLSX, ascii_name, attachment, download
from api.errors import COMMON_ERRORS, NotFound, OutsideData, error_responses
from api.geo import boundary_from_geojson, boundary_from_upload, read_body, read_upload
from api.models import JobAccepted
from api.service import CachedReport, Service
from learn.pipeline.batch import safe_name
from learn.pipeline.region import InventoryOptions, Region
from learn.report.models import Report
from learn.sources.boundaries import Boundary

router = APIRouter(tags=["inventory"], responses=error_responses(*COMMON_ERRORS))
log = logging.getLogger("api")
__all__ = ["DOWNLOADS", "XLSX", "download_name", "router"]
#: The header naming the stored area of a posted polygon (its link: /api/regions/{region}/areas/{id}).
AREA_HEADER = "Learn-Area-Id"
PaperQuery = Annotated[
    Literal["letter", "a4"],
    Query(description="paper size of the PDF: US Letter (612 × 792 pt) or A4 (595 × 842 pt)"),
]


def _report(
    service: Service, region: Region, boundary: str, period: tuple[int, int], options: InventoryOptions
) -> CachedReport:
    return service.report(region, boundary, period[0], period[1], options)


@router.get("/api/regions/{region}/inventory", response_model=Report, response_class=Response)
def inventory(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The JSON report of one boundary and period: the same document as ``learn inventory``.

    Fluxes in t CO2e/yr, areas in ha. Cached in memory; reports a summary already computed are reused.
    """
    return Response(_report(service, region, boundary, period, options).json, media_type="application/json")


def download_name(report: Report, ext: str, suffix: str = "") -> str:
    """``learn_<id>_<name>_<start>_<end><suffix>.<ext>``, the name in ASCII (a header's file name), left out when
    it is the id; the web map names its links the same way. ``suffix``: the PDF's paper (``_letter``, ``_a4``)."""
    parts = [safe_name(report.boundary.id)]
    name = ascii_name(report.boundary.name)
    if name and name != parts[0]:
        parts.append(name)
    return f"learn_{'_'.join(parts)}_{report.period.start}_{report.period.end}{suffix}.{ext}"


def _download(
    service: Service,
    region: Region,
    boundary: str,
    period: tuple[int, int],
    options: InventoryOptions,
    ext: str,
) -> Response:
    report = _report(service, region, boundary, period, options).report
    b = region.boundaries.get(boundary) if ext == "geojson" else None
    return download(report, ext, download_name(report, ext), b)


@router.get("/api/regions/{region}/inventory.json", response_model=Report, response_class=Response)
def inventory_json(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The JSON report as a download."""
    return _download(service, region, boundary, period, options, "json")


@router.get("/api/regions/{region}/inventory.csv", response_class=Response, responses=CONTENT["csv"])
def inventory_csv(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report in LEARN's 4-table CSV layout (land use change, canopy, GHG inventory, IPCC summary)."""
    return _download(service, region, boundary, period, options, "csv")


@router.get("/api/regions/{region}/inventory.xlsx", response_class=Response, responses=CONTENT["xlsx"])
def inventory_xlsx(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report as an Excel workbook, one sheet per table (plus warnings and provenance)."""
    return _download(service, region, boundary, period, options, "xlsx")


@router.get("/api/regions/{region}/inventory.geojson", response_class=Response, responses=CONTENT["geojson"])
def inventory_geojson(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The boundary (EPSG:4326) as a GeoJSON FeatureCollection with the report's totals as properties."""
    return _download(service, region, boundary, period, options, "geojson")


@router.get("/api/regions/{region}/inventory.html", response_class=Response, responses=CONTENT["html"])
def inventory_html(
    region: RegionDep, boundary: BoundaryQuery, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """The report as one self-contained HTML page (tables, charts, provenance) that prints to PDF."""
    return _download(service, region, boundary, period, options, "html")


@router.get(
    "/api/regions/{region}/inventory.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the printable report as a PDF"}},
)
def inventory_pdf(
    region: RegionDep,
    boundary: BoundaryQuery,
    period: PeriodDep,
    options: OptionsDep,
    service: ServiceDep,
    paper: PaperQuery = "letter",
) -> Response:
    """The printable report as a PDF (the HTML report laid out on Letter or A4 pages by WeasyPrint).

    Page 1: the headline totals (with their 90 % interval when known), a plain-language sentence and a
    locator map of the boundary over its region with the period's forest change, drawn from the region's
    rasters. Then the inventory chart and tables, the change matrix (landscape page), provenance, method.
    """
    from learn.pipeline.region_map import locator_map  # lazy: WeasyPrint and matplotlib only when asked for
    from learn.report.pdf import render_pdf

    report = _report(service, region, boundary, period, options).report
    locator = locator_map(region, region.boundaries.get(boundary), *period)
    return Response(
        render_pdf(report, paper=paper, locator=locator),
        media_type="application/pdf",
        headers=attachment(
            download_name(report, "pdf", suffix=f"_{paper}")
        ),  # Letter and A4 apart (issue 26)
    )


@router.get("/api/regions/{region}/inventory.{ext}", include_in_schema=False)
def inventory_unknown_format(ext: str) -> Response:
    raise NotFound(
        f"unknown download format '.{ext}'",
        hint=f"use one of {', '.join('.' + d for d in (*DOWNLOADS, 'pdf'))}",
    )


POLYGON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "GeoJSON Feature, FeatureCollection or Geometry"}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "GeoJSON, zipped shapefile or GeoPackage",
                        }
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/api/regions/{region}/inventory",
    response_model=Report,
    response_class=Response,
    responses={
        202: {"model": JobAccepted, "description": "large polygon: poll /api/jobs/{job_id}"},
        **error_responses(413, 503),
    },
    openapi_extra=POLYGON_BODY,
)
async def inventory_polygon(
    request: Request, region: RegionDep, period: PeriodDep, options: OptionsDep, service: ServiceDep
) -> Response:
    """Report of a drawn or uploaded polygon (EPSG:4326 unless a ``crs`` member says otherwise).

    Polygons up to the server's limit (default 50,000 ha) are answered directly (200); larger ones start
    a background job (202, ``Location`` and ``Retry-After`` headers). Limits: 5 MB, 100,000 vertices.
    """
    settings = service.settings
    body = await read_body(request, settings.max_upload_bytes)
    grid_crs = region.grid.crs
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        filename, data = await read_upload(request, body, settings.max_upload_bytes)
        b = await run_in_threadpool(
            boundary_from_upload,
            filename,
            data,
            grid_crs,
            max_vertices=settings.max_vertices,
            limit=settings.max_upload_bytes,
        )
    else:
        b = await run_in_threadpool(boundary_from_geojson, body, grid_crs, max_vertices=settings.max_vertices)
    if not shapely.intersects(b.geometry, shapely.box(*region.grid.bounds)):
        raise OutsideData(
            f"the polygon lies outside the data of region '{region.name}'",
            hint="draw inside the region's extent (GET /api/regions/{region} gives its bounds)",
        )
    start, end = period
    area_id = await run_in_threadpool(_store, service, region, b)
    area = {AREA_HEADER: area_id} if area_id else {}
    if b.polygon_area_ha > settings.sync_limit_ha:
        job = service.submit_polygon(region, b, start, end, options)
        return JSONResponse(
            JobAccepted(job_id=job.id, status=job.status, area_id=area_id).model_dump(),
            status_code=202,
            headers={"Location": f"/api/jobs/{job.id}", "Retry-After": "1", **area},
        )
    cached = await run_in_threadpool(service.polygon_report, region, b, start, end, options)
    if area_id:  # the same report, at the area's own address
        query = urlencode(period_query(start, end, options))
        area["Content-Location"] = f"/api/regions/{quote(region.name)}/areas/{area_id}/inventory?{query}"
    return Response(cached.json, media_type="application/json", headers=area)


def _store(service: Service, region: Region, b: Boundary) -> str | None:
    """Keep the polygon for its link; a store that cannot be written leaves the report without one."""
    try:
        return service.areas.put(region.name, b)
    except OSError as err:
        log.warning("cannot store the posted area (%s): its report has no link", err)
        return None
