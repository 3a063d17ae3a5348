"""Map tiles from a region's COGs: read with rio-tiler (nearest), coloured with a palette, PNG-encoded.

Layers (see :data:`LAYERS`): ``land_cover`` and ``tree_canopy`` take a year; ``forest_change``,
``disturbance`` and ``canopy_change`` take an inventory period and are computed per tile from two
land-cover years (LEARN's roll-up to IPCC categories), the MAX of the disturbance periods inside the
period, or the canopy years :func:`learn.layers.choose_canopy_years` picks. Tiles that miss the data are
transparent; a layer file that is missing or unreadable makes its tiles a 500 naming the layer and file.
Rendering in worker processes: :mod:`api.tile_workers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import morecantile
import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.warp
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from api.cache import LeasePool, LruCache
from api.errors import NotFound, TileUnavailable
from api.models import LegendEntry, TileLayer
from learn.errors import PeriodError
from learn.layers import choose_canopy_years
from learn.pipeline.region import Region
from learn.report.palettes import (
    CANOPY,
    CANOPY_CHANGE,
    CANOPY_CHANGE_PALETTE,
    CANOPY_PALETTE,
    DISTURBANCE,
    DISTURBANCE_PALETTE,
    FOREST_CHANGE,
    FOREST_CHANGE_PALETTE,
    LAND_COVER,
    LAND_COVER_PALETTE,
    canopy_change_index,
    forest_change_codes,
    palette_png,
)

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
TILE = 256
MAX_ZOOM = 24
Read = tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]


@dataclass(frozen=True)
class LayerSpec:
    """A tile layer: what it needs in the catalog, whether it takes a year or a period, its legend."""

    id: str
    title: str
    kind: Literal["year", "period"]
    needs: str
    legend: tuple[tuple[int, str, str], ...]

    def describe(self) -> TileLayer:
        return TileLayer(
            id=self.id,
            title=self.title,
            kind=self.kind,
            legend=[LegendEntry(value=v, color=c, label=lab) for v, c, lab in self.legend],
        )


LAYERS: dict[str, LayerSpec] = {
    spec.id: spec
    for spec in (
        LayerSpec("land_cover", "Land cover (NLCD)", "year", "land_cover", LAND_COVER),
        LayerSpec("forest_change", "Forest change", "period", "land_cover", FOREST_CHANGE),
        LayerSpec("disturbance", "Disturbance", "period", "disturbance", DISTURBANCE),
        LayerSpec("tree_canopy", "Tree canopy (%)", "year", "tree_canopy", CANOPY),
        LayerSpec("canopy_change", "Canopy change", "period", "tree_canopy", CANOPY_CHANGE),
    )
}


def tile_layers(region: Region) -> list[TileLayer]:
    """The tile layers a region can serve (those whose catalog layer it has), with legends."""
    return [spec.describe() for spec in LAYERS.values() if spec.needs in region.spec.layers]


def layer_spec(region: Region, layer: str) -> LayerSpec:
    spec = LAYERS.get(layer)
    if spec is None or spec.needs not in region.spec.layers:
        raise NotFound(
            f"unknown tile layer '{layer}' for region '{region.name}'",
            hint=f"layers: {[t.id for t in tile_layers(region)]}",
        )
    return spec


def tile_params(
    region: Region, spec: LayerSpec, year: int | None, start: int | None, end: int | None
) -> dict[str, int]:
    """The layer's query parameters with defaults filled in and checked (PeriodError → 422)."""
    if spec.kind == "period":
        d0, d1 = region.default_period
        s, e = (d0 if start is None else start), (d1 if end is None else end)
        region.check_period(s, e)
        return {"start": s, "end": e}
    if spec.needs == "land_cover":  # default: the end of the default period
        years, y = region.land_cover_years, region.default_period[1] if year is None else year
    else:  # default: the latest canopy year
        years = region.canopy_years
        y = years[-1] if year is None else year
    if y not in years:
        raise PeriodError(f"no {spec.needs.replace('_', ' ')} for {y}", hint=f"available years: {years}")
    return {"year": y}


