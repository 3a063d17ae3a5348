"""A report as a download: JSON, LEARN's 4-table CSV, XLSX, GeoJSON (the shape with the totals) or printable HTML.

The same builders for a jurisdiction (:mod:`api.routers.inventory`) and a stored area (:mod:`api.routers.areas`);
only the file name differs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely.geometry
from fastapi import Response

from learn.report.csv_tables import learn_csv
from learn.report.labels import totals_flags
from learn.report.models import Report
from learn.report.xlsx import write_xlsx
from learn.sources.boundaries import Boundary
from learn.util import ascii_name as ascii_name  # routers import it from here

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = ("csv", "xlsx", "geojson", "json", "html")


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def feature(report: Report, b: Boundary, **extra: Any) -> dict[str, Any]:
    """The boundary (EPSG:4326) as a GeoJSON Feature with the report's totals as flat properties."""
    geometry = gpd.GeoSeries([b.geometry], crs=b.crs).to_crs(4326).iloc[0]
    props = {
        "id": report.boundary.id,
        "name": report.boundary.name,
        **extra,
        "start": report.period.start,
        "end": report.period.end,
        "area_ha": report.boundary.area_ha,
        # flat columns, as in `learn batch`'s boundaries.geojson: totals_complete, not_estimated ("; "-joined)
        **report.totals.model_dump(exclude={"complete", "not_estimated"}),
        **totals_flags(report),
    }
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geometry)}


def download(report: Report, ext: str, filename: str, b: Boundary | None = None, **extra: Any) -> Response:
    """The report in format ``ext`` (one of :data:`DOWNLOADS`) as an attachment named ``filename``; ``b`` is the
    shape for GeoJSON, ``extra`` more properties of its feature."""
    headers = attachment(filename)
    if ext == "json":
        return Response(report.to_json(), media_type="application/json", headers=headers)
    if ext == "csv":
        return Response(learn_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    if ext == "xlsx":
        with tempfile.TemporaryDirectory(prefix="learn-xlsx-") as tmp:
            path = Path(tmp) / "report.xlsx"
            write_xlsx(report, path)
            data = path.read_bytes()
        return Response(data, media_type=XLSX, headers=headers)
    if ext == "geojson" and b is not None:
        doc = {"type": "FeatureCollection", "features": [feature(report, b, **extra)]}
        return Response(json.dumps(doc), media_type="application/geo+json", headers=headers)
    if ext == "html":
        from learn.report.html import render_html  # lazy: matplotlib only when a report is asked for

        return Response(render_html(report), media_type="text/html; charset=utf-8", headers=headers)
    raise ValueError(f"unknown download format {ext!r}")


#: OpenAPI ``responses`` of each download route's 200.
CONTENT: dict[str, dict[int | str, dict[str, Any]]] = {
    "csv": {200: {"content": {"text/csv": {}}, "description": "LEARN's 4-table CSV"}},
    "xlsx": {200: {"content": {XLSX: {}}, "description": "one sheet per table"}},
    "geojson": {200: {"content": {"application/geo+json": {}}, "description": "the shape with its totals"}},
    "html": {200: {"content": {"text/html": {}}, "description": "self-contained printable report"}},
}
