"""Carbon pools stored as scaled integers (learn.raster.cog): exact steps, nodata kept, a bound on a report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

import learn
from learn.raster.cog import CARBON_STORAGE_SCALE, SCALED_NODATA, read_values, scaled_integers, write_cog
from learn.raster.grid import Grid

GRID = Grid(crs=CRS.from_epsg(5070), transform=Affine(30, 0, 0, 0, -30, 90), width=4, height=1)


def test_values_round_to_half_a_step_and_nodata_survives(tmp_path: Path) -> None:
    values = np.array([[0.0, 12.345, 1310.67, -9999.0]], np.float32)
    path = tmp_path / "c.tif"
    write_cog(
        path, values, GRID, nodata=-9999.0, categorical=False, tags={}, storage_scale=CARBON_STORAGE_SCALE
    )
    with rasterio.open(path) as ds:
        assert (
            ds.dtypes[0] == "uint16" and ds.nodata == SCALED_NODATA and ds.scales[0] == CARBON_STORAGE_SCALE
        )
        assert ds.read(1)[0].tolist() == [0, 617, 65534, SCALED_NODATA]  # 12.345 / 0.02 = 617.25 → 617
    back = read_values(path)[0]
    assert np.isnan(back[3])
    assert np.abs(back[:3] - values[0, :3]).max() <= CARBON_STORAGE_SCALE / 2 + 1e-4


def test_values_that_do_not_fit_stay_float(tmp_path: Path) -> None:
    assert scaled_integers(np.array([[1311.0]]), None, CARBON_STORAGE_SCALE) is None  # over 65,534 steps
    assert scaled_integers(np.array([[-0.5]]), None, CARBON_STORAGE_SCALE) is None
    path = tmp_path / "big.tif"
    write_cog(path, np.array([[2000.0, 1, 2, 3]], np.float32), GRID, nodata=None, categorical=False, tags={},
              storage_scale=CARBON_STORAGE_SCALE)  # fmt: skip
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "float32" and ds.scales[0] == 1.0


def test_a_report_on_stored_pools_is_within_the_rounding_bound(make_region, tmp_path: Path) -> None:
    """Forest → settlement on 3 pixels: the stock loss from the stored (rounded) pools differs from the float
    pools by at most 3 px × 0.09 ha × Σ fractions × 0.01 t C/ha × 44/12 / 8 years."""
    lc = {2011: [[41, 41, 41]], 2019: [[21, 21, 21]]}
    live, dead, soil = (
        np.array([[v + 0.0137, v + 0.0071, v + 0.0193]], np.float32) for v in (101.0, 22.0, 55.0)
    )
    cat = make_region(lc, carbon=(live, dead, soil))
    exact = learn.open_region("t", cat).inventory("A", (2011, 2019))
    for name, arr in zip(
        ("carbon_live", "carbon_dead_litter", "carbon_soil"), (live, dead, soil), strict=True
    ):
        with rasterio.open(cat.parent / f"{name}.tif") as ds:  # the region's own grid
            grid = Grid(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height)
        write_cog(cat.parent / f"{name}.tif", arr, grid, nodata=-9999.0, categorical=False, tags={},
                  storage_scale=CARBON_STORAGE_SCALE)  # fmt: skip
    stored = learn.open_region("t", cat).inventory("A", (2011, 2019))
    row = lambda r: next(x for x in r.inventory if x.type == "To Settlement")  # noqa: E731
    bound = 3 * 0.09 * (1.0 + 1.0 + 0.3) * CARBON_STORAGE_SCALE / 2 * 44 / 12 / 8
    diff = abs(row(stored).emissions_t_co2e_per_yr - row(exact).emissions_t_co2e_per_yr)
    assert 0 < diff <= bound
    assert row(stored).emissions_t_co2e_per_yr == pytest.approx(row(exact).emissions_t_co2e_per_yr, rel=1e-4)
