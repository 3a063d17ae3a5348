"""Writing a layer: one band as a Cloud-Optimised GeoTIFF, atomically.

``learn demo`` and ``learn fetch`` both write through :func:`write_cog` (compression: :func:`compression_options`). Carbon pools are stored as scaled
integers (:data:`CARBON_STORAGE_SCALE`): uint16 × 0.02 t C/ha decodes about ten times faster than float32
with a floating-point predictor (benchmarks/README.md, "Storage"), which is the floor of every full
stratification; the rounding is at most half a step, 0.01 t C/ha per pixel (a test bounds its effect on a
report). A layer whose values do not fit (negative, or over 1,310 t C/ha) stays float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import MemoryFile

from learn.util import atomic_path, output_error

#: t C/ha per integer step of a stored carbon pool (uint16: 0 … 65,534 steps, 65,535 = nodata).
CARBON_STORAGE_SCALE: Final = 0.02
SCALED_NODATA: Final = 65535


def scaled_integers(
    array: npt.NDArray[Any], nodata: float | None, scale: float
) -> npt.NDArray[np.uint16] | None:
    """``array`` as uint16 steps of ``scale`` (nodata and NaN → :data:`SCALED_NODATA`), or None when a
    value does not fit (then the layer is stored as it is)."""
    values = np.asarray(array, np.float64)
    missing = ~np.isfinite(values)
    if nodata is not None:
        missing |= values == nodata
    steps = np.round(np.where(missing, 0.0, values) / scale)
    if steps.min(initial=0) < 0 or steps.max(initial=0) > SCALED_NODATA - 1:
        return None
    return np.where(missing, SCALED_NODATA, steps).astype(np.uint16)


def compression_options(categorical: bool, dtype: np.dtype[Any]) -> dict[str, str]:
    """GDAL creation options for a layer's compression (keys as the COG driver spells them).

    Classes (long runs of one value): DEFLATE, which decodes them fastest. Continuous integers (carbon steps,
    canopy percent): ZSTD level 9 without a predictor, which decodes 1.6–2.4× faster than DEFLATE with the
    horizontal predictor for a few per cent more disk (benchmarks/README.md, "Storage"); every stratification
    reads them whole. Floats (a layer that did not fit the steps): ZSTD with the floating-point predictor.
    """
    if categorical:
        return {"COMPRESS": "DEFLATE"}
    if dtype.kind == "f":
        return {"COMPRESS": "ZSTD", "LEVEL": "9", "PREDICTOR": "YES"}
    return {"COMPRESS": "ZSTD", "LEVEL": "9"}


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
    storage_scale: float | None = None,
) -> None:
    """Write one band as a COG (512 px tiles, DEFLATE for classes / ZSTD for values, overviews) atomically.

    Overviews: nearest for classes, average for continuous values. ``learn fetch`` and ``learn demo``
    both write through here; ``grid`` needs only ``width``, ``height``, ``crs`` and ``transform``.
    ``storage_scale``: store a continuous layer as uint16 steps of this size (GDAL scale metadata; readers
    apply it), when its values fit.
    """
    scale = None
    if storage_scale is not None and not categorical:
        steps = scaled_integers(array, nodata, storage_scale)
        if steps is not None:
            array, nodata, scale = steps, SCALED_NODATA, storage_scale
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
    options: dict[str, Any] = {"BLOCKSIZE": 512, "RESAMPLING": "NEAREST" if categorical else "AVERAGE"}
    options.update(compression_options(categorical, np.dtype(array.dtype)))
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(array, 1)
            if scale is not None:
                ds.scales, ds.offsets = (scale,), (0.0,)
            ds.update_tags(**tags)
            if description:
                ds.set_band_description(1, description)
            if colormap:
                ds.write_colormap(1, colormap)
        # The COG is made in memory, then written with Python's own writes: GDAL does not always report a
        # write that failed on a full disk (a truncated file was renamed into place), Python always does,
        # and the error can say how much space the file needs.
        with mem.open() as src, MemoryFile(ext=".tif") as cog:
            rasterio.shutil.copy(src, cog.name, driver="COG", NUM_THREADS="ALL_CPUS", **options)
            data = cog.read()
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as err:
        raise output_error(path, err, needed=len(data)) from None


def read_values(path: Path) -> npt.NDArray[np.float64]:
    """Band 1 of a continuous layer as its values (float64): the stored scale applied, nodata → NaN."""
    with rasterio.open(path) as ds:
        raw = ds.read(1)
        values = raw.astype(np.float64) * ds.scales[0] + ds.offsets[0]
        if ds.nodata is not None:
            values[raw == ds.nodata] = np.nan
    return values
