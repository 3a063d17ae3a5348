"""The SYNTHETIC demo region generator (learn/demo/): files, COG layout, determinism, plausibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from learn.demo import (
    CANOPY_YEARS,
    DEMO_GRID,
    DEMO_SEED,
    LC_YEARS,
    PERIODS,
    build_demo_region,
    demo_file_names,
)
from learn.raster.cog import read_values

NLCD = {11, 21, 22, 23, 24, 31, 41, 42, 43, 52, 71, 81, 82, 90, 95}
FOREST = (41, 42, 43, 90)
DEVELOPED = (21, 22, 23, 24)
PIXEL_HA = 0.09


@pytest.fixture(scope="module")
def demo(
    demo_build: tuple[Path, dict[str, Any], list[tuple[str, int, int]]],
) -> tuple[Path, dict[str, Any], list[tuple[str, int, int]]]:
    """The session's demo build (conftest.demo_build): (folder, returned manifest, progress calls)."""
    return demo_build


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1)


@pytest.fixture(scope="module")
def land_cover(demo: tuple[Path, Any, Any]) -> dict[int, np.ndarray]:
    return {y: read(demo[0] / f"land_cover_{y}.tif") for y in LC_YEARS}


def test_all_files_written_and_manifest(demo: tuple[Path, dict[str, Any], Any]) -> None:
    out, manifest, _ = demo
    for name in demo_file_names():
        assert (out / name).is_file(), name
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["synthetic"] is True and manifest["seed"] == DEMO_SEED
    assert manifest["grid"]["width"] == DEMO_GRID.width and manifest["grid"]["crs"] == "EPSG:5070"
    assert set(manifest["files"]) == set(demo_file_names())
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".xml"]


def test_progress_reported(demo: tuple[Path, Any, list[tuple[str, int, int]]]) -> None:
    calls = demo[2]
    done = [i for _, i, _ in calls]
    assert done == sorted(done) and calls[-1][1] == calls[-1][2]
    assert len({n for _, _, n in calls}) == 1


def test_rasters_are_cogs_on_the_grid(demo: tuple[Path, Any, Any]) -> None:
    out = demo[0]
    for name in demo_file_names():
        if not name.endswith(".tif"):
            continue
        with rasterio.open(out / name) as ds:
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG", name
            assert ds.profile["tiled"] and ds.block_shapes[0] == (512, 512), name
            # Classes DEFLATE; values (carbon, canopy) ZSTD, which decodes them faster (learn.raster.cog).
            continuous = name.startswith(("carbon_", "tree_canopy_"))
            want = rasterio.enums.Compression.zstd if continuous else rasterio.enums.Compression.deflate
            assert ds.compression == want, name
            assert ds.overviews(1), name
            assert ds.crs.to_epsg() == 5070 and ds.transform == DEMO_GRID.transform
            assert (ds.width, ds.height) == (DEMO_GRID.width, DEMO_GRID.height)
            assert "not a real place" in ds.tags()["SYNTHETIC"] and ds.tags()["DESCRIPTION"]
    with rasterio.open(out / "land_cover_2001.tif") as ds:
        assert ds.colormap(1)[41][:3] == (0x68, 0xAB, 0x5F)
        assert ds.nodata == 0


def test_second_call_is_a_no_op(demo: tuple[Path, dict[str, Any], Any]) -> None:
    out, manifest, _ = demo
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = build_demo_region(out)
    assert again == manifest
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_land_cover_classes_and_nodata(land_cover: dict[int, np.ndarray]) -> None:
    for year, lc in land_cover.items():
        assert set(np.unique(lc).tolist()) <= NLCD | {0}, year
        assert 0 < (lc == 0).mean() < 0.005
    assert all(np.array_equal(lc == 0, land_cover[2001] == 0) for lc in land_cover.values())


def test_developed_never_reverts(land_cover: dict[int, np.ndarray]) -> None:
    for a, b in PERIODS:
        dev_a = np.isin(land_cover[a], DEVELOPED)
        assert np.isin(land_cover[b][dev_a], DEVELOPED).all(), (a, b)
        assert (land_cover[b][dev_a] >= land_cover[a][dev_a]).all()  # intensity only grows
    assert np.isin(land_cover[2021], DEVELOPED).sum() > np.isin(land_cover[2001], DEVELOPED).sum()


def test_change_rates_plausible(land_cover: dict[int, np.ndarray]) -> None:
    for a, b in PERIODS:
        changed = (land_cover[a] != land_cover[b]).mean()
        assert 0.002 < changed < 0.015, (a, b, changed)


def test_fire_scar_and_burned_grassland(
    demo: tuple[Path, Any, Any], land_cover: dict[int, np.ndarray]
) -> None:
    fire = read(demo[0] / "disturbance_2016_2019.tif") == 10
    assert 1500 <= fire.sum() * PIXEL_HA <= 3000
    burned_forest = fire & np.isin(land_cover[2016], FOREST)
    to_grass = burned_forest & np.isin(land_cover[2019], (52, 71))
    assert to_grass.sum() * PIXEL_HA > 100
    assert np.isin(land_cover[2019][burned_forest], FOREST).mean() > 0.5  # most burned forest stays forest
    for a, b in PERIODS:
        if (a, b) != (2016, 2019):
            assert not (read(demo[0] / f"disturbance_{a}_{b}.tif") == 10).any()


