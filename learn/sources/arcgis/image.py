"""ArcGIS ImageServer sources for ``learn fetch``: ``exportImage`` requests for a grid.

USFS serves BIGMAP (carbon pools, forest type group, stand age), MTBS and tree canopy as ArcGIS image
services. :func:`open_image_service` reads the service's metadata (``?f=json``: block limits, raster
functions), asks ``exportImage`` for the grid's box in the grid's CRS (``bboxSR``/``imageSR``) at its pixel
size, nearest neighbour, in blocks within the service's ``maxImageWidth``/``maxImageHeight``, with the
catalog's ``renderingRule`` (a raster function, e.g. one carbon pool), ``mosaicRule`` (e.g. a year) and
``pixelType``; checks every answer (a GeoTIFF on the requested grid; the service's JSON error shown as
is), multiplies by the dataset's ``scale`` (a unit factor) and returns the mosaic as an in-memory dataset
on exactly the grid.

NoData: the catalog's ``no_data`` (else the service's ``noDataValue(s)`` from ``?f=json``) is sent as
``noData=`` and is NoData in the answer whether or not the GeoTIFF carries a NoData tag; the tag's value and
the service's declared value are NoData too (all become one value in the result). A float service asked
for an integer ``pixelType`` is refused (fractional stand ages would be truncated).

A host that refuses (403, unreachable, 5xx after retries) hands over to the next ``href`` in the list.
"""

from __future__ import annotations

import contextlib
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from rasterio.io import MemoryFile

from learn.raster.grid import Grid, grid_blocks
from learn.sources.http import (
    DEFAULT_DEADLINE_S,
    RETRY_STATUSES,
    DeadlineExceeded,
    HttpPolicy,
    Unreachable,
    get_bytes,
)
from learn.sources.nlcd.wcs import JITTER_M, TIFF_MAGIC
from learn.sources.remote import FetchError, ImageRequest, SourceFile
from learn.sources.service_units import stated_units, units_fault


class _Refused(Exception):
    """This host will not answer (refused, unreachable, or failing after retries): try the next one."""


def _image(src: SourceFile) -> ImageRequest:
    assert src.image is not None, "an arcgis_image source carries its exportImage parameters"
    return src.image


def _get(
    url: str, timeout_s: float, retries: int, backoff_s: float, deadline_s: float = DEFAULT_DEADLINE_S
) -> bytes:
    """The body of ``url``; retried with exponential backoff on timeouts and :data:`RETRY_STATUSES`, all
    within ``deadline_s`` (the dataset's ``deadline_s``)."""
    policy = HttpPolicy(timeout_s=timeout_s, retries=retries, backoff_s=backoff_s, deadline_s=deadline_s)
    try:
        return get_bytes(url, policy)
    except DeadlineExceeded as err:
        raise _Refused(f"{err.reason} for {url} (the dataset's deadline_s)") from None
    except urllib.error.HTTPError as err:
        last = f"HTTP {err.code} {err.reason}"
        if err.code not in RETRY_STATUSES:
            raise _Refused(last) from None
        raise _Refused(f"{last} (after {retries + 1} attempts)") from None
    except Unreachable as err:
        why = f"no answer within {timeout_s:g} s" if err.timed_out else err.reason
        raise _Refused(f"{why} (after {retries + 1} attempts)") from None


def arcgis_error(body: bytes) -> str | None:
    """The text of an ArcGIS JSON error (``{"error": {"code", "message", "details"}}``, sent with HTTP 200)."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return None
    details = "; ".join(str(d) for d in err.get("details") or [] if d)
    return f"error {err.get('code')}: {err.get('message')}" + (f" ({details})" if details else "")


def service_info(
    host: str,
    src: SourceFile,
    timeout_s: float,
    retries: int,
    backoff_s: float,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> dict[str, Any]:
    """The service's JSON metadata (``?f=json``)."""
    body = _get(f"{host}?f=json", timeout_s, retries, backoff_s, deadline_s)
    fault = arcgis_error(body)
    if fault is None:
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "maxImageWidth" in doc:
            return doc
        fault = "not an image service's metadata: " + " ".join(body[:300].decode("utf-8", "replace").split())
    raise FetchError(
        f"{src.dataset}: {host} answered {fault}",
        hint="check the dataset's href in the catalog: the service's REST URL ending in /ImageServer",
    )


