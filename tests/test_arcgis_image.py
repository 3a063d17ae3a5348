"""The ArcGIS ImageServer ``exportImage`` adapter and BIGMAP carbon pools in ``learn fetch``.

A fake ImageServer (:mod:`fake_arcgis`, real HTTP on 127.0.0.1) plays the two USFS hosts of the catalog's
BIGMAP services under their own URL paths. Its rasters lie on the real Northampton, MA NLCD grid
(``tests/data`` (copied from the real-data folder, each with its SOURCE.md)): carbon pools (short tons C per pixel, synthetic values on the real forest pixels,
nodata on water), forest type group and stand age derived from the real land cover.
"""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from conftest import REALDATA, REPO, run_cli
from fake_arcgis import FakeService, image_server_app, write_raster
from range_server import RangeServer, serve_app

import learn
from learn.errors import LearnError
from learn.raster.cog import CARBON_STORAGE_SCALE, read_values
from learn.sources.arcgis.image import open_image_service
from learn.sources.catalog import DatasetSpec
from learn.sources.nlcd.clip import snapped_grid
from learn.sources.nlcd.wcs import USER_AGENT
from learn.sources.remote import FetchError, source_file

NOHO = REALDATA / "nlcd_northampton_ma"
OUTLINE = NOHO / "northampton_ma_outline.gpkg"
LC = NOHO / "nlcd_2019_land_cover.tif"
HOSTS = ("https://imagery.geoplatform.gov", "https://di-usfsdata.img.arcgis.com")
CATALOG = yaml.safe_load((REPO / "data_catalog.yaml").read_text(encoding="utf-8"))["datasets"]
BIGMAP = {k: v for k, v in CATALOG.items() if k.startswith("bigmap_") and k != "bigmap_carbon"}
POOLS = {k: v for k, v in BIGMAP.items() if "carbon_component_of" in v}
NODATA = np.float32(-3.4028235e38)  # ArcGIS's F32 nodata
FOREST = (41, 42, 43, 90)


def _path(url: str) -> str:
    """The URL path of a service before ``/ImageServer`` (what the fake keys services by)."""
    return url.split("://", 1)[1].split("/", 1)[1].removesuffix("/ImageServer")


@pytest.fixture(scope="module")
def rasters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Raster function (per dataset key) → GeoTIFF on the real land-cover grid."""
    d = tmp_path_factory.mktemp("bigmap")
    with rasterio.open(LC) as ds:
        lc = ds.read(1)
    forest = np.isin(lc, FOREST)
    rng = np.random.default_rng(12)
    out: dict[str, Path] = {}
    for i, key in enumerate(POOLS):  # short tons C per pixel, a different field per pool
        v = np.where(forest, rng.uniform(0.05, 1.0 + i, lc.shape), 0).astype(np.float32)
        v[lc == 11] = NODATA  # open water: nodata, as masked services have
        out[key] = write_raster(d / f"{key}.tif", v, LC, float(NODATA))
    groups = np.select([lc == 41, lc == 42, lc == 43, lc == 90], [500, 100, 800, 700], 0).astype(np.uint16)
    out["bigmap_forest_type_group"] = write_raster(d / "ftg.tif", groups, LC, None)
    age = np.where(forest, rng.integers(5, 160, lc.shape), 0).astype(np.uint16)
    out["bigmap_stand_age"] = write_raster(d / "age.tif", age, LC, None)
    return out


def _services(rasters: dict[str, Path], host: int, **kw: Any) -> dict[str, FakeService]:
    """The catalog's BIGMAP services as they would sit on ``HOSTS[host]`` (same URL paths)."""
    by_url: dict[str, FakeService] = {}
    for key, entry in BIGMAP.items():
        url = entry["href"][host]
        fn = (entry.get("rendering_rule") or {"rasterFunction": "None"})["rasterFunction"]
        svc = by_url.setdefault(url, FakeService(rasters={}, description=entry["title"], **kw))
        svc.rasters[fn] = rasters[key]
        svc.descriptions[fn] = f"{fn} Carbon - Tons per pixel" if key in POOLS else fn
    return {_path(u): s for u, s in by_url.items()}


