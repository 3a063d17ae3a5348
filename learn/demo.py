"""Deterministic generator of the SYNTHETIC demo region (``learn demo``).

Everything this module writes is INVENTED: an imaginary 60 km × 60 km landscape in the north-east style
(a meandering river with wetlands, lakes, forest, farmland, roads and four small towns that grow over
time). It is not a real place and not real data; it exists so the tool can be tried and tested offline.
Every raster carries the GDAL metadata tag ``SYNTHETIC`` and the boundaries a ``SYNTHETIC`` column.

Layers (grid :data:`DEMO_GRID`, EPSG:5070, 30 m, 2000 × 2000 px), as named by ``data_catalog.yaml``:

* ``land_cover_{year}.tif``: NLCD classes (uint8, 0 = nodata) for the NLCD epochs 2001–2021;
* ``tree_canopy_{year}.tif``: percent canopy (uint8, 255 = nodata) for 2011–2021;
* ``forest_age_type_region.tif``: LEARN forest age-type-region code (uint16, 0 = none);
* ``carbon_{live,dead_litter,soil}.tif``: carbon pools in t C/ha (float32, -9999 = nodata);
* ``disturbance_{start}_{end}.tif``: 0 none, 1–4 harvest by severity, 5 insect/disease, 10 fire (uint8);
* ``boundaries.gpkg``: 3 counties and 10 places with fictional names (state "ZZ", FIPS 99).

Output is byte-identical run to run: one ``numpy.random.default_rng(DEMO_SEED)`` drives everything.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine
from scipy import ndimage

from learn.landuse import LEARN_MATRIX_ORDER, NLCD_COLORS
from learn.raster.cog import write_cog
from learn.util import sha256_file

Bool = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
I8 = npt.NDArray[np.int8]
Progress = Callable[[str, int, int], None]

GENERATOR_VERSION = "1.0.0"
DEMO_SEED = 20240601
SYNTHETIC_TAG = "learn demo synthetic data, not a real place"


@dataclass(frozen=True)
class DemoGrid:
    """A north-up raster grid: CRS, pixel size ``res`` (m), size (px), top-left corner (m)."""

    crs: str
    res: float
    width: int
    height: int
    left: float
    top: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) in pixels."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        """Affine pixel → map transform (m)."""
        return Affine(self.res, 0.0, self.left, 0.0, -self.res, self.top)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in map metres."""
        return (self.left, self.top - self.height * self.res, self.left + self.width * self.res, self.top)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        return {
            "crs": self.crs,
            "res": self.res,
            "width": self.width,
            "height": self.height,
            "left": self.left,
            "top": self.top,
            "transform": list(self.transform)[:6],
        }


DEMO_GRID = DemoGrid("EPSG:5070", 30.0, 2000, 2000, 1_650_000.0, 2_400_000.0)

LC_YEARS = (2001, 2004, 2006, 2008, 2011, 2013, 2016, 2019, 2021)
CANOPY_YEARS = (2011, 2013, 2016, 2019, 2021)
PERIODS = tuple(itertools.pairwise(LC_YEARS))
FIRE_PERIOD = PERIODS.index((2016, 2019))
CARBON_YEAR = 2016  # the carbon maps stand for BIGMAP 2014–2018: classify non-forest by this epoch

FOREST_CLASSES = (41, 42, 43, 90)
UPLAND_FOREST = (41, 42, 43)
# Canopy percent (low, high) by NLCD class for an undisturbed pixel.
CANOPY_RANGE = {
    11: (0, 0),
    21: (15, 45),
    22: (15, 45),
    23: (5, 20),
    24: (0, 8),
    31: (0, 5),
    41: (60, 95),
    42: (60, 95),
    43: (60, 95),
    52: (5, 30),
    71: (0, 15),
    81: (0, 15),
    82: (0, 5),
    90: (50, 85),
    95: (0, 15),
}
# Slow canopy gain, percentage points per year after 2011 (trees growing in yards, fields, forests).
CANOPY_GAIN = {21: 0.35, 22: 0.3, 23: 0.15, 41: 0.25, 42: 0.25, 43: 0.25, 52: 0.3, 71: 0.25, 81: 0.2, 90: 0.2}
CANOPY_RECOVERY = 0.06  # fraction of lost canopy regained per year after a disturbance
# Soil organic carbon (t C/ha) of non-forest classes before noise; water 0 (no soil mapped under lakes).
SOIL_NONFOREST = {21: 45, 22: 42, 23: 38, 24: 33, 31: 30, 52: 62, 71: 60, 81: 60, 82: 48, 95: 84, 11: 0}

# Cumulative fraction of land at or above each development intensity in 2001, grown linearly per year.
DEV_FRACTION_2001 = {21: 0.040, 22: 0.020, 23: 0.008, 24: 0.003}
DEV_GROWTH_PER_YEAR = 0.018
AG_FRACTION = 0.25  # share of land in farm parcels (81/82)


def _lut(values: Mapping[int, float], default: float = 0.0, dtype: Any = np.float32) -> npt.NDArray[Any]:
    """256-entry lookup table indexed by a uint8 class code."""
    out = np.full(256, default, dtype=dtype)
    for k, v in values.items():
        out[k] = v
    return out


FOREST_LUT = _lut(dict.fromkeys(FOREST_CLASSES, 1), dtype=bool)
UPLAND_LUT = _lut(dict.fromkeys(UPLAND_FOREST, 1), dtype=bool)