def _check_function(info: dict[str, Any], host: str, src: SourceFile) -> None:
    """The rendering rule's raster function is one the service offers, and its description states the
    units the catalog's ``scale`` converts from (``service_units``; not metric, long, kilo or mega tons:
    :mod:`learn.sources.service_units`)."""
    req = _image(src)
    name = json.loads(req.rendering_rule).get("rasterFunction") if req.rendering_rule else None
    functions = {
        str(f.get("name")): str(f.get("description", "")) for f in info.get("rasterFunctionInfos") or []
    }
    # "None" is ArcGIS's no-op function (the raw values), offered by every image service.
    if name not in (None, "None") and functions and name not in functions:
        raise FetchError(
            f"{src.dataset}: {host} has no raster function '{name}'",
            hint=f"set the dataset's rendering_rule to one of: {', '.join(sorted(functions))}",
        )
    if req.service_units:  # one rule with learn sources check (learn.sources.service_units)
        said = stated_units(info, req.rendering_rule, req.service_units)
        fault = units_fault(said, req.service_units)
        if fault is not None:
            raise FetchError(f"{src.dataset}: {host} {fault[0]}", hint=fault[1])


#: ArcGIS pixel types holding fractions (``pixelType`` of the service's ``?f=json`` and of ``exportImage``).
FLOAT_PIXEL_TYPES = frozenset({"F32", "F64", "C64", "C128"})


def service_no_data(info: dict[str, Any]) -> float | None:
    """The NoData value the service declares for its (first) band: ``noDataValues[0]``, else ``noDataValue``."""
    values = info.get("noDataValues")
    raw = values[0] if isinstance(values, list) and values else info.get("noDataValue")
    try:
        value = float(raw) if raw is not None and raw != "" else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and math.isfinite(value) else None


def no_data_sent(req: ImageRequest, info: dict[str, Any]) -> float | None:
    """The ``noData=`` an ``exportImage`` request sends: the catalog's ``no_data``, else the service's own
    (:func:`service_no_data`); ``learn sources check`` sends the same."""
    return req.no_data if req.no_data is not None else service_no_data(info)


def _check_pixel_type(info: dict[str, Any], host: str, src: SourceFile) -> None:
    """A service of fractional values (its ``pixelType`` F32/F64) is not asked for integers."""
    asked, has = _image(src).pixel_type, str(info.get("pixelType") or "")
    if asked and has in FLOAT_PIXEL_TYPES and asked.upper() not in FLOAT_PIXEL_TYPES:
        raise FetchError(
            f"{src.dataset}: {host} holds {has} values and the catalog asks pixelType={asked}: "
            "their fractions would be cut off",
            hint=f"set the dataset's pixel_type to {has} in the catalog",
        )


