"""Fire from MTBS and LEARN's adjacent-year periods in ``learn fetch``.

End to end over real HTTP on 127.0.0.1: a fake MTBS ImageServer (:mod:`fake_arcgis`, one raster per year picked
by ``mosaicRule``, as the USFS EDW MTBS service holds them) with two synthetic burns on the real Northampton, MA
grid, and a range-request file server with the real NLCD land cover (2011, 2013, 2016, 2019) and tree canopy
(2011, 2016) clips of ``tests/data`` (copied from the real-data folder, each with its SOURCE.md). Plus hand-computed checks of the plan and of a period's fire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from conftest import REPO, run_cli
from fake_arcgis import FakeService, image_server_app, write_raster
from range_server import serve_app, serve_directory
from rasterio.crs import CRS
from rasterio.windows import from_bounds
from test_arcgis_image import BIGMAP, HOSTS, LC, NOHO, OUTLINE, _services, rasters  # noqa: F401
from test_forest_layers import _partial_factor_table

from learn.raster.cog import write_cog
from learn.raster.grid import Grid
from learn.sources.catalog import DatasetSpec, load_catalog
from learn.sources.fetch_plan import canopy_years, inventory_years
from learn.sources.forest_derive import harvest_codes
from learn.sources.forest_layers import derive_forest_layers, period_fire
from learn.sources.remote import FetchError
from learn.util import sha256_file

MTBS = yaml.safe_load((REPO / "data_catalog.yaml").read_text(encoding="utf-8"))["datasets"][
    "mtbs_burn_severity"
]
MTBS_HOST = "https://imagery.geoplatform.gov"
FOREST = (41, 42, 43, 90)


def _spec(**kw: Any) -> DatasetSpec:
    return DatasetSpec(title="t", href="x", kind="categorical", license="l", citation="c", **kw)


# --- the plan: inventory years and canopy years ------------------------------------------------------------------
def test_land_cover_years_are_the_listed_inventory_years_inside_the_request() -> None:
    annual = _spec(years=list(range(2001, 2025)), inventory_years=[2001, 2004, 2011, 2013, 2016, 2019, 2021])
    assert inventory_years("k", annual, 2011, 2019) == [2011, 2013, 2016, 2019]
    assert inventory_years("k", annual, 2012, 2018) == [2012, 2013, 2016, 2018]  # the ends always count
    listed_only = _spec(years=[2011, 2013, 2016, 2019])
    # No list: every published year.
    assert inventory_years("k", listed_only, 2011, 2016) == [2011, 2013, 2016]
    with pytest.raises(FetchError, match="inventory_years must be a list of years"):
        inventory_years("k", _spec(years=[2011, 2019], inventory_years="2013"), 2011, 2019)


def test_canopy_years_are_the_union_of_each_periods_pair() -> None:
    # 2011-2013 → (2011, 2013), 2013-2016 → (2013, 2016), 2016-2019 → (2016, 2019).
    assert canopy_years([2011, 2013, 2016, 2019, 2021], [2011, 2013, 2016, 2019]) == [2011, 2013, 2016, 2019]
    # Canopy 2011 and 2016 only: (2011, 2016) for the first two periods, none for 2016-2019.
    assert canopy_years([2011, 2016], [2011, 2013, 2016, 2019]) == [2011, 2016]


# --- a period's fire by hand ----------------------------------------------------------------------------------
def test_period_fire_is_the_max_of_its_years_moderate_and_high_only(tmp_path: Path) -> None:
    grid = Grid(crs=CRS.from_epsg(5070), transform=Affine(30, 0, 0, 0, -30, 300), width=5, height=1)
    years = {2011: [0, 0, 0, 0, 0], 2012: [3, 0, 1, 0, 6], 2013: [0, 4, 2, 5, 0], 2015: [4, 4, 4, 4, 4]}
    files = {}
    for y, v in years.items():
        files[y] = f"fire_severity_{y}.tif"
        write_cog(tmp_path / files[y], np.array([v], np.uint8), grid, nodata=None, categorical=True, tags={})
    fire, used = period_fire(tmp_path, files, (2011, 2013))
    assert used == [2011, 2012, 2013] and fire is not None
    # low (1, 2) and increased greenness (5) → no fire; non-mapping (6) → 9, fire not estimated.
    assert fire[0].tolist() == [10, 10, 0, 0, 9]
    # A year of the period without a mosaic: fire not estimated wherever no other year burned.
    fire, used = period_fire(tmp_path, {y: files[y] for y in (2012, 2013)}, (2011, 2013))
    assert used == [2012, 2013] and fire is not None and fire[0].tolist() == [10, 10, 9, 9, 9]
    fire, used = period_fire(tmp_path, files, (2013, 2016))  # 2013 belongs to both periods, as in LEARN
    assert used == [2013, 2015] and fire is not None and fire[0].tolist() == [10] * 5
    assert period_fire(tmp_path, files, (2016, 2019)) == (None, [])


# --- end to end over HTTP -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def burns(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """MTBS mosaics 2011-2019 on the real grid: a burn in 2012 (classes 1-4 in bands) and one in 2017 (4, 5)."""
    d = tmp_path_factory.mktemp("mtbs")
    with rasterio.open(LC) as ds:
        h, w = ds.shape
    out = {}
    for year in range(2011, 2020):
        sev = np.zeros((h, w), np.uint8)
        if year == 2012:
            sev[h // 4 : h // 4 + 40, w // 4 : w // 4 + 80] = np.repeat([1, 2, 3, 4], 20)[None, :]
        if year == 2017:
            sev[h // 2 : h // 2 + 30, w // 2 : w // 2 + 30] = 4
            sev[h // 2 : h // 2 + 30, w // 2 + 30 : w // 2 + 60] = 5
        out[year] = write_raster(d / f"mtbs_{year}.tif", sev, LC, None)
    return out


@pytest.fixture
def fire_catalog(
    burns: dict[int, Path],
    rasters: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[Path, FakeService]]:
    """The catalog's MTBS and BIGMAP services on one local ImageServer host, NLCD clips on a file server."""
    path = MTBS["href"].split("://", 1)[1].split("/", 1)[1].removesuffix("/ImageServer")
    svc = FakeService(rasters={"None": burns[2011]}, mosaic={f"mtbs_CONUS_{y}": p for y, p in burns.items()},
                      description="MTBS annual burn severity mosaics")  # fmt: skip
    services = {**_services(rasters, 0), path: svc}
    with serve_app(image_server_app(services), Path(".")) as image, serve_directory(NOHO) as files:
        common = {
            "kind": "categorical",
            "license": "public domain",
            "citation": "USGS NLCD (clip, SOURCE.md)",
        }
        datasets: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BIGMAP).replace(HOSTS[0], image.url))
        datasets |= {
            "mtbs_burn_severity": {**MTBS, "href": MTBS["href"].replace(MTBS_HOST, image.url)},
            "noho_lc": {"title": "real NLCD land cover clip", "fetch_layer": "land_cover", **common,
                        "href": f"{files.url}/nlcd_{{year}}_land_cover.tif", "years": [2011, 2013, 2016, 2019]},
            "noho_tc": {"title": "real NLCD tree canopy clip", "fetch_layer": "tree_canopy", **common,
                        "href": f"{files.url}/nlcd_{{year}}_tree_canopy.tif", "years": [2011, 2016],
                        "kind": "continuous"},
        }  # fmt: skip
        cat = tmp_path / "project" / "catalog.yaml"
        cat.parent.mkdir()
        cat.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
        yield cat, svc


