"""Real NLCD (Northampton, MA): change matrix and canopy summary against independent counts.

Reads the real clips in ``tests/data`` (copied with their SOURCE.md; test-only, the project never reads them at run
time). The test catalog points at the real files; the independent counts use plain rasterio + numpy.unique.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
from conftest import REALDATA, northampton_catalog

import learn
from learn.landuse import transition_of

NOHO = REALDATA / "nlcd_northampton_ma"
TOF = "level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ndefault,,56.1,-3.88,LEARN default (test)\nstate,MA,60,-3,test row\n"


@pytest.fixture(scope="module")
def noho(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("noho")
    (d / "tof.csv").write_text(TOF)
    return northampton_catalog(d, d / "tof.csv")


def _inside_mask() -> np.ndarray:
    outline = gpd.read_file(NOHO / "northampton_ma_outline.gpkg").to_crs("EPSG:5070")
    with rasterio.open(NOHO / "nlcd_2011_land_cover.tif") as ds:
        return rasterio.features.geometry_mask(
            outline.geometry, out_shape=ds.shape, transform=ds.transform, invert=True
        )


def _read(name: str) -> np.ndarray:
    with rasterio.open(NOHO / name) as ds:
        return ds.read(1)


@pytest.mark.parametrize("start,end", [(2001, 2019), (2011, 2016)])
def test_change_matrix_equals_independent_counts(noho: Path, start: int, end: int) -> None:
    report = learn.open_region("noho", noho).inventory("46330", (start, end))
    inside = _inside_mask()
    assert inside.sum() == 102_881  # SOURCE.md: 102,881 pixels = 92.59 km²
    a = _read(f"nlcd_{start}_land_cover.tif")[inside].astype(np.int64)
    b = _read(f"nlcd_{end}_land_cover.tif")[inside].astype(np.int64)
    pairs, counts = np.unique(a * 1000 + b, return_counts=True)
    m = report.change_matrix
    idx = {c: i for i, c in enumerate(m.classes)}
    got = {
        (c1, c2): m.hectares[idx[c1]][idx[c2]]
        for c1 in m.classes
        for c2 in m.classes
        if m.hectares[idx[c1]][idx[c2]] > 0
    }
    want = {(int(p) // 1000, int(p) % 1000): n * 0.09 for p, n in zip(pairs, counts, strict=True)}
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-12)
    assert report.boundary.area_ha == pytest.approx(102_881 * 0.09)
    assert report.boundary.polygon_area_ha == pytest.approx(9259.07, rel=1e-3)
    # Forest→Settlement area equals the independent count of (forest, developed) pixel pairs.
    f2s = (
        sum(
            n
            for p, n in zip(pairs, counts, strict=True)
            if transition_of(int(p) // 1000, int(p) % 1000) == "Forest to Settlement"
        )
        * 0.09
    )
    row = next(r for r in report.inventory if r.type == "To Settlement")
    assert row.area_ha == pytest.approx(f2s)


def test_canopy_summary_equals_independent_sums(noho: Path) -> None:
    report = learn.open_region("noho", noho).inventory("46330", (2011, 2016))
    inside = _inside_mask()
    lc1 = _read("nlcd_2011_land_cover.tif")[inside]
    lc2 = _read("nlcd_2016_land_cover.tif")[inside]
    t1 = _read("nlcd_2011_tree_canopy.tif")[inside].astype(float)
    t2 = _read("nlcd_2016_tree_canopy.tif")[inside].astype(float)
    # Trees outside forests: Nonforest→Nonforest pixels ending as Settlement (21–24), as LEARN tabulates.
    forest = [41, 42, 43, 90]
    developed = np.isin(lc2, [21, 22, 23, 24]) & ~np.isin(lc1, forest)
    canopy = {c.category: c for c in report.tree_canopy}["Settlement"]
    assert canopy.canopy_ha == pytest.approx(((t1 + t2) / 2 * 0.01 * 0.09)[developed].sum(), rel=1e-12)
    assert canopy.canopy_loss_ha == pytest.approx(
        (np.maximum(t1 - t2, 0) * 0.01 * 0.09)[developed].sum(), rel=1e-12
    )
    assert canopy.area_ha == pytest.approx(developed.sum() * 0.09)
    # Mean 2016 canopy inside the city is 55.13 % (SOURCE.md): the all-category summary must agree.
    total_canopy_2016 = t2.sum() * 0.01 * 0.09
    assert total_canopy_2016 / (inside.sum() * 0.09) == pytest.approx(0.5513, abs=5e-5)


def test_trees_outside_forest_uses_state_factors_and_canopy_scaling(noho: Path) -> None:
    report = learn.open_region("noho", noho).inventory("46330", (2011, 2019))
    lost = next(r for r in report.inventory if r.type == "Tree canopy loss")
    kept = next(r for r in report.inventory if r.type == "Canopy maintained/gained")
    assert lost.factors["canopy_years"] == [2011, 2016]
    assert lost.factors["canopy_loss_scale"] == pytest.approx(8 / 5)
    assert kept.factors["rf_t_c_per_ha_yr"] == -3.0  # the MA state row (largest overlap)
    assert lost.factors["ef_t_c_per_ha"] == 60  # no place row → state row
    inside = _inside_mask()
    a, b = _read("nlcd_2011_land_cover.tif")[inside], _read("nlcd_2019_land_cover.tif")[inside]
    nn = np.array(
        [transition_of(int(x), int(y)) == "Nonforest to Nonforest" for x, y in zip(a, b, strict=True)]
    )
    t1 = _read("nlcd_2011_tree_canopy.tif")[inside].astype(float)
    t2 = _read("nlcd_2016_tree_canopy.tif")[inside].astype(float)
    loss_ha = (np.maximum(t1 - t2, 0) * 0.01 * 0.09)[nn].sum() * 8 / 5
    assert lost.area_ha == pytest.approx(loss_ha, rel=1e-12)
    assert lost.emissions_t_co2e_per_yr == pytest.approx(loss_ha * 60 * 44 / 12 / 8, rel=1e-12)
    assert "no carbon pool layers" in " ".join(report.warnings)
