"""The PDF report's locator map, read from a region: the two land-cover years around a boundary, its neighbours.

The view is the boundary's box plus a margin, widened to the map's aspect and slid over the region's data; the
land cover is read at ≤ ``MAX_PIXELS`` a side (nearest pixel: the same pixels in both years, so a change shown
is a change in the data). :func:`learn.report.locator.draw_locator_map` draws it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from pyproj import CRS
from rasterio.enums import Resampling

from learn.errors import RasterError
from learn.raster.grid import open_raster
from learn.report.locator import MAP_HEIGHT_IN, MAP_WIDTH_IN, LocatorInputs, LocatorMap, draw_locator_map
from learn.sources.boundaries import Boundary

if (
    TYPE_CHECKING
):  # not at run time: learn.pipeline.region imports learn.pipeline.batch, which draws these maps
    from learn.pipeline.region_view import RegionView as Region

#: Longest side of the rasters drawn (pixels): enough for print at the map's size, small enough to be quick.
MAX_PIXELS = 900
#: Margin around the jurisdiction, as a share of its larger side (each way): its neighbours show.
MARGIN_SHARE = 0.35


def _shift_inside(lo: float, hi: float, data_lo: float, data_hi: float) -> tuple[float, float]:
    """Slide [lo, hi] to lie inside [data_lo, data_hi] (centred on it when wider): no empty margin shown."""
    if hi - lo >= data_hi - data_lo:
        mid = (data_lo + data_hi) / 2
        return mid - (hi - lo) / 2, mid + (hi - lo) / 2
    shift = max(data_lo - lo, 0.0) + min(data_hi - hi, 0.0)
    return lo + shift, hi + shift


def _extent(
    b: Boundary, aspect: float, data: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The jurisdiction's box plus a margin, widened on its short side to the map's aspect (width / height)
    and slid over the region's data where it would stick out."""
    xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(b.geometry))
    pad = max(MARGIN_SHARE * max(xmax - xmin, ymax - ymin), 500.0)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    w, h = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    x0, x1 = _shift_inside(cx - w / 2, cx + w / 2, data[0], data[2])
    y0, y1 = _shift_inside(cy - h / 2, cy + h / 2, data[1], data[3])
    return x0, y0, x1, y1


def _read(
    region: Region, year: int, box: tuple[float, float, float, float]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_], tuple[float, float, float, float], int]:
    """Land cover of ``year`` over ``box`` at ≤ MAX_PIXELS a side: (codes, valid, its bounds, step in pixels)."""
    window = region.grid.window_for_bounds(box)
    path = region.layer_path("land_cover", year=year)
    with open_raster(path, f"land cover {year}") as ds:
        if window is None:
            raise RasterError(f"land cover {year}: the map's box lies outside the region's grid ({path})")
        step = max(1, math.ceil(max(window.width, window.height) / MAX_PIXELS))
        shape = (math.ceil(window.height / step), math.ceil(window.width / step))
        data = ds.read(1, window=window, out_shape=shape, resampling=Resampling.nearest, masked=True)
        bounds = rasterio.windows.bounds(window, ds.transform)
    valid = ~np.ma.getmaskarray(data)
    return np.ma.filled(data, 0).astype(np.uint8), valid, bounds, step


def locator_map(region: Region, boundary: Boundary, start: int, end: int) -> LocatorMap:
    """The locator map of ``boundary`` (in the grid's CRS) for the period ``start``–``end``."""
    region.check_period(start, end)
    crs = CRS.from_user_input(region.grid.crs)
    if crs.is_geographic:  # fetched and demo regions are projected (EPSG:5070); a scale bar needs metres
        raise RasterError(
            f"region '{region.name}' is on a geographic grid: the PDF's map needs metres",
            hint="fetch or warp the region onto EPSG:5070 (learn fetch does)",
        )
    box = _extent(boundary, MAP_WIDTH_IN / MAP_HEIGHT_IN, region.grid.bounds)
    lc0, ok0, bounds, step = _read(region, start, box)
    lc1, ok1, _, _ = _read(region, end, box)
    frame = region.boundaries_frame(None)
    others = [g for bid, g in zip(frame["id"], frame.geometry, strict=True) if bid != boundary.id]
    return draw_locator_map(
        LocatorInputs(
            name=boundary.name or boundary.id,
            start=start,
            end=end,
            lc_start=lc0,
            valid_start=ok0,
            lc_end=lc1,
            valid_end=ok1,
            bounds=bounds,
            box=box,
            step=step,
            native_pixel=abs(region.grid.transform.a),
            crs=crs,
            outline=boundary.geometry,
            others=others,
            synthetic=region.spec.synthetic,
            region=region.name,
        )
    )