def test_disturbance_coherent_with_land_cover(
    demo: tuple[Path, Any, Any], land_cover: dict[int, np.ndarray]
) -> None:
    for a, b in PERIODS:
        dist = read(demo[0] / f"disturbance_{a}_{b}.tif")
        assert set(np.unique(dist).tolist()) <= {0, 1, 2, 3, 4, 5, 10}
        assert np.isin(dist, (1, 2, 3, 4)).any() and (dist == 5).any()
        assert np.isin(land_cover[a][np.isin(dist, (1, 2, 3, 4, 5))], FOREST).all()
        # Forest opened to shrub/grass only by a clearcut (severity 3–4) or the fire.
        opened = np.isin(land_cover[a], FOREST) & np.isin(land_cover[b], (52, 71))
        assert np.isin(dist[opened], (3, 4, 10)).all(), (a, b)


def test_forest_net_loss_2011_2019(land_cover: dict[int, np.ndarray]) -> None:
    f11 = np.isin(land_cover[2011], FOREST).sum()
    f19 = np.isin(land_cover[2019], FOREST).sum()
    assert 0.002 < (f11 - f19) / f11 < 0.06


def test_forest_codes_cover_forest(demo: tuple[Path, Any, Any], land_cover: dict[int, np.ndarray]) -> None:
    codes = read(demo[0] / "forest_age_type_region.tif")
    assert (codes[np.isin(land_cover[2019], FOREST)] > 0).all()
    forest_any = np.logical_or.reduce([np.isin(lc, FOREST) for lc in land_cover.values()])
    assert np.array_equal(codes > 0, forest_any & (land_cover[2001] != 0))
    valid = {1000 + 100 * g + a for g in (1, 2, 3, 4, 5) for a in (1, 2, 3)}
    assert set(np.unique(codes[codes > 0]).tolist()) <= valid
    share_other = (codes // 100 == 15).sum() / forest_any.sum()  # group 5 (other hardwoods): a few clumps
    assert 0.001 < share_other < 0.006
    # Every code drawn has a row in the demo's factor table: no demo forest is left out of the forest rows.
    from learn.accounting.factors import load_forest_factors

    table = load_forest_factors(Path(__file__).parents[1] / "learn/factors/demo_forest_factors_SYNTHETIC.csv")
    assert set(np.unique(codes[codes > 0]).tolist()) <= set(table.table.index)


def test_canopy_and_carbon_ranges(demo: tuple[Path, Any, Any], land_cover: dict[int, np.ndarray]) -> None:
    out = demo[0]
    for y in CANOPY_YEARS:
        tc = read(out / f"tree_canopy_{y}.tif")
        lc = land_cover[y]
        assert np.array_equal(tc == 255, lc == 0) and tc[lc != 0].max() <= 100
        assert (tc[lc == 11] == 0).all()
        assert 60 <= tc[np.isin(lc, (41, 42, 43))].mean() <= 95
    codes = read(out / "forest_age_type_region.tif")
    forest = codes > 0
    for name, lo, hi in (("carbon_live", 50, 130), ("carbon_dead_litter", 10, 35), ("carbon_soil", 50, 110)):
        c = read_values(out / f"{name}.tif")  # scaled integers on disk (learn.raster.cog)
        assert np.array_equal(np.isnan(c), land_cover[2001] == 0)
        assert lo <= c[forest].min() and c[forest].max() <= hi, name
        assert np.nanmax(c[~forest]) <= hi


def test_boundaries(demo: tuple[Path, Any, Any]) -> None:
    path = demo[0] / "boundaries.gpkg"
    assert [n for n, _ in pyogrio.list_layers(path)] == ["boundaries"]
    b = gpd.read_file(path, layer="boundaries")
    assert b.crs.to_epsg() == 5070
    assert {"GEOID", "NAME", "KIND", "STATE", "SYNTHETIC"} <= set(b.columns)
    assert b.geometry.is_valid.all() and (b["STATE"] == "ZZ").all() and b["SYNTHETIC"].astype(bool).all()
    counties = b[b["KIND"] == "county"]
    places = b[b["KIND"] == "place"]
    assert sorted(counties["GEOID"]) == ["99001", "99003", "99005"]
    assert len(places) == 10 and places["GEOID"].str.fullmatch(r"99\d{5}").all()
    assert b["GEOID"].is_unique and b["NAME"].is_unique
    grid = shapely.box(*DEMO_GRID.bounds)
    geoms = np.array(list(counties.geometry))
    assert shapely.union_all(geoms).intersection(grid).area >= 0.99 * grid.area
    overlaps = shapely.area(shapely.intersection(geoms[:, None], geoms[None, :]))
    assert (overlaps - np.diag(np.diag(overlaps))).max() < 1.0  # counties do not overlap
    assert all(grid.contains(g) for g in places.geometry)
    straddling = [
        name
        for name, g in zip(places["NAME"], places.geometry, strict=True)
        if sum(g.intersection(c).area > 1e4 for c in counties.geometry) >= 2
    ]
    assert len(straddling) >= 2