def layer_title(region: Region, spec: LayerSpec, params: dict[str, int]) -> str:
    """What a layer's tiles show for these parameters, e.g. "Canopy change 2011–2013 (nearest to 2001–2004)":
    canopy change is drawn between the canopy years :func:`learn.layers.choose_canopy_years` picks, as the
    report's tree-canopy rows use, which may differ from the inventory period."""
    if "year" in params:
        return f"{spec.title} {params['year']}"
    start, end = params["start"], params["end"]
    if spec.id == "canopy_change":
        pair = choose_canopy_years(region.canopy_years, start, end)
        if pair is None:
            return f"{spec.title}: fewer than two canopy years, nothing drawn"
        if pair != (start, end):
            return f"{spec.title} {pair[0]}–{pair[1]} (nearest to {start}–{end})"
    return f"{spec.title} {start}–{end}"


def tile_key(region: Region, layer: str, z: int, x: int, y: int, params: dict[str, int]) -> tuple[Any, ...]:
    """Cache key of a tile; NotFound for a tile outside the Web-Mercator pyramid."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"tile {z}/{x}/{y} does not exist", hint=f"zoom 0–{MAX_ZOOM}, x and y in 0…2^z−1")
    return (region.catalog.path, region.name, layer, z, x, y, tuple(sorted(params.items())))


class TileRenderer:
    """Renders and caches tiles (PNG bytes per URL; raw reads per file and tile, shared across layers)."""

    def __init__(self, cache_size: int = 2048, read_cache_size: int = 256) -> None:
        self.pngs: LruCache[tuple[Any, ...], bytes] = LruCache(cache_size)
        self._reads: LruCache[tuple[str, int, int, int], Read | bool] = LruCache(read_cache_size)
        self._bounds: dict[str, tuple[float, float, float, float]] = {}
        # Open readers are reused (opening a COG and its metadata costs ~2 of a tile's ~7 ms).
        self._readers: LeasePool[str, Reader] = LeasePool(Reader, lambda r: r.close())
        self.empty = palette_png(np.zeros((TILE, TILE), np.uint8), np.zeros((1, 4), np.uint8))

    def render(self, region: Region, layer: str, z: int, x: int, y: int, params: dict[str, int]) -> bytes:
        """PNG bytes of tile z/x/y of ``layer`` (``params`` from :func:`tile_params`)."""
        key = tile_key(region, layer, z, x, y, params)
        png = self.pngs.get(key)
        if png is None:
            # Readers skip GDAL's directory listing on open; decoded blocks stay in GDAL's cache.
            with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_CACHEMAX=256):
                png = self._draw(region, layer, z, x, y, params)
            self.pngs.put(key, png)
        return png

    def close(self) -> None:
        self._readers.close()

    # ---- reading --------------------------------------------------------------------------------------
    def _mercator_bounds(self, path: str) -> tuple[float, float, float, float]:
        """A file's bounds in Web Mercator, once (rio-tiler's ``tile()`` recomputes them on every call)."""
        if path not in self._bounds:
            with rasterio.open(path) as ds:
                w, s, e, n = rasterio.warp.transform_bounds(
                    ds.crs, WEB_MERCATOR.rasterio_crs, *ds.bounds, densify_pts=21
                )
            self._bounds[path] = (float(w), float(s), float(e), float(n))
        return self._bounds[path]

    def read(self, path: Path, z: int, x: int, y: int) -> Read | None:
        """Band 1 of one 256×256 Web-Mercator tile (nearest) and its valid mask; None off the data."""
        key = (str(path), z, x, y)
        hit = self._reads.get(key)
        if hit is not None:
            return hit if not isinstance(hit, bool) else None
        got = self._read(str(path), z, x, y)
        self._reads.put(key, got if got is not None else False)
        return got

    def _read(self, path: str, z: int, x: int, y: int) -> Read | None:
        bbox = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
        w, s, e, n = self._mercator_bounds(path)
        if bbox.left >= e or bbox.right <= w or bbox.bottom >= n or bbox.top <= s:
            return None
        try:
            # part() of the tile's bounds = tile(), without its per-call bounds check
            with self._readers.lease(path) as src:
                img = src.part(
                    (bbox.left, bbox.bottom, bbox.right, bbox.top),
                    dst_crs=WEB_MERCATOR.rasterio_crs,
                    bounds_crs=WEB_MERCATOR.rasterio_crs,
                    height=TILE,
                    width=TILE,
                    resampling_method="nearest",
                    reproject_method="nearest",
                )
        except TileOutsideBounds:
            return None
        values, valid = img.data[0], img.mask > 0
        values.flags.writeable = valid.flags.writeable = False  # shared through the read cache
        return values, valid

    # ---- drawing --------------------------------------------------------------------------------------
    def _draw(self, region: Region, layer: str, z: int, x: int, y: int, p: dict[str, int]) -> bytes:
        def read(name: str, **fmt: int) -> Read | None:
            path = region.layer_path(name, **fmt)
            try:
                return self.read(path, z, x, y)
            except Exception as err:  # GDAL/rasterio/rio-tiler: missing, truncated or corrupt file
                raise unreadable(name, fmt, path, err) from None

        index: npt.NDArray[np.uint8] | None = None
        palette = LAND_COVER_PALETTE
        if layer == "land_cover":
            got = read("land_cover", year=p["year"])
            if got is not None:
                index = np.where(got[1], got[0], 0).astype(np.uint8)
        elif layer == "tree_canopy":
            got = read("tree_canopy", year=p["year"])
            if got is not None:
                pct, ok = _canopy_percent(region, got)
                index, palette = np.where(ok, pct, 0).astype(np.uint8), CANOPY_PALETTE
        elif layer == "forest_change":
            a, b = read("land_cover", year=p["start"]), read("land_cover", year=p["end"])
            if a is not None and b is not None:
                index, palette = _forest_change(a, b), FOREST_CHANGE_PALETTE
        elif layer == "disturbance":
            parts = [
                read("disturbance", start=p0, end=p1)
                for p0, p1 in region.disturbance_periods
                if p["start"] <= p0 and p1 <= p["end"]
            ]
            found = [g for g in parts if g is not None]
            if found:  # combined like the inventory: per-pixel MAX (fire 10 > insect 5 > harvest 1–4)
                index = np.maximum.reduce([np.where(m, v, 0) for v, m in found]).astype(np.uint8)
                palette = DISTURBANCE_PALETTE
        elif layer == "canopy_change":
            pair = choose_canopy_years(region.canopy_years, p["start"], p["end"])
            if pair is not None:
                a, b = read("tree_canopy", year=pair[0]), read("tree_canopy", year=pair[1])
                if a is not None and b is not None:
                    (pct1, ok1), (pct2, ok2) = _canopy_percent(region, a), _canopy_percent(region, b)
                    index = canopy_change_index(pct2.astype(np.int16) - pct1, ok1 & ok2)
                    palette = CANOPY_CHANGE_PALETTE
        if index is None or not index.any():
            return self.empty
        return palette_png(index, palette)


def unreadable(layer: str, fmt: dict[str, int], path: Path, err: Exception) -> TileUnavailable:
    """The error of a tile whose layer file cannot be read; it names the file, not the server's folders."""
    what = " ".join([layer, *(f"{k}={v}" for k, v in fmt.items())])
    cause = str(err).replace(str(path), path.name).splitlines()[0] if str(err) else type(err).__name__
    return TileUnavailable(
        f"cannot read layer {what} from {path.name} (missing, truncated or corrupt?): {cause}",
        hint="the server's data file is at fault, not the request; its operator should rebuild or re-fetch it",
    )


def _canopy_percent(region: Region, got: Read) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Canopy cover in whole percent (0–100) and where it is valid, from percent or fraction layers."""
    values, valid = got
    scale = 1.0 if region.spec.layers["tree_canopy"].units == "percent" else 100.0
    pct = values.astype(np.float32) * scale
    ok = valid & (pct >= 0) & (pct <= 100)
    return np.where(ok, np.rint(pct), 0).astype(np.uint8), ok


def _forest_change(a: Read, b: Read) -> npt.NDArray[np.uint8]:
    """Forest change codes of a tile (:func:`learn.report.palettes.forest_change_codes`)."""
    return forest_change_codes(a[0], a[1], b[0], b[1])