# --------------------------------------------------------------------------------------------------------
# Layout: towns, villages, roads (positions as fractions of the grid: u = column / width, v = row / height)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """A town or village: name, position (fractions; ``v=None`` = on the river) and sizes in pixels."""

    name: str
    u: float
    v: float | None
    weight: float  # peak of its urban potential (unitless)
    reach_px: float  # e-folding distance of its urban potential (pixels)
    radius_px: float  # radius of its census-place polygon (pixels)
    village: bool = False


PLACES = (
    _Place("Oxbow Falls", 0.36, None, 1.00, 55, 110),
    _Place("Millbrook", 0.22, 0.24, 0.90, 48, 95),
    _Place("Cedar Crossing", 0.74, 0.26, 0.85, 45, 90),
    _Place("Larkvale", 0.66, 0.80, 0.80, 42, 85),
    _Place("Fernhollow", 0.10, 0.10, 0.45, 14, 34, True),
    _Place("Tamarack Corners", 0.50, 0.10, 0.45, 14, 40, True),  # the county line runs through it
    _Place("Pinegate", 0.88, 0.12, 0.45, 14, 32, True),
    _Place("Willowmere", 0.12, 0.80, 0.45, 14, 36, True),
    _Place("Hartsford Mills", 0.92, 0.48, 0.45, 14, 38, True),
    _Place("Birchwick", 0.40, 0.93, 0.45, 14, 33, True),
)
STRADDLING_VILLAGE = "Tamarack Corners"
COUNTIES = (("99001", "Alder County"), ("99003", "Tamarack County"), ("99005", "Fenwater County"))

# Major roads as control points: a place name or (u, v); they meet at the four towns.
MAJOR_ROADS: tuple[tuple[str | tuple[float, float], ...], ...] = (
    ((-0.05, 0.30), "Millbrook", (0.48, 0.20), "Cedar Crossing", (1.05, 0.33)),
    ((0.18, -0.05), "Millbrook", "Oxbow Falls", "Larkvale", (0.80, 1.05)),
    ((-0.05, 0.62), "Oxbow Falls", (0.56, 0.47), "Cedar Crossing", (0.86, -0.05)),
    ((-0.05, 0.88), (0.30, 0.84), "Larkvale", (1.05, 0.70)),
)
MINOR_SPACING = 0.075  # minor road grid spacing, fraction of the grid


@dataclass
class _Layout:
    """Resolved geometry in pixel coordinates (row, col; pixel i covers [i, i+1))."""

    river: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    centres: dict[str, tuple[float, float]]
    county_line: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    major: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]
    minor_mask: Bool


# --------------------------------------------------------------------------------------------------------
# Noise and geometry helpers
# --------------------------------------------------------------------------------------------------------


