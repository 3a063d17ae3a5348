"""Raster I/O: open layers, check that they share one grid, rasterize zones, iterate windows.

All layers of a region share one grid (CRS, transform, shape); layers on another grid are warped
once at ingest (``learn fetch``), never per request, so a misaligned layer is an error here.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.features
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from learn.errors import RasterError

# exactextract insists on a CRS on both sides; geometry and grid already share one, so any will do.
_SCRATCH_CRS = CRS.from_epsg(5070)

#: Pixel-centre rule (ArcGIS Clip / ExtractByMask, as LEARN) or exact partial-pixel coverage.
PIXEL_RULES = ("centre", "exact")


@dataclass(frozen=True)
class Grid:
    """The analysis grid of a region."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def pixel_area_ha(self) -> float:
        """Area of one pixel in hectares (0.09 for NLCD's 30 m pixels)."""
        return abs(self.transform.a * self.transform.e) / 10_000.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return rasterio.transform.array_bounds(self.height, self.width, self.transform)[0:4]

    def window_for_bounds(self, bounds: tuple[float, float, float, float]) -> Window | None:
        """Smallest window of whole pixels covering ``bounds``, clipped to the grid (None if outside)."""
        inv = ~self.transform
        xmin, ymin, xmax, ymax = bounds
        c0, r0 = inv @ (xmin, ymax)
        c1, r1 = inv @ (xmax, ymin)
        col0, row0 = max(math.floor(min(c0, c1)), 0), max(math.floor(min(r0, r1)), 0)
        col1, row1 = min(math.ceil(max(c0, c1)), self.width), min(math.ceil(max(r0, r1)), self.height)
        if col1 <= col0 or row1 <= row0:
            return None
        return Window(col0, row0, col1 - col0, row1 - row0)


def open_raster(path: str | Path, what: str) -> rasterio.io.DatasetReader:
    """Open a raster, turning GDAL errors into a message that names the layer and file."""
    p = str(path)
    if "://" not in p and not Path(p).exists():
        raise RasterError(
            f"{what}: file not found: {p}", hint="run `learn demo` (demo region) or `learn fetch`"
        )
    try:
        return rasterio.open(p)
    except RasterioIOError as err:
        raise RasterError(
            f"{what}: cannot open raster {p}: {err}", hint="is the file a valid GeoTIFF?"
        ) from None


def grid_of(ds: rasterio.io.DatasetReader) -> Grid:
    if ds.crs is None:
        raise RasterError(
            f"raster {ds.name} has no CRS", hint="assign the CRS (e.g. EPSG:5070) with gdal_edit.py -a_srs"
        )
    return Grid(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height)


def check_aligned(ds: rasterio.io.DatasetReader, grid: Grid, what: str) -> None:
    """Refuse a layer that is not on the region's grid."""
    other = grid_of(ds)
    problems = []
    if other.crs != grid.crs:
        problems.append(f"CRS {other.crs} ≠ {grid.crs}")
    if not other.transform.almost_equals(grid.transform, precision=1e-6):
        problems.append(f"transform {tuple(other.transform)[:6]} ≠ {tuple(grid.transform)[:6]}")
    if (other.width, other.height) != (grid.width, grid.height):
        problems.append(f"shape {other.height}×{other.width} ≠ {grid.height}×{grid.width}")
    if problems:
        raise RasterError(
            f"{what} ({ds.name}) is not on the region's grid: {'; '.join(problems)}",
            hint="warp it once onto the land-cover grid (gdalwarp -tap with the same CRS, extent and 30 m pixels)",
        )


