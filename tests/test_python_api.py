"""The Python API's pandas / xarray / GeoPandas conversions, on the SYNTHETIC demo region."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import learn
from learn.pipeline.batch import BatchRun
from learn.pipeline.region import Region
from learn.report.models import Report
from learn.report.palettes import FOREST_CHANGE_PALETTE, LAND_COVER_PALETTE

PERIOD = (2011, 2019)


@pytest.fixture(scope="module")
def region(demo_catalog: Path) -> Region:
    return learn.open_region("demo", catalog=demo_catalog)


@pytest.fixture(scope="module")
def report(region: Region) -> Report:
    return region.inventory("99001", PERIOD)


def test_inventory_frame_rows_equal_report_rows(report: Report) -> None:
    frame = report.inventory_frame()
    assert len(frame) == len(report.inventory)
    assert list(frame.columns[-4:]) == [
        "area_ha",
        "emissions_t_co2e_per_yr",
        "removals_t_co2e_per_yr",
        "net_t_co2e_per_yr",
    ]
    for (_, got), want in zip(frame.iterrows(), report.inventory, strict=True):
        assert (got["category"], got["type"]) == (want.category, want.type)
        for col in ("area_ha", "emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr"):
            value = getattr(want, col)
            assert np.isnan(got[col]) if value is None else got[col] == value, col
    assert set(frame["boundary_id"]) == {"99001"} and set(frame["start"]) == {2011}


def test_summary_and_canopy_frames(report: Report) -> None:
    summary = report.summary_frame().set_index("category")["net_t_co2e_per_yr"]
    assert summary["Net"] == report.totals.net_t_co2e_per_yr
    assert summary["Gross removals"] == report.totals.gross_removals_t_co2e_per_yr
    canopy = report.tree_canopy_frame()
    assert list(canopy["category"]) == [r.category for r in report.tree_canopy]
    assert canopy["canopy_ha"].tolist() == [r.canopy_ha for r in report.tree_canopy]


def test_change_matrix_dataarray_is_labelled_and_sums_to_the_matrix(report: Report) -> None:
    m = report.change_matrix
    da = report.change_matrix_da()
    assert da.dims == ("class_start", "class_end")
    assert da["class_start"].values.tolist() == m.classes == da["class_end"].values.tolist()
    assert da.sel(class_start=41)["name_start"].item() == "Deciduous Forest"
    assert da.attrs["units"] == "ha" and da.attrs["period"] == "2011–2019"
    assert da.attrs["boundary_id"] == "99001"
    assert float(da.sum()) == pytest.approx(m.total_ha, rel=1e-12)
    np.testing.assert_allclose(da.sum("class_end").values, m.row_totals_ha, rtol=1e-12)
    np.testing.assert_allclose(da.sum("class_start").values, m.column_totals_ha, rtol=1e-12)
    i, j = m.classes.index(41), m.classes.index(22)
    assert da.sel(class_start=41, class_end=22).item() == m.hectares[i][j]


def test_batch_geoframe_has_one_row_per_boundary_and_period(region: Region, tmp_path: Path) -> None:
    periods = [(2001, 2011), PERIOD]
    run = region.batch(periods, out=tmp_path / "out")
    assert isinstance(run, BatchRun)
    n = len(region.boundaries.ids())
    assert len(run.reports) == 2 * n and run.computed == 2 * n
    g = run.geoframe
    assert g.crs.to_epsg() == 4326 and len(g) == 2 * n
    assert sorted(zip(g["boundary_id"], g["start"], strict=True)) == sorted(
        (b, s) for b in region.boundaries.ids() for s, _ in periods
    )
    row = g[(g["boundary_id"] == "99001") & (g["start"] == 2011)].iloc[0]
    single = region.inventory("99001", PERIOD)
    assert row["net_t_co2e_per_yr"] == pytest.approx(single.totals.net_t_co2e_per_yr, rel=1e-9)
    assert row["net_t_co2e_per_ha_yr"] == pytest.approx(
        single.totals.net_t_co2e_per_yr / single.boundary.area_ha, rel=1e-9
    )
    assert len(run.frame) == sum(len(r.inventory) for r in run.reports)
    assert (tmp_path / "out" / "boundaries_2011_2019.parquet").exists() and run.out == tmp_path / "out"
    # out=None: a temporary folder, nothing left behind, same numbers
    tmp_run = region.batch(PERIOD)
    assert tmp_run.out is None and len(tmp_run.geoframe) == n
    again = tmp_run.geoframe.set_index("boundary_id").loc["99001", "net_t_co2e_per_yr"]
    assert again == pytest.approx(row["net_t_co2e_per_yr"], rel=1e-12)


def test_layer_shape_crs_nodata_and_attrs(region: Region) -> None:
    full = region.layer("land_cover", year=2019)
    assert full.shape == (region.grid.height, region.grid.width)
    assert full.rio.crs == region.grid.crs
    assert full.attrs["units"] == "class" and full.attrs["year"] == 2019 and full.attrs["synthetic"]
    assert np.isnan(full.rio.nodata)
    # the demo's nodata corner (land cover 0) is NaN, never class 0
    assert int(full.isnull().sum()) > 0 and not (full == 0).any()
    clipped = region.layer("land_cover", year=2019, boundary="9900100")
    assert clipped.shape[0] < full.shape[0] and clipped.shape[1] < full.shape[1]
    b = region.boundary("9900100").geometry.bounds
    x0, y0, x1, y1 = clipped.rio.bounds()
    assert x0 <= b[0] and y0 <= b[1] and x1 >= b[2] and y1 >= b[3]
    assert x1 - x0 < (b[2] - b[0]) + 4 * 30 and y1 - y0 < (b[3] - b[1]) + 4 * 30


def test_forest_change_layer_agrees_with_the_change_matrix(region: Region) -> None:
    """Pixels coded forest → settlement (1) and gain (6) over the whole grid equal the matrix areas."""
    fc = region.layer("forest_change", start=2011, end=2019)
    assert fc.attrs["start"] == 2011 and set(np.unique(fc.values[np.isfinite(fc.values)])) <= set(range(7))
    lc1 = region.layer("land_cover", year=2011).values
    lc2 = region.layer("land_cover", year=2019).values
    forest = np.isin(lc1, [41, 42, 43, 90])
    settlement_after = np.isin(lc2, [21, 22, 23, 24])
    assert int((fc.values == 1).sum()) == int((forest & settlement_after).sum())
    gain = ~forest & np.isin(lc2, [41, 42, 43, 90]) & np.isfinite(lc1)
    assert int((fc.values == 6).sum()) == int(gain.sum())


def test_layer_png_uses_the_library_palettes(region: Region) -> None:
    from learn.mapping import layer_png

    img = layer_png(region.layer("land_cover", year=2019, boundary="9900100"))
    assert img.png.startswith(b"\x89PNG") and img.data_url.startswith("data:image/png;base64,")
    (s, w), (n, e) = img.bounds
    assert -180 < w < e < 180 and -90 < s < n < 90
    # the PNG palette is the NLCD palette: PLTE row 41 = deciduous forest's colour
    plte = img.png[img.png.index(b"PLTE") + 4 :]
    assert tuple(plte[41 * 3 : 41 * 3 + 3]) == tuple(LAND_COVER_PALETTE[41][:3])
    change = layer_png(region.layer("forest_change", start=2011, end=2019, boundary="99001"))
    plte = change.png[change.png.index(b"PLTE") + 4 :]
    assert tuple(plte[6 * 3 : 6 * 3 + 3]) == tuple(FOREST_CHANGE_PALETTE[6][:3])


def test_unknown_layer_is_refused(region: Region) -> None:
    with pytest.raises(KeyError, match="no layer 'biomass'"):
        region.layer("biomass")
    with pytest.raises(learn.LearnError):
        region.layer("land_cover", year=1999)
