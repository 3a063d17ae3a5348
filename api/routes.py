"""JSON routes: regions, boundaries, inventories (GET by id, POST a polygon), downloads, summaries, jobs."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import shapely
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pyproj import CRS

from api.errors import NotFound, TooLarge
from api.service import Service
from api.tiles import tile_layers
from learn import __version__
from learn.boundaries import boundary_from_file, boundary_from_geometry
from learn.errors import BoundaryError
from learn.export import learn_csv, write_xlsx
from learn.region import InventoryOptions, Region
from learn.results import Report

router = APIRouter()
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_VERTICES = 100_000


def _service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _period(region: Region, start: int | None, end: int | None) -> tuple[int, int]:
    d0, d1 = region.default_period
    s, e = start if start is not None else d0, end if end is not None else d1
    region.check_period(s, e)  # PeriodError → 422 with the available years
    return s, e


def _options(exact_coverage: bool, recategorize_burned_grassland: bool) -> InventoryOptions:
    return InventoryOptions(
        pixel_rule="exact" if exact_coverage else "centre",
        recategorize_burned_grassland=recategorize_burned_grassland,
    )


def _to_4326(region: Region) -> gpd.GeoDataFrame:
    frame = region.boundaries.frame
    tolerance = abs(region.grid.transform.a)  # one pixel: finer detail is not in the data anyway
    simple = frame.assign(geometry=frame.geometry.simplify(tolerance, preserve_topology=True))
    return simple.to_crs(4326)


@router.get("/api/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/api/regions")
def regions(request: Request) -> list[dict[str, Any]]:
    svc = _service(request)
    out = []
    for name in svc.region_names():
        spec = svc.catalog.regions[name]
        out.append(
            {
                "name": name,
                "description": spec.description,
                "synthetic": spec.synthetic,
                "years": spec.layers["land_cover"].years,
                "default_period": list(Region(svc.catalog, name).default_period),
            }
        )
    return out


@router.get("/api/regions/{region}")
def region_detail(region: str, request: Request) -> dict[str, Any]:
    reg = _service(request).region(region)
    bounds = gpd.GeoSeries([shapely.box(*reg.grid.bounds)], crs=reg.grid.crs).to_crs(4326).total_bounds
    return {
        "name": region,
        "description": reg.spec.description,
        "synthetic": reg.spec.synthetic,
        "years": reg.land_cover_years,
        "canopy_years": reg.canopy_years,
        "disturbance_periods": [list(p) for p in reg.disturbance_periods],
        "default_period": list(reg.default_period),
        "layers": list(reg.spec.layers),
        "boundaries_count": len(reg.boundaries.frame),
        "bounds": [float(v) for v in bounds],
        "tile_layers": tile_layers(reg),
    }


@router.get("/api/regions/{region}/boundaries")
def boundaries(region: str, request: Request, q: str | None = None) -> Response:
    """Boundaries as GeoJSON (EPSG:4326, simplified to about one pixel); ``q`` filters by name or id."""
    frame = _to_4326(_service(request).region(region))
    if q:
        text = q.strip().lower()
        frame = frame[
            frame["name"].str.lower().str.contains(text, regex=False) | frame["id"].str.startswith(q.strip())
        ]
    cols = [c for c in ("id", "name", "kind") if c in frame.columns]
    return Response(frame[[*cols, "geometry"]].to_json(drop_id=True), media_type="application/geo+json")


@dataclass(frozen=True)
class ReportQuery:
    """Query parameters naming one report: boundary, period (default: the region's) and options."""

    boundary: str
    start: int | None = None
    end: int | None = None
    exact_coverage: bool = False
    recategorize_burned_grassland: bool = False


def _report(request: Request, region: str, q: ReportQuery) -> Report:
    svc = _service(request)
    s, e = _period(svc.region(region), q.start, q.end)
    return svc.inventory(
        region, q.boundary, s, e, _options(q.exact_coverage, q.recategorize_burned_grassland)
    )


@router.get("/api/regions/{region}/inventory")
def inventory(region: str, request: Request, q: Annotated[ReportQuery, Depends()]) -> Response:
    """The JSON report of one boundary and period — the same document as ``learn inventory``."""
    return Response(_report(request, region, q).to_json(indent=None), media_type="application/json")


def _attachment(report: Report, ext: str) -> dict[str, str]:
    name = f"learn_{report.boundary.id}_{report.period.start}_{report.period.end}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _feature(report: Report, geometry: shapely.Geometry, crs: CRS) -> dict[str, Any]:
    g = gpd.GeoSeries([geometry], crs=crs).to_crs(4326)
    props = {
        "id": report.boundary.id,
        "name": report.boundary.name,
        "start": report.period.start,
        "end": report.period.end,
        "area_ha": report.boundary.area_ha,
        **report.totals.model_dump(),
    }
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": json.loads(g.to_json())["features"][0]["geometry"],
            }
        ],
    }


