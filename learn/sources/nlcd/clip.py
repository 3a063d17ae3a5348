"""Clip a (remote) raster onto one EPSG:5070 30 m grid and write it as a local COG.

The grid of a fetched region is the boundary's bounding box plus a margin, snapped outward to the
land-cover source's pixel grid. A source already on that grid is read window by window (only the
tiles it needs travel over HTTP); a source on another grid or CRS is warped onto it with a
``WarpedVRT`` (nearest for classes, bilinear for continuous values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from learn.raster.grid import Grid
from learn.sources.remote import FetchError

TARGET_CRS = CRS.from_epsg(5070)
PIXEL_M = 30.0
#: Rows read per request batch: one progress step; a multiple of common COG tile sizes (256/512).
ROWS_PER_STEP = 512

#: (rows done, rows total) of one layer.
RowProgress = Callable[[int, int], None]


def grid_origin(ds: rasterio.io.DatasetReader) -> tuple[float, float]:
    """Pixel-grid origin to snap to: the source's corner when it is a 30 m grid in an Albers-like
    projected CRS (NLCD's own grid), else (0, 0) (target-aligned pixels, as ``gdalwarp -tap``)."""
    t = ds.transform
    if ds.crs is not None and ds.crs.is_projected and math.isclose(abs(t.a), PIXEL_M) and t.b == t.d == 0:
        return float(t.c), float(t.f)
    return 0.0, 0.0


def snapped_grid(
    bounds: tuple[float, float, float, float], margin_m: float, origin: tuple[float, float]
) -> Grid:
    """The EPSG:5070 grid covering ``bounds`` (metres, EPSG:5070) plus ``margin_m``, snapped outward
    to the 30 m pixel grid through ``origin``."""
    x0, y0 = origin
    xmin, ymin, xmax, ymax = bounds
    left = x0 + math.floor((xmin - margin_m - x0) / PIXEL_M) * PIXEL_M
    right = x0 + math.ceil((xmax + margin_m - x0) / PIXEL_M) * PIXEL_M
    bottom = y0 + math.floor((ymin - margin_m - y0) / PIXEL_M) * PIXEL_M
    top = y0 + math.ceil((ymax + margin_m - y0) / PIXEL_M) * PIXEL_M
    return Grid(
        crs=TARGET_CRS,
        transform=Affine(PIXEL_M, 0.0, left, 0.0, -PIXEL_M, top),
        width=round((right - left) / PIXEL_M),
        height=round((top - bottom) / PIXEL_M),
    )


def source_bounds(ds: rasterio.io.DatasetReader) -> tuple[float, float, float, float]:
    """The source's extent in EPSG:5070 (metres)."""
    if ds.crs == TARGET_CRS:
        b = ds.bounds
        return (b.left, b.bottom, b.right, b.top)
    return transform_bounds(ds.crs, TARGET_CRS, *ds.bounds, densify_pts=21)


def window_on_source(ds: rasterio.io.DatasetReader, grid: Grid) -> Window | None:
    """The grid as a whole-pixel window of the source when both share CRS, pixel size and pixel
    corners (then no resampling is needed); None otherwise."""
    t, g = ds.transform, grid.transform
    if ds.crs != grid.crs or t.b != 0 or t.d != 0 or not (math.isclose(t.a, g.a) and math.isclose(t.e, g.e)):
        return None
    col, row = (g.c - t.c) / t.a, (g.f - t.f) / t.e
    if not (math.isclose(col, round(col), abs_tol=1e-6) and math.isclose(row, round(row), abs_tol=1e-6)):
        return None
    return Window(round(col), round(row), grid.width, grid.height)


def read_onto_grid(
    ds: rasterio.io.DatasetReader,
    grid: Grid,
    *,
    categorical: bool,
    fill: float,
    progress: RowProgress | None = None,
) -> tuple[npt.NDArray[Any], str]:
    """Read band 1 of ``ds`` onto ``grid`` in strips of :data:`ROWS_PER_STEP` rows.

    Pixels of the grid outside the source get ``fill``. Returns (array, how: "window" | "warp:<resampling>").
    """
    out = np.full((grid.height, grid.width), fill, dtype=ds.dtypes[0])
    win = window_on_source(ds, grid)
    steps = range(0, grid.height, ROWS_PER_STEP)
    try:
        if win is not None:
            # Same grid: read only the part of the window that lies on the source, strip by strip.
            c0, r0 = int(win.col_off), int(win.row_off)
            cs, ce = max(c0, 0), min(c0 + grid.width, ds.width)
            for i, r in enumerate(steps):
                rs, re_ = max(r0 + r, 0), min(r0 + min(r + ROWS_PER_STEP, grid.height), ds.height)
                if ce > cs and re_ > rs:
                    out[rs - r0 : re_ - r0, cs - c0 : ce - c0] = ds.read(
                        1, window=Window(cs, rs, ce - cs, re_ - rs)
                    )
                if progress:
                    progress(min((i + 1) * ROWS_PER_STEP, grid.height), grid.height)
            return out, "window"
        resampling = Resampling.nearest if categorical else Resampling.bilinear
        with WarpedVRT(
            ds,
            crs=grid.crs,
            transform=grid.transform,
            width=grid.width,
            height=grid.height,
            resampling=resampling,
            src_nodata=ds.nodata,
            nodata=fill,
        ) as vrt:
            for i, r in enumerate(steps):
                h = min(ROWS_PER_STEP, grid.height - r)
                out[r : r + h] = vrt.read(1, window=Window(0, r, grid.width, h))
                if progress:
                    progress(min((i + 1) * ROWS_PER_STEP, grid.height), grid.height)
        return out, f"warp:{resampling.name}"
    except RasterioIOError as err:
        raise FetchError(
            f"reading {ds.name} failed part-way: {err}",
            hint="the connection dropped or the server refused a range request; run the same command again "
            "(finished layers are kept)",
        ) from None


#: Nodata of a continuous layer read from a source stored as scaled integers (its values are float32 then).
UNSCALED_NODATA = -9999.0


def unscaled(
    array: npt.NDArray[Any], nodata: float | None, scale: float, offset: float
) -> tuple[npt.NDArray[np.float32], float]:
    """The values of a source stored as scaled integers (GDAL scale/offset metadata, e.g. a region written by
    ``learn demo``): float32 = raw × scale + offset, its nodata → :data:`UNSCALED_NODATA`."""
    values = array.astype(np.float32) * np.float32(scale) + np.float32(offset)
    if nodata is not None:
        values[array == nodata] = UNSCALED_NODATA
    return values, UNSCALED_NODATA


def fill_value(ds: Any, categorical: bool) -> float:
    """Value for grid pixels the source does not cover: its nodata, else 0 for classes (no class, no
    code, no disturbance), NaN for floats, the type's maximum for other numbers (TCC's 255)."""
    if ds.nodata is not None:
        return float(ds.nodata)
    if categorical:
        return 0
    dtype = np.dtype(ds.dtypes[0])
    return float("nan") if dtype.kind == "f" else float(np.iinfo(dtype).max)
