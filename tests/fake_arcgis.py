"""A fake ArcGIS ImageServer for tests: real HTTP (Starlette, served by :func:`range_server.serve_app`).

It answers what the public USFS image services answer, in the same shapes: ``<path>/ImageServer?f=json``
(the service's metadata: ``maxImageWidth``/``maxImageHeight``, ``pixelSizeX``, ``rasterFunctionInfos`` whose
descriptions state the units, as the BIGMAP carbon pools service does) and ``<path>/ImageServer/exportImage``
(``bbox``/``bboxSR``/``imageSR``/``size``/``format=tiff``/``pixelType``/``interpolation``/``renderingRule``/
``f=image``): the chosen raster function's GeoTIFF cropped to the bbox — or, for a service of several rasters
(MTBS: one a year), the raster the ``mosaicRule``'s ``where`` names (``name='mtbs_CONUS_2015'``). Faults as ArcGIS gives them: a JSON
``{"error": …}`` with HTTP 200 (unknown function, an image over the size limit), or, per :attr:`FakeService.mode`,
a refusal (403), an HTML page, an answer off the requested grid, a slow answer, or 503 a few times first.

NoData as ArcGIS handles it: the metadata declares ``noDataValue``/``noDataValues`` when
:attr:`FakeService.no_data_value` is set; ``exportImage`` with ``noData=v`` fills the pixels without data (the
raster's NoData, or the declared value) with ``v``; the answer carries a NoData tag only when
:attr:`FakeService.tag_nodata` (public services often send none). A service stored in another spatial reference
(:attr:`FakeService.native_epsg`, e.g. 3857 as the USFS services are) holds its rasters warped there (nearest, 10 m)
and warps them back onto the requested EPSG:5070 grid for each answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.warp import calculate_default_transform, reproject
from rasterio.windows import from_bounds
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class FakeService:
    """One image service: raster function name → GeoTIFF on EPSG:5070 (``"None"``: the raw raster)."""

    rasters: dict[str, Path]
    #: Raster name → GeoTIFF, for a service holding one raster per year picked by ``mosaicRule`` (MTBS).
    mosaic: dict[str, Path] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)  # raster function → its description
    description: str = ""
    max_image: int = 15000  # the metadata's maxImageWidth/Height
    accept_max: int | None = None  # what exportImage really accepts (None: max_image)
    #: "ok" | "refuse" (403) | "html" | "shifted" (answer 15 m off) | "slow" | "flaky" (503 twice first)
    mode: str = "ok"
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures_left: int = 2
    no_data_value: float | None = None  # declared in ?f=json (noDataValue, noDataValues); None: not declared
    tag_nodata: bool = True  # the answer's GeoTIFF carries a NoData tag
    native_epsg: int = 5070  # the spatial reference the service stores its rasters in
    pixel_type: str | None = None  # the metadata's pixelType (None: from the raster's dtype)
    _native: dict[Path, tuple[np.ndarray, Affine]] = field(default_factory=dict)


#: exportImage pixelType → the dtype of the answer.
PIXEL_TYPES = {"U8": np.uint8, "U16": np.uint16, "F32": np.float32}


def _error(code: int, message: str, *details: str) -> JSONResponse:
    """ArcGIS's error answer: JSON with HTTP 200."""
    return JSONResponse({"error": {"code": code, "message": message, "details": list(details)}})


