"""Polygons sent by clients: a GeoJSON body or an uploaded file, turned into a :class:`learn.sources.boundaries.Boundary`.

Nothing here opens a path or URL chosen by the client. GeoJSON is parsed in Python (never handed to
GDAL, whose drivers can follow references inside a file); GeoPackages and zipped shapefiles are checked
by their signatures, written to a private temporary folder, and read by :func:`learn.sources.boundaries.boundary_from_file`.
Limits: body/upload size (413), vertex count (413); not polygonal or unreadable (422).
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from pyproj import CRS
from pyproj.exceptions import CRSError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from api.errors import BadGeometry, TooLarge
from learn.errors import BoundaryError
from learn.pipeline.batch import safe_name
from learn.sources.boundaries import Boundary, boundary_from_file, boundary_from_geometry

GEOMETRY_TYPES = {
    "Polygon",
    "MultiPolygon",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "GeometryCollection",
}
UPLOAD_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
_EPSG = re.compile(r"(?:^|[:/])EPSG(?::[\d.]*)?[:/](?:0/)?(\d+)$", re.IGNORECASE)
_CRS84 = re.compile(r"(?:^|[:/])CRS:?84$", re.IGNORECASE)
SQLITE_HEADER = b"SQLite format 3\x00"
SHP_MAGIC = b"\x00\x00\x27\x0a"
MAX_UNZIPPED_FACTOR = 20  # a zip may expand to 20× the upload limit
#: Deepest nesting of JSON arrays and objects accepted: a FeatureCollection of MultiPolygons is 7 deep;
#: a deeper document is an attack or a mistake, and would exhaust the parsers' recursion.
MAX_JSON_DEPTH = 32


# ---- reading the request ----------------------------------------------------------------------------------
async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(request: Request, body: bytes, limit: int) -> tuple[str, bytes]:
    """The ``file`` field of a multipart body: (client file name, bytes)."""

    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, replay(), max_files=1, max_part_size=limit).parse()
    except MultiPartException as err:
        raise BadGeometry(f"the multipart form cannot be read: {err.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadGeometry(
                "the form has no 'file' field",
                hint="upload GeoJSON, a zipped shapefile or a GeoPackage as 'file'",
            )
        return upload.filename or "upload.geojson", await upload.read()
    finally:
        await form.close()


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the upload is larger than {limit / 2**20:g} MB", hint="simplify the polygon or clip it")


# ---- GeoJSON ------------------------------------------------------------------------------------------
def crs_of(doc: dict[str, Any]) -> CRS:
    """The CRS of a GeoJSON object: EPSG:4326 (lon/lat) unless a legacy ``crs`` member names an EPSG code."""
    member = doc.get("crs")
    if member is None:
        return CRS.from_epsg(4326)
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if isinstance(name, str):
        if _CRS84.search(name.strip()):
            return CRS.from_epsg(4326)
        m = _EPSG.search(name.strip())
        if m:
            try:
                return CRS.from_epsg(int(m.group(1)))
            except CRSError:
                raise BadGeometry(f"unknown CRS '{name}'", hint="use an EPSG code, e.g. EPSG:4326") from None
    raise BadGeometry(
        f"unsupported GeoJSON crs member {json.dumps(member)[:200]}",
        hint='omit it for EPSG:4326 or use {"type": "name", "properties": {"name": "EPSG:5070"}}',
    )


def geometry_of(doc: Any) -> shapely.Geometry:
    """The geometry of a GeoJSON Geometry, Feature or FeatureCollection (features are dissolved)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise BadGeometry(
            "the body is not a GeoJSON object", hint="send a Feature, FeatureCollection or Geometry"
        )
    kind = doc["type"]
    features = doc.get("features") if kind == "FeatureCollection" else [doc] if kind == "Feature" else []
    for f in features if isinstance(features, list) else []:
        if isinstance(f, dict) and not isinstance(f.get("properties"), dict | None):
            raise BadGeometry(
                "a GeoJSON Feature's 'properties' must be an object or null",
                hint='e.g. "properties": {"name": "My area"}',
            )
    try:
        if kind == "FeatureCollection":
            geoms = [
                shapely.geometry.shape(f["geometry"])
                for f in doc.get("features") or []
                if isinstance(f, dict) and f.get("geometry")
            ]
            if not geoms:
                raise BadGeometry("the FeatureCollection has no geometry", hint="add a polygon feature")
            return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
        if kind == "Feature":
            if not isinstance(doc.get("geometry"), dict):
                raise BadGeometry("the GeoJSON geometry cannot be read: the Feature has no geometry")
            return shapely.geometry.shape(doc["geometry"])
        if kind in GEOMETRY_TYPES:
            return shapely.geometry.shape(doc)
    except BadGeometry:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as err:
        raise BadGeometry(f"the GeoJSON geometry cannot be read: {err}") from None
    raise BadGeometry(f"unknown GeoJSON type '{kind}'", hint="send a Feature, FeatureCollection or Geometry")


