"""Layers of a region as rioxarray DataArrays, for notebooks and maps (:meth:`learn.pipeline.region.Region.layer`).

A catalog layer (band 1, nodata → NaN, float32), the ``forest_change`` layer computed from two land-cover years,
and the disturbance periods inside a period combined by per-pixel MAX, as the inventory does. The inventory
itself reads its rasters through the raster stage (:mod:`learn.raster.engine`), not through here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from learn.errors import PeriodError
from learn.layers import FOREST_CHANGE_LAYER
from learn.raster.grid import open_raster

if TYPE_CHECKING:
    import xarray as xr

    from learn.pipeline.region_view import RegionView as Region
    from learn.sources.boundaries import Boundary


def read_layer(
    region: Region,
    name: str,
    year: int | None,
    start: int | None,
    end: int | None,
    boundary: str | Boundary | os.PathLike[str] | None,
) -> xr.DataArray:
    """One layer of ``region`` as a ``DataArray``: what :meth:`learn.pipeline.region.Region.layer` returns (see there)."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    bbox: tuple[float, float, float, float] | None = None
    if boundary is not None:
        b = region.boundary(boundary)
        bbox = tuple(float(v) for v in shapely.bounds(b.geometry))  # type: ignore[assignment]
    attrs: dict[str, Any] = {"layer": name, "region": region.name, "synthetic": region.spec.synthetic}
    if name == FOREST_CHANGE_LAYER or (name == "disturbance" and name in region.spec.layers):
        s, e = region.default_period if start is None or end is None else (start, end)
        region.check_period(s, e)
        attrs.update(start=s, end=e)
        if name == FOREST_CHANGE_LAYER:
            from learn.report.palettes import forest_change_codes

            a = read_layer_file(region, "land_cover", bbox, year=s)
            z = read_layer_file(region, "land_cover", bbox, year=e)
            ok_a, ok_z = a.notnull().to_numpy(), z.notnull().to_numpy()
            codes = forest_change_codes(
                a.fillna(0).to_numpy().astype(np.uint8),
                ok_a,
                z.fillna(0).to_numpy().astype(np.uint8),
                ok_z,
            )
            da = a.copy(data=np.where(ok_a & ok_z, codes, np.nan).astype(np.float32))
            attrs.update(units="class", source=f"land cover {s} and {e} (NLCD roll-up to IPCC categories)")
        else:
            inside = [p for p in region.disturbance_periods if s <= p[0] and p[1] <= e]
            if not inside:
                raise PeriodError(
                    f"no disturbance period lies inside {s}–{e}",
                    hint=f"disturbance periods: {region.disturbance_periods}",
                )
            parts = [read_layer_file(region, "disturbance", bbox, start=p0, end=p1) for p0, p1 in inside]
            da = parts[0].copy(data=np.fmax.reduce([p.to_numpy() for p in parts]))
            attrs.update(periods=[list(p) for p in inside], combined_by="max")
    else:
        if name not in region.spec.layers:
            raise KeyError(
                f"region '{region.name}' has no layer '{name}'; layers: "
                f"{[*region.spec.layers, FOREST_CHANGE_LAYER]}"
            )
        fmt: dict[str, int] = {}
        if "{year}" in region.spec.layers[name].path:
            years = (
                region.land_cover_years
                if name == "land_cover"
                else list(region.spec.layers[name].years or [])
            )
            default = region.default_period[1] if name == "land_cover" else years[-1]
            fmt["year"] = default if year is None else int(year)
            if fmt["year"] not in years:
                raise PeriodError(f"no {name} for {fmt['year']}", hint=f"available years: {years}")
            attrs["year"] = fmt["year"]
        da = read_layer_file(region, name, bbox, **fmt)
    spec = region.spec.layers.get(name)
    if spec is not None:
        attrs.update(units=spec.units, source=spec.source)
    da.attrs.update({k: v for k, v in attrs.items() if v is not None})
    da.name = name
    return da


def read_layer_file(
    region: Region, name: str, bbox: tuple[float, float, float, float] | None, **fmt: int
) -> xr.DataArray:
    """Band 1 of a layer file (nodata → NaN, float32), optionally clipped to ``bbox`` (grid CRS)."""
    import rioxarray
    import xarray as xr

    path = region.layer_path(name, **fmt)
    with open_raster(path, name.replace("_", " ")):
        pass  # a missing or corrupt file fails here with the library's message
    src = rioxarray.open_rasterio(path, masked=True, mask_and_scale=True)  # scaled-integer carbon pools
    assert isinstance(src, xr.DataArray)  # one single-band file
    try:
        da = src.squeeze("band", drop=True)
        if bbox is not None:
            da = da.rio.clip_box(*bbox)
        out = da.astype(np.float32).load()
    finally:
        src.close()
    out.attrs = {}
    out.encoding = {}
    return out.rio.write_nodata(np.nan, encoded=False)