def metadata(name: str, svc: FakeService) -> dict[str, Any]:
    """The ``?f=json`` document, shaped like the public BIGMAP services' (fields the clients read)."""
    with rasterio.open(next(iter(svc.rasters.values()))) as ds:
        b, dtype = ds.bounds, ds.dtypes[0]
    return {
        "currentVersion": 10.91,
        "serviceDescription": svc.description,
        "name": name,
        "description": svc.description,
        "extent": {
            "xmin": b.left,
            "ymin": b.bottom,
            "xmax": b.right,
            "ymax": b.top,
            "spatialReference": {"wkid": 102039, "latestWkid": 5070},
        },
        "pixelSizeX": 30,
        "pixelSizeY": 30,
        "bandCount": 1,
        "pixelType": svc.pixel_type or {"float32": "F32", "uint16": "U16", "uint8": "U8"}.get(dtype, "F32"),
        **(
            {"noDataValue": svc.no_data_value, "noDataValues": [svc.no_data_value]}
            if svc.no_data_value is not None
            else {}
        ),
        "maxImageWidth": svc.max_image,
        "maxImageHeight": svc.max_image,
        "maxDownloadSizeLimit": 2048,
        "allowRasterFunction": True,
        "hasRasterAttributeTable": False,
        "rasterFunctionInfos": [
            {"name": n, "description": svc.descriptions.get(n, ""), "help": ""} for n in svc.rasters
        ],
        "spatialReference": {"wkid": svc.native_epsg, "latestWkid": svc.native_epsg},
    }


def _stored(svc: FakeService, path: Path) -> tuple[np.ndarray, Affine, Any, float | None]:
    """The raster as the service stores it: (values, transform, crs, nodata), warped to ``native_epsg``."""
    with rasterio.open(path) as ds:
        if svc.native_epsg == 5070:
            return ds.read(1), ds.transform, ds.crs, ds.nodata
        crs, nodata = CRS.from_epsg(svc.native_epsg), ds.nodata
        if path not in svc._native:
            transform, w, h = calculate_default_transform(
                ds.crs, crs, ds.width, ds.height, *ds.bounds, resolution=10
            )
            out = np.full((h, w), nodata if nodata is not None else 0, ds.dtypes[0])
            reproject(
                ds.read(1),
                out,
                src_transform=ds.transform,
                src_crs=ds.crs,
                dst_transform=transform,
                dst_crs=crs,
                resampling=Resampling.nearest,
                src_nodata=nodata,
                dst_nodata=nodata,
            )
            svc._native[path] = (out, transform)
        return *svc._native[path], crs, nodata


def _crop(
    svc: FakeService, path: Path, bbox: tuple[float, ...], w: int, h: int
) -> tuple[np.ndarray, float | None]:
    """The stored raster on the requested EPSG:5070 box at ``w`` x ``h`` pixels (nearest neighbour)."""
    values, transform, crs, nodata = _stored(svc, path)
    fill = nodata if nodata is not None else 0
    if svc.native_epsg == 5070:
        win = from_bounds(*bbox, transform)
        with MemoryFile() as mem:
            with mem.open(
                driver="GTiff",
                width=values.shape[1],
                height=values.shape[0],
                count=1,
                dtype=values.dtype,
                crs=crs,
                transform=transform,
                nodata=nodata,
            ) as tmp:
                tmp.write(values, 1)
            with mem.open() as ds:
                return ds.read(1, window=win, boundless=True, fill_value=fill), nodata
    out = np.full((h, w), fill, values.dtype)
    dst = Affine(30.0, 0, bbox[0], 0, -30.0, bbox[3])
    reproject(
        values,
        out,
        src_transform=transform,
        src_crs=crs,
        dst_transform=dst,
        dst_crs=CRS.from_epsg(5070),
        resampling=Resampling.nearest,
        src_nodata=nodata,
        dst_nodata=fill,
    )
    return out, nodata


