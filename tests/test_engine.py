"""The reduction engine against a slow, obvious reference (a Python loop over pixels), on random
rasters and polygons: nested and overlapping zones, edge pixels, nodata, windows that split zones;
plus the cached zone raster, threads vs one thread, and a dask LocalCluster."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import distributed
import numpy as np
import pandas as pd
import pytest
import rasterio.features
import shapely
from affine import Affine
from conftest import ORIGIN, PIXEL, write_tif
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from rasterio.crs import CRS
from rasterio.windows import Window

from learn.raster.engine import ReductionJob, grid_windows, reduce
from learn.raster.grid import Grid, zone_weights
from learn.raster.kernel import SUMS
from learn.raster.strata import KEY_COLUMNS
from learn.raster.zones import GeometryZones, build_raster_zones, overlap_layers

TRANSFORM = Affine(PIXEL, 0, ORIGIN[0], 0, -PIXEL, ORIGIN[1])


def reference(
    layers: dict[str, np.ndarray], geometries: list, rule: str, nodata_carbon: float = -9999
) -> pd.DataFrame:
    """Pixel by pixel, zone by zone, with a dict: the obvious way."""
    h, w = layers["lc1"].shape
    acc: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(len(SUMS)))
    for z, g in enumerate(geometries):
        weights = zone_weights(g, Window(0, 0, w, h), TRANSFORM, rule)
        for r in range(h):
            for c in range(w):
                wt = float(weights[r, c])
                if wt <= 0:
                    continue
                key = (
                    z,
                    int(layers["lc1"][r, c]),
                    int(layers["lc2"][r, c]),
                    int(layers["code"][r, c]),
                    int(layers["dist"][r, c]),
                )
                row = acc[key]
                row[0] += wt
                pools = [float(layers[k][r, c]) for k in ("live", "dead", "soil")]
                if any(p == nodata_carbon for p in pools):
                    row[4] += wt
                for j, p in enumerate(pools, start=1):
                    if p != nodata_carbon:
                        row[j] += wt * p
                t1, t2 = float(layers["tc1"][r, c]), float(layers["tc2"][r, c])
                if t1 <= 100 and t2 <= 100:
                    row[5] += wt * t1
                    row[6] += wt * t2
                    row[7] += wt * max(t1 - t2, 0.0)
                    row[8] += wt
    rows = [
        {
            "zone": k[0],
            "lc1": k[1],
            "lc2": k[2],
            "forest_age_type_region": k[3],
            "disturbance": k[4],
            **dict(zip(SUMS, v, strict=True)),
        }
        for k, v in acc.items()
    ]
    return pd.DataFrame(rows, columns=[*KEY_COLUMNS, *SUMS])


def _random_layers(seed: int, h: int, w: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    layers = {
        "lc1": rng.choice(np.array([11, 41, 82], np.uint8), (h, w)),
        "lc2": rng.choice(np.array([21, 41, 82], np.uint8), (h, w)),
        "code": rng.choice(np.array([0, 7], np.uint16), (h, w)),
        "dist": rng.choice(np.array([0, 10], np.uint8), (h, w)),
        "tc1": rng.integers(0, 100, (h, w)).astype(np.uint8),
        "tc2": rng.integers(0, 100, (h, w)).astype(np.uint8),
    }
    for k in ("live", "dead", "soil"):
        layers[k] = (rng.random((h, w)) * 100).astype(np.float32)
    return layers


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(KEY_COLUMNS)).reset_index(drop=True)[[*KEY_COLUMNS, *SUMS]].astype(float)


def _write_layers(d: Path, L: dict[str, np.ndarray]) -> ReductionJob:
    for k in ("lc1", "lc2"):
        write_tif(d / f"{k}.tif", L[k], nodata=0)
    write_tif(d / "code.tif", L["code"])
    write_tif(d / "dist.tif", L["dist"])
    for k in ("live", "dead", "soil"):
        write_tif(d / f"{k}.tif", L[k], nodata=-9999)
    for k in ("tc1", "tc2"):
        write_tif(d / f"{k}.tif", L[k], nodata=255)
    return ReductionJob(
        land_cover=(str(d / "lc1.tif"), str(d / "lc2.tif")),
        zones=None,  # type: ignore[arg-type]
        forest_age_type_region=str(d / "code.tif"),
        disturbance=(str(d / "dist.tif"),),
        carbon=(str(d / "live.tif"), str(d / "dead.tif"), str(d / "soil.tif")),
        canopy=(str(d / "tc1.tif"), str(d / "tc2.tif")),
    )


@st.composite
def scenes(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], list]:
    h, w = draw(st.integers(3, 12)), draw(st.integers(3, 12))
    L = {
        "lc1": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 11, 21, 41, 42, 82, 90]))),
        "lc2": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 11, 21, 41, 42, 82, 90]))),
        "code": draw(arrays(np.uint16, (h, w), elements=st.sampled_from([0, 7, 1101, 65535]))),
        "dist": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 1, 4, 5, 10]))),
        "tc1": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 10, 55, 100, 254, 255]))),
        "tc2": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 5, 60, 100, 255]))),
    }
    for k in ("live", "dead", "soil"):
        L[k] = draw(arrays(np.float32, (h, w), elements=st.sampled_from([-9999.0, 0.0, 12.5, 80.25])))
    # Random polygons in pixel units (possibly overlapping, nested, crossing edges), as boxes and triangles.
    x0, y0 = ORIGIN
    geoms = []
    for _ in range(draw(st.integers(1, 4))):
        c0, c1 = sorted(draw(st.lists(st.floats(-1, w + 1), min_size=2, max_size=2)))
        r0, r1 = sorted(draw(st.lists(st.floats(-1, h + 1), min_size=2, max_size=2)))
        if c1 - c0 < 0.3 or r1 - r0 < 0.3:
            continue
        g = shapely.box(x0 + c0 * PIXEL, y0 - r1 * PIXEL, x0 + c1 * PIXEL, y0 - r0 * PIXEL)
        if draw(st.booleans()):
            a, b, c, d = g.bounds
            g = shapely.Polygon([(a, b), (c, b), (a, d)])
        geoms.append(g)
    if not geoms:
        geoms = [shapely.box(x0, y0 - h * PIXEL, x0 + w * PIXEL, y0)]
    return L, geoms


@pytest.mark.parametrize("rule", ["centre", "exact"])
@given(scene=scenes(), block=st.sampled_from([2, 3, 5, 64]))
def test_engine_equals_reference(tmp_path_factory, rule, scene, block):
    L, geoms = scene
    d = tmp_path_factory.mktemp("eng")
    base = _write_layers(d, L)
    job = ReductionJob(
        **{**base.__dict__, "zones": GeometryZones(geoms, [str(i) for i in range(len(geoms))], rule)}
    )
    grid = Grid(CRS.from_epsg(5070), TRANSFORM, L["lc1"].shape[1], L["lc1"].shape[0])
    got = reduce(job, grid_windows(grid, block=block), workers=2)
    want = reference(L, geoms, rule)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want), rtol=1e-6, atol=1e-9)


def test_cached_raster_zones_equal_geometry_zones_and_handle_overlaps(tmp_path):
    h, w = 40, 50
    L = _random_layers(3, h, w)
    base = _write_layers(tmp_path, L)
    x0, y0 = ORIGIN
    left = shapely.box(x0, y0 - h * PIXEL, x0 + 25 * PIXEL, y0)
    right = shapely.box(x0 + 25 * PIXEL, y0 - h * PIXEL, x0 + w * PIXEL, y0)
    town_in = shapely.Point(x0 + 10 * PIXEL, y0 - 10 * PIXEL).buffer(5 * PIXEL)  # nested in "left"
    town_across = shapely.Point(x0 + 25 * PIXEL, y0 - 30 * PIXEL).buffer(6 * PIXEL)  # straddles the line
    geoms, ids = [left, right, town_in, town_across], ["L", "R", "T1", "T2"]
    assert overlap_layers(geoms) == [0, 0, 1, 1]
    bfile = tmp_path / "b.txt"
    bfile.write_text("boundary file stand-in")
    grid = Grid(CRS.from_epsg(5070), TRANSFORM, w, h)
    zones = build_raster_zones(
        geoms, ids, grid, boundary_file=bfile, id_field="GEOID", cache_dir=tmp_path / "cache"
    )
    assert zones.bands == 2
    again = build_raster_zones(
        geoms, ids, grid, boundary_file=bfile, id_field="GEOID", cache_dir=tmp_path / "cache"
    )
    assert again.path == zones.path
    windows = grid_windows(grid, block=16)
    by_raster = reduce(ReductionJob(**{**base.__dict__, "zones": zones}), windows, workers=2)
    by_geom = reduce(
        ReductionJob(**{**base.__dict__, "zones": GeometryZones(geoms, ids)}), windows, workers=1
    )
    pd.testing.assert_frame_equal(_sorted(by_raster), _sorted(by_geom), rtol=0, atol=0)
    # Nested zones: the two towns' pixels are also in the counties; county totals cover the grid once.
    px = by_raster.groupby("zone")["pixels"].sum()
    assert px[0] + px[1] == h * w
    mask = rasterio.features.geometry_mask([town_across], out_shape=(h, w), transform=TRANSFORM, invert=True)
    assert px[3] == mask.sum()


def test_overlap_bands_of_a_tiling_a_sliver_and_an_overlap():
    """A valid coverage takes the fast path (one band); a tiling whose shared edge is digitised twice (a
    sliver under 1 % of a pixel) is not a valid coverage but still one band; a real overlap gets its own."""
    x0, y0 = ORIGIN
    a = shapely.box(x0, y0 - 10 * PIXEL, x0 + 5 * PIXEL, y0)
    b = shapely.box(x0 + 5 * PIXEL, y0 - 10 * PIXEL, x0 + 10 * PIXEL, y0)
    c = shapely.box(x0 + 10 * PIXEL, y0 - 10 * PIXEL, x0 + 15 * PIXEL, y0)
    assert shapely.coverage_is_valid(np.array([a, b, c])) and overlap_layers([a, b, c]) == [0, 0, 0]
    # b's left edge 0.01 m inside a: 0.01 m x 300 m = 3 m2 shared (under the 9 m2 sliver limit)
    b_sliver = shapely.box(x0 + 5 * PIXEL - 0.01, y0 - 10 * PIXEL, x0 + 10 * PIXEL, y0)
    assert not shapely.coverage_is_valid(np.array([a, b_sliver, c]))
    assert overlap_layers([a, b_sliver, c]) == [0, 0, 0]
    # b's left edge one pixel inside a: 9,000 m2 shared, an overlap
    b_over = shapely.box(x0 + 4 * PIXEL, y0 - 10 * PIXEL, x0 + 10 * PIXEL, y0)
    assert overlap_layers([a, b_over, c]) == [0, 1, 0]
    assert overlap_layers([a]) == [0]


def test_threads_and_local_cluster_give_identical_results(tmp_path):
    h, w = 64, 64
    L = _random_layers(5, h, w)
    base = _write_layers(tmp_path, L)
    x0, y0 = ORIGIN
    geoms = [
        shapely.Point(x0 + 20 * PIXEL, y0 - 20 * PIXEL).buffer(15 * PIXEL),
        shapely.Point(x0 + 40 * PIXEL, y0 - 40 * PIXEL).buffer(20 * PIXEL),
    ]
    job = ReductionJob(**{**base.__dict__, "zones": GeometryZones(geoms, ["a", "b"])})
    grid = Grid(CRS.from_epsg(5070), TRANSFORM, w, h)
    windows = grid_windows(grid, block=8)
    one = reduce(job, windows, workers=1)
    two = reduce(job, windows, workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dist = reduce(job, windows, client=client)
    pd.testing.assert_frame_equal(one, two, rtol=0, atol=0)
    pd.testing.assert_frame_equal(one, dist, rtol=0, atol=0)
