"""OGC Web Coverage Service (WCS 1.0.0) sources for ``learn fetch``: GetCoverage requests for a grid.

USGS serves Annual NLCD through GeoServer's WCS with bounding-box and time subsetting in the native
CRS and resolution (EPSG:5070, 30 m), so a clip moves only its own pixels. :func:`open_wcs` asks for the
target grid's box in blocks of at most ``block_px`` pixels a side, checks every answer (a GeoTIFF on the
grid's CRS and pixel size, snapped within :data:`JITTER_M`; a server's error text is shown as is), and
returns the mosaic as an in-memory dataset on exactly the grid, which the rest of ``learn fetch`` reads
like any other source.
"""

from __future__ import annotations

import contextlib
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from rasterio.io import MemoryFile

from learn.raster.grid import Grid, grid_blocks
from learn.sources.http import USER_AGENT, HttpPolicy, Unreachable, get_bytes
from learn.sources.remote import FetchError, SourceFile

#: Sub-millimetre shifts of the answer's geotransform (GeoServer's float arithmetic) are snapped away.
JITTER_M = 1e-3
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
__all__ = ["USER_AGENT", "coverage_url", "open_wcs", "wcs_grid_origin"]


def coverage_url(src: SourceFile, bbox: tuple[float, float, float, float], res: float, crs: str) -> str:
    """The GetCoverage URL of ``src`` for ``bbox`` (in ``crs``) at ``res`` metres."""
    params = {
        "service": "WCS",
        "version": "1.0.0",
        "request": "GetCoverage",
        "coverage": src.wcs_coverage,
        "CRS": crs,
        "BBOX": ",".join(f"{v:.3f}" for v in bbox),
        "resx": f"{res:g}",
        "resy": f"{res:g}",
        "format": "image/geotiff",
        **({"time": src.wcs_time} if src.wcs_time else {}),
    }
    return f"{src.url}?{urllib.parse.urlencode(params)}"


def _get(url: str, src: SourceFile, timeout_s: float) -> bytes:
    """One GetCoverage answer (no retry), within the dataset's total deadline (``deadline_s``)."""
    policy = HttpPolicy(timeout_s=timeout_s, retries=0, **_deadline(src))
    try:
        data = get_bytes(url, policy, {"Accept": "image/tiff"})
    except urllib.error.HTTPError as err:
        raise FetchError(
            f"cannot read {src.dataset} {src.when} from {src.url}: {err}",
            hint="check the network connection and the dataset's href in the catalog",
        ) from None
    except Unreachable as err:
        raise FetchError(
            f"cannot read {src.dataset} {src.when} from {url}: {err.reason}",
            hint="check the network connection and the dataset's href in the catalog"
            + (" (or raise its deadline_s)" if err.timed_out else ""),
        ) from None
    if not data.startswith(TIFF_MAGIC):  # a WCS ServiceException (XML) or an HTML error page
        text = " ".join(data[:600].decode("utf-8", "replace").split())
        raise FetchError(
            f"{src.dataset} {src.when}: the coverage service answered no GeoTIFF: {text}",
            hint="check the dataset's coverage and time in the catalog, and that the year is published",
        )
    return data


def _deadline(src: SourceFile) -> dict[str, float]:
    return {"deadline_s": src.deadline_s} if src.deadline_s is not None else {}


@contextlib.contextmanager
def open_wcs(
    src: SourceFile,
    grid: Grid,
    *,
    block_px: int = 4096,
    timeout_s: float = 120.0,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Any]:
    """``src`` read onto ``grid`` by GetCoverage requests: an open in-memory dataset (context manager)."""
    t = grid.transform
    res = t.a
    crs = grid.crs.to_string()
    blocks = grid_blocks(grid, block_px, block_px)
    out: np.ndarray | None = None
    nodata: float | None = None
    colormap: dict[int, tuple[int, ...]] | None = None
    for i, (r0, c0, h, w) in enumerate(blocks):
        bbox = (t.c + c0 * res, t.f - (r0 + h) * res, t.c + (c0 + w) * res, t.f - r0 * res)
        data = _get(coverage_url(src, bbox, res, crs), src, timeout_s)
        with MemoryFile(data) as mem, mem.open() as ds:
            same_crs = ds.crs is not None and (ds.crs == grid.crs or ds.crs.to_epsg() == grid.crs.to_epsg())
            if not same_crs or not all(math.isclose(v, res) for v in ds.res):
                raise FetchError(
                    f"{src.dataset} {src.when}: the coverage service answered {ds.crs} at {ds.res} m, "
                    f"not {crs} at {res:g} m",
                    hint="the service must serve the coverage in its native CRS and resolution",
                )
            col, row = (ds.transform.c - t.c) / res, (t.f - ds.transform.f) / res
            if abs(col - round(col)) * res > JITTER_M or abs(row - round(row)) * res > JITTER_M:
                raise FetchError(
                    f"{src.dataset} {src.when}: the answer is off the {res:g} m grid "
                    f"(origin {ds.transform.c:.3f}, {ds.transform.f:.3f})",
                    hint="the dataset's grid_origin must be a pixel corner of the coverage",
                )
            if out is None:
                nodata = ds.nodata
                fill = nodata if nodata is not None else 0
                out = np.full((grid.height, grid.width), fill, dtype=ds.dtypes[0])
                with contextlib.suppress(ValueError):
                    colormap = dict(ds.colormap(1))
            col, row = round(col), round(row)
            # Paste the part of the answer that falls on the grid (servers may pad or trim an edge pixel).
            rs, cs = max(row, 0), max(col, 0)
            re_, ce = min(row + ds.height, grid.height), min(col + ds.width, grid.width)
            if re_ > rs and ce > cs:
                out[rs:re_, cs:ce] = ds.read(1)[rs - row : re_ - row, cs - col : ce - col]
        if progress:
            progress(i + 1, len(blocks))
    assert out is not None
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": out.dtype.name,
        "crs": grid.crs,
        "transform": t,
        "nodata": nodata,
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as tmp:
            tmp.write(out, 1)
            if colormap:
                tmp.write_colormap(1, colormap)
        with mem.open() as ds:
            yield ds


def wcs_grid_origin(src: SourceFile) -> tuple[float, float]:
    """The pixel corner the coverage's grid goes through (the dataset's ``grid_origin``)."""
    if src.grid_origin is None:
        raise FetchError(
            f"dataset '{src.dataset}' (a coverage service) has no grid_origin",
            hint="add `grid_origin: [x, y]`, a pixel corner of the coverage in its CRS "
            "(Annual NLCD CONUS: [-2493045, 3310005])",
        )
    return src.grid_origin