class RasterStack(contextlib.ExitStack):
    """Open layers that must share one grid (the first one opened defines it)."""

    def __init__(self) -> None:
        super().__init__()
        self.grid: Grid | None = None
        self.layers: dict[str, rasterio.io.DatasetReader] = {}
        self._buffers: dict[str, npt.NDArray[np.generic]] = {}

    def add(self, key: str, path: str | Path, what: str) -> rasterio.io.DatasetReader:
        ds = self.enter_context(open_raster(path, what))
        if self.grid is None:
            self.grid = grid_of(ds)
        else:
            check_aligned(ds, self.grid, what)
        self.layers[key] = ds
        return ds

    def read(self, key: str, window: Window, reuse: bool = False) -> npt.NDArray[np.generic]:
        """Band 1 of layer ``key`` in ``window``. ``reuse``: into this stack's buffer for the layer,
        valid until the layer's next read (fresh arrays cost a page fault per 4 KiB, zeroed)."""
        ds = self.layers[key]
        out = None
        if reuse:
            h, w = int(window.height), int(window.width)
            buf = self._buffers.get(key)
            if buf is None or buf.size < h * w:
                buf = self._buffers[key] = np.empty(h * w, ds.dtypes[0])
            out = buf[: h * w].reshape(h, w)
        try:
            return ds.read(1, window=window, out=out)
        except RasterioIOError as err:
            raise RasterError(f"cannot read {ds.name} (corrupt or truncated?): {err}") from None


def iter_windows(window: Window, block: int = 1024, block_width: int | None = None) -> Iterator[Window]:
    """Split ``window`` into blocks of at most ``block`` rows × ``block_width`` (default ``block``) columns."""
    bw = block if block_width is None else block_width
    col0, row0, width, height = (
        int(window.col_off),
        int(window.row_off),
        int(window.width),
        int(window.height),
    )
    for r in range(row0, row0 + height, block):
        for c in range(col0, col0 + width, bw):
            yield Window(c, r, min(bw, col0 + width - c), min(block, row0 + height - r))


def grid_blocks(grid: Grid, block_height: int, block_width: int) -> list[tuple[int, int, int, int]]:
    """(row, col, height, width) of the blocks that tile ``grid``, row by row: one remote request each."""
    whole = Window(0, 0, grid.width, grid.height)
    return [
        (int(w.row_off), int(w.col_off), int(w.height), int(w.width))
        for w in iter_windows(whole, block_height, block_width)
    ]


def zone_weights(
    geometry: shapely.Geometry, window: Window, transform: Affine, rule: str = "centre"
) -> npt.NDArray[np.float32]:
    """Weight of each pixel of ``window`` in the zone: 1/0 by pixel centre, or the covered fraction.

    ``rule="centre"``: a pixel belongs to the zone when its centre is inside (LEARN / ArcGIS).
    ``rule="exact"``: the fraction (0–1) of the pixel's area inside the polygon (exactextract).
    """
    shape = (int(window.height), int(window.width))
    win_transform = rasterio.windows.transform(window, transform)
    if rule == "centre":
        mask = rasterio.features.geometry_mask(
            [geometry], out_shape=shape, transform=win_transform, invert=True, all_touched=False
        )
        return mask.astype(np.float32)
    if rule == "exact":
        return _exact_coverage(geometry, shape, win_transform)
    raise ValueError(f"pixel rule must be one of {PIXEL_RULES}")


def _exact_coverage(
    geometry: shapely.Geometry, shape: tuple[int, int], transform: Affine
) -> npt.NDArray[np.float32]:
    """Covered fraction per pixel, from exactextract (geometry already in the grid's CRS)."""
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    rows, cols = shape
    xmin, ymax = transform @ (0, 0)
    xmax, ymin = transform @ (cols, rows)
    # A scratch raster only carries the grid; exactextract returns row-major cell ids and fractions.
    wkt = _SCRATCH_CRS.to_wkt()
    src = NumPyRasterSource(np.zeros(shape, dtype=np.uint8), xmin, ymin, xmax, ymax, srs_wkt=wkt)
    frame = gpd.GeoDataFrame({"zone": [0]}, geometry=[geometry], crs=wkt)
    out = np.zeros(rows * cols, dtype=np.float32)
    result = exact_extract(src, frame, ["cell_id", "coverage"], output="pandas")
    if len(result):
        cells = np.asarray(result.iloc[0]["cell_id"], dtype=np.int64)
        cover = np.asarray(result.iloc[0]["coverage"], dtype=np.float32)
        out[cells] = cover
    return out.reshape(shape)