def _export(svc: FakeService, q: dict[str, str]) -> Response:
    if q.get("format") != "tiff" or q.get("f") != "image" or q.get("interpolation") != "RSP_NearestNeighbor":
        return _error(
            400, "Unable to complete operation.", "format=tiff, f=image and nearest neighbour expected"
        )
    if q.get("bboxSR") != q.get("imageSR") or q.get("imageSR") != "5070":
        return _error(400, "Unable to complete operation.", "this fake serves EPSG:5070 only")
    rule = json.loads(q.get("renderingRule", '{"rasterFunction": "None"}'))
    name = rule.get("rasterFunction", "None")
    if name not in svc.rasters:
        return _error(400, "Unable to complete operation.", f"Raster function '{name}' is not found.")
    w, h = (int(v) for v in q["size"].split(","))
    if max(w, h) > (svc.accept_max or svc.max_image):
        return _error(400, "Unable to complete operation.", "Requested image exceeds the size limit.")
    x0, y0, x1, y1 = (float(v) for v in q["bbox"].split(","))
    path = svc.rasters[name]
    if svc.mosaic:
        rule = json.loads(q.get("mosaicRule") or "{}")
        picked = re.fullmatch(r"\s*name\s*=\s*'([^']*)'\s*", str(rule.get("where", "")))
        if rule.get("mosaicMethod") != "esriMosaicNone" or not picked or picked[1] not in svc.mosaic:
            return _error(400, "Unable to complete operation.", f"no raster matches mosaicRule {rule}")
        path = svc.mosaic[picked[1]]
    arr, nodata = _crop(svc, path, (x0, y0, x1, y1), w, h)
    crs = CRS.from_epsg(5070)
    assert arr.shape == (h, w), "the fake serves 30 m: bbox and size must agree"
    empty = np.isin(arr, [v for v in (nodata, svc.no_data_value) if v is not None])
    with np.errstate(invalid="ignore", over="ignore"):  # e.g. F32's -3.4e38 cast to U16
        if q.get("pixelType") in PIXEL_TYPES:  # converted to the pixel type asked for (fractions cut off)
            arr = arr.astype(PIXEL_TYPES[q["pixelType"]])
            nodata = None if nodata is None else float(np.asarray(nodata).astype(arr.dtype))
        if "noData" in q:  # ArcGIS fills the pixels without data with the value asked for
            nodata = float(np.asarray(float(q["noData"])).astype(arr.dtype))
            arr[empty] = nodata
    nodata = nodata if svc.tag_nodata else None
    shift = 15.0 if svc.mode == "shifted" else 0.0
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype=arr.dtype, crs=crs, nodata=nodata,
                   transform=Affine(30.0, 0, x0 + shift, 0, -30.0, y1))  # fmt: skip
    with MemoryFile() as mem:
        with mem.open(**profile) as out:
            out.write(arr, 1)
        return Response(mem.read(), media_type="image/tiff")


def image_server_app(services: dict[str, FakeService]) -> Starlette:
    """Services by URL path before ``/ImageServer`` (e.g. ``iipp/rest/services/Vegetation/NAME``)."""

    def answer(request: Request) -> Response:
        path = request.path_params["svc"]
        svc = services.get(path)
        if svc is None:
            return _error(404, "Service not found.")
        q = dict(request.query_params)
        with svc.lock:
            svc.requests.append({"path": request.url.path, **q})
            if svc.mode == "flaky" and svc.failures_left > 0:
                svc.failures_left -= 1
                return Response("busy", status_code=503)
        if svc.mode == "refuse":
            return Response(
                "<html><body>403 Forbidden</body></html>", status_code=403, media_type="text/html"
            )
        if svc.mode == "slow":
            time.sleep(2.0)
        if request.url.path.endswith("/exportImage"):
            if svc.mode == "html":
                return Response(
                    "<html><body>Service temporarily unavailable</body></html>", media_type="text/html"
                )
            return _export(svc, q)
        return JSONResponse(metadata(path.rsplit("/", 1)[-1], svc))

    return Starlette(
        routes=[
            Route("/{svc:path}/ImageServer/exportImage", answer),
            Route("/{svc:path}/ImageServer", answer),
        ]
    )


def write_raster(path: Path, values: np.ndarray, like: Path, nodata: float | None) -> Path:
    """``values`` as a GeoTIFF on the grid of ``like``."""
    with rasterio.open(like) as ds:
        profile = dict(driver="GTiff", width=ds.width, height=ds.height, count=1, dtype=values.dtype,
                       crs=ds.crs, transform=ds.transform, nodata=nodata)  # fmt: skip
    with rasterio.open(path, "w", **profile) as out:
        out.write(values, 1)
    return path