def _number(v: float) -> str:
    """A number for a URL, exactly: ``0``, ``65535``, ``-3.4028234663852886e+38``."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def export_url(
    host: str,
    src: SourceFile,
    bbox: tuple[float, float, float, float],
    size: tuple[int, int],
    epsg: int,
    no_data: float | None = None,
) -> str:
    """The ``exportImage`` URL of ``src`` on ``host`` for ``bbox`` (in EPSG ``epsg``) at ``size`` (w, h) pixels,
    asking for ``no_data`` where the service has no data."""
    req = _image(src)
    params = {
        "bbox": ",".join(f"{v:.3f}" for v in bbox),
        "bboxSR": str(epsg),
        "imageSR": str(epsg),
        "size": f"{size[0]},{size[1]}",
        "format": "tiff",
        **({"pixelType": req.pixel_type} if req.pixel_type else {}),
        "interpolation": "RSP_NearestNeighbor",
        **({"renderingRule": req.rendering_rule} if req.rendering_rule else {}),
        **({"mosaicRule": req.mosaic_rule} if req.mosaic_rule else {}),
        **({"bandIds": req.band_ids} if req.band_ids else {}),
        **(
            {"noData": _number(no_data), "noDataInterpretation": "esriNoDataMatchAny"}
            if no_data is not None
            else {}
        ),
        "f": "image",
    }
    return f"{host}/exportImage?{urllib.parse.urlencode(params)}"


def _block_limit(info: dict[str, Any], block_px: int | None) -> tuple[int, int]:
    """(width, height) a request may ask for: the service's limits, capped by ``block_px``."""
    w, h = int(info.get("maxImageWidth") or 4000), int(info.get("maxImageHeight") or 4000)
    if block_px is not None:
        w, h = min(w, block_px), min(h, block_px)
    return max(w, 1), max(h, 1)


def _check_answer(
    ds: Any, src: SourceFile, grid: Grid, bbox: tuple[float, ...], size: tuple[int, int]
) -> None:
    res = grid.transform.a
    same_crs = ds.crs is not None and (ds.crs == grid.crs or ds.crs.to_epsg() == grid.crs.to_epsg())
    if not same_crs or not all(math.isclose(v, res) for v in ds.res):
        raise FetchError(
            f"{src.dataset} {src.when}: the image service answered {ds.crs} at {ds.res} m, "
            f"not {grid.crs.to_string()} at {res:g} m".replace("  ", " "),
            hint="the service must reproject to the requested imageSR and size (check the dataset's href)",
        )
    off_x, off_y = abs(ds.transform.c - bbox[0]), abs(ds.transform.f - bbox[3])
    if (ds.width, ds.height) != size or off_x > JITTER_M or off_y > JITTER_M:
        raise FetchError(
            f"{src.dataset} {src.when}: the image service answered {ds.width} x {ds.height} px at "
            f"({ds.transform.c:.3f}, {ds.transform.f:.3f}), not the requested {size[0]} x {size[1]} px "
            f"at ({bbox[0]:.3f}, {bbox[3]:.3f})".replace("  ", " "),
            hint="the service did not honour bbox/size; it may have moved or changed: check the dataset's href",
        )


def _read_blocks(
    host: str,
    src: SourceFile,
    grid: Grid,
    limit: tuple[int, int],
    fetch: Callable[[str], bytes],
    progress: Callable[[int, int], None] | None,
    no_data: float | None = None,
) -> tuple[np.ndarray, set[float]]:
    """The mosaic of the answers and the NoData tags they carried (an answer may have none)."""
    t, res = grid.transform, grid.transform.a
    epsg = grid.crs.to_epsg()
    if epsg is None:
        raise FetchError(f"grid CRS {grid.crs} has no EPSG code", hint="fetched regions use EPSG:5070")
    bw, bh = limit
    blocks = grid_blocks(grid, bh, bw)
    out: np.ndarray | None = None
    tags: set[float] = set()
    for i, (r0, c0, h, w) in enumerate(blocks):
        bbox = (t.c + c0 * res, t.f - (r0 + h) * res, t.c + (c0 + w) * res, t.f - r0 * res)
        data = fetch(export_url(host, src, bbox, (w, h), epsg, no_data))
        if not data.startswith(TIFF_MAGIC):  # ArcGIS answers errors as JSON with HTTP 200, proxies as HTML
            fault = arcgis_error(data) or " ".join(data[:600].decode("utf-8", "replace").split())
            raise FetchError(
                f"{src.dataset} {src.when}: the image service {host} answered no GeoTIFF: {fault}".replace(
                    "  ", " "
                ),
                hint="check the dataset's rendering_rule, mosaic_rule and pixel_type in the catalog",
            )
        with MemoryFile(data) as mem, mem.open() as ds:
            _check_answer(ds, src, grid, bbox, (w, h))
            if ds.nodata is not None:
                tags.add(float(ds.nodata))
            if out is None:
                out = np.zeros((grid.height, grid.width), dtype=ds.dtypes[0])
            out[r0 : r0 + h, c0 : c0 + w] = ds.read(1)
        if progress:
            progress(i + 1, len(blocks))
    assert out is not None
    return out, tags