@pytest.fixture
def two_hosts(rasters: dict[str, Path]) -> Iterator[tuple[RangeServer, RangeServer, dict[str, FakeService]]]:
    a, b = _services(rasters, 0), _services(rasters, 1)
    with serve_app(image_server_app(a), Path(".")) as s1, serve_app(image_server_app(b), Path(".")) as s2:
        yield s1, s2, {**{f"0:{k}": v for k, v in a.items()}, **{f"1:{k}": v for k, v in b.items()}}


def _catalog(dest: Path, s1: RangeServer, s2: RangeServer) -> Path:
    """The repo's BIGMAP datasets pointed at the two fake hosts, land cover from the real file on disk."""
    text = yaml.safe_dump({"datasets": BIGMAP}, sort_keys=False)
    text = text.replace(HOSTS[0], s1.url).replace(HOSTS[1], s2.url)
    datasets = yaml.safe_load(text)["datasets"]
    datasets["noho_lc"] = {"title": "real NLCD Northampton clip", "href": str(NOHO / "nlcd_{year}_land_cover.tif"),
                           "kind": "categorical", "fetch_layer": "land_cover", "years": [2011, 2019],
                           "license": "public domain", "citation": "USGS NLCD (clip, see SOURCE.md)"}  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    cat = dest / "catalog.yaml"
    cat.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
    return cat


def _window(path: Path, like: Path) -> np.ndarray:
    """``path`` read on the grid of the file ``like`` (both on the NLCD grid)."""
    with rasterio.open(like) as g, rasterio.open(path) as ds:
        win = rasterio.windows.from_bounds(*g.bounds, ds.transform)
        return ds.read(1, window=win, boundless=True, fill_value=ds.nodata or 0)