def test_fetch_makes_learns_periods_with_fire_from_mtbs(
    fire_catalog: tuple[Path, FakeService],
    burns: dict[int, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat, svc = fire_catalog
    args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho",
            "--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat)]  # fmt: skip
    args += ["--forest-factors", str(_partial_factor_table(cat.parent / "forest_factors_TEST.csv"))]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    data = cat.parent / "data" / "noho"
    files = json.loads((data / "manifest.json").read_text())["files"]
    # Land cover of every inventory year inside 2011-2019, the canopy pair of the periods, a mosaic a year.
    assert {n for n in files if n.startswith("land_cover_")} == {
        f"land_cover_{y}.tif" for y in (2011, 2013, 2016, 2019)
    }
    assert {n for n in files if n.startswith("tree_canopy_")} == {
        "tree_canopy_2011.tif",
        "tree_canopy_2016.tif",
    }
    assert {n for n in files if n.startswith("fire_severity_")} == {
        f"fire_severity_{y}.tif" for y in range(2011, 2020)
    }
    asked = [json.loads(r["mosaicRule"])["where"] for r in svc.requests if "mosaicRule" in r]
    assert sorted(asked) == [f"name='mtbs_CONUS_{y}'" for y in range(2011, 2020)]
    assert all(
        json.loads(r["renderingRule"]) == {"rasterFunction": "None"} for r in svc.requests if "size" in r
    )

    read = lambda name: rasterio.open(data / name).read(1)  # noqa: E731
    with rasterio.open(data / "land_cover_2011.tif") as ds:
        bounds = ds.bounds
    for y, src in burns.items():  # the clip is the service's raster, cut to the region's grid
        with rasterio.open(src) as ds:
            want = ds.read(1, window=from_bounds(*bounds, ds.transform))
        np.testing.assert_array_equal(read(f"fire_severity_{y}.tif"), want)
    sev2012, sev2017 = read("fire_severity_2012.tif"), read("fire_severity_2017.tif")
    canopy = {y: read(f"tree_canopy_{y}.tif") for y in (2011, 2016)}
    nodata = rasterio.open(data / "tree_canopy_2011.tif").nodata
    zero = np.zeros(sev2012.shape, np.uint8)
    for (a, b), sev in {(2011, 2013): sev2012, (2013, 2016): zero, (2016, 2019): sev2017}.items():
        dist = read(f"disturbance_{a}_{b}.tif")
        fire = np.isin(sev, (3, 4))
        np.testing.assert_array_equal(dist == 10, fire)
        forest = np.isin(read(f"land_cover_{a}.tif"), FOREST)
        fire_code = np.where(fire, 10, 0).astype(np.uint8)
        if b <= 2016:  # the canopy pair (2011, 2016) serves both early periods; none reaches 2019
            harvest = harvest_codes(canopy[2011], canopy[2016], forest, fire_code, zero, canopy_nodata=nodata)
        else:
            harvest = zero
        np.testing.assert_array_equal(dist[~fire], harvest[~fire])
    assert (read("disturbance_2011_2013.tif") == 10).sum() == 40 * 40  # classes 3 and 4 of the 2012 burn

    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    assert region["layers"]["land_cover"]["years"] == [2011, 2013, 2016, 2019]
    assert region["layers"]["disturbance"]["periods"] == [[2011, 2013], [2013, 2016], [2016, 2019]]
    assert "fire not fetched" not in region["description"]
    assert "harvest 2016-2019 not derived" in region["description"]

    # The inventory of 2011-2019 combines the periods: fire where either burn was moderate or high.
    code, out, err = run_cli(["inventory", "--region", "noho", "--boundary", "46330", "--years", "2011", "2019",
                              "--catalog", str(cat)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    fire_row = next(r for r in report["inventory"] if r["category"] == "Forest Remaining Forest"
                    and r["type"] == "Fire")  # fmt: skip
    burned = sum((read(f"disturbance_{a}_{b}.tif") == 10).sum() for a, b in ((2011, 2013), (2016, 2019)))
    assert 0 < fire_row["area_ha"] <= burned * 0.09 and fire_row["emissions_t_co2e_per_yr"] > 0
    assert not any(
        "disturbance (fire, insect/disease, harvest) not computed" in w for w in report["warnings"]
    )

    # A re-run asks the service nothing again.
    before = len(svc.requests)
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    assert len(svc.requests) == before


def test_a_period_without_published_mosaics_says_so(tmp_path: Path) -> None:
    """MTBS lags: where no other year burned, years the dataset does not publish make fire not estimated (9),
    and the region's notes say which."""
    grid = Grid(crs=CRS.from_epsg(5070), transform=Affine(30, 0, 0, 0, -30, 300), width=2, height=1)
    manifest: dict[str, Any] = {"files": {}}
    for name, values in {"land_cover_2021.tif": [41, 41], "land_cover_2025.tif": [41, 41],
                         "fire_severity_2022.tif": [4, 0]}.items():  # fmt: skip
        layer, year = name.removesuffix(".tif").rsplit("_", 1)
        write_cog(tmp_path / name, np.array([values], np.uint8), grid, nodata=None, categorical=True, tags={})
        manifest["files"][name] = {"layer": layer, "year": int(year), "sha256": sha256_file(tmp_path / name)}
    cat = tmp_path / "catalog.yaml"
    cat.write_text(yaml.safe_dump({"datasets": {"mtbs": {**MTBS, "years": [2021, 2022]}}, "regions": {}}))
    out = derive_forest_layers(load_catalog(cat), (2021, 2025), set(), tmp_path, grid, manifest, lambda: "t")
    assert rasterio.open(tmp_path / "disturbance_2021_2025.tif").read(1)[0].tolist() == [10, 9]
    note = next(n for n in out.notes if n.startswith("fire 2021-2025"))
    assert "no MTBS mosaic for 2021, 2023, 2024, 2025 in 'mtbs'" in note and "not estimated" in note


def test_non_mapping_areas_and_a_missing_year_make_fire_not_estimated_in_the_report(
    rasters: dict[str, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """MTBS class 6 (non-mapping area) in 2014 and no mosaic for 2018: fire is "not estimated" there (code 9,
    counted as undisturbed as LEARN does), never a silent 0; the report's totals say so. Class 5 (increased
    greenness) is no fire. The service is asked noData=0."""
    with rasterio.open(LC) as ds:
        h, w = ds.shape
    mosaics = {}
    for year in [y for y in range(2011, 2020) if y != 2018]:
        sev = np.zeros((h, w), np.uint8)
        if year == 2014:
            sev[h // 3 : h // 3 + 50, w // 3 : w // 3 + 50] = 6
            sev[h // 3 : h // 3 + 50, w // 3 + 50 : w // 3 + 100] = 5
        mosaics[f"mtbs_CONUS_{year}"] = write_raster(tmp_path / f"mtbs_{year}.tif", sev, LC, None)
    path = MTBS["href"].split("://", 1)[1].split("/", 1)[1].removesuffix("/ImageServer")
    svc = FakeService(rasters={"None": mosaics["mtbs_CONUS_2011"]}, mosaic=mosaics, description="MTBS")
    with serve_app(image_server_app({**_services(rasters, 0), path: svc}), Path(".")) as image, \
            serve_directory(NOHO) as files:  # fmt: skip
        datasets: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BIGMAP).replace(HOSTS[0], image.url))
        years = [y for y in MTBS["years"] if y != 2018]
        datasets["mtbs_burn_severity"] = {
            **MTBS,
            "href": MTBS["href"].replace(MTBS_HOST, image.url),
            "years": years,
        }
        datasets["noho_lc"] = {"title": "real NLCD land cover clip", "fetch_layer": "land_cover", "kind": "categorical",
                               "license": "public domain", "citation": "USGS NLCD (clip, SOURCE.md)",
                               "href": f"{files.url}/nlcd_{{year}}_land_cover.tif", "years": [2011, 2013, 2016, 2019]}  # fmt: skip
        cat = tmp_path / "project" / "catalog.yaml"
        cat.parent.mkdir()
        cat.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
        args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho",
                "--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat),
                "--forest-factors", str(_partial_factor_table(cat.parent / "forest_factors_TEST.csv"))]  # fmt: skip
        code, _, err = run_cli(args, monkeypatch, capsys)
        assert code == 0, err
    assert {r.get("noData") for r in svc.requests if "size" in r} == {"0"}
    data = cat.parent / "data" / "noho"
    read = lambda name: rasterio.open(data / name).read(1)  # noqa: E731
    sev2014 = read("fire_severity_2014.tif")
    middle = read("disturbance_2013_2016.tif")
    assert (middle[sev2014 == 6] == 9).all() and (sev2014 == 6).sum() == 50 * 50
    assert not np.isin(middle[sev2014 == 5], [9, 10]).any()  # increased greenness: no fire
    late = read("disturbance_2016_2019.tif")
    assert set(np.unique(late).tolist()) == {9}  # no fire known, 2018 unmapped: not estimated everywhere
    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    assert "no MTBS mosaic for 2018" in region["description"]

    code, out, err = run_cli(["inventory", "--region", "noho", "--boundary", "46330", "--years", "2011", "2019",
                              "--catalog", str(cat)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    fire = [
        n
        for n in report["totals"]["not_estimated"]
        if n.startswith("Forest Remaining Forest — Fire (in part: ")
    ]
    assert fire and "MTBS did not map" in fire[0] and report["totals"]["complete"] is False
    assert any(w.startswith("fire not estimated on ") for w in report["warnings"])
    rows = {r["type"]: r for r in report["inventory"] if r["category"] == "Forest Remaining Forest"}
    assert rows["Fire"]["area_ha"] == 0 and rows["Undisturbed"]["area_ha"] > 0
