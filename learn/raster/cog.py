"""Writing a layer: one band as a Cloud-Optimised GeoTIFF, atomically.

``learn demo`` and ``learn fetch`` both write through :func:`write_cog`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy.typing as npt
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import MemoryFile

from learn.util import atomic_path


class RasterGrid(Protocol):
    """What writing a raster needs of a grid (``learn.raster.grid.Grid``, ``learn.demo.DemoGrid``)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def crs(self) -> CRS | str: ...
    @property
    def transform(self) -> Affine: ...


def write_cog(
    path: Path,
    array: npt.NDArray[Any],
    grid: RasterGrid,
    *,
    nodata: float | None,
    categorical: bool,
    tags: dict[str, str],
    colormap: dict[int, tuple[int, ...]] | None = None,
    description: str | None = None,
) -> None:
    """Write one band as a COG (512 px tiles, DEFLATE, overviews) atomically (temp file + rename).

    Overviews: nearest for classes, average for continuous values. ``learn fetch`` and ``learn demo``
    both write through here; ``grid`` needs only ``width``, ``height``, ``crs`` and ``transform``.
    """
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": array.dtype.name,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
    }
    options: dict[str, Any] = {
        "COMPRESS": "DEFLATE",
        "BLOCKSIZE": 512,
        "RESAMPLING": "NEAREST" if categorical else "AVERAGE",
    }
    if not categorical:
        options["PREDICTOR"] = "YES"  # horizontal / floating-point differencing compresses smooth fields
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(array, 1)
            ds.update_tags(**tags)
            if description:
                ds.set_band_description(1, description)
            if colormap:
                ds.write_colormap(1, colormap)
        with mem.open() as src, atomic_path(path) as tmp:
            rasterio.shutil.copy(src, tmp, driver="COG", NUM_THREADS="ALL_CPUS", **options)