def test_fetch_sums_the_bigmap_pools_into_learn_carbon_layers(
    two_hosts: tuple[RangeServer, RangeServer, dict[str, FakeService]],
    rasters: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s1, s2, _ = two_hosts
    cat = _catalog(tmp_path / "project", s1, s2)
    args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho"]
    args += ["--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat)]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    data = cat.parent / "data" / "noho"
    manifest = json.loads((data / "manifest.json").read_text())

    # Each LEARN layer = the sum of its pools × 0.90718474 / 0.09, pixel for pixel; nodata where a pool is.
    scale = np.float32(0.90718474 / 0.09)
    for layer in ("carbon_live", "carbon_dead_litter", "carbon_soil"):
        keys = [k for k, v in POOLS.items() if v["carbon_component_of"] == layer]
        parts = [_window(rasters[k], data / f"{layer}.tif") for k in keys]
        missing = np.any([p == NODATA for p in parts], axis=0)
        expected = np.sum([(np.where(p == NODATA, 0, p) * scale).astype(np.float64) for p in parts], axis=0)
        got = read_values(data / f"{layer}.tif")  # stored as uint16 steps of 0.02 t C/ha (learn.raster.cog)
        assert np.isnan(got[missing]).all() and missing.any()
        # Half a storage step at most (0.01 t C/ha), besides float32 rounding of the sum.
        np.testing.assert_allclose(
            got[~missing], expected[~missing], rtol=1e-6, atol=CARBON_STORAGE_SCALE / 2
        )
        entry = manifest["files"][f"{layer}.tif"]
        assert [c["dataset"] for c in entry["components"]] == keys
        for c, k in zip(entry["components"], keys, strict=True):
            fn = POOLS[k]["rendering_rule"]["rasterFunction"]
            assert c["rendering_rule"] == json.dumps({"rasterFunction": fn}, separators=(",", ":"))
            assert any("exportImage" in r and "renderingRule" in r for r in c["requests"])
    assert {len(POOLS[k]["carbon_component_of"]) for k in POOLS}  # eight pools, three layers
    assert sorted({v["carbon_component_of"] for v in POOLS.values()}) == ["carbon_dead_litter", "carbon_live",
                                                                         "carbon_soil"]  # fmt: skip
    assert len(POOLS) == 8

    # Forest type group and stand age: clipped as they are (inputs of the forest code), not region layers.
    for name, key in (("forest_type_group", "bigmap_forest_type_group"), ("stand_age", "bigmap_stand_age")):
        with rasterio.open(data / f"{name}.tif") as ds:
            assert np.array_equal(ds.read(1), _window(rasters[key], data / f"{name}.tif"))
        assert manifest["files"][f"{name}.tif"]["how"] == "arcgis_image"
    # Every request came from the project's User-Agent, to the first host only (it did not refuse).
    assert all(h.get("user-agent") == USER_AGENT for h in s1.traffic.last_headers.values())
    assert s1.traffic.requests and not s2.traffic.requests

    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    # No canopy and no insect source here: no disturbance layer; the forest code is derived from the two inputs.
    assert set(region["layers"]) == {"land_cover", "carbon_live", "carbon_dead_litter", "carbon_soil",
                                     "forest_age_type_region"}  # fmt: skip
    assert region["layers"]["carbon_live"]["units"] == "t C/ha"
    report = learn.open_region("noho", cat).inventory("46330", (2011, 2019))
    assert not [w for w in report.warnings if "no carbon pool layers" in w]


def test_scale_is_the_services_own_unit_per_its_metadata(
    two_hosts: tuple[RangeServer, RangeServer, dict[str, FakeService]],
) -> None:
    """The catalog's scale converts what the service says it serves (tons per 30 m pixel) to t C/ha."""
    s1, _, _ = two_hosts
    url = POOLS["bigmap_carbon_litter"]["href"][0].replace(HOSTS[0], s1.url)
    with urllib.request.urlopen(f"{url}?f=json") as r:
        info = json.loads(r.read())
    pixel_ha = info["pixelSizeX"] * info["pixelSizeY"] / 10_000
    for entry in POOLS.values():
        fn = entry["rendering_rule"]["rasterFunction"]
        said = next(f["description"] for f in info["rasterFunctionInfos"] if f["name"] == fn)
        assert entry["service_units"] in said.lower()  # "tons per pixel"
        assert entry["scale"] == pytest.approx(0.90718474 / pixel_ha, rel=1e-12)  # short ton → t, per ha
        assert entry["units"] == "t C/ha"


def _src(key: str, s1: RangeServer, s2: RangeServer | None, **change: Any) -> Any:
    """The source of dataset ``key`` on the fake host(s): the first only when ``s2`` is None."""
    entry = {**BIGMAP[key], **change}
    hrefs = entry["href"] if s2 is not None else entry["href"][:1]
    entry["href"] = [h.replace(HOSTS[0], s1.url).replace(HOSTS[1], (s2 or s1).url) for h in hrefs]
    return source_file(key, DatasetSpec.model_validate(entry), None)


@pytest.fixture
def grid() -> Any:
    bounds = tuple(float(v) for v in gpd.read_file(OUTLINE).to_crs(5070).total_bounds)
    with rasterio.open(LC) as ds:
        return snapped_grid(bounds, 300, (ds.transform.c, ds.transform.f))


def test_blocks_within_the_service_limit_mosaic_to_the_single_request(
    rasters: dict[str, Path], grid: Any
) -> None:
    big = _services(rasters, 0)
    small = _services(rasters, 0, max_image=128)  # its metadata says 128 px a side at most
    with (
        serve_app(image_server_app(big), Path(".")) as s1,
        serve_app(image_server_app(small), Path(".")) as s2,
    ):
        one = _src("bigmap_carbon_soil_organic", s1, None)
        many = _src("bigmap_carbon_soil_organic", s2, None)
        with open_image_service(one, grid) as a, open_image_service(many, grid) as b:
            assert a.shape == b.shape == (grid.height, grid.width)
            assert np.array_equal(a.read(1), b.read(1)) and (a.read(1) != NODATA).any()
    svc = next(s for s in small.values() if "Soil Organic" in s.rasters)
    exports = [q for q in svc.requests if q["path"].endswith("/exportImage")]
    assert len(exports) == math.ceil(grid.width / 128) * math.ceil(grid.height / 128) > 1
    assert all(max(int(v) for v in q["size"].split(",")) <= 128 for q in exports)
    q = exports[0]
    assert q["bboxSR"] == q["imageSR"] == "5070" and q["pixelType"] == "F32" and q["format"] == "tiff"


def _fails(src: Any, grid: Any, **kw: Any) -> str:
    with pytest.raises(FetchError) as err, open_image_service(src, grid, **kw):
        pass
    assert isinstance(err.value, LearnError) and err.value.hint
    return str(err.value)


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("html", "answered no GeoTIFF: <html><body>Service temporarily unavailable"),
        ("shifted", "not the requested"),
    ],
)
def test_a_bad_answer_is_refused_with_what_came(
    rasters: dict[str, Path], grid: Any, mode: str, says: str
) -> None:
    with serve_app(image_server_app(_services(rasters, 0, mode=mode)), Path(".")) as s1:
        assert says in _fails(_src("bigmap_carbon_litter", s1, None), grid)