@router.get("/api/regions/{region}/inventory.{ext}")
def inventory_download(
    region: str, ext: str, request: Request, q: Annotated[ReportQuery, Depends()]
) -> Response:
    """Downloads: ``csv`` (LEARN's 4-table layout), ``xlsx`` (one sheet per table), ``geojson``, ``json``."""
    if ext not in ("csv", "xlsx", "geojson", "json"):
        raise NotFound(f"unknown download format '.{ext}'", hint="use .csv, .xlsx, .geojson or .json")
    report = _report(request, region, q)
    if ext == "csv":
        return PlainTextResponse(learn_csv(report), media_type="text/csv", headers=_attachment(report, ext))
    if ext == "json":
        return Response(report.to_json(), media_type="application/json", headers=_attachment(report, ext))
    if ext == "geojson":
        reg = _service(request).region(region)
        b = reg.boundaries.get(q.boundary)
        return JSONResponse(
            _feature(report, b.geometry, b.crs),
            media_type="application/geo+json",
            headers=_attachment(report, ext),
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        write_xlsx(report, path)
        data = path.read_bytes()
    return Response(
        data,
        headers=_attachment(report, ext),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/api/regions/{region}/summary")
def summary(
    region: str, request: Request, start: int | None = None, end: int | None = None
) -> dict[str, Any]:
    """Totals (t CO2e/yr, and per ha) of every boundary for the choropleth; one raster pass, cached."""
    svc = _service(request)
    s, e = _period(svc.region(region), start, end)
    return {"start": s, "end": e, "boundaries": svc.summary(region, s, e)}


def _geometry_from_geojson(doc: Any) -> tuple[shapely.Geometry, CRS]:
    if not isinstance(doc, dict) or "type" not in doc:
        raise BoundaryError(
            "the body is not a GeoJSON object", hint="send a Feature, FeatureCollection or Geometry"
        )
    crs = CRS.from_epsg(4326)
    name = (
        (doc.get("crs") or {}).get("properties", {}).get("name") if isinstance(doc.get("crs"), dict) else None
    )
    if name:
        crs = CRS.from_user_input(name)
    try:
        if doc["type"] == "FeatureCollection":
            geoms = [
                shapely.geometry.shape(f["geometry"]) for f in doc.get("features", []) if f.get("geometry")
            ]
            if not geoms:
                raise BoundaryError("the FeatureCollection has no geometry")
            geom = shapely.union_all(geoms)
        elif doc["type"] == "Feature":
            geom = shapely.geometry.shape(doc["geometry"])
        else:
            geom = shapely.geometry.shape(doc)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as err:
        raise BoundaryError(f"the GeoJSON geometry cannot be read: {err}") from None
    return geom, crs


@router.post("/api/regions/{region}/inventory")
async def inventory_polygon(
    region: str,
    request: Request,
    response: Response,
    start: int | None = None,
    end: int | None = None,
    exact_coverage: bool = False,
    recategorize_burned_grassland: bool = False,
) -> Any:
    """Report for a drawn or uploaded polygon: 200 with the report, or 202 with a job for large areas."""
    svc = _service(request)
    reg = svc.region(region)
    s, e = _period(reg, start, end)
    options = _options(exact_coverage, recategorize_burned_grassland)
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"upload larger than {MAX_UPLOAD_BYTES // 2**20} MB", hint="simplify the polygon")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BoundaryError(
                "the form has no 'file' field", hint="upload GeoJSON, a zipped shapefile or a GeoPackage"
            )
        data = await upload.read()
        if len(data) > MAX_UPLOAD_BYTES:
            raise TooLarge(f"upload larger than {MAX_UPLOAD_BYTES // 2**20} MB", hint="simplify the polygon")
        suffix = Path(upload.filename or "upload.geojson").suffix.lower() or ".geojson"
        if suffix not in (".geojson", ".json", ".zip", ".gpkg"):
            raise BoundaryError(
                f"unsupported file type '{suffix}'", hint="upload .geojson, .zip (shapefile) or .gpkg"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            b = boundary_from_file(
                path, reg.grid.crs, id_="upload", name=Path(upload.filename or "upload").stem
            )
    else:
        body = await request.body()
        if len(body) > MAX_UPLOAD_BYTES:
            raise TooLarge(f"upload larger than {MAX_UPLOAD_BYTES // 2**20} MB", hint="simplify the polygon")
        try:
            doc = json.loads(body)
        except ValueError:
            raise BoundaryError(
                "the body is not valid JSON", hint="send GeoJSON with Content-Type application/json"
            ) from None
        geom, crs = _geometry_from_geojson(doc)
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise TooLarge(f"polygon has more than {MAX_VERTICES:,} vertices", hint="simplify it")
        b = boundary_from_geometry(geom, crs, reg.grid.crs, id_="drawn", name="Drawn area")
    if shapely.get_num_coordinates(b.geometry) > MAX_VERTICES:
        raise TooLarge(f"polygon has more than {MAX_VERTICES:,} vertices", hint="simplify it")
    if not shapely.intersects(b.geometry, shapely.box(*reg.grid.bounds)):
        raise BoundaryError(
            f"the polygon lies outside the data of region '{region}'", hint="draw inside the region's extent"
        )
    if b.polygon_area_ha > svc.sync_limit_ha:
        job = svc.submit(region, b, s, e, options)
        return JSONResponse(
            status_code=202,
            content={"job_id": job.id, "status": job.status},
            headers={"Location": f"/api/jobs/{job.id}", "Retry-After": "1"},
        )
    report = reg.inventory(b, (s, e), options)
    return Response(report.to_json(indent=None), media_type="application/json")


@router.get("/api/jobs/{job_id}")
def job_status(job_id: str, request: Request) -> JSONResponse:
    """A background job: status, progress (0–1), the report when done; ``Retry-After`` until then."""
    try:
        job = _service(request).job(job_id)
    except Exception:
        raise NotFound(f"unknown job '{job_id}'", hint="POST the polygon again to start it") from None
    body = {
        "job_id": job.id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "result": json.loads(job.result.to_json(indent=None)) if job.result else None,
    }
    headers = {} if job.status in ("done", "error") else {"Retry-After": "1"}
    return JSONResponse(body, headers=headers)
