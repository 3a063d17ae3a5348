"""The reduction engine: stacked layers × zones → stratum table, in one pass over windows.

:func:`reduce_windows` is the single reduction code path. It runs on a list of windows and returns
an additive partial table; :func:`reduce` spreads the windows over local threads (the kernel
releases the GIL) or over a ``dask.distributed`` cluster (the same function, shipped to workers)
and adds the partial tables up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
from rasterio.windows import Window

from learn.layers import CARBON_LAYERS
from learn.raster.grid import Grid, RasterStack, iter_windows
from learn.raster.strata import combine, combine_disturbance
from learn.raster.stratum_sums import Stored
from learn.raster.zones import ZoneSource

Progress = Callable[[int, int], None]
GDAL_CACHE_MB = 64


@dataclass(frozen=True)
class ReductionJob:
    """Everything a worker needs to reduce windows; plain paths, so it pickles (dask)."""

    land_cover: tuple[str, str]
    zones: ZoneSource
    forest_age_type_region: str | None = None
    disturbance: tuple[str, ...] = ()
    carbon: tuple[str, str, str] | None = None
    canopy: tuple[str, str] | None = None
    canopy_max: float = 100.0


def open_job_layers(job: ReductionJob) -> RasterStack:
    """Open (and grid-check) every layer of a job."""
    stack = RasterStack()
    stack.add("lc1", job.land_cover[0], "land cover (start)")
    stack.add("lc2", job.land_cover[1], "land cover (end)")
    if job.forest_age_type_region:
        stack.add("code", job.forest_age_type_region, "forest age-type-region")
    for i, p in enumerate(job.disturbance):
        stack.add(f"dist{i}", p, f"disturbance {Path(p).name}")
    if job.carbon:
        for k, p in zip(CARBON_LAYERS, job.carbon, strict=True):
            stack.add(k, p, k)
    if job.canopy:
        stack.add("tc1", job.canopy[0], "tree canopy (start)")
        stack.add("tc2", job.canopy[1], "tree canopy (end)")
    return stack


def _codes(stack: RasterStack, key: str, win: Window) -> npt.NDArray[np.integer]:
    """A categorical layer (land cover, forest code, disturbance) in its own dtype (no widening), its
    declared nodata → 0 (no class / no code / no disturbance), whatever value the file declares."""
    ds = stack.layers[key]
    arr = stack.read(key, win, reuse=True)
    if ds.nodata is not None and not (ds.nodata == 0 and arr.dtype.kind in "iu"):  # 0 → 0 is a no-op
        nodata = arr == ds.nodata
        if np.issubdtype(arr.dtype, np.floating) and np.isnan(ds.nodata):
            nodata = np.isnan(arr)
        arr = np.where(nodata, 0, arr).astype(arr.dtype)
    return arr  # type: ignore[return-value]


def _floats(
    stack: RasterStack, key: str, win: Window, valid_max: float | None = None
) -> npt.NDArray[np.float32]:
    ds = stack.layers[key]
    raw = stack.read(key, win, reuse=True)
    arr = raw.astype(np.float32)
    if ds.nodata is not None:
        arr[raw == ds.nodata] = np.nan
    scale, offset = ds.scales[0], ds.offsets[0]
    if scale != 1.0 or offset != 0.0:  # a layer stored as scaled integers (learn.raster.cog)
        arr = arr * np.float32(scale) + np.float32(offset)
    if valid_max is not None:
        arr[(arr < 0) | (arr > valid_max)] = np.nan  # NLCD TCC 254/255 are background / nodata
    return arr


def _stored(
    stack: RasterStack, key: str, win: Window, valid_max: float | None = None
) -> tuple[npt.NDArray[Any], Stored]:
    """A continuous layer for the kernel: integer (or float32) values as stored, with their step and
    nodata, so no pass converts them to floats; other layers (an offset, float64, a scaled canopy) as
    float32 values with NaN for nodata (:func:`_floats`)."""
    ds = stack.layers[key]
    scale, offset = ds.scales[0], ds.offsets[0]
    dtype = np.dtype(ds.dtypes[0])
    as_stored = (dtype.kind in "iu" and dtype.itemsize <= 4) or dtype == np.float32
    if as_stored and offset == 0.0 and (valid_max is None or scale == 1.0):
        return stack.read(key, win, reuse=True), Stored(scale, ds.nodata)
    return _floats(stack, key, win, valid_max), Stored()


def reduce_windows(job: ReductionJob, windows: Sequence[Window]) -> list[pd.DataFrame]:
    """Reduce each of ``windows`` to a stratum table (zone = index into ``job.zones.ids``).

    One table per window, so that adding them up in window order gives the same floating-point
    sums however the windows were spread over threads or workers.
    """
    from learn.raster.kernel import StratumAccumulator  # numba: loaded only where windows are reduced

    tables = []
    # A small GDAL block cache: each block is read once, so caching more only costs memory.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), open_job_layers(job) as stack:
        assert stack.grid is not None
        transform = stack.grid.transform
        for win in windows:
            acc = StratumAccumulator()
            items = list(job.zones.items(win, transform))
            if not items:
                tables.append(acc.to_frame())
                continue
            dist = None
            if job.disturbance:
                # Periods inside the inventory combine by per-pixel MAX: fire > insect > harvest.
                dist = combine_disturbance(
                    [_codes(stack, f"dist{i}", win) for i in range(len(job.disturbance))]
                )
            layers: dict[str, Any] = {
                "code": _codes(stack, "code", win) if job.forest_age_type_region else None,
                "disturbance": dist,
            }
            if job.carbon:
                pools = [_stored(stack, k, win) for k in CARBON_LAYERS]
                layers["carbon"] = tuple(a for a, _ in pools)
                layers["carbon_stored"] = tuple(s for _, s in pools)
            if job.canopy:
                canopy = [_stored(stack, k, win, job.canopy_max) for k in ("tc1", "tc2")]
                layers["canopy"] = tuple(a for a, _ in canopy)
                layers["canopy_stored"] = tuple(s for _, s in canopy)
                layers["canopy_range"] = (0.0, job.canopy_max)
            # A land-cover class declared nodata (even a real class, e.g. 41) is no class: 0, background.
            lc1, lc2 = _codes(stack, "lc1", win), _codes(stack, "lc2", win)
            for zone, weight in items:
                acc.add(zone, lc1, lc2, weight=weight, **layers)
            tables.append(acc.to_frame())
            del layers, lc1, lc2, items, dist  # free this window before reading the next
    return tables


def grid_windows(grid: Grid, bounds_window: Window | None = None, block: int = 2048) -> list[Window]:
    """Windows of ``block`` pixels (a multiple of the 512-px COG tiles) covering the grid or a part of it."""
    return list(iter_windows(bounds_window or Window(0, 0, grid.width, grid.height), block))


def reduce(
    job: ReductionJob,
    windows: Sequence[Window],
    *,
    workers: int | None = None,
    client: Any = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Reduce all windows: on local threads, or on a dask.distributed ``client`` when given.

    Tasks get interleaved runs of windows; the per-window tables are added up in window order, so
    the result is identical whether it ran on one thread, several, or a cluster.
    """
    windows = list(windows)
    if not windows:
        return combine([])
    if client is not None:
        nworkers = len(client.scheduler_info().get("workers", {})) or 1
        ntasks, nthreads = min(len(windows), 4 * nworkers), 1
    else:
        nthreads = max(1, workers or os.cpu_count() or 1)
        ntasks = min(len(windows), 4 * nthreads)  # several tasks per thread: finer progress
    order = [list(range(k, len(windows), ntasks)) for k in range(ntasks)]
    chunks = [[windows[i] for i in idx] for idx in order]
    results: dict[int, list[pd.DataFrame]] = {}
    if client is not None:
        from distributed import as_completed as dask_completed

        futures = client.map(reduce_windows, [job] * ntasks, chunks, pure=False)
        index_of = {f.key: k for k, f in enumerate(futures)}
        for done, fut in enumerate(dask_completed(futures), start=1):
            results[index_of[fut.key]] = fut.result()
            if progress:
                progress(done, ntasks)
    elif nthreads == 1:
        for k, chunk in enumerate(chunks):
            results[k] = reduce_windows(job, chunk)
            if progress:
                progress(k + 1, ntasks)
    else:
        with ThreadPoolExecutor(max_workers=nthreads) as pool:
            futs = {pool.submit(reduce_windows, job, chunk): k for k, chunk in enumerate(chunks)}
            for done, fut in enumerate(as_completed(futs), start=1):
                results[futs[fut]] = fut.result()
                if progress:
                    progress(done, ntasks)
    per_window: list[pd.DataFrame | None] = [None] * len(windows)
    for k, idx in enumerate(order):
        for i, table in zip(idx, results[k], strict=True):
            per_window[i] = table
    return combine([t for t in per_window if t is not None])