def test_the_services_json_error_text_is_shown(rasters: dict[str, Path], grid: Any) -> None:
    """An image over what the server really accepts: ArcGIS's JSON error (HTTP 200) is the message."""
    with serve_app(image_server_app(_services(rasters, 0, accept_max=64)), Path(".")) as s1:
        msg = _fails(_src("bigmap_carbon_litter", s1, None), grid)
    assert "error 400: Unable to complete operation. (Requested image exceeds the size limit.)" in msg


def test_an_unknown_raster_function_lists_the_offered_ones(rasters: dict[str, Path], grid: Any) -> None:
    with serve_app(image_server_app(_services(rasters, 0)), Path(".")) as s1:
        msg = _fails(_src("bigmap_carbon_litter", s1, None, rendering_rule={"rasterFunction": "Liter"}), grid)
    assert "no raster function 'Liter'" in msg and "Litter" in msg and "Down Dead" in msg


def test_a_service_whose_units_changed_is_refused(rasters: dict[str, Path], grid: Any) -> None:
    services = _services(rasters, 0)
    for svc in services.values():
        svc.descriptions = {
            k: v.replace("Tons per pixel", "Tons per acre") for k, v in svc.descriptions.items()
        }
    with serve_app(image_server_app(services), Path(".")) as s1:
        msg = _fails(_src("bigmap_carbon_litter", s1, None), grid)
    assert "no longer says its values are 'tons per pixel'" in msg and "Tons per acre" in msg


def test_a_refusing_host_hands_over_to_the_second(rasters: dict[str, Path], grid: Any) -> None:
    first, second = _services(rasters, 0, mode="refuse"), _services(rasters, 1)
    with (
        serve_app(image_server_app(first), Path(".")) as s1,
        serve_app(image_server_app(second), Path(".")) as s2,
    ):
        with open_image_service(_src("bigmap_carbon_litter", s1, s2), grid, backoff_s=0.01) as ds:
            direct = _window(rasters["bigmap_carbon_litter"], LC)
            assert ds.shape == (grid.height, grid.width) and (ds.read(1) != NODATA).any()
        assert s1.traffic.requests and s2.traffic.requests
        both = _services(rasters, 1, mode="refuse")
        with serve_app(image_server_app(both), Path(".")) as s3:
            msg = _fails(_src("bigmap_carbon_litter", s1, s3), grid, backoff_s=0.01)
    assert "every host refused" in msg and msg.count("HTTP 403") == 2 and s1.url in msg and s3.url in msg
    assert direct.size


