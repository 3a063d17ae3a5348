"""Image services as the public record says they answer (issue 22, re-audit R7).

Against the fake ImageServer of :mod:`fake_arcgis` (real HTTP on 127.0.0.1) on the real Northampton, MA NLCD grid:

* stand age is fractional (BIGMAP ``Stand_age`` maxValues 322.98941): read as F32 and classed from the float value
  (19.6 → 1, 20.4 → 2, 20.6 → 2, 100.5 → 3); an integer ``pixelType`` on a float service is refused;
* NoData from the service: its ``noDataValue(s)`` (or the catalog's ``no_data``) sent as ``noData=`` and NoData in
  the answer with or without a NoData tag, for the sentinels −9999, 0 and −3.4e38;
* a service stored in Web Mercator answers pixel-exact on the NLCD grid;
* a value outside the layer's domain (a carbon pool of −|v|×1e30) is refused by ``learn fetch`` (exit 2: layer,
  value, pixel count, URL); nothing of it is stored, the manifest labels what was written as a resumable fetch and
  the same command, once the service is right, reuses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import yaml
from conftest import run_cli
from fake_arcgis import FakeService, image_server_app, write_raster
from range_server import serve_app
from test_arcgis_image import BIGMAP, LC, OUTLINE, _catalog, _path, _services, _src, _window, grid, rasters  # noqa: F401

from learn.sources.arcgis.image import _number, open_image_service
from learn.sources.domains import DOMAINS, domain_fault
from learn.sources.forest_derive import age_class
from learn.sources.manifest import _grid_from_doc
from learn.sources.remote import FetchError

SCALE = np.float32(0.90718474 / 0.09)
AGE = "bigmap_stand_age"
LITTER = "bigmap_carbon_litter"


def _lc() -> np.ndarray:
    with rasterio.open(LC) as ds:
        return ds.read(1)


def _on_grid(path: Path, on: Any) -> np.ndarray:
    """``path`` (on the NLCD grid) cut to the grid ``on`` (the outline's box, snapped to the NLCD pixels)."""
    with rasterio.open(path) as ds:
        return ds.read(1, window=rasterio.windows.from_bounds(*on.bounds, ds.transform))


def _service(key: str, path: Path, **kw: Any) -> tuple[dict[str, FakeService], FakeService]:
    """The BIGMAP services on one host, every raster function serving ``path``; the one of dataset ``key``
    with the attributes ``kw`` (its NoData, tags, spatial reference)."""
    services = _services(dict.fromkeys(BIGMAP, path), 0)
    svc = services[_path(BIGMAP[key]["href"][0])]
    for name, value in kw.items():
        setattr(svc, name, value)
    return services, svc


# ---- 1. stand age is fractional --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fractional stand ages (F32) on the forest of the real grid, some at 19.6, 20.4, 20.6 and 100.5 years."""
    lc = _lc()
    rng = np.random.default_rng(22)
    age = rng.uniform(1.0, 160.0, lc.shape).astype(np.float32)
    near = rng.choice([19.6, 20.4, 20.6, 99.5, 100.5, 100.4], lc.shape).astype(np.float32)
    age = np.where(rng.random(lc.shape) < 0.3, near, age)
    age[:4, 0] = [19.6, 20.4, 20.6, 100.5]
    age[lc == 11] = np.float32(-3.4028235e38)  # open water: no data (no NoData tag is sent, see below)
    return write_raster(tmp_path_factory.mktemp("age") / "age.tif", age, LC, -3.4028235e38)


def test_stand_age_is_read_as_float_and_classed_from_the_float_value(ages: Path, grid: Any) -> None:  # noqa: F811
    services, svc = _service(AGE, ages, tag_nodata=False)  # the answer carries no NoData tag
    with serve_app(image_server_app(services), Path(".")) as s1:
        with open_image_service(_src(AGE, s1, None), grid) as ds:
            got, nodata = ds.read(1), ds.nodata
            assert ds.dtypes[0] == "float32"
        asked = [q for q in svc.requests if q["path"].endswith("/exportImage")]
        assert asked and all(q["pixelType"] == "F32" and q["noData"] == "-3.4028235e+38" for q in asked)
        # The fixture's own values, pixel for pixel.
        inner = got
        np.testing.assert_array_equal(inner, _on_grid(ages, grid))
        cls = age_class(inner, nodata)
        for value, expected in ((19.6, 1), (20.4, 2), (20.6, 2), (100.5, 3)):
            assert set(cls[inner == np.float32(value)].tolist()) == {expected}, value
        water = _on_grid(LC, grid) == 11
        assert (cls[water] == 0).all() and (cls[~water] > 0).all()
        # What U16 did: ages cut to whole years. The measurement quoted in docs/fetch.md.
        truncated = age_class(np.where(water, 0, np.trunc(inner)), None)
        wrong = int((truncated[~water] != cls[~water]).sum())
        assert wrong > 1000  # 20.4 → 20 (class 1 instead of 2), 100.5 → 100 (2 instead of 3)

        # An integer pixelType on a float service is refused (before any exportImage).
        refused = pytest.raises(FetchError, match="holds F32 values and the catalog asks pixelType=U16")
        with refused, open_image_service(_src(AGE, s1, None, pixel_type="U16"), grid):
            pass


# ---- 2. NoData from the service ------------------------------------------------------------------------------
@pytest.mark.parametrize("sentinel", [-9999.0, 0.0, -3.4028235e38])
@pytest.mark.parametrize("tagged", [True, False])
@pytest.mark.parametrize("send", ["catalog", "service"])
def test_nodata_is_the_services_with_or_without_a_tag(
    tmp_path: Path,
    grid: Any,  # noqa: F811
    sentinel: float,
    tagged: bool,
    send: str,
) -> None:
    """A pool with ``sentinel`` on water: NoData in the result, whichever value the service uses, whether its
    answer has a NoData tag or not, and whether we send the catalog's no_data or the service's own."""
    lc = _lc()
    rng = np.random.default_rng(7)
    pool = rng.uniform(0.05, 2.0, lc.shape).astype(np.float32)
    pool[lc == 11] = sentinel
    path = write_raster(tmp_path / "pool.tif", pool, LC, sentinel if tagged else None)
    services, svc = _service(LITTER, path, no_data_value=sentinel, tag_nodata=tagged)
    change = {} if send == "catalog" else {"no_data": None}
    with (
        serve_app(image_server_app(services), Path(".")) as s1,
        open_image_service(_src(LITTER, s1, None, **change), grid) as ds,
    ):
        got, nodata = ds.read(1), ds.nodata
    asked = [q for q in svc.requests if q["path"].endswith("/exportImage")]
    expect_sent = "-3.4028235e+38" if send == "catalog" else _number(sentinel)
    assert {q.get("noData") for q in asked} == {expect_sent}
    assert nodata is not None
    inner, water, pool = got, _on_grid(LC, grid) == 11, _on_grid(path, grid)
    assert (inner[water] == np.float32(nodata)).all()
    np.testing.assert_allclose(inner[~water], pool[~water] * SCALE, rtol=1e-6)
    assert water.any() and (~water).any()


def test_a_service_stored_in_web_mercator_answers_pixel_exact_on_the_nlcd_grid(grid: Any) -> None:  # noqa: F811
    """The USFS services are stored in EPSG:3857: asked for imageSR=5070 at 30 m on the NLCD grid, the answer
    is the real land cover pixel for pixel (nearest neighbour both ways)."""
    services, _ = _service("bigmap_forest_type_group", LC, native_epsg=3857, tag_nodata=False)
    with (
        serve_app(image_server_app(services), Path(".")) as s1,
        open_image_service(_src("bigmap_forest_type_group", s1, None, pixel_type="U8"), grid) as ds,
    ):
        got = ds.read(1)
    np.testing.assert_array_equal(got, _on_grid(LC, grid))


# ---- 3. a value outside the domain is refused, nothing stored; the fetch is resumable -----------------------------
def test_an_implausible_carbon_pool_is_refused_and_the_fetch_resumes(
    rasters: dict[str, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Re-audit R7: a pool holding −|v|×1e30 was stored (float) and reported as −1.47e35 t CO2e/yr."""
    with rasterio.open(rasters[LITTER]) as ds:
        good = ds.read(1)
    with np.errstate(over="ignore"):
        bad = np.where(good > 0, -np.abs(good) * np.float32(1e30), good).astype(np.float32)
    bad_path = write_raster(tmp_path / "litter_bad.tif", bad, LC, float(np.float32(-3.4028235e38)))
    services = _services({**rasters, LITTER: bad_path}, 0)
    litter = next(s for s in services.values() if "Litter" in s.rasters)
    with serve_app(image_server_app(services), Path(".")) as s1:
        cat = _catalog(tmp_path / "project", s1, s1)
        args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho"]
        args += ["--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat)]
        code, _, err = run_cli(args, monkeypatch, capsys)
        assert code == 2
        data = cat.parent / "data" / "noho"
        manifest = json.loads((data / "manifest.json").read_text())
        on_grid = _on_grid(bad_path, _grid_from_doc(manifest["grid"]))
        n_bad = int(((on_grid < 0) & (on_grid != np.float32(-3.4028235e38))).sum())
        assert "carbon_pool" in err and f"holds {n_bad} pixel(s) outside 0 … 2,000 t C/ha" in err, err
        assert "bigmap_carbon_litter" in err and "e+3" in err and "/exportImage?" in err
        assert "refused, not stored" in err
        assert manifest["state"]["status"] == "incomplete" and "carbon_pool" in manifest["state"]["error"]
        written = set(manifest["files"])
        assert (
            written
            and "carbon_dead_litter.tif" not in written
            and not (data / "carbon_dead_litter.tif").exists()
        )
        assert {p.name for p in data.iterdir()} == written | {"manifest.json"}  # no half-written file
        assert "noho" not in (yaml.safe_load(cat.read_text()).get("regions") or {})

        # The service is right again: the same command reuses what was written and finishes.
        litter.rasters["Litter"] = rasters[LITTER]
        code, _, err = run_cli(args, monkeypatch, capsys)
        assert code == 0, err
        manifest = json.loads((data / "manifest.json").read_text())
        assert manifest["state"]["status"] == "complete" and "carbon_dead_litter.tif" in manifest["files"]
        assert "noho" in yaml.safe_load(cat.read_text())["regions"]
        for name in written:
            assert f"skipped {name}" in err


def test_a_type_group_answer_without_a_nodata_tag_holds_the_sent_value(
    tmp_path: Path,
    grid: Any,  # noqa: F811
) -> None:
    """The issue-22 failure: a U16 answer without a NoData tag, 65535 where the service has no data and no
    declared noDataValue. The catalog's no_data (65535, sent as noData=) makes it NoData; without it the
    domain check names the value."""
    lc = _lc()
    groups = np.select([lc == 41, lc == 42, lc == 43], [500, 100, 800], 0).astype(np.uint16)
    groups[lc == 11] = 65535
    path = write_raster(tmp_path / "ftg.tif", groups, LC, 65535)
    services, _ = _service("bigmap_forest_type_group", path, tag_nodata=False)
    with serve_app(image_server_app(services), Path(".")) as s1:
        with open_image_service(_src("bigmap_forest_type_group", s1, None), grid) as ds:
            got, nodata = ds.read(1), ds.nodata
        assert nodata == 65535 and domain_fault("forest_type_group", got, nodata) is None
        np.testing.assert_array_equal(got, _on_grid(path, grid))
        with open_image_service(_src("bigmap_forest_type_group", s1, None, no_data=None), grid) as ds:
            got, nodata = ds.read(1), ds.nodata
        fault = domain_fault("forest_type_group", got, nodata)
        assert nodata is None and fault is not None and fault.endswith(": 65535")
        assert f"holds {int((_on_grid(path, grid) == 65535).sum())} pixel(s)" in fault


@pytest.mark.parametrize(
    ("layer", "values", "bad"),
    [
        ("land_cover", [0, 11, 41, 95, 250], [250]),  # 250: Annual NLCD's nodata, when it is not declared
        ("tree_canopy", [0, 55, 100, 254, 255, 101], [101]),
        ("forest_type_group", [0, 100, 999, 50, 1000, 500.5], [50, 1000, 500.5]),
        ("stand_age", [0.0, 20.4, 322.99, -1.0, 1e30], [-1.0, 1e30]),
        ("fire_severity", [0, 3, 6, 7, 255], [7, 255]),
        ("carbon_pool", [0.0, 469.0, 1999.0, -0.5, -1e30, float("inf")], [-1e30, -0.5, float("inf")]),
        ("carbon_live", [0.0, 7999.0, 8001.0], [8001.0]),
    ],
)
def test_each_layer_has_a_domain(layer: str, values: list[float], bad: list[float]) -> None:
    a = np.array([*values, np.nan, -9999.0], np.float64)
    fault = domain_fault(layer, a, -9999.0)  # NaN and the nodata are never outside
    assert fault is not None and f"holds {len(bad)} pixel(s) outside {DOMAINS[layer].what}" in fault
    assert domain_fault(layer, a[~np.isin(a, bad)], -9999.0) is None