def _one_nodata(values: np.ndarray, candidates: list[float | None]) -> float | None:
    """Every candidate NoData the dtype can hold, as the first of them (in place); that value, or None."""
    dtype = values.dtype
    held: list[float] = []
    for c in candidates:
        if c is None or c in held:
            continue
        if dtype.kind in "ui" and not (c.is_integer() and np.iinfo(dtype).min <= c <= np.iinfo(dtype).max):
            continue  # e.g. F32's -3.4e38 declared by a service answering U8: no pixel can hold it
        if dtype.kind == "f" and math.isfinite(c) and abs(c) > float(np.finfo(dtype).max) * (1 + 1e-6):
            continue
        held.append(c)
    if not held:
        return None
    first = float(np.asarray(held[0]).astype(dtype))  # as the pixels hold it (F32: -3.4028235e38 exactly)
    for other in held[1:]:
        values[values == np.asarray(other).astype(dtype)] = first
    return first


def _scaled(values: np.ndarray, nodata: float | None, scale: float) -> np.ndarray:
    """``values`` × ``scale`` as float32, nodata pixels kept as they are."""
    if scale == 1.0:
        return values
    out = values.astype(np.float32)
    keep = (
        np.zeros(out.shape, dtype=bool)
        if nodata is None
        else np.isnan(out)
        if math.isnan(nodata)
        else out == nodata
    )
    np.multiply(out, np.float32(scale), out=out, where=~keep)  # nodata stays as it is (no overflow)
    return out


@contextlib.contextmanager
def open_image_service(
    src: SourceFile,
    grid: Grid,
    *,
    block_px: int | None = None,
    timeout_s: float = 120.0,
    retries: int = 3,
    backoff_s: float = 1.0,
    requests: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Any]:
    """``src`` read onto ``grid`` by ``exportImage`` requests: an open in-memory dataset (context manager).

    Every URL asked is appended to ``requests`` (for the manifest).
    """
    req = _image(src)
    refused: list[str] = []
    deadline = src.deadline_s if src.deadline_s is not None else DEFAULT_DEADLINE_S

    def fetch(url: str) -> bytes:
        if requests is not None:
            requests.append(url)
        return _get(url, timeout_s, retries, backoff_s, deadline)

    for host in req.hosts:
        try:
            if requests is not None:
                requests.append(f"{host}?f=json")
            info = service_info(host, src, timeout_s, retries, backoff_s, deadline)
            _check_function(info, host, src)
            _check_pixel_type(info, host, src)
            declared, sent = service_no_data(info), no_data_sent(req, info)
            values, tags = _read_blocks(
                host, src, grid, _block_limit(info, block_px), fetch, progress, no_data=sent
            )
            # What we asked for first, then what the answers' tags and the service's metadata say.
            nodata = _one_nodata(values, [sent, *sorted(tags), declared])
            break
        except _Refused as why:
            refused.append(f"{host}: {why}")
    else:
        raise FetchError(
            f"cannot read {' '.join(filter(None, (src.dataset, src.when)))}: every host refused — "
            + "; ".join(refused),
            hint="check the network connection (some hosts block cloud or CI addresses: try another network) "
            "and the dataset's href list in the catalog",
        )
    values = _scaled(values, nodata, req.scale)
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": values.dtype.name,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as tmp:
            tmp.write(values, 1)
        with mem.open() as ds:
            yield ds