def test_a_slow_host_times_out_and_a_busy_one_is_retried(rasters: dict[str, Path], grid: Any) -> None:
    with serve_app(image_server_app(_services(rasters, 0, mode="slow")), Path(".")) as s1:
        msg = _fails(_src("bigmap_carbon_litter", s1, None), grid, timeout_s=0.3, retries=1, backoff_s=0.01)
    assert "no answer within 0.3 s (after 2 attempts)" in msg
    flaky = _services(rasters, 0, mode="flaky")  # 503 twice, then answers
    with (
        serve_app(image_server_app(flaky), Path(".")) as s1,
        open_image_service(_src("bigmap_carbon_litter", s1, None), grid, backoff_s=0.01) as ds,
    ):
        assert (ds.read(1) != NODATA).any()
    with serve_app(image_server_app(_services(rasters, 0, mode="flaky")), Path(".")) as s1:
        msg = _fails(_src("bigmap_carbon_litter", s1, None), grid, retries=1, backoff_s=0.01)
    assert "HTTP 503" in msg


def test_catalog_faults_of_an_image_dataset_name_the_key(tmp_path: Path) -> None:
    spec = lambda **kw: DatasetSpec.model_validate({**BIGMAP["bigmap_carbon_litter"], **kw})  # noqa: E731
    with pytest.raises(LearnError, match="not an image service URL"):
        source_file("x", spec(href="https://example.org/data.tif"), None)
    with pytest.raises(LearnError, match="scale 'ten' is not a positive number"):
        source_file("x", spec(scale="ten"), None)
    with pytest.raises(LearnError, match="rendering_rule is not JSON"):
        source_file("x", spec(rendering_rule="{rasterFunction: Litter"), None)
    mosaic = {"mosaicMethod": "esriMosaicLockRaster", "lockRasterIds": ["{year}"]}
    src = source_file("x", spec(mosaic_rule=mosaic), 2019)
    assert (
        src.image is not None
        and src.image.mosaic_rule == '{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":["2019"]}'
    )
    cog = {k: v for k, v in CATALOG["annual_nlcd_land_cover"].items()}
    with pytest.raises(LearnError, match="only an ArcGIS image service"):
        source_file("y", DatasetSpec.model_validate({**cog, "href": ["a.tif", "b.tif"]}), 2019)


@pytest.mark.parametrize("text", ["Metric tons per pixel", "Long Tons per pixel", "Kilotons per pixel"])
def test_learn_fetch_refuses_a_service_saying_other_tons(
    rasters: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    text: str,
) -> None:  # fmt: skip
    """Metric tons per pixel would be 1.10 x the short tons the scale assumes: exit 2 with the service, the text and
    the fix; nothing of the region is written (the rule of learn.sources.service_units, as learn sources check)."""
    a, b = _services(rasters, 0), _services(rasters, 1)
    for svc in [*a.values(), *b.values()]:
        svc.descriptions = {k: v.replace("Tons per pixel", text) for k, v in svc.descriptions.items()}
    with serve_app(image_server_app(a), Path(".")) as s1, serve_app(image_server_app(b), Path(".")) as s2:
        cat = _catalog(tmp_path / "project", s1, s2)
        args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho"]
        code, _, err = run_cli(
            [*args, "--id-field", "COUSUBFP10", "--catalog", str(cat)], monkeypatch, capsys
        )
    assert code == 2, err
    assert "bigmap_carbon_" in err and s1.url in err and text in err and "not the short tons per pixel" in err
    assert "scale" in err and "service_units" in err  # the fix
    if text.startswith("Metric"):
        assert "11.11111111" in err and "1.102 x as much carbon" in err
    assert "noho" not in (yaml.safe_load(cat.read_text()).get("regions") or {})