def _field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> F32:
    """Smooth standard-normal noise (mean 0, sd 1) with a correlation length of ~``scale`` pixels.

    Large scales are filtered on a coarse grid and upsampled bilinearly (fast on 2000 × 2000).
    """
    h, w = shape
    f = max(1, int(scale // 4))
    coarse = rng.standard_normal((h // f + 3, w // f + 3), dtype=np.float32)
    coarse = ndimage.gaussian_filter(coarse, sigma=scale / f, mode="wrap")
    full = ndimage.zoom(coarse, f, order=1) if f > 1 else coarse
    full = np.ascontiguousarray(full[:h, :w])
    full -= full.mean()
    full /= full.std()
    return full


def _z(a: F32) -> F32:
    """Standardise an array to mean 0, sd 1 (unitless)."""
    out: F32 = ((a - a.mean()) / a.std()).astype(np.float32)
    return out


def _quantile(a: F32, q: float, step: int = 5) -> float:
    """Quantile of a large array from a regular subsample (fast, deterministic)."""
    return float(np.quantile(a[::step, ::step], q))


def _burn(mask: Bool, rows: npt.NDArray[np.float64], cols: npt.NDArray[np.float64]) -> None:
    """Set the pixels under densely sampled line points (pixel coordinates) to True, ignoring off-grid ones."""
    r = np.floor(rows).astype(np.int64)
    c = np.floor(cols).astype(np.int64)
    ok = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
    mask[r[ok], c[ok]] = True


def _distance(mask: Bool) -> F32:
    """Euclidean distance (pixels) of every pixel to the nearest True pixel of ``mask``."""
    out: F32 = ndimage.distance_transform_edt(~mask).astype(np.float32)
    return out


def _window(
    centre: tuple[float, float], half: float, shape: tuple[int, int]
) -> tuple[slice, slice, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Slices of a square window around ``centre`` (pixels) and its row/col offsets from the centre."""
    r0, c0 = centre
    rs = slice(max(0, int(r0 - half)), min(shape[0], int(r0 + half) + 1))
    cs = slice(max(0, int(c0 - half)), min(shape[1], int(c0 + half) + 1))
    dr = (np.arange(rs.start, rs.stop)[:, None] + 0.5 - r0).astype(np.float64)
    dc = (np.arange(cs.start, cs.stop)[None, :] + 0.5 - c0).astype(np.float64)
    return rs, cs, dr, dc


def _blob(
    rng: np.random.Generator, dr: npt.NDArray[np.float64], dc: npt.NDArray[np.float64], radius: float
) -> Bool:
    """An irregular round patch of about ``radius`` pixels over the offsets ``dr``/``dc``."""
    noise = ndimage.gaussian_filter(
        rng.standard_normal(np.broadcast(dr, dc).shape), sigma=max(2.0, radius / 4)
    )
    noise /= noise.std() + 1e-9
    out: Bool = np.hypot(dr, dc) / radius + 0.22 * noise < 1.0
    return out


def _choose(rng: np.random.Generator, ok: Bool, n: int) -> list[tuple[float, float]]:
    """``n`` random pixel centres (row, col) where ``ok`` is True (rejection sampling, deterministic)."""
    out: list[tuple[float, float]] = []
    h, w = ok.shape
    while len(out) < n and ok.any():
        r = rng.integers(0, h, 4 * n + 16)
        c = rng.integers(0, w, 4 * n + 16)
        good = ok[r, c]
        out.extend((float(a) + 0.5, float(b) + 0.5) for a, b in zip(r[good], c[good], strict=True))
    return out[:n]


# --------------------------------------------------------------------------------------------------------
# Layout: river, roads, towns, county line
# --------------------------------------------------------------------------------------------------------


def _river_line(
    rng: np.random.Generator, shape: tuple[int, int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centreline (rows, cols; pixels, 0.5 px steps) of a river meandering west → east.

    Columns increase monotonically (the line is a graph over x), so it splits the grid into north/south.
    """
    h, w = shape
    t = np.arange(-0.1 * w, 1.1 * w, 0.5)
    ph = rng.uniform(0, 2 * np.pi, 3)
    cols = t + 0.02 * w * np.sin(2 * np.pi * t / (0.165 * w) + ph[2])
    rows = (
        h * (0.56 - 0.07 * t / w)
        + 0.055 * h * np.sin(2 * np.pi * t / (0.4 * w) + ph[0])
        + 0.0225 * h * np.sin(2 * np.pi * t / (0.165 * w) + ph[1])
    )
    return rows, cols


def _polyline(
    rng: np.random.Generator, pts: list[tuple[float, float]], wiggle: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Densify a polyline of (row, col) control points to 0.5 px steps with a sideways bow per segment.

    ``wiggle`` is the maximum bow (pixels); the line still passes through every control point.
    """
    rows: list[npt.NDArray[np.float64]] = []
    cols: list[npt.NDArray[np.float64]] = []
    for (r0, c0), (r1, c1) in itertools.pairwise(pts):
        length = math.hypot(r1 - r0, c1 - c0)
        t = np.arange(0.0, 1.0, 0.5 / length)
        bow = rng.uniform(-wiggle, wiggle) * np.sin(np.pi * t) + 0.3 * wiggle * np.sin(
            3 * np.pi * t + rng.uniform(0, 0.5)
        ) * np.sin(np.pi * t)
        nr, nc = (c1 - c0) / length, -(r1 - r0) / length  # unit normal
        rows.append(r0 + t * (r1 - r0) + bow * nr)
        cols.append(c0 + t * (c1 - c0) + bow * nc)
    return np.concatenate(rows), np.concatenate(cols)


def _minor_roads(
    rng: np.random.Generator, shape: tuple[int, int], force: list[tuple[int, int]]
) -> tuple[Bool, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A wobbly grid of local roads with ~35 % of the segments missing.

    Returns the road mask and the grid line positions (pixels) of vertical (cols) and horizontal (rows)
    roads; segments touching the intersections in ``force`` (line indices i, j) are always kept.
    """
    h, w = shape
    sp = MINOR_SPACING * w
    n = int(w / sp)
    xs = sp * (np.arange(n) + 0.5) + rng.uniform(-0.15, 0.15, n) * sp
    ys = sp * (np.arange(n) + 0.5) + rng.uniform(-0.15, 0.15, n) * sp
    keep_v = rng.random((n, n + 1)) < 0.65  # vertical line i, segment between horizontal lines j-1, j
    keep_h = rng.random((n, n + 1)) < 0.65
    for i, j in force:
        keep_v[i, j : j + 2] = True
        keep_h[j, i : i + 2] = True
    mask = np.zeros(shape, dtype=bool)
    t = np.arange(0, max(h, w), 0.5)
    for i in range(n):
        ph = rng.uniform(0, 2 * np.pi, 2)
        off = 6 * np.sin(2 * np.pi * t / 420 + ph[0]) + 3 * np.sin(2 * np.pi * t / 150 + ph[1])
        seg_v = np.searchsorted(ys, t)
        sel = keep_v[i, seg_v]
        _burn(mask, t[sel], xs[i] + off[sel])
        seg_h = np.searchsorted(xs, t)
        sel = keep_h[i, seg_h]
        _burn(mask, ys[i] + off[sel], t[sel])
    return mask, xs, ys


def _layout(rng: np.random.Generator, shape: tuple[int, int]) -> _Layout:
    """Place the river, towns, villages (snapped to minor-road junctions), roads and the county line."""
    h, w = shape
    river = _river_line(rng, shape)
    sp = MINOR_SPACING * w
    n = int(w / sp)
    # Villages sit on minor-road junctions: snap to the nominal grid, then to the jittered one below.
    junctions = {
        p.name: (round(p.u * w / sp - 0.5), round((p.v or 0) * h / sp - 0.5)) for p in PLACES if p.village
    }
    minor_mask, xs, ys = _minor_roads(
        rng, shape, [(min(i, n - 1), min(j, n - 1)) for i, j in junctions.values()]
    )
    centres: dict[str, tuple[float, float]] = {}
    for p in PLACES:
        if p.village:
            i, j = junctions[p.name]
            centres[p.name] = (float(ys[min(j, n - 1)]), float(xs[min(i, n - 1)]))
        elif p.v is None:
            col = p.u * w
            centres[p.name] = (float(np.interp(col, river[1], river[0])), col)
        else:
            centres[p.name] = (p.v * h, p.u * w)
    major = []
    for road in MAJOR_ROADS:
        pts = [centres[c] if isinstance(c, str) else (c[1] * h, c[0] * w) for c in road]
        major.append(_polyline(rng, pts, wiggle=0.02 * w))
    # County line west | east north of the river, through the straddling village; rows increase monotonically.
    r = np.arange(-0.1 * h, 1.1 * h, 5.0)
    ph = rng.uniform(0, 2 * np.pi, 2)
    rv, cv = centres[STRADDLING_VILLAGE]

    def wig(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 45 * np.sin(2 * np.pi * x / 600 + ph[0]) + 15 * np.sin(2 * np.pi * x / 200 + ph[1])

    county_cols = cv + 12 + wig(r) - wig(np.array([rv]))
    return _Layout(river, centres, (r, county_cols), major, minor_mask)


# --------------------------------------------------------------------------------------------------------
# Static landscape: terrain, water, wetlands, farmland, forest types, roads, urban potential
# --------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------
# Dynamics: development, old-field succession, harvest, insects, fire
# --------------------------------------------------------------------------------------------------------


@dataclass
class _State:
    """Per-pixel history from which every land-cover epoch is composed (indices into LC_YEARS/PERIODS)."""

    oldfield: I8  # epoch a farm field is abandoned (71 → 52 → forest), -1 never
    cc_start: I8  # first epoch a clearcut shows as non-forest, -1 none
    cc_len: I8  # number of epochs it stays non-forest
    cc_cls: U8  # its class in the first of those epochs (52 or 71)
    fire_cls: U8  # class of severely burned forest in the epoch after the fire, 0 = none
    fire_cls_late: U8  # its class two epochs after the fire
    last_harvest: I8  # period of the last harvest, -100 never
    young: Bool  # stand replaced at some point (clearcut, severe fire)
    burned: Bool
    damage: F32  # fraction (0–1) of canopy currently missing after disturbances


def _initial_state(rng: np.random.Generator, ls: _Landscape) -> _State:
    """Start state in 2001; abandons ~3 % of pasture/meadow parcels at a random later epoch."""
    shape = ls.lc_nat.shape
    p_epoch = np.where(rng.random(ls.n_parcels) < 0.03, rng.integers(1, len(LC_YEARS) - 1, ls.n_parcels), -1)
    oldfield = p_epoch[ls.parcel].astype(np.int8)
    oldfield[~np.isin(ls.lc_nat, (71, 81))] = -1
    return _State(
        oldfield=oldfield,
        cc_start=np.full(shape, -1, dtype=np.int8),
        cc_len=np.zeros(shape, dtype=np.int8),
        cc_cls=np.zeros(shape, dtype=np.uint8),
        fire_cls=np.zeros(shape, dtype=np.uint8),
        fire_cls_late=np.zeros(shape, dtype=np.uint8),
        last_harvest=np.full(shape, -100, dtype=np.int8),
        young=np.zeros(shape, dtype=bool),
        burned=np.zeros(shape, dtype=bool),
        damage=np.zeros(shape, dtype=np.float32),
    )


def _urban_class(ls: _Landscape, e: int) -> U8:
    """Development class (0, 21–24) of epoch ``e``; thresholds only fall, so development never reverts."""
    out = np.zeros(ls.urban.shape, dtype=np.uint8)
    for cls in (21, 22, 23, 24):
        out[ls.urban > ls.dev_thresholds[e][cls]] = cls
    dev: U8 = np.maximum(out, ls.road_cls)
    return dev


def _compose(e: int, ls: _Landscape, st: _State, dev: U8) -> U8:
    """Land cover (NLCD codes) of epoch ``e`` from the static landscape, the history and development."""
    lc = ls.lc_nat.copy()
    k = e - st.oldfield.astype(np.int16)
    field = st.oldfield >= 0
    lc[field & (k == 0)] = 71
    lc[field & (k >= 1) & (k <= 2)] = 52
    grown = field & (k >= 3)
    lc[grown] = ls.ft_map[grown]
    cc = (st.cc_start >= 0) & (st.cc_start <= e) & (e < st.cc_start + st.cc_len)
    lc[cc] = np.where(st.cc_start[cc] == e, st.cc_cls[cc], 52)
    if e == FIRE_PERIOD + 1:
        lc[st.fire_cls > 0] = st.fire_cls[st.fire_cls > 0]
    elif e > FIRE_PERIOD + 1:
        lc[st.fire_cls_late > 0] = st.fire_cls_late[st.fire_cls_late > 0]
    lc = np.where(dev > 0, dev, lc)
    lc[ls.nodata] = 0
    return lc


def _fire(
    rng: np.random.Generator, lc0: U8, dev1: U8, ls: _Landscape, st: _State, dist: U8, loss: F32
) -> None:
    """One large fire (~2,300 ha) in the most forested remote spot; writes code 10 and canopy loss.

    The inner, severe part of burned forest turns to grassland (71) / shrub (52); the rest stays forest.
    """
    shape = lc0.shape
    h, w = shape
    forest0 = UPLAND_LUT[lc0]
    frac = ndimage.uniform_filter(forest0.astype(np.float32), size=121)
    rr = np.arange(h)[:, None]
    cc = np.arange(w)[None, :]
    edge = np.minimum(np.minimum(rr, h - rr), np.minimum(cc, w - cc))
    frac[(ls.d_town < 300) | (edge < 220) | (ls.d_river < 80)] = -1.0
    r0, c0 = np.unravel_index(int(np.argmax(frac)), shape)
    theta = rng.uniform(0, np.pi)
    rs, cs, dr, dc = _window((r0 + 0.5, c0 + 0.5), 260, shape)
    u = dr * np.cos(theta) + dc * np.sin(theta)
    v = -dr * np.sin(theta) + dc * np.cos(theta)
    noise = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=9)
    noise /= noise.std()
    ed = np.hypot(u / 125.0, v / 80.0) + 0.25 * noise
    burnable = np.isin(lc0[rs, cs], (41, 42, 43, 90, 52, 71, 81)) & (dev1[rs, cs] == 0)
    candidates = ed[burnable]
    target = min(int(2300 / 0.09), candidates.size - 1)  # pixels in ~2,300 ha
    t = float(np.partition(candidates, target)[target])
    burn = (ed < t) & burnable
    labels, _ = ndimage.label(burn, structure=np.ones((3, 3)))
    burn = labels == labels[r0 - rs.start, c0 - cs.start] if labels[r0 - rs.start, c0 - cs.start] else burn
    severe = burn & (ed < 0.55 * t) & forest0[rs, cs]
    grass = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=5) > 0
    late = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=5) > 0.3
    dist[rs, cs][burn] = 10
    frac_lost = np.clip(0.25 + 0.45 * (1 - ed / t) + 0.05 * noise, 0.2, 0.8)
    frac_lost[severe] = np.clip(0.9 + 0.05 * noise[severe], 0.8, 1.0)
    loss[rs, cs][burn] = frac_lost[burn]
    st.fire_cls[rs, cs][severe] = np.where(grass[severe], 71, 52)
    st.fire_cls_late[rs, cs][severe] = np.where(grass[severe] & ~late[severe], 71, 52)
    st.burned[rs, cs] |= burn
    st.young[rs, cs] |= severe


def _harvest(rng: np.random.Generator, p: int, ok: Bool, st: _State, dist: U8, loss: F32, years: int) -> None:
    """Rotated, ragged rectangular harvest blocks (~5–60 ha) in forest ``ok``; codes 1–4 by canopy loss.

    Severity-4 blocks (and 40 % of severity-3 ones) are clearcuts: shrub/grass for one or two epochs.
    """
    shape = ok.shape
    for centre in _choose(rng, ok, round(28 * years)):
        a, b, theta = rng.uniform(4, 12), rng.uniform(4, 14), rng.uniform(0, np.pi)
        rs, cs, dr, dc = _window(centre, 1.6 * max(a, b) + 3, shape)
        u = dr * np.cos(theta) + dc * np.sin(theta)
        v = -dr * np.sin(theta) + dc * np.cos(theta)
        noise = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=2)
        noise /= noise.std() + 1e-9
        m = (
            ((np.abs(u) / a) ** 4 + (np.abs(v) / b) ** 4 + 0.25 * noise < 1)
            & ok[rs, cs]
            & (dist[rs, cs] == 0)
        )
        sev = int(rng.choice(4, p=[0.34, 0.26, 0.18, 0.22])) + 1
        lo, hi = (sev - 1) * 0.25 + 0.01, sev * 0.25
        frac = np.clip(rng.uniform(lo + 0.03, hi - 0.03) + 0.02 * noise, lo, hi)
        dist[rs, cs][m] = sev
        loss[rs, cs][m] = frac[m]
        st.last_harvest[rs, cs][m] = p
        if sev == 4 or (sev == 3 and rng.random() < 0.4):
            st.cc_start[rs, cs][m] = p + 1
            st.cc_len[rs, cs][m] = 2 if sev == 4 else 1
            st.cc_cls[rs, cs][m] = 71 if rng.random() < 0.25 else 52
            st.young[rs, cs][m] = True


def _insects(rng: np.random.Generator, ok: Bool, dist: U8, loss: F32, years: int) -> None:
    """Scattered insect/disease patches (radius 6–18 px) in forest ``ok``: code 5, 8–35 % canopy loss."""
    shape = ok.shape
    for centre in _choose(rng, ok, round(6 * years)):
        radius = float(rng.uniform(6, 18))
        rs, cs, dr, dc = _window(centre, 1.5 * radius + 4, shape)
        m = _blob(rng, dr, dc, radius) & ok[rs, cs] & (dist[rs, cs] == 0)
        dist[rs, cs][m] = 5
        loss[rs, cs][m] = rng.uniform(0.08, 0.35)


def _disturb(rng: np.random.Generator, p: int, lc0: U8, dev1: U8, ls: _Landscape, st: _State) -> U8:
    """Disturbance raster of period ``p`` (fire, harvest, insects) and the canopy damage it leaves."""
    years = PERIODS[p][1] - PERIODS[p][0]
    dist = np.zeros(lc0.shape, dtype=np.uint8)
    loss = np.zeros(lc0.shape, dtype=np.float32)
    forest0 = UPLAND_LUT[lc0]
    if p == FIRE_PERIOD:
        _fire(rng, lc0, dev1, ls, st, dist, loss)
    ok = forest0 & (dev1 == 0) & (st.last_harvest < p - 3) & ~st.burned & (ls.d_town > 60)
    _harvest(rng, p, ok, st, dist, loss, years)
    _insects(rng, forest0 & ~st.burned, dist, loss, years)
    st.damage = np.maximum(np.maximum(st.damage - CANOPY_RECOVERY * years, 0), loss)
    return dist


# --------------------------------------------------------------------------------------------------------
# Canopy, forest codes, carbon
# --------------------------------------------------------------------------------------------------------

CANOPY_LO = _lut({k: v[0] for k, v in CANOPY_RANGE.items()})
CANOPY_HI = _lut({k: v[1] for k, v in CANOPY_RANGE.items()})
CANOPY_GAIN_LUT = _lut(CANOPY_GAIN)


def _canopy(e: int, lc: U8, ls: _Landscape, st: _State) -> U8:
    """Tree canopy (percent 0–100, 255 nodata) of epoch ``e``: class range × persistent texture,
    minus disturbance damage, plus slow gain after 2011; young old-field forest builds up over ~15 years."""
    pot = CANOPY_LO[lc] + (CANOPY_HI[lc] - CANOPY_LO[lc]) * ls.canopy_s
    years = np.asarray(LC_YEARS)
    grown = (st.oldfield >= 0) & (e - st.oldfield.astype(np.int16) >= 3) & FOREST_LUT[lc]
    since = years[e] - years[np.clip(st.oldfield.astype(np.int16) + 3, 0, len(years) - 1)]
    pot = np.where(grown, pot * np.clip(0.55 + 0.03 * since, 0, 1), pot)
    gain = CANOPY_GAIN_LUT[lc] * max(years[e] - 2011, 0) * ls.canopy_g
    c = np.clip(np.rint(pot * (1 - st.damage) + gain), 0, 100).astype(np.uint8)
    c[lc == 11] = 0
    c[lc == 0] = 255
    return c


def _forest_codes(
    rng: np.random.Generator, lcs: list[U8], ls: _Landscape, st: _State
) -> tuple[npt.NDArray[np.uint16], U8, Bool]:
    """LEARN forest age-type-region code on every pixel that is forest in any epoch (0 elsewhere).

    Code = 1000 (Northeast) + 100 × group (1 maple/beech/birch, 2 oak/hickory, 3 pine, 4 spruce/fir) + age
    class (1: 0–20, 2: 20–100, 3: 100+ years); 1999 (no factor row) on ~0.3 % of forest in a few clumps.
    Returns (codes, age class 0–3, forest-in-any-epoch mask).
    """
    shape = ls.lc_nat.shape
    forest_any = np.logical_or.reduce([FOREST_LUT[lc] for lc in lcs])
    mix = _field(rng, shape, 25)
    spruce = 0.8 * ls.elev + 0.6 * _field(rng, shape, 180)
    oak = -0.5 * ls.elev + 0.9 * _field(rng, shape, 250)
    evergreen = (ls.ft_map == 42) | ((ls.ft_map == 43) & (mix < 0))
    wet = ls.lc_nat == 90  # woody wetlands: red maple swamps, spruce swamps on the high side
    evergreen = np.where(wet, spruce > _quantile(spruce, 0.85), evergreen)
    spruce_th = float(np.median(spruce[::5, ::5][evergreen[::5, ::5]]))
    group = np.where(evergreen, np.where(spruce > spruce_th, 4, 3), np.where((oak > 0) & ~wet, 2, 1))

    young = st.young | (forest_any & ~FOREST_LUT[lcs[0]]) | (_field(rng, shape, 20) > 1.7)
    old = np.zeros(shape, dtype=bool)
    core_ok = forest_any & FOREST_LUT[lcs[0]] & (ls.d_road > 45) & (ls.d_town > 250) & ~young
    for centre in _choose(rng, core_ok, 4):
        rs, cs, dr, dc = _window(centre, 70, shape)
        old[rs, cs] |= _blob(rng, dr, dc, float(rng.uniform(25, 40)))
    age = np.full(shape, 2, dtype=np.uint8)
    age[old] = 3
    age[young] = 1
    codes = (1000 + 100 * group + age).astype(np.uint16)

    clump_r = math.sqrt(0.003 * forest_any.sum() / 5 / math.pi / 0.8)
    for centre in _choose(rng, forest_any & (ls.d_road > clump_r) & ~old, 5):
        rs, cs, dr, dc = _window(centre, 1.5 * clump_r + 4, shape)
        codes[rs, cs][_blob(rng, dr, dc, clump_r)] = 1999
    codes[~forest_any | ls.nodata] = 0
    age[~forest_any] = 0
    return codes, age, forest_any


SOIL_LUT = _lut(SOIL_NONFOREST, default=50.0)


def _carbon(
    rng: np.random.Generator, lc: U8, canopy: U8, forest_any: Bool, age: U8, ls: _Landscape
) -> tuple[F32, F32, F32]:
    """Carbon pools (t C/ha; -9999 nodata): live, dead wood + litter, soil organic carbon.

    Forest (any epoch): live 50–130 by age class, dead 10–35 following live, soil 50–110 (wetter higher).
    Other land (classes of ``lc``, the 2016 epoch): live 0–15 from canopy, dead 0–5, soil 30–90; water 0.
    """
    shape = lc.shape
    n_live, n_dead = _field(rng, shape, 12), _field(rng, shape, 8)
    n_soil = 0.9 * _field(rng, shape, 60) + 0.3 * _field(rng, shape, 10)
    base = np.array([0, 62, 92, 118], dtype=np.float32)[age]
    spread = np.array([0, 8, 12, 7], dtype=np.float32)[age]
    lo = np.array([0, 50, 65, 100], dtype=np.float32)[age]
    hi = np.array([0, 80, 120, 130], dtype=np.float32)[age]
    live_f = np.clip(base + spread * n_live, lo, hi)
    dead_f = np.clip(10 + 0.25 * (live_f - 50) + 3 * n_dead, 10, 35)
    soil_f = np.clip(78 + 12 * n_soil + 20 * (ls.lc_nat == 90), 50, 110)

    tc = np.where(canopy == 255, 0, canopy).astype(np.float32)
    live_n = np.clip(0.3 * tc + 0.8 * n_live, 0, 15)
    dead_n = np.clip(0.3 * live_n + 0.3 * n_dead, 0, 5)
    soil_n = np.clip(SOIL_LUT[lc] + 8 * n_soil, 30, 90)
    water = (lc == 11) & ~forest_any
    out = []
    for f, n in ((live_f, live_n), (dead_f, dead_n), (soil_f, soil_n)):
        a = np.round(np.where(forest_any, f, n), 1).astype(np.float32)
        a[water] = 0.0
        a[ls.nodata] = -9999.0
        out.append(a)
    return out[0], out[1], out[2]


# --------------------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------------------


def _boundaries(rng: np.random.Generator, lay: _Layout, grid: DemoGrid) -> gpd.GeoDataFrame:
    """3 counties tiling the grid (split along the river and a wiggly line) and 10 places (EPSG:5070)."""
    left, bottom, right, top = grid.bounds
    big = 5000.0

    def xy(rows: npt.NDArray[np.float64], cols: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
        return list(
            zip((grid.left + cols * grid.res).tolist(), (grid.top - rows * grid.res).tolist(), strict=True)
        )

    river_r, river_c = lay.river
    north_poly = shapely.Polygon(
        [*xy(river_r[::20], river_c[::20]), (right + big, top + big), (left - big, top + big)]
    )
    west_poly = shapely.Polygon([*xy(*lay.county_line), (left - big, bottom - big), (left - big, top + big)])
    box = shapely.box(*grid.bounds)
    north = box.intersection(north_poly)
    counties = [north.intersection(west_poly), north.difference(west_poly), box.difference(north_poly)]
    rows: list[dict[str, Any]] = [
        {"GEOID": g, "NAME": n, "KIND": "county", "geometry": geom}
        for (g, n), geom in zip(COUNTIES, counties, strict=True)
    ]
    theta = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    for i, p in enumerate(PLACES):
        r0, c0 = lay.centres[p.name]
        ph = rng.uniform(0, 2 * np.pi, 2)
        rad = p.radius_px * (1 + 0.15 * np.sin(3 * theta + ph[0]) + 0.08 * np.sin(5 * theta + ph[1]))
        geom = shapely.Polygon(xy(r0 + rad * np.sin(theta), c0 + rad * np.cos(theta)))
        rows.append({"GEOID": f"99{(i + 1) * 100:05d}", "NAME": p.name, "KIND": "place", "geometry": geom})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs)
    frame.insert(3, "STATE", "ZZ")
    frame.insert(4, "SYNTHETIC", True)
    return frame


# --------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """Yield a temporary name next to ``target`` (same suffix); rename onto ``target`` only on success."""
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _colormap() -> dict[int, tuple[int, int, int, int]]:
    """Official NLCD colours (RGBA) for the land-cover colour table; 0 (nodata) transparent."""
    cmap = {0: (0, 0, 0, 0)}
    for k, hexa in NLCD_COLORS.items():
        if k in LEARN_MATRIX_ORDER:  # the conterminous-US classes (no Alaska-only ones)
            cmap[k] = (int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16), 255)
    return cmap


def _write_cog(
    path: Path,
    array: npt.NDArray[Any],
    *,
    nodata: float | None,
    categorical: bool,
    description: str,
    units: str,
    grid: DemoGrid = DEMO_GRID,
) -> None:
    """Write one band as a Cloud-Optimized GeoTIFF (512 px tiles, DEFLATE, overviews), atomically.

    Overviews: nearest for classes, average for continuous values; the NLCD colour table goes on land cover.
    """
    write_cog(
        path,
        array,
        grid,
        nodata=nodata,
        categorical=categorical,
        tags={"SYNTHETIC": SYNTHETIC_TAG, "DESCRIPTION": description, "UNITS": units},
        colormap=_colormap() if path.name.startswith("land_cover_") else None,  # type: ignore[arg-type]
        description=description,
    )


def _write_gpkg(path: Path, frame: gpd.GeoDataFrame) -> None:
    """Write the boundaries layer to a GeoPackage atomically, with a fixed timestamp (byte-identical runs)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-06-01T00:00:00.000Z"})
    try:
        with _atomic(path) as tmp:
            frame.to_file(tmp, layer="boundaries", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


# --------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------


def demo_file_names() -> list[str]:
    """Every file the demo region consists of (relative to its folder), in writing order."""
    names = [f"land_cover_{y}.tif" for y in LC_YEARS]
    names += [f"tree_canopy_{y}.tif" for y in CANOPY_YEARS]
    names += ["forest_age_type_region.tif", "carbon_live.tif", "carbon_dead_litter.tif", "carbon_soil.tif"]
    names += [f"disturbance_{a}_{b}.tif" for a, b in PERIODS]
    names += ["boundaries.gpkg"]
    return names


def _existing_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of a complete demo build of this generator version in ``out_dir``, else None."""
    path = out_dir / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("generator_version") != GENERATOR_VERSION or manifest.get("seed") != DEMO_SEED:
        return None
    if not all((out_dir / name).is_file() for name in demo_file_names()):
        return None
    return manifest


def _simulate(
    rng: np.random.Generator, tick: Callable[[str], None]
) -> tuple[_Landscape, list[U8], list[U8], dict[int, U8], _State]:
    """Run the landscape through the epochs: land cover per epoch, disturbance per period, canopy per year."""
    ls = _landscape(rng, DEMO_GRID.shape, tick)
    tick("land cover and disturbance")
    st = _initial_state(rng, ls)
    lcs: list[U8] = []
    dists: list[U8] = []
    canopy: dict[int, U8] = {}
    dev = _urban_class(ls, 0)
    for e, year in enumerate(LC_YEARS):
        lc = _compose(e, ls, st, dev)
        lcs.append(lc)
        if year in CANOPY_YEARS:
            canopy[year] = _canopy(e, lc, ls, st)
        if e < len(PERIODS):
            dev = _urban_class(ls, e + 1)
            dists.append(_disturb(rng, e, lc, dev, ls, st))
    return ls, lcs, dists, canopy, st


def build_demo_region(
    out_dir: Path, *, force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Generate the SYNTHETIC demo region into ``out_dir`` (idempotent, deterministic).

    Writes the rasters and ``boundaries.gpkg`` named by the catalog's ``regions.demo`` and
    ``manifest.json`` (synthetic flag, seed, generator version, grid, sha256 per file). When a manifest of
    this generator version exists and every file is present, returns it without writing unless ``force``.
    ``progress(step, done, total)`` is called as the work advances.
    """
    out_dir = Path(out_dir)
    if not force and (existing := _existing_manifest(out_dir)) is not None:
        return existing
    out_dir.mkdir(parents=True, exist_ok=True)
    names = demo_file_names()
    total = 6 + len(names) + 1  # compute steps + files + manifest
    done = 0

    def tick(step: str) -> None:
        nonlocal done
        if progress is not None:
            progress(step, done, total)
        done += 1

    rng = np.random.default_rng(DEMO_SEED)
    tick("layout")
    ls, lcs, dists, canopy, st = _simulate(rng, tick)
    tick("forest age-type-region")
    codes, age, forest_any = _forest_codes(rng, lcs, ls, st)
    tick("carbon pools")
    e_ref = LC_YEARS.index(CARBON_YEAR)
    live, dead, soil = _carbon(rng, lcs[e_ref], canopy[CARBON_YEAR], forest_any, age, ls)
    frame = _boundaries(rng, ls.layout, DEMO_GRID)
    del st, age, forest_any

    rasters: list[tuple[str, npt.NDArray[Any], float | None, bool, str, str]] = []
    for y, lc in zip(LC_YEARS, lcs, strict=True):
        rasters.append((f"land_cover_{y}.tif", lc, 0, True, f"NLCD land cover {y} (SYNTHETIC)", "class"))
    for y in CANOPY_YEARS:
        rasters.append(
            (f"tree_canopy_{y}.tif", canopy[y], 255, False, f"tree canopy {y} (SYNTHETIC)", "percent")
        )
    rasters.append(
        (
            "forest_age_type_region.tif",
            codes,
            0,
            True,
            "LEARN forest age-type-region code (SYNTHETIC)",
            "class",
        )
    )
    for name, arr, what in (
        ("carbon_live.tif", live, "live biomass carbon"),
        ("carbon_dead_litter.tif", dead, "dead wood and litter carbon"),
        ("carbon_soil.tif", soil, "soil organic carbon"),
    ):
        rasters.append((name, arr, -9999.0, False, f"{what} (SYNTHETIC)", "t C/ha"))
    for (a, b), dist in zip(PERIODS, dists, strict=True):
        desc = f"disturbance {a}-{b}: 0 none, 1-4 harvest by canopy loss quartile, 5 insect/disease, 10 fire (SYNTHETIC)"
        rasters.append((f"disturbance_{a}_{b}.tif", dist, None, True, desc, "class"))

    for name, arr, nodata, categorical, desc, units in rasters:
        tick(f"writing {name}")
        _write_cog(out_dir / name, arr, nodata=nodata, categorical=categorical, description=desc, units=units)
    tick("writing boundaries.gpkg")
    _write_gpkg(out_dir / "boundaries.gpkg", frame)

    tick("writing manifest.json")
    manifest: dict[str, Any] = {
        "synthetic": True,
        "description": f"{SYNTHETIC_TAG}: invented landscape, boundaries and values for trying the tool",
        "generator": "learn.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": DEMO_SEED,
        "grid": DEMO_GRID.to_dict(),
        "files": {name: sha256_file(out_dir / name) for name in names},
    }
    with _atomic(out_dir / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if progress is not None:
        progress("done", total, total)
    return manifest
