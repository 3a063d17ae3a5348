"""The static landscape: terrain, water, wetlands, farm parcels, forest types, roads, urban potential.

These fields do not change between epochs; the land cover of every year is composed from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from learn.demo.grid import F32, LC_YEARS, U8, Bool
from learn.demo.layout import PLACES, _Layout, _layout
from learn.demo.noise import _blob, _burn, _choose, _distance, _field, _quantile, _window, _z

# Cumulative fraction of land at or above each development intensity in 2001, grown linearly per year.
DEV_FRACTION_2001 = {21: 0.040, 22: 0.020, 23: 0.008, 24: 0.003}
DEV_GROWTH_PER_YEAR = 0.018
AG_FRACTION = 0.25  # share of land in farm parcels (81/82)


@dataclass
class _Landscape:
    """Static fields of the demo landscape (pixels; unitless scores unless stated)."""

    layout: _Layout
    lc_nat: U8  # natural/agricultural cover without development (NLCD codes)
    ft_map: U8  # forest class a pixel has when it is forest (41/42/43)
    road_cls: U8  # 0, 21 or 22 along roads (never on water)
    urban: F32  # urban potential (unitless; -inf on water)
    dev_thresholds: list[dict[int, float]]  # per epoch: class → urban-potential threshold
    parcel: npt.NDArray[np.int64]  # farm parcel id per pixel
    n_parcels: int
    elev: F32  # standardised elevation (sd 1)
    d_river: F32  # distance to the river centreline (pixels)
    d_town: F32  # distance to the nearest town or village centre (pixels)
    d_road: F32  # distance to any road (pixels)
    nodata: Bool
    canopy_s: F32  # persistent 0–1 position of a pixel within its class canopy range
    canopy_g: F32  # 0.5–1.5 multiplier of the slow canopy gain


def _nodata_corner(shape: tuple[int, int], leg: int = 60) -> Bool:
    """A small triangle (legs ``leg`` pixels) of nodata in the south-east corner."""
    h, w = shape
    r = np.arange(h)[:, None]
    c = np.arange(w)[None, :]
    out: Bool = (h - 1 - r) + (w - 1 - c) < leg
    return out


def _parcels(
    rng: np.random.Generator, shape: tuple[int, int], ph: int = 12, pw: int = 18
) -> npt.NDArray[np.int64]:
    """Farm parcel id per pixel: rows of ``ph`` × ``pw`` pixel fields (~19 ha) with staggered columns."""
    h, w = shape
    nb_r = h // ph + 1
    nb_c = (w + pw) // pw + 1
    off = rng.integers(0, pw, nb_r)
    rb = np.arange(h) // ph
    cb = (np.arange(w)[None, :] + off[rb][:, None]) // pw
    out: npt.NDArray[np.int64] = rb[:, None].astype(np.int64) * nb_c + cb
    return out


def _lakes(rng: np.random.Generator, shape: tuple[int, int], ok: Bool, n: int = 5) -> tuple[Bool, Bool, Bool]:
    """``n`` irregular lakes (radius 12–38 px) centred where ``ok``; returns (lake, woody margin, marsh margin)."""
    lake = np.zeros(shape, dtype=bool)
    woody = np.zeros(shape, dtype=bool)
    marsh = np.zeros(shape, dtype=bool)
    for centre in _choose(rng, ok, n):
        radius = float(rng.uniform(12, 38))
        rs, cs, dr, dc = _window(centre, radius * 1.6 + 12, shape)
        body = _blob(rng, dr, dc, radius)
        d = ndimage.distance_transform_edt(~body)
        ring = (d > 0) & (d < rng.uniform(3, 8))
        side = _blob(rng, dr, dc, radius * 1.3) & (dc > 0 if rng.random() < 0.5 else dc < 0)
        lake[rs, cs] |= body
        woody[rs, cs] |= ring & ~side
        marsh[rs, cs] |= ring & side
    return lake, woody, marsh


def _parcel_mean(
    parcel: npt.NDArray[np.int64], counts: npt.NDArray[np.float64], a: F32
) -> npt.NDArray[np.float64]:
    """Mean of ``a`` over every farm parcel (same units as ``a``)."""
    sums = np.bincount(parcel.ravel(), weights=a.ravel(), minlength=counts.size)
    out: npt.NDArray[np.float64] = sums / np.maximum(counts, 1)
    return out


def _farmland(
    rng: np.random.Generator,
    parcel: npt.NDArray[np.int64],
    elev: F32,
    slope: F32,
    d_major: F32,
    land: Bool,
) -> tuple[Bool, Bool, Bool]:
    """Per parcel: farmed (the ``AG_FRACTION`` flattest, lowest, most accessible), cropped, fallow meadow.

    ``elev``/``slope`` are standardised; ``d_major`` is the distance to a major road (pixels).
    """
    shape = parcel.shape
    n_parcels = int(parcel.max()) + 1
    counts = np.bincount(parcel.ravel(), minlength=n_parcels).astype(np.float64)
    n150 = _field(rng, shape, 150)
    n40 = _field(rng, shape, 40)  # woodlots between farms
    suit = -elev - 0.6 * slope + 0.45 * n150 + 0.45 * n40 + 0.5 * np.exp(-d_major / 40.0)
    p_suit = _parcel_mean(parcel, counts, suit)
    p_elev = _parcel_mean(parcel, counts, elev)
    p_farm = _parcel_mean(parcel, counts, _field(rng, shape, 60))  # crop farms vs hay farms cluster
    p_rand = rng.random(n_parcels)
    th_ag = float(np.quantile(p_suit[parcel[::5, ::5]][land[::5, ::5]], 1 - AG_FRACTION))
    is_ag = p_suit > th_ag
    crop_score = -0.3 * p_elev + 0.6 * p_farm + 1.8 * (p_rand - 0.5)
    is_crop = is_ag & (crop_score > np.quantile(crop_score[is_ag], 0.55))
    is_meadow = ~is_ag & (p_suit > th_ag - 0.25) & (rng.random(n_parcels) < 0.22)
    return is_ag, is_crop, is_meadow


def _forest_types(rng: np.random.Generator, elev: F32) -> U8:
    """Forest class each pixel has when forested: evergreen (42) on higher ground in broad patches,
    mixed (43) at the transition, deciduous (41) elsewhere; pixel-scale noise keeps edges ragged as in NLCD."""
    shape = elev.shape
    ever = (
        0.9 * _field(rng, shape, 200)
        + 0.7 * elev
        + 0.35 * _field(rng, shape, 30)
        + 0.3 * _field(rng, shape, 2)
    )
    ft_map = np.full(shape, 41, dtype=np.uint8)
    ft_map[ever > _quantile(ever, 0.64)] = 43
    ft_map[ever > _quantile(ever, 0.78)] = 42
    return ft_map


def _urban_potential(
    rng: np.random.Generator, d_place: dict[str, F32], d_major: F32, d_minor: F32, wet: Bool, water: Bool
) -> F32:
    """Unitless development pressure: town cores, ribbons along roads near towns, scattered roadside homes.

    Distances in pixels; wetlands are penalised and water can never be developed (-inf).
    """
    shape = water.shape
    town = np.zeros(shape, dtype=np.float32)
    wide = np.zeros(shape, dtype=np.float32)
    for p in PLACES:
        town += p.weight * np.exp(-d_place[p.name] / p.reach_px)
        wide += p.weight * np.exp(-d_place[p.name] / (5 * p.reach_px))
    urban = (
        town
        + 0.45 * np.exp(-d_major / 6.0) * wide
        + 0.15 * np.exp(-d_minor / 4.0) * wide
        + 0.12 * _field(rng, shape, 6) * np.clip(2 * town, 0, 1)  # ragged town edges
        + 0.3 * np.exp(-np.minimum(d_major, d_minor) / 3.0) * np.clip(_field(rng, shape, 5) - 1.2, 0, None)
        + 0.05 * _field(rng, shape, 25) * np.clip(3 * town, 0, 1)
        - 0.3 * wet
    ).astype(np.float32)
    urban[water] = -np.inf
    return urban


def _dev_thresholds(urban: F32, land: Bool) -> list[dict[int, float]]:
    """Per epoch, the urban-potential threshold of each development class so that the share of land at or
    above it is ``DEV_FRACTION_2001`` grown by ``DEV_GROWTH_PER_YEAR``; thresholds only fall over time."""
    ranked = np.sort(urban[land])[::-1]
    out = []
    for y in LC_YEARS:
        grow = 1 + DEV_GROWTH_PER_YEAR * (y - LC_YEARS[0])
        out.append({k: float(ranked[int(f * grow * ranked.size)]) for k, f in DEV_FRACTION_2001.items()})
    return out


def _landscape(
    rng: np.random.Generator, shape: tuple[int, int], progress: Callable[[str], None]
) -> _Landscape:
    """Build every static field: terrain, hydrology, farm parcels, forest types, roads, urban potential."""
    h, w = shape
    lay = _layout(rng, shape)
    progress("terrain and water")
    major_mask = np.zeros(shape, dtype=bool)
    for road in lay.major:
        _burn(major_mask, *road)
    d_major = _distance(major_mask)
    d_minor = _distance(lay.minor_mask)
    river_mask = np.zeros(shape, dtype=bool)
    _burn(river_mask, *lay.river)
    d_river = _distance(river_mask)
    # Valleys: terrain rises away from the river.
    elev = _z(
        0.7 * _field(rng, shape, 300)
        + 0.35 * _field(rng, shape, 80)
        + 1.6 * np.clip(d_river / (0.3 * h), 0, 1)
    )
    gy, gx = np.gradient(elev)
    slope = _z(np.hypot(gy, gx).astype(np.float32))
    rr = np.arange(h, dtype=np.float32)[:, None] + 0.5
    cc = np.arange(w, dtype=np.float32)[None, :] + 0.5
    d_place = {p.name: np.hypot(rr - lay.centres[p.name][0], cc - lay.centres[p.name][1]) for p in PLACES}
    d_town = np.minimum.reduce(list(d_place.values()))
    edge = np.minimum(np.minimum(rr, h - rr), np.minimum(cc, w - cc))

    lake, lake_woody, lake_marsh = _lakes(rng, shape, (d_river > 110) & (d_town > 200) & (edge > 100))
    water = (d_river <= 1.6) | lake
    # Riparian wetlands: a band of varying width along the river, emergent marsh in patches.
    width = 6 + 20 * np.clip(0.5 + 0.5 * _field(rng, shape, 60), 0, 1.4)
    n10 = _field(rng, shape, 10)
    riparian = (d_river < width) & (n10 > -1.0)
    marsh = riparian & (_field(rng, shape, 25) > 0.55)
    pockets = (_field(rng, shape, 8) > 2.4) & (elev < -0.2)

    parcel = _parcels(rng, shape)
    is_ag, is_crop, is_meadow = _farmland(rng, parcel, elev, slope, d_major, ~water)
    ft_map = _forest_types(rng, elev)

    lc = ft_map.copy()
    openings = 0.6 * _field(rng, shape, 10) + 0.5 * _field(rng, shape, 3)
    lc[openings > 2.0] = 52
    lc[openings < -2.1] = 71
    lc[is_meadow[parcel]] = 71
    # Power-line corridor: a straight 3 px strip kept as grass/shrub through the woods.
    line = np.abs(0.5 * h * cc - w * (rr - 0.15 * h)) / math.hypot(0.5 * h, w)
    lc[line < 1.6] = np.where(n10[line < 1.6] > 0, 71, 52)
    lc[is_ag[parcel]] = 81
    lc[is_crop[parcel]] = 82
    for road in lay.major[:3]:  # gravel pits beside a major road
        k = int(rng.integers(len(road[0]) // 5, 4 * len(road[0]) // 5))
        centre = (float(road[0][k]) + 25.0, float(road[1][k]) + 25.0)
        rs, cs, dr, dc = _window(centre, 30, shape)
        lc[rs, cs][_blob(rng, dr, dc, float(rng.uniform(8, 14)))] = 31
    lc[riparian | pockets | lake_woody] = 90
    lc[marsh | lake_marsh] = 95
    lc[water] = 11

    progress("roads and towns")
    road_cls = np.zeros(shape, dtype=np.uint8)
    road_cls[d_minor < 0.5] = 21
    road_cls[d_major < 2.2] = 21
    road_cls[d_major < 1.0] = 22
    road_cls[water] = 0
    urban = _urban_potential(rng, d_place, d_major, d_minor, np.isin(lc, (90, 95)), water)

    canopy_s = np.clip(0.5 + 0.3 * (0.7 * _field(rng, shape, 5) + 0.5 * _field(rng, shape, 25)), 0, 1)
    canopy_g = np.clip(1 + 0.35 * _field(rng, shape, 40), 0.5, 1.5)
    return _Landscape(
        layout=lay,
        lc_nat=lc,
        ft_map=ft_map,
        road_cls=road_cls,
        urban=urban,
        dev_thresholds=_dev_thresholds(urban, ~water),
        parcel=parcel,
        n_parcels=int(parcel.max()) + 1,
        elev=elev,
        d_river=d_river,
        d_town=d_town.astype(np.float32),
        d_road=np.minimum(d_major, d_minor),
        nodata=_nodata_corner(shape),
        canopy_s=canopy_s.astype(np.float32),
        canopy_g=canopy_g.astype(np.float32),
    )
