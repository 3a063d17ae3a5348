"""Scalable synthetic regions for the benchmarks (deterministic, written in strips).

A region is a square grid of ``size`` × ``size`` 30 m pixels in EPSG:5070 with every layer the
engine reads, as tiled (512 × 512) DEFLATE GeoTIFFs:

* ``lc1.tif`` / ``lc2.tif`` — NLCD-coded land cover (uint8). Classes come from smoothed noise
  (three octaves plus a little per-pixel speckle) thresholded into NLCD proportions; ``lc2`` is
  ``lc1`` with about 1 % of the pixels changed in blobs (forest → shrub / developed, …).
* ``code.tif`` — forest age-type-region code (uint16, 0 off forest), ``dist.tif`` — disturbance
  (uint8: 0 none, 1 fire, 2 insect, 3 harvest, about 2 % of the pixels).
* ``carbon_live.tif`` / ``carbon_dead_litter.tif`` / ``carbon_soil.tif`` — t C/ha (float32,
  -9999 = nodata on water), ``tc1.tif`` / ``tc2.tif`` — tree canopy percent (uint8, 255 = nodata).
* ``combined.tif`` — ``lc1 * 256 + lc2`` (uint16): the change-matrix code, precomputed once for
  the libraries that summarise one categorical raster (exactextract, rasterstats).
* ``zones_k{K}_v{N}.gpkg`` — K polygons tiling the grid: a Voronoi tessellation of jittered points
  whose shared edges are densified and bent by one smooth displacement field (so the polygons are
  irregular, county-like, and still tile the grid without gaps or overlaps).

Nothing is held whole in memory: the noise lives on coarse lattices and is interpolated strip by
strip, so a 20,000² region is written with a few hundred MB. Regions are cached under the data
folder (``manifest.json`` marks a complete one), keyed by size and seed; zones by their count.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window
from scipy.ndimage import gaussian_filter

from learn.raster.cog import CARBON_STORAGE_SCALE, SCALED_NODATA, compression_options, scaled_integers

VERSION = 3  # bump when the generated rasters change, so caches are rebuilt
ZONES_VERSION = 2  # same for the zone polygons (part of their file name)
DATA_DIR = Path(__file__).resolve().parent / "data"
PIXEL = 30.0
ORIGIN = (1_500_000.0, 2_200_000.0)  # upper-left corner (EPSG:5070 metres, somewhere in the East)
STRIP = 512
F32 = np.float32

# NLCD classes: (macro group, code, share inside the group). Group order along the main noise field
# keeps water next to wetlands and developed land next to agriculture, as in real landscapes.
GROUPS: list[tuple[str, float, list[tuple[int, float]]]] = [
    ("water", 0.05, [(11, 1.0)]),
    ("wetland", 0.09, [(90, 0.65), (95, 0.35)]),
    ("forest", 0.36, [(41, 0.5), (42, 0.3), (43, 0.2)]),
    ("herb", 0.15, [(52, 0.5), (71, 0.5)]),
    ("agri", 0.24, [(81, 0.5), (82, 0.5)]),
    ("developed", 0.10, [(21, 0.4), (22, 0.3), (23, 0.2), (24, 0.1)]),
    ("barren", 0.01, [(31, 1.0)]),
]
FOREST = (41, 42, 43)
# Where a changed pixel goes: two options per class, picked by a smooth field.
TRANSITIONS = {
    11: (90, 31),
    90: (81, 71),
    95: (71, 82),
    41: (52, 21),
    42: (71, 22),
    43: (52, 81),
    52: (41, 21),
    71: (42, 22),
    81: (21, 41),
    82: (22, 71),
    21: (22, 23),
    22: (23, 24),
    23: (24, 22),
    24: (23, 31),
    31: (71, 21),
}


@dataclass(frozen=True)
class Region:
    """Paths and shape of a generated region (see the module docstring for the layers)."""

    folder: Path
    size: int
    zones: int
    seed: int
    generate_s: float

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.tif"

    @property
    def zones_file(self) -> Path:
        return self.folder / f"zones_k{self.zones}_v{ZONES_VERSION}.gpkg"

    @property
    def pixels(self) -> int:
        return self.size * self.size

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "size": self.size,
            "zones": self.zones,
            "seed": self.seed,
            "generate_s": self.generate_s,
        }


class Noise:
    """Smooth noise on a coarse lattice, sampled at any pixel rows × columns (bilinear)."""

    def __init__(self, rng: np.random.Generator, size: int, cell: int) -> None:
        n = size // cell + 3
        self.cell = cell
        lattice = gaussian_filter(rng.standard_normal((n, n)), sigma=1.0, mode="wrap")
        self.lattice = (lattice / lattice.std()).astype(F32)

    def _axis(self, idx: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        pos = (idx + 0.5) / self.cell
        i0 = np.floor(pos).astype(np.int64)
        return i0, (pos - i0).astype(F32)

    def sample(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        r0, wr = self._axis(rows)
        c0, wc = self._axis(cols)
        lat = self.lattice
        band = lat[r0] * (1 - wr)[:, None] + lat[r0 + 1] * wr[:, None]  # (rows, lattice columns)
        return band[:, c0] * (1 - wc) + band[:, c0 + 1] * wc


class Field:
    """Octaves of :class:`Noise` (coarse to fine), optionally with per-pixel speckle."""

    def __init__(
        self, rng: np.random.Generator, size: int, cells: tuple[int, ...], speckle: float = 0.0
    ) -> None:
        self.octaves = [Noise(rng, size, c) for c in cells]
        self.speckle = speckle
        self.seed = int(rng.integers(1 << 62))

    def sample(
        self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], key: int = 0
    ) -> npt.NDArray[np.float32]:
        out = np.zeros((rows.size, cols.size), F32)
        amp = 1.0
        for octave in self.octaves:
            out += F32(amp) * octave.sample(rows, cols)
            amp *= 0.5
        if self.speckle:
            # Speckle depends on the strip only (key), so strips are reproducible in any order.
            rng = np.random.default_rng([self.seed, key])
            out += F32(self.speckle) * rng.standard_normal(out.shape, dtype=F32)
        return out


def _quantiles(field: Field, size: int, qs: list[float]) -> npt.NDArray[np.float32]:
    """Thresholds of a field for the given quantiles, from a 1-in-8 sample of the grid."""
    idx = np.arange(0, size, 8, dtype=np.int64)
    values = np.concatenate(
        [field.sample(idx[i : i + 256], idx, key=(1 << 40) + i).ravel() for i in range(0, idx.size, 256)]
    )
    return np.quantile(values, qs).astype(F32)


def _profile(size: int, dtype: str, nodata: float | None, categorical: bool) -> dict[str, Any]:
    # The compression learn demo / learn fetch give the layer (learn.raster.cog.compression_options).
    options = compression_options(categorical, np.dtype(dtype))
    compress = {"compress": options["COMPRESS"].lower()}
    if "LEVEL" in options:
        compress["zstd_level"] = options["LEVEL"]
    if "PREDICTOR" in options:
        compress["predictor"] = "3"
    return {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": dtype,
        "nodata": nodata,
        "crs": CRS.from_epsg(5070),
        "transform": transform_of(),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        **compress,
        "BIGTIFF": "IF_SAFER",
    }


def transform_of() -> Affine:
    return Affine(PIXEL, 0.0, ORIGIN[0], 0.0, -PIXEL, ORIGIN[1])


LAYERS: dict[str, tuple[str, float | None, bool]] = {  # dtype, nodata, categorical
    "lc1": ("uint8", 0, True),
    "lc2": ("uint8", 0, True),
    "combined": ("uint16", None, True),
    "code": ("uint16", 0, True),
    "dist": ("uint8", None, True),
    # As learn demo / learn fetch store them: uint16 steps of CARBON_STORAGE_SCALE t C/ha (learn.raster.cog).
    "carbon_live": ("uint16", SCALED_NODATA, False),
    "carbon_dead_litter": ("uint16", SCALED_NODATA, False),
    "carbon_soil": ("uint16", SCALED_NODATA, False),
    "tc1": ("uint8", 255, False),
    "tc2": ("uint8", 255, False),
}


def _lookup(pairs: dict[int, int], default: int = 0) -> npt.NDArray[np.int64]:
    lut = np.full(256, default, np.int64)
    for k, v in pairs.items():
        lut[k] = v
    return lut


def write_rasters(folder: Path, size: int, seed: int) -> None:
    """Write every raster layer of a region, one 512-row strip at a time."""
    rng = np.random.default_rng(seed)
    land = Field(rng, size, (96, 24, 6), speckle=0.12)  # macro group
    sub = Field(rng, size, (32, 8), speckle=0.25)  # class inside the group
    change = Field(rng, size, (24, 6))  # where lc2 differs (top 1 %)
    pick = Field(rng, size, (16,))  # which of the two transitions
    dist = Field(rng, size, (40, 10))  # disturbance patches (top 2 %)
    kind = Field(rng, size, (64,))  # disturbance kind
    region = Field(rng, size, (512,))  # forest region (3 bins)
    age = Field(rng, size, (24, 6))  # forest age class (4 bins)
    stock = Field(rng, size, (20, 5), speckle=0.3)  # carbon / canopy texture
    soil = Field(rng, size, (128, 32))

    shares = np.cumsum([g[1] for g in GROUPS])[:-1]
    land_t = _quantiles(land, size, list(shares))
    sub_t = _quantiles(sub, size, [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8, 0.9])
    change_t = float(_quantiles(change, size, [0.99])[0])
    dist_t = float(_quantiles(dist, size, [0.98])[0])
    region_t = _quantiles(region, size, [1 / 3, 2 / 3])
    age_t = _quantiles(age, size, [0.25, 0.5, 0.75])
    sub_q = np.concatenate([[0.0], [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8, 0.9], [1.0]])

    # Per group: sub-quantile bin (0..11) → NLCD code, from the within-group shares.
    group_codes = np.zeros((len(GROUPS), len(sub_q) - 1), np.uint8)
    for g, (_, _, classes) in enumerate(GROUPS):
        edges = np.cumsum([s for _, s in classes])
        for b in range(len(sub_q) - 1):
            mid = (sub_q[b] + sub_q[b + 1]) / 2
            group_codes[g, b] = classes[int(np.searchsorted(edges, mid))][0]
    trans_a = _lookup({k: v[0] for k, v in TRANSITIONS.items()})
    trans_b = _lookup({k: v[1] for k, v in TRANSITIONS.items()})
    forest_type = _lookup({41: 1, 42: 2, 43: 3})
    live_base = _lookup({41: 70, 42: 85, 43: 75, 90: 45, 52: 8, 71: 4, 81: 5, 82: 3, 21: 15, 22: 8})
    canopy_base = _lookup({41: 80, 42: 75, 43: 70, 90: 45, 21: 25, 22: 12, 23: 6, 52: 8, 71: 3})

    cols = np.arange(size, dtype=np.int64)
    datasets = {
        name: rasterio.open(folder / f"{name}.tif", "w", **_profile(size, dt, nd, cat))
        for name, (dt, nd, cat) in LAYERS.items()
    }
    for name in ("carbon_live", "carbon_dead_litter", "carbon_soil"):
        datasets[name].scales, datasets[name].offsets = (CARBON_STORAGE_SCALE,), (0.0,)
    try:
        for r0 in range(0, size, STRIP):
            rows = np.arange(r0, min(r0 + STRIP, size), dtype=np.int64)
            win = Window(0, r0, size, rows.size)
            group = np.searchsorted(land_t, land.sample(rows, cols, r0))
            sbin = np.searchsorted(sub_t, sub.sample(rows, cols, r0))
            lc1 = group_codes[group, sbin]
            changed = change.sample(rows, cols) > change_t
            lc2 = lc1.copy()
            alt = np.where(pick.sample(rows, cols) > 0, trans_a[lc1], trans_b[lc1])
            lc2[changed] = alt[changed].astype(np.uint8)
            is_forest = np.isin(lc1, FOREST) | np.isin(lc2, FOREST)
            ftype = np.maximum(forest_type[lc1], forest_type[lc2])
            code = 100 * (1 + np.searchsorted(region_t, region.sample(rows, cols)))
            code = code + 10 * ftype + 1 + np.searchsorted(age_t, age.sample(rows, cols))
            code = np.where(is_forest, code, 0).astype(np.uint16)
            d = np.where(
                dist.sample(rows, cols) > dist_t,
                1 + np.searchsorted(np.array([-0.6, 0.6], F32), kind.sample(rows, cols)),
                0,
            ).astype(np.uint8)
            texture = stock.sample(rows, cols, r0)
            water = lc1 == 11
            live = np.maximum(live_base[lc1] * (1 + 0.25 * texture), 0).astype(F32)
            dead = (0.18 * live + 2.0 + 0.5 * texture).clip(0).astype(F32)
            soil_c = (55 + 18 * soil.sample(rows, cols) + 4 * texture).clip(5).astype(F32)
            carbon = [np.round(a, 1) for a in (live, dead, soil_c)]
            for a in carbon:
                a[water] = -9999.0
            carbon = [scaled_integers(a, -9999.0, CARBON_STORAGE_SCALE) for a in carbon]  # type: ignore[misc]
            tc1 = np.clip(canopy_base[lc1] + 12 * texture, 0, 100).astype(np.uint8)
            lost = changed & np.isin(lc1, FOREST) & ~np.isin(lc2, FOREST)
            tc2 = np.where(lost, tc1 // 4, np.where(d > 0, (tc1 * 0.8).astype(np.uint8), tc1))
            tc1[water] = 255
            tc2 = np.where(water, 255, tc2).astype(np.uint8)
            out = {
                "lc1": lc1,
                "lc2": lc2,
                "combined": lc1.astype(np.uint16) * 256 + lc2,
                "code": code,
                "dist": d,
                "carbon_live": carbon[0],
                "carbon_dead_litter": carbon[1],
                "carbon_soil": carbon[2],
                "tc1": tc1,
                "tc2": tc2,
            }
            for name, arr in out.items():
                datasets[name].write(arr.astype(LAYERS[name][0], copy=False), 1, window=win)
    finally:
        for ds in datasets.values():
            ds.close()


def zone_polygons(size: int, count: int, seed: int) -> list[shapely.Geometry]:
    """``count`` irregular polygons tiling the grid (in grid CRS coordinates), in a fixed order."""
    rng = np.random.default_rng([seed, count, 7])
    x0, y1 = ORIGIN
    extent = size * PIXEL
    box = shapely.box(x0, y1 - extent, x0 + extent, y1)
    m = max(1, math.ceil(math.sqrt(count)))
    cells = np.sort(rng.choice(m * m, size=count, replace=False))
    cx, cy = cells % m, cells // m
    jitter = rng.uniform(0.15, 0.85, size=(2, count))
    px = x0 + (cx + jitter[0]) * extent / m
    py = y1 - (cy + jitter[1]) * extent / m
    points = shapely.points(px, py)
    if count == 1:
        return [box]
    cells_poly = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=box))
    tree = shapely.STRtree(cells_poly)
    owner = tree.query(points, predicate="within")  # (point index, polygon index)
    polys: list[shapely.Geometry] = [None] * count
    for p_idx, g_idx in zip(*owner, strict=True):
        polys[int(p_idx)] = shapely.intersection(cells_poly[int(g_idx)], box)
    # Bend the straight Voronoi edges: densify, then move every vertex by one smooth field that
    # vanishes on the grid border. Shared edges get identical vertices, so the tiling is kept;
    # its gradient stays below 0.4, so the bent polygons stay simple and still tile the grid.
    spacing = extent / m
    waves = rng.uniform(0.3, 1.5, size=(3, 4)) * 2 * math.pi / spacing
    scale = 0.4 / (2 * math.sqrt(2) * float(np.abs(waves).max()) + 2 / spacing)
    phases = rng.uniform(0, 2 * math.pi, size=(3, 4))

    def bend(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = xy[:, 0], xy[:, 1]
        edge = np.minimum.reduce([x - x0, x0 + extent - x, y - (y1 - extent), y1 - y])
        taper = np.clip(edge / spacing, 0.0, 1.0)
        dx = sum(np.sin(waves[0, k] * x + waves[1, k] * y + phases[0, k]) for k in range(2))
        dy = sum(np.sin(waves[1, k + 2] * x + waves[2, k] * y + phases[1, k]) for k in range(2))
        return np.column_stack([x + scale * taper * dx, y + scale * taper * dy])

    out = []
    for poly in polys:
        dense = shapely.segmentize(shapely.normalize(poly), max_segment_length=3 * PIXEL)
        # Snap to a 1 mm grid: the two copies of a shared edge (densified in opposite directions)
        # differ in the last bits, which would otherwise leave slivers that count as overlaps.
        g = shapely.set_precision(shapely.transform(dense, bend), grid_size=0.001)
        out.append(g if g.is_valid else shapely.make_valid(g))
    return out


def write_zones(path: Path, size: int, count: int, seed: int) -> None:
    import geopandas as gpd

    geoms = zone_polygons(size, count, seed)
    frame = gpd.GeoDataFrame(
        {"zone": np.arange(count, dtype=np.int32), "name": [f"Z{i:05d}" for i in range(count)]},
        geometry=geoms,
        crs="EPSG:5070",
    )
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    frame.to_file(tmp, driver="GPKG", layer="zones", engine="pyogrio")
    tmp.replace(path)


def ensure_region(size: int, zones: int, seed: int = 0, data_dir: Path = DATA_DIR) -> Region:
    """The region of that size/seed with ``zones`` polygons, generated once and then reused."""
    folder = Path(data_dir) / f"region_{size}_seed{seed}"
    manifest = folder / "manifest.json"
    info: dict[str, Any] = {}
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if info.get("version") != VERSION:
            info = {}
    t0 = time.perf_counter()
    if not info:
        folder.mkdir(parents=True, exist_ok=True)
        write_rasters(folder, size, seed)
        info = {"version": VERSION, "size": size, "seed": seed, "rasters_s": time.perf_counter() - t0}
        manifest.write_text(json.dumps(info, indent=1))
    region = Region(folder=folder, size=size, zones=zones, seed=seed, generate_s=0.0)
    key = f"{region.zones_file.stem}_s"
    if not region.zones_file.exists():
        t1 = time.perf_counter()
        write_zones(region.zones_file, size, zones, seed)
        info[key] = time.perf_counter() - t1
        manifest.write_text(json.dumps(info, indent=1))
    generate_s = float(info.get("rasters_s", 0.0)) + float(info.get(key, 0.0))
    return Region(folder=folder, size=size, zones=zones, seed=seed, generate_s=generate_s)


if __name__ == "__main__":  # python -m benchmarks.synthetic SIZE ZONES [SEED]
    import sys

    args = [int(a) for a in sys.argv[1:]] or [2000, 100]
    r = ensure_region(*args)
    print(json.dumps(r.to_dict(), indent=1))
