"""A fake ArcGIS MapServer feature layer for tests, served over real HTTP (``range_server.serve_app``).

It answers like the public USFS Insect & Disease Survey layer
(``…/arcx/rest/services/EDW/EDW_InsectandDiseaseSurvey_01/MapServer/1``): the layer's JSON metadata
(``?f=json``: ``type``, ``geometryType``, ``objectIdField``, ``fields``, ``maxRecordCount``,
``supportedQueryFormats``, ``advancedQueryCapabilities.supportsPagination``) and ``/query`` with
``where`` (``field IN (…)``, ``field = 'text'``, ``field >= n`` joined by AND — what the adapter sends),
an envelope ``geometry`` in ``inSR`` 4326, ``spatialRel=esriSpatialRelIntersects``, ``outFields``,
``orderByFields``, ``resultOffset``/``resultRecordCount`` (capped at ``maxRecordCount``, with
``exceededTransferLimit`` when more remain), ``f=geojson`` or ``f=json`` (Esri rings), and
``returnDistinctValues=true`` with ``returnGeometry=false`` as ArcGIS answers it: Esri JSON ``features``
holding ``attributes`` only (one per distinct combination of ``outFields``, no geometry, no objectid;
ArcGIS refuses distinct values with geometry or ``*``). Faults are ArcGIS's:
``{"error": {...}}`` with HTTP 200 for a bad field or a bad parameter. ``fail_first`` makes the first
requests answer 503 (retries), ``stall_s`` makes every answer slow (timeouts).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LAYER_PATH = "/arcx/rest/services/EDW/EDW_InsectandDiseaseSurvey_01/MapServer/1"
FIELDS = [
    ("objectid", "esriFieldTypeOID"),
    ("survey_year", "esriFieldTypeSmallInteger"),
    ("damage_type", "esriFieldTypeString"),
    ("dca_common_name", "esriFieldTypeString"),
    ("acres", "esriFieldTypeDouble"),
]


@dataclass
class FakeFeatureLayer:
    """Damage areas (lon/lat shapely polygons with attributes) and how the fake service behaves."""

    features: list[tuple[shapely.Geometry, dict[str, Any]]]
    max_record_count: int = 1000
    geojson: bool = True
    pagination: bool = True
    fail_first: int = 0  # this many requests answer HTTP 503 first
    stall_s: float = 0.0
    ignore_where: bool = False  # a server that drops the where clause (the client must filter again)
    query_error: dict[str, Any] | None = None  # answer every /query with this ArcGIS error (HTTP 200)
    queries: list[dict[str, str]] = field(default_factory=list)  # parameters of every /query
    lock: threading.Lock = field(default_factory=threading.Lock)

    def metadata(self) -> dict[str, Any]:
        return {
            "currentVersion": 10.91,
            "id": 1,
            "name": "Damage Areas",
            "type": "Feature Layer",
            "description": "A generalized version of FHP_Damage_Areas_Flat_Decode (fake for tests)",
            "geometryType": "esriGeometryPolygon",
            "objectIdField": "objectid",
            "fields": [{"name": n, "type": t, "alias": n.upper()} for n, t in FIELDS],
            "maxRecordCount": self.max_record_count,
            "supportedQueryFormats": "JSON, geoJSON, PBF" if self.geojson else "JSON, AMF",
            "advancedQueryCapabilities": {"supportsPagination": self.pagination, "supportsOrderBy": True},
            "capabilities": "Map,Query,Data",
            "extent": {"spatialReference": {"wkid": 102100, "latestWkid": 3857}},
        }


def _error(message: str, details: list[str]) -> JSONResponse:
    # ArcGIS Server sends its faults with HTTP 200.
    return JSONResponse({"error": {"code": 400, "message": message, "details": details}})


_CLAUSE = re.compile(r"^\s*(\w+)\s*(IN|=|>=|<=)\s*(.+?)\s*$", re.IGNORECASE)


def _predicate(where: str) -> Callable[[dict[str, Any]], bool] | str:
    """A filter for the ``where`` dialect the adapter speaks, or the name of the fault."""
    if where.strip() in ("", "1=1"):
        return lambda _a: True
    tests: list[Callable[[dict[str, Any]], bool]] = []
    names = {n for n, _ in FIELDS}
    for clause in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE):
        m = _CLAUSE.match(clause)
        if not m:
            return f"cannot parse '{clause}'"
        name, op, value = m.group(1).lower(), m.group(2).upper(), m.group(3)
        if name not in names:
            return f"Invalid field: {m.group(1)}"
        if op == "IN":
            items = {int(v) for v in value.strip("()").split(",")}
            tests.append(lambda a, n=name, s=items: a[n] in s)  # type: ignore[misc]
        elif value.startswith("'"):
            text = value[1:-1].replace("''", "'")
            tests.append(lambda a, n=name, t=text: a[n] == t)  # type: ignore[misc]
        else:
            num = float(value)
            tests.append(
                (lambda a, n=name, v=num: a[n] >= v) if op == ">=" else (lambda a, n=name, v=num: a[n] <= v)  # type: ignore[misc]
            )
    return lambda a: all(t(a) for t in tests)


def _esri_geometry(geom: shapely.Geometry) -> dict[str, Any]:
    """Esri JSON rings: outer rings clockwise, holes counter-clockwise."""
    rings: list[list[list[float]]] = []
    for poly in getattr(geom, "geoms", [geom]):
        poly = shapely.geometry.polygon.orient(poly, sign=-1.0)  # exterior clockwise
        rings.append([list(c) for c in poly.exterior.coords])
        rings.extend([list(c) for c in hole.coords] for hole in poly.interiors)
    return {"rings": rings}


def _distinct(
    layer: FakeFeatureLayer, q: dict[str, str], match: Callable[[dict[str, Any]], bool], box: Any
) -> Response:
    """``returnDistinctValues=true``: the distinct ``outFields`` combinations, attributes only."""
    names = {n.lower(): n for n, _ in FIELDS}
    wanted = [f.strip() for f in q.get("outFields", "").split(",") if f.strip()]
    if q.get("returnGeometry", "true").lower() != "false" or not wanted or "*" in wanted:
        return _error(
            "Unable to complete operation.", ["returnDistinctValues needs returnGeometry=false and outFields"]
        )
    if any(w.lower() not in names for w in wanted):
        return _error("Unable to complete operation.", [f"Invalid field: {wanted}"])
    keys = [names[w.lower()] for w in wanted]
    seen = sorted(
        {
            tuple(a[k] for k in keys)
            for g, a in layer.features
            if match(a) and (box is None or g.intersects(box))
        },
        key=str,
    )
    return JSONResponse(
        {
            "displayFieldName": "damage_type",
            "fieldAliases": {k: k.upper() for k in keys},
            "fields": [{"name": n, "type": t} for n, t in FIELDS if n in keys],
            "features": [{"attributes": dict(zip(keys, row, strict=True))} for row in seen],
        }
    )


def make_app(layer: FakeFeatureLayer) -> Starlette:
    # Plain functions: Starlette runs them in its thread pool, so a stalled answer does not block the others.
    def info(request: Request) -> Response:
        if request.query_params.get("f") not in ("json", "pjson"):
            return Response("<html>ArcGIS REST Services Directory</html>", media_type="text/html")
        return JSONResponse(layer.metadata())

    def query(request: Request) -> Response:
        q = dict(request.query_params)
        with layer.lock:
            layer.queries.append(q)
            n = len(layer.queries)
        if layer.stall_s:
            time.sleep(layer.stall_s)
        if n <= layer.fail_first:
            return Response("Service Unavailable", status_code=503)
        if q.get("f") not in ("json", "geojson") or (q["f"] == "geojson" and not layer.geojson):
            return _error("Invalid or missing input parameters.", [f"unsupported format f={q.get('f')}"])
        if layer.query_error is not None:
            return JSONResponse({"error": layer.query_error})
        match = _predicate("1=1" if layer.ignore_where else q.get("where", "1=1"))
        if isinstance(match, str):
            return _error("Unable to complete operation.", [match])
        box = None
        if "geometry" in q:
            if q.get("geometryType") != "esriGeometryEnvelope" or q.get("inSR") != "4326":
                return _error("Invalid or missing input parameters.", ["fake: envelope in 4326 only"])
            box = shapely.box(*[float(v) for v in q["geometry"].split(",")])
            if q.get("spatialRel") != "esriSpatialRelIntersects":
                return _error("Invalid or missing input parameters.", ["spatialRel"])
        if q.get("returnDistinctValues", "false").lower() == "true":
            return _distinct(layer, q, match, box)
        hits = [
            (oid, g, a)
            for oid, (g, a) in enumerate(layer.features, start=1)
            if match(a) and (box is None or g.intersects(box))
        ]
        offset = int(q.get("resultOffset", 0))
        count = min(int(q.get("resultRecordCount", layer.max_record_count)), layer.max_record_count)
        if not layer.pagination and "resultOffset" in q:
            return _error("Pagination is not supported.", [])
        page = hits[offset : offset + count]
        more = offset + count < len(hits)
        out_fields = [f.strip().lower() for f in q.get("outFields", "*").split(",")]
        props = lambda oid, a: {  # noqa: E731
            k: v for k, v in {"objectid": oid, **a}.items() if "*" in out_fields or k in out_fields
        }
        if q["f"] == "geojson":
            doc: dict[str, Any] = {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "id": oid, "geometry": mapping(g), "properties": props(oid, a)}
                    for oid, g, a in page
                ],
            }
            if more:
                doc["properties"] = {"exceededTransferLimit": True}
        else:
            doc = {
                "objectIdFieldName": "objectid",
                "geometryType": "esriGeometryPolygon",
                "spatialReference": {"wkid": 4326, "latestWkid": 4326},
                "fields": [{"name": n, "type": t} for n, t in FIELDS if "*" in out_fields or n in out_fields],
                "features": [
                    {"attributes": props(oid, a), "geometry": _esri_geometry(g)} for oid, g, a in page
                ],
                **({"exceededTransferLimit": True} if more else {}),
            }
        return JSONResponse(doc)

    return Starlette(routes=[Route(LAYER_PATH, info), Route(LAYER_PATH + "/query", query)])