def name_of(doc: Any, default: str) -> str:
    """A label for a drawn polygon: the Feature's ``name`` property if it has one; a FeatureCollection's named
    features' names joined by " + " (as an uploaded GeoPackage's)."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    features = doc.get("features") if kind == "FeatureCollection" else [doc] if kind == "Feature" else []
    names = []
    for f in features if isinstance(features, list) else []:
        props = f.get("properties") if isinstance(f, dict) else None
        name = (props.get("name") or props.get("NAME")) if isinstance(props, dict) else None
        if name:
            names.append(str(name))
    return " + ".join(names)[:200] if names else default


def check_finite(geometry: shapely.Geometry) -> None:
    """Refuse NaN or infinite coordinates (Python's json reads the literals NaN and Infinity; GEOS fails on them)."""
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise BadGeometry(
            "the polygon has a coordinate that is not a finite number (NaN or Infinity)",
            hint="every vertex needs two finite numbers, e.g. [-75.2, 42.6]",
        )


def json_depth(doc: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON document (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def parse_json(data: bytes) -> Any:
    """The JSON document of a body, refusing NaN/Infinity literals and nesting deeper than :data:`MAX_JSON_DEPTH`."""

    def refuse_constant(name: str) -> float:
        raise BadGeometry(
            f"the body is not valid JSON: {name} is not a JSON number",
            hint="every vertex needs two finite numbers, e.g. [-75.2, 42.6]",
        )

    try:
        doc = json.loads(data, parse_constant=refuse_constant)
    except RecursionError:
        doc = None
        too_deep = True
    except (ValueError, UnicodeDecodeError):
        raise BadGeometry(
            "the body is not valid JSON", hint="send GeoJSON with Content-Type application/json"
        ) from None
    else:
        too_deep = json_depth(doc) > MAX_JSON_DEPTH
    if too_deep:
        raise BadGeometry(
            f"the JSON nests arrays or objects more than {MAX_JSON_DEPTH} levels deep",
            hint="send one GeoJSON Feature, FeatureCollection or Geometry (GeometryCollections not nested)",
        )
    return doc


def check_vertices(geometry: shapely.Geometry, limit: int) -> None:
    n = int(shapely.get_num_coordinates(geometry))
    if n > limit:
        raise TooLarge(
            f"the polygon has {n:,} vertices, more than {limit:,}", hint="simplify it and try again"
        )


def boundary_from_geojson(
    data: bytes, grid_crs: CRS, *, max_vertices: int, id_: str = "drawn", name: str = "Drawn area"
) -> Boundary:
    """A GeoJSON document (bytes) as one boundary in the grid CRS."""
    doc = parse_json(data)
    geometry = geometry_of(doc)
    crs = crs_of(doc)
    check_vertices(geometry, max_vertices)
    check_finite(geometry)
    try:
        return boundary_from_geometry(geometry, crs, grid_crs, id_=id_, name=name_of(doc, name))
    except BoundaryError as err:
        raise BadGeometry(err.message, hint=err.hint) from None


# ---- uploaded files -----------------------------------------------------------------------------------
def boundary_from_upload(
    filename: str, data: bytes, grid_crs: CRS, *, max_vertices: int, limit: int
) -> Boundary:
    """An uploaded GeoJSON, zipped shapefile or GeoPackage as one boundary (features dissolved)."""
    stem = safe_name(Path(filename).stem)[:80] or "upload"
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise BadGeometry(
            f"unsupported file type '{suffix or filename}'", hint="upload .geojson, .zip (shapefile) or .gpkg"
        )
    if suffix in (".geojson", ".json"):
        b = boundary_from_geojson(data, grid_crs, max_vertices=max_vertices, id_="upload", name=stem)
    else:
        _check_signature(suffix, data, limit)
        with tempfile.TemporaryDirectory(prefix="learn-upload-") as tmp:
            path = Path(tmp) / f"{stem}{suffix}"
            path.write_bytes(data)
            try:
                b = boundary_from_file(path, grid_crs, id_="upload")
            except BoundaryError as err:  # say the client's file name, not the temporary path
                raise BadGeometry(err.message.replace(str(path), filename), hint=err.hint) from None
    check_vertices(b.geometry, max_vertices)
    check_finite(b.geometry)
    return b


def _check_signature(suffix: str, data: bytes, limit: int) -> None:
    if suffix == ".gpkg":
        if not data.startswith(SQLITE_HEADER) or data[68:72] not in (b"GPKG", b"GP10", b"GP11"):
            raise BadGeometry("the .gpkg upload is not a GeoPackage", hint="export it again as GeoPackage")
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNZIPPED_FACTOR * limit:
                raise TooLarge("the zip expands to more than allowed", hint="upload a smaller shapefile")
            shp = [i for i in infos if i.filename.lower().endswith(".shp")]
            if not shp:
                raise BadGeometry(
                    "the zip holds no .shp file", hint="zip the .shp with its .shx, .dbf and .prj"
                )
            with zf.open(shp[0]) as f:
                magic = f.read(4)
            if magic != SHP_MAGIC:
                raise BadGeometry(f"'{shp[0].filename}' in the zip is not a shapefile")
    except zipfile.BadZipFile:
        raise BadGeometry(
            "the .zip upload is not a zip file", hint="zip the shapefile's files together"
        ) from None
