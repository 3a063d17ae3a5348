"""``learn fetch`` derives the forest layers, end to end over real HTTP on 127.0.0.1, then ``learn inventory``.

Three local servers play the public sources: the fake BIGMAP ImageServer of :mod:`test_arcgis_image` (carbon
pools, forest type group, stand age on the real Northampton, MA NLCD grid), a fake IDS MapServer layer
(:mod:`fake_arcgis_feature`) holding one damage area of new mortality inside Northampton, and a range-request
file server serving the real NLCD land cover and tree canopy clips of ``tests/data`` (copied from the real-data folder, each with its SOURCE.md) as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
import yaml
from conftest import REPO, run_cli
from fake_arcgis import image_server_app
from fake_arcgis_feature import LAYER_PATH, FakeFeatureLayer, make_app
from range_server import serve_app, serve_directory
from test_arcgis_image import BIGMAP, HOSTS, LC, NOHO, OUTLINE, _services, rasters  # noqa: F401

from learn.raster.cog import write_cog
from learn.raster.grid import Grid
from learn.sources.catalog import load_catalog
from learn.sources.census.tiger import state_fips_on_grid
from learn.sources.forest_derive import decode_forest_code, harvest_codes
from learn.sources.forest_layers import NO_FIRE_NOTE, derive_forest_layers, disturbance_periods
from learn.sources.insect_survey import MORTALITY_NEW
from learn.util import sha256_file

IDS_KEY = "ids_damage_areas_mapserver"
IDS = yaml.safe_load((REPO / "data_catalog.yaml").read_text(encoding="utf-8"))["datasets"][IDS_KEY]


def _damage_area() -> shapely.Polygon:
    """A 1.2 km square of forest near the middle of the Northampton clip, in lon/lat."""
    import pyproj

    with rasterio.open(LC) as ds:
        x0, y0, x1, y1 = ds.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    square = shapely.box(cx - 600, cy - 600, cx + 600, cy + 600)
    to_ll = pyproj.Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True).transform
    return shapely.transform(square, lambda xy: np.column_stack(to_ll(xy[:, 0], xy[:, 1])))


@pytest.fixture
def sources(rasters: dict[str, Path], tmp_path: Path) -> Iterator[tuple[Path, FakeFeatureLayer]]:  # noqa: F811
    """A catalog whose BIGMAP, IDS, land-cover and canopy datasets point at the local servers."""
    survey = FakeFeatureLayer(
        features=[
            (_damage_area(), {"objectid": 1, "survey_year": 2015, "damage_type": MORTALITY_NEW,
                              "dca_common_name": "hemlock woolly adelgid", "acres": 356.0}),
            (_damage_area(), {"objectid": 2, "survey_year": 2015, "damage_type": "Defoliation",
                              "dca_common_name": "gypsy moth", "acres": 356.0}),
        ]
    )  # fmt: skip
    with (
        serve_app(image_server_app(_services(rasters, 0)), Path(".")) as image,
        serve_app(make_app(survey), tmp_path) as feature,
        serve_directory(NOHO) as files,
    ):
        datasets: dict[str, Any] = yaml.safe_load(
            yaml.safe_dump(BIGMAP).replace(HOSTS[0], image.url).replace(HOSTS[1], image.url)
        )
        datasets[IDS_KEY] = {**IDS, "href": feature.url + LAYER_PATH}
        common = {
            "kind": "categorical",
            "license": "public domain",
            "citation": "USGS NLCD (clip, SOURCE.md)",
        }
        datasets["noho_lc"] = {
            "title": "real NLCD land cover clip",
            "fetch_layer": "land_cover",
            **common,
            "href": f"{files.url}/nlcd_{{year}}_land_cover.tif",
            "years": [2011, 2019],
        }
        datasets["noho_tc"] = {"title": "real NLCD tree canopy clip", "fetch_layer": "tree_canopy", **common,
                               "href": f"{files.url}/nlcd_{{year}}_tree_canopy.tif", "years": [2011, 2016],
                               "kind": "continuous"}  # fmt: skip
        cat = tmp_path / "project" / "catalog.yaml"
        cat.parent.mkdir()
        cat.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
        yield cat, survey


def _partial_factor_table(path: Path) -> Path:
    """A forest factor table (TEST values, not published factors) with rows for the Massachusetts
    maple/beech/birch codes only (TYPGRPCD 800, the fake service's NLCD 43): the other codes lack a row."""
    header = ("ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,Forests "
              "Remaining Forest Removal Factor,Fire Emissions Factor,Insect Emissions Factor,Harvest Emissions "
              "Factor,Harvest_EF_0_25,Harvest_EF_25_50,Harvest_EF_50_75,Harvest_EF_75_100,source")  # fmt: skip
    rows = [f"{2500000 + 8000 + c},Northeast,Maple/beech/birch,{a},0,-1.0,-1.0,20,3,30,1,10,20,30,TEST value"
            for c, a in ((1, "0-20"), (2, "20-100"), (3, "100+"))]  # fmt: skip
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_fetch_derives_forest_code_and_disturbance_and_the_inventory_has_forest_rows(
    sources: tuple[Path, FakeFeatureLayer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat, survey = sources
    args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho"]
    args += ["--forest-factors", str(_partial_factor_table(tmp_path / "forest_factors_TEST.csv"))]
    code, _, err = run_cli([*args, "--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat)],
                           monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    data = cat.parent / "data" / "noho"
    manifest = json.loads((data / "manifest.json").read_text())
    files = manifest["files"]

    # The forest code: state 25 (MA) × 100000 + the clipped type group × 10 + the stand age's class.
    with rasterio.open(data / "forest_age_type_region.tif") as ds:
        fcode = ds.read(1)
        assert ds.dtypes[0] == "uint32"
    with rasterio.open(data / "forest_type_group.tif") as g, rasterio.open(data / "stand_age.tif") as a:
        group, age = g.read(1).astype(np.int64), a.read(1).astype(np.int64)
    state, tg, cls = decode_forest_code(fcode)
    coded = fcode > 0
    assert coded.sum() > 1000 and set(np.unique(state[coded])) == {25}
    np.testing.assert_array_equal(tg[coded], group[coded])
    expect_cls = np.where(age <= 20, 1, np.where(age <= 100, 2, 3))
    np.testing.assert_array_equal(cls[coded], expect_cls[coded])
    assert not ((group > 0) & (state_fips_on_grid_of(data) > 0) & ~coded).any()  # every typed pixel coded
    assert set(files["forest_age_type_region.tif"]["inputs"]) >= {"forest_type_group.tif", "stand_age.tif"}

    # The disturbance period 2011-2019: insect 5 under the new-mortality area (the defoliation one is not
    # counted), harvest from the real canopy loss 2011→2016 on NLCD 2011 forest elsewhere, no fire.
    with rasterio.open(data / "disturbance_2011_2019.tif") as ds:
        dist = ds.read(1)
    assert survey.queries and "survey_year IN (2011, 2012" in survey.queries[0]["where"]
    insect = dist == 5
    assert insect.sum() == pytest.approx(1200 * 1200 / 900, rel=0.02)  # pixel centres inside the square
    with rasterio.open(data / "land_cover_2011.tif") as lc, rasterio.open(data / "tree_canopy_2011.tif") as c1, \
            rasterio.open(data / "tree_canopy_2016.tif") as c2:  # fmt: skip
        zero = np.zeros(dist.shape, np.uint8)
        harvest = harvest_codes(c1.read(1), c2.read(1), np.isin(lc.read(1), (41, 42, 43, 90)), zero,
                                np.where(insect, 5, 0), canopy_nodata=c1.nodata)  # fmt: skip
    np.testing.assert_array_equal(dist[~insect], harvest[~insect])
    assert harvest.any() and not (dist == 10).any()
    entry = files["disturbance_2011_2019.tif"]
    assert entry["period"] == [2011, 2019] and entry["requests"] and IDS_KEY in entry["inputs"]

    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    assert region["layers"]["disturbance"]["periods"] == [[2011, 2019]]
    assert region["layers"]["forest_age_type_region"]["path"] == "data/noho/forest_age_type_region.tif"
    assert region["layers"]["forest_age_type_region"]["codes"] == "state_type_age"  # checked when read
    assert NO_FIRE_NOTE in region["description"] and "All forest layers fetched." in region["description"]

    # The inventory: forest rows have areas; the only rows left out are (in part) those of codes the
    # factor table lacks (it has the maple/beech/birch rows only).
    code, out, err = run_cli(["inventory", "--region", "noho", "--boundary", "46330", "--years", "2011", "2019",
                              "--catalog", str(cat)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    rows = {r["type"]: r for r in report["inventory"] if r["category"] == "Forest Remaining Forest"}
    for kind in ("Undisturbed", "Insect/Disease", "Harvest/Other"):
        assert rows[kind]["area_ha"] > 0 and rows[kind]["net_t_co2e_per_yr"] is not None, kind
    assert rows["Fire"]["area_ha"] == 0  # no fire source: no fire pixel
    left_out = report["totals"]["not_estimated"]
    assert left_out and all(n.endswith("(in part: forest without a forest code or factor row left out)")
                            for n in left_out)  # fmt: skip
    lacking = next(w for w in report["warnings"] if "without a factor row" in w)
    listed = {int(c) for c in lacking.split("[", 1)[1].split("]", 1)[0].split(",")}
    assert listed and all(c // 10 != 250800 for c in listed) and all(c // 100000 == 25 for c in listed)


def state_fips_on_grid_of(data: Path) -> np.ndarray:
    with rasterio.open(data / "forest_age_type_region.tif") as ds:
        return state_fips_on_grid(Grid(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height))


def test_disturbance_periods_are_adjacent_land_cover_years_inside_the_inventory() -> None:
    assert disturbance_periods([2001, 2011, 2013, 2016, 2019, 2021], 2011, 2019) == [
        (2011, 2013),
        (2013, 2016),
        (2016, 2019),
    ]
    assert disturbance_periods([2011, 2019], 2011, 2019) == [(2011, 2019)]
    assert disturbance_periods([2011], 2011, 2019) == []


def test_harvest_of_each_period_on_a_hand_computed_grid(tmp_path: Path) -> None:
    """Three land-cover years → two periods; each period's harvest is its canopy pair's loss on the forest
    of the period's start year (no insect source in this catalog: harvest only, and the region says so)."""
    from affine import Affine
    from rasterio.crs import CRS

    grid = Grid(crs=CRS.from_epsg(5070), transform=Affine(30, 0, 0, 0, -30, 300), width=4, height=1)
    layers = {
        "land_cover_2011.tif": [41, 42, 82, 90],  # pixel 2 is cropland in 2011
        "land_cover_2013.tif": [41, 21, 43, 90],  # pixel 1 is developed in 2013, pixel 2 forest
        "land_cover_2016.tif": [41, 21, 43, 90],
        "tree_canopy_2011.tif": [90, 80, 70, 60],
        "tree_canopy_2013.tif": [60, 20, 70, 255],  # 255: no data
        "tree_canopy_2016.tif": [60, 20, 10, 0],
    }
    manifest: dict[str, Any] = {"files": {}}
    for name, values in layers.items():
        layer, year = name.removesuffix(".tif").rsplit("_", 1)
        write_cog(tmp_path / name, np.array([values], np.uint8), grid, nodata=255, categorical=True, tags={})
        sha = sha256_file(tmp_path / name)
        manifest["files"][name] = {"layer": layer, "year": int(year), "sha256": sha, "dataset": "hand"}
    cat = tmp_path / "catalog.yaml"
    cat.write_text("datasets: {}\nregions: {}\n")
    out = derive_forest_layers(
        load_catalog(cat), (2011, 2016), set(), tmp_path, grid, manifest, lambda: "now"
    )
    assert [n for n in out.files] == ["disturbance_2011_2013.tif", "disturbance_2013_2016.tif"]
    read = {n: rasterio.open(tmp_path / n).read(1)[0].tolist() for n in out.files}
    # 2011-2013: losses 30, 60, 0, nodata on 2011 forest (pixel 2 is cropland) → codes 2, 3, 0, 0.
    assert read["disturbance_2011_2013.tif"] == [2, 3, 0, 0]
    # 2013-2016: losses 0, 0, 60, nodata; pixel 1 is no longer forest in 2013 → 0, 0, 3, 0.
    assert read["disturbance_2013_2016.tif"] == [0, 0, 3, 0]
    assert (
        "insect/disease not fetched: no IDS source in the catalog" in out.notes and NO_FIRE_NOTE in out.notes
    )
    # A re-run with the same inputs rewrites nothing.
    again = derive_forest_layers(
        load_catalog(cat), (2011, 2016), set(), tmp_path, grid, manifest, lambda: "x"
    )
    assert {s for _, _, s in again.files.values()} == {"skipped"}
