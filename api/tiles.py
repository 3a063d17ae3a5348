"""Map tiles rendered with rio-tiler from a region's COGs; change layers computed per tile.

``GET /tiles/{region}/{layer}/{z}/{x}/{y}.png?year=Y`` (land_cover, tree_canopy) or
``?start=Y1&end=Y2`` (forest_change, disturbance, canopy_change). Outside the data: a transparent tile.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.warp
from fastapi import APIRouter, Request, Response
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader
from rio_tiler.models import ImageData

from api.errors import NotFound
from learn import landuse as lu
from learn.errors import PeriodError
from learn.landuse import NLCD_COLORS
from learn.region import Region, choose_canopy_years

router = APIRouter()
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
RGBA = tuple[int, int, int, int]

FOREST_CHANGE = [
    (1, "#e31a1c", "Forest → Settlement"),
    (2, "#a6611a", "Forest → Cropland"),
    (3, "#fdbf6f", "Forest → Grassland"),
    (4, "#1f78b4", "Forest → Wetland"),
    (5, "#6a6a6a", "Forest → Other Land"),
    (6, "#33a02c", "Non-forest → Forest (gain)"),
]
DISTURBANCE = [
    (1, "#ffe08a", "Harvest, 1–25 % canopy loss"),
    (2, "#ffc04d", "Harvest, 26–50 %"),
    (3, "#ff9a1f", "Harvest, 51–75 %"),
    (4, "#e66a00", "Harvest, 76–100 %"),
    (5, "#8e44ad", "Insect / disease"),
    (10, "#d7191c", "Fire"),
]
END_CODE = {lu.SETTLEMENT: 1, lu.CROPLAND: 2, lu.GRASSLAND: 3, lu.WETLAND: 4, lu.OTHER_LAND: 5}
# NLCD code → category index (0 = none), and category index → forest-change code.
_CATEGORIES = [lu.FORESTLAND, *END_CODE]
_FOREST = 1
_CATEGORY_LUT = np.zeros(256, np.uint8)
for _nlcd, _cat in lu.NLCD_TO_CATEGORY.items():
    _CATEGORY_LUT[_nlcd] = _CATEGORIES.index(_cat) + 1
_END_LUT = np.zeros(len(_CATEGORIES) + 1, np.uint8)
for _cat, _code in END_CODE.items():
    _END_LUT[_CATEGORIES.index(_cat) + 1] = _code


def _rgba(hex_color: str, alpha: int = 255) -> RGBA:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha


def _canopy_cmap() -> dict[int, RGBA]:
    # 0 % transparent, then pale to dark green (percent canopy).
    out: dict[int, RGBA] = {0: (0, 0, 0, 0)}
    for v in range(1, 101):
        t = v / 100
        out[v] = (int(237 - 237 * t), int(248 - 140 * t), int(233 - 200 * t), 255)
    return out


def _canopy_change_cmap() -> dict[int, RGBA]:
    # value = change + 100 (0..200): losses red, gains green, no change transparent.
    out: dict[int, RGBA] = {100: (0, 0, 0, 0)}
    for d in range(1, 101):
        a = min(255, 80 + 2 * d * 2)
        out[100 - d] = (215, 25, 28, a)
        out[100 + d] = (26, 150, 65, a)
    return out


def tile_layers(region: Region) -> list[dict[str, Any]]:
    """Tile layers this region can serve, with legends (value, colour, label)."""
    layers = region.spec.layers
    out: list[dict[str, Any]] = [
        {
            "id": "land_cover",
            "title": "Land cover (NLCD)",
            "kind": "year",
            "legend": [
                {"value": c, "color": col, "label": lu.NLCD_NAMES[c]}
                for c, col in NLCD_COLORS.items()
                if c in lu.LEARN_MATRIX_ORDER
            ],
        }
    ]
    out.append(
        {
            "id": "forest_change",
            "title": "Forest change",
            "kind": "period",
            "legend": [{"value": v, "color": c, "label": lab} for v, c, lab in FOREST_CHANGE],
        }
    )
    if "disturbance" in layers:
        out.append(
            {
                "id": "disturbance",
                "title": "Disturbance",
                "kind": "period",
                "legend": [{"value": v, "color": c, "label": lab} for v, c, lab in DISTURBANCE],
            }
        )
    if "tree_canopy" in layers:
        out.append(
            {
                "id": "tree_canopy",
                "title": "Tree canopy (%)",
                "kind": "year",
                "legend": [
                    {
                        "value": v,
                        "color": "#{:02x}{:02x}{:02x}".format(*_canopy_cmap()[v][:3]),
                        "label": f"{v} %",
                    }
                    for v in (10, 40, 70, 100)
                ],
            }
        )
        out.append(
            {
                "id": "canopy_change",
                "title": "Canopy change",
                "kind": "period",
                "legend": [
                    {"value": -1, "color": "#d7191c", "label": "canopy loss"},
                    {"value": 1, "color": "#1a9641", "label": "canopy gain"},
                ],
            }
        )
    return out


@functools.lru_cache(maxsize=256)
def _mercator_bounds(path: str) -> tuple[float, float, float, float]:
    """A layer's bounds in Web Mercator, computed once (rio-tiler's own check redoes it for every tile)."""
    with rasterio.open(path) as ds:
        w, s, e, n = rasterio.warp.transform_bounds(
            ds.crs, WEB_MERCATOR.rasterio_crs, *ds.bounds, densify_pts=21
        )
    return float(w), float(s), float(e), float(n)


def _read(path: Path, x: int, y: int, z: int) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]] | None:
    """One 256×256 Web-Mercator tile of band 1 (nearest), or None when the tile misses the layer."""
    bbox = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
    w, s, e, n = _mercator_bounds(str(path))
    if bbox.left >= e or bbox.right <= w or bbox.bottom >= n or bbox.top <= s:
        return None
    try:
        with Reader(str(path)) as src:
            img = src.part(
                tuple(bbox),
                dst_crs=WEB_MERCATOR.rasterio_crs,
                bounds_crs=WEB_MERCATOR.rasterio_crs,
                height=256,
                width=256,
                resampling_method="nearest",
                reproject_method="nearest",
            )
    except TileOutsideBounds:
        return None
    return img.data[0], img.mask > 0


def _png(values: npt.NDArray[Any], valid: npt.NDArray[np.bool_], cmap: dict[int, RGBA]) -> bytes:
    data = np.where(valid, values, 0).astype(np.uint8)[np.newaxis]
    image = ImageData(np.ma.MaskedArray(data, mask=~valid[np.newaxis]))
    return image.render(img_format="PNG", colormap=cmap)


def _empty() -> bytes:
    zeros = np.zeros((256, 256), np.uint8)
    return _png(zeros, zeros.astype(bool), {0: (0, 0, 0, 0)})


def _years(region: Region, start: int | None, end: int | None) -> tuple[int, int]:
    s, e = (start, end) if start is not None and end is not None else region.default_period
    region.check_period(s, e)
    return s, e


def render_tile(
    region: Region, layer: str, z: int, x: int, y: int, year: int | None, start: int | None, end: int | None
) -> bytes:
    """PNG bytes of one 256×256 tile."""
    if layer == "land_cover":
        yr = year if year is not None else region.default_period[1]
        if yr not in region.land_cover_years:
            raise PeriodError(f"no land cover for {yr}", hint=f"available years: {region.land_cover_years}")
        got = _read(region.layer_path("land_cover", year=yr), x, y, z)
        return (
            _empty()
            if got is None
            else _png(got[0], got[1] & (got[0] > 0), {c: _rgba(h) for c, h in NLCD_COLORS.items()})
        )
    if layer == "tree_canopy" and "tree_canopy" in region.spec.layers:
        years = region.canopy_years
        yr = year if year is not None else years[-1]
        if yr not in years:
            raise PeriodError(f"no tree canopy for {yr}", hint=f"available years: {years}")
        got = _read(region.layer_path("tree_canopy", year=yr), x, y, z)
        return _empty() if got is None else _png(got[0], got[1] & (got[0] <= 100), _canopy_cmap())
    if layer == "forest_change":
        s, e = _years(region, start, end)
        a, b = (
            _read(region.layer_path("land_cover", year=s), x, y, z),
            _read(region.layer_path("land_cover", year=e), x, y, z),
        )
        if a is None or b is None:
            return _empty()
        c1, c2 = _CATEGORY_LUT[a[0]], _CATEGORY_LUT[b[0]]
        forest1, forest2 = c1 == _FOREST, c2 == _FOREST
        # Forest → X gets X's code (1–5); non-forest → forest is 6 (gain); the rest stays 0 (transparent).
        code = np.where(forest1, _END_LUT[c2], 0).astype(np.uint8)
        code[~forest1 & forest2 & (a[0] > 0)] = 6
        return _png(code, a[1] & b[1] & (code > 0), {v: _rgba(c) for v, c, _ in FOREST_CHANGE})
    if layer == "disturbance" and "disturbance" in region.spec.layers:
        s, e = _years(region, start, end)
        parts = [
            _read(region.layer_path("disturbance", start=p0, end=p1), x, y, z)
            for p0, p1 in region.disturbance_periods
            if s <= p0 and p1 <= e
        ]
        parts_ok = [p for p in parts if p is not None]
        if not parts_ok:
            return _empty()
        combined = np.maximum.reduce([np.where(m, v, 0) for v, m in parts_ok])
        return _png(combined, combined > 0, {v: _rgba(c) for v, c, _ in DISTURBANCE})
    if layer == "canopy_change" and "tree_canopy" in region.spec.layers:
        s, e = _years(region, start, end)
        pair = choose_canopy_years(region.canopy_years, s, e)
        if pair is None:
            return _empty()
        a, b = (_read(region.layer_path("tree_canopy", year=yr), x, y, z) for yr in pair)
        if a is None or b is None:
            return _empty()
        ok = a[1] & b[1] & (a[0] <= 100) & (b[0] <= 100)
        change = np.clip(b[0].astype(int) - a[0].astype(int), -100, 100) + 100
        return _png(change, ok & (change != 100), _canopy_change_cmap())
    raise NotFound(
        f"unknown tile layer '{layer}' for region '{region.name}'",
        hint=f"layers: {[t['id'] for t in tile_layers(region)]}",
    )


@router.get("/tiles/{region}/{layer}/{z}/{x}/{y}.png")
def tile(
    region: str,
    layer: str,
    z: int,
    x: int,
    y: int,
    request: Request,
    year: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Response:
    svc = request.app.state.service
    reg = svc.region(region)
    key = (region, layer, z, x, y, year, start, end)
    png = svc.tiles.get(key)
    if png is None:
        # Each tile opens its COGs afresh: skip GDAL's directory listing, keep decoded blocks in a shared cache.
        with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_CACHEMAX=256):
            png = render_tile(reg, layer, z, x, y, year, start, end)
        svc.tiles.put(key, png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/tiles/{region}/{layer}/tilejson.json")
def tilejson(
    region: str,
    layer: str,
    request: Request,
    year: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> dict[str, Any]:
    reg = request.app.state.service.region(region)
    known = {t["id"]: t for t in tile_layers(reg)}
    if layer not in known:
        raise NotFound(f"unknown tile layer '{layer}'", hint=f"layers: {list(known)}")
    import geopandas as gpd
    import shapely

    bounds = gpd.GeoSeries([shapely.box(*reg.grid.bounds)], crs=reg.grid.crs).to_crs(4326).total_bounds
    query = "&".join(f"{k}={v}" for k, v in (("year", year), ("start", start), ("end", end)) if v is not None)
    base = str(request.base_url).rstrip("/")
    return {
        "tilejson": "3.0.0",
        "name": known[layer]["title"],
        "minzoom": 0,
        "maxzoom": 18,
        "bounds": [float(v) for v in bounds],
        "tiles": [f"{base}/tiles/{region}/{layer}/{{z}}/{{x}}/{{y}}.png" + (f"?{query}" if query else "")],
        "legend": known[layer]["legend"],
    }
