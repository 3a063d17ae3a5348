"""Derived forest layers (learn.sources.forest_derive, census.state_fips_on_grid), hand-computed on a few pixels."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from conftest import REALDATA, forest_table, write_tif
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from rasterio.crs import CRS

import learn
from learn.errors import LearnError
from learn.raster.grid import Grid, grid_of
from learn.raster.kernel import MAX_DISTINCT_CODES, StratumAccumulator
from learn.sources import forest_derive as fd
from learn.sources.census.tiger import state_fips_on_grid

U8 = np.uint8


# --- forest code contract ---------------------------------------------------------------------------------------
def test_forest_code_by_hand_with_age_class_boundaries():
    age = np.array([0, 20, 20.5, 21, 100, 100.5, 101, 250], np.float32)
    n = age.size
    code = fd.forest_code(np.full(n, 25, U8), np.full(n, 800, np.uint16), age)
    assert code.dtype == np.uint32
    # 0 and 20 years → class 1; over 20 up to 100 → class 2; over 100 → class 3.
    assert code.tolist() == [2508001, 2508001, 2508002, 2508002, 2508002, 2508003, 2508003, 2508003]


def test_forest_code_zero_for_non_forest_unknown_state_and_nodata():
    state = np.array([25, 0, 25, 25, 25, 25, 56, 25], U8)
    group = np.array([0, 800, 65535, 800, 800, 999, 100, 120], np.uint16)
    age = np.array([50, 50, 50, -9999, np.nan, 5, 101, 60], np.float32)
    code = fd.forest_code(state, group, age, type_group_nodata=65535, age_nodata=-9999)
    assert code.tolist() == [0, 0, 0, 0, 0, 2509991, 5601003, 2501202]


def test_forest_code_worked_example_of_the_docs():
    assert fd.forest_code([[25]], [[800]], [[45.0]]).tolist() == [[2508002]]


@pytest.mark.parametrize(
    ("state", "group", "age", "fault"),
    [
        (25, 50, 10, "forest type group"),  # not a TYPGRPCD
        (25, 1000, 10, "forest type group"),  # undeclared nodata, e.g. 65535 rendered otherwise
        (25, 800, -1, "stand age"),  # negative age, nodata not declared
        (100, 800, 10, "state FIPS"),
    ],
)
def test_forest_code_refuses_values_outside_the_contract(state, group, age, fault):
    with pytest.raises(fd.DerivedLayerError, match=fault) as err:
        fd.forest_code(np.array([state]), np.array([group]), np.array([age]))
    assert isinstance(err.value, LearnError) and err.value.hint


def test_forest_code_refuses_layers_on_different_grids():
    with pytest.raises(fd.DerivedLayerError, match="not on one grid"):
        fd.forest_code(np.zeros((2, 2), U8), np.zeros((2, 3), np.uint16), np.zeros((2, 2)))


@given(
    st.integers(1, fd.STATE_FIPS_MAX),
    st.integers(fd.TYPE_GROUP_MIN, fd.TYPE_GROUP_MAX),
    st.floats(0, 2000, allow_nan=False),
)
def test_forest_code_decodes_back_to_its_parts(state, group, age):
    code = fd.forest_code(np.array([state], U8), np.array([group], np.uint16), np.array([age]))
    s, g, a = (int(x[0]) for x in fd.decode_forest_code(code))
    assert (s, g) == (state, group)
    assert a == (1 if age <= 20 else 2 if age <= 100 else 3)
    assert 0 < int(code[0]) < 1 << 24  # the largest code, 9909993, needs 24 bits


# --- state FIPS on a grid ---------------------------------------------------------------------------------------
def test_state_fips_on_the_northampton_grid_is_massachusetts():
    with rasterio.open(REALDATA / "nlcd_northampton_ma" / "nlcd_2011_land_cover.tif") as ds:
        grid = grid_of(ds)
    fips = state_fips_on_grid(grid)
    assert fips.dtype == np.uint8 and fips.shape == (grid.height, grid.width)
    assert set(np.unique(fips).tolist()) == {25}


def test_state_fips_across_the_minnesota_wisconsin_border_matches_census_2010_counties():
    """Washington County MN (27163) and St. Croix County WI (55109), checked against an independent county file
    (Census 2010, 1:20M) on pixel centres more than 4 km inside each county (the two files' St. Croix County edges lie up
    to 3.5 km apart, Hausdorff distance)."""
    other = gpd.read_file(
        REALDATA / "us_counties_census2010" / "counties_subset_cprg_mn_wi_and_hampshire_ma.geojson"
    )
    other = other.set_crs("EPSG:4326", allow_override=True).to_crs("EPSG:5070")
    pair = other[other["id"].isin(["27163", "55109"])]
    xmin, ymin, xmax, ymax = pair.total_bounds
    step = 500.0
    grid = Grid(
        CRS.from_epsg(5070),
        Affine(step, 0, xmin, 0, -step, ymax),
        int((xmax - xmin) // step),
        int((ymax - ymin) // step),
    )
    fips = state_fips_on_grid(grid)
    rows, cols = np.indices(fips.shape)
    xs, ys = grid.transform * (cols.ravel() + 0.5, rows.ravel() + 0.5)
    centres = shapely.points(xs, ys)
    checked = 0
    for geoid, geom in zip(pair["id"], pair.geometry, strict=True):
        inside = shapely.contains(geom.buffer(-4000), centres)
        assert inside.sum() > 500
        assert set(fips.ravel()[inside].tolist()) == {int(geoid[:2])}
        checked += int(inside.sum())
    assert {27, 55} <= set(np.unique(fips).tolist())
    assert checked > 1000


def test_state_fips_is_zero_off_every_state():
    # 30 km squares in the Atlantic, 300 km east of Cape Cod.
    grid = Grid(CRS.from_epsg(5070), Affine(1000, 0, 2_500_000, 0, -1000, 2_400_000), 30, 30)
    assert not state_fips_on_grid(grid).any()


# --- fire -------------------------------------------------------------------------------------------------------
def test_fire_codes_keep_moderate_and_high_severity_only():
    """3–4 → fire; 1, 2 (low) and 5 (increased greenness) → no fire; 6 (non-mapping) → 9, not estimated."""
    mtbs = np.array([0, 1, 2, 3, 4, 5, 6, 255], U8)
    assert fd.fire_codes(mtbs, nodata=255).tolist() == [0, 0, 0, 10, 10, 0, fd.FIRE_NOT_MAPPED, 0]


def test_fire_not_mapped_gives_way_to_any_known_disturbance():
    """Combined by MAX, except 9 (fire not estimated), kept only where nothing else is known."""
    fire = np.array([9, 9, 9, 9, 10, 0], U8)
    insect = np.array([0, 5, 0, 0, 0, 0], U8)
    harvest = np.array([0, 0, 3, 0, 0, 0], U8)
    assert fd.combine_disturbance(fire, insect, harvest).tolist() == [9, 5, 3, 9, 10, 0]
    # Across periods too: a harvest of one period is not hidden by fire not mapped in another.
    assert fd.combine_disturbance(np.array([9, 9, 0], U8), np.array([2, 10, 0], U8)).tolist() == [2, 10, 0]


def test_fire_codes_refuse_values_that_are_no_mtbs_class():
    with pytest.raises(fd.DerivedLayerError, match=r"MTBS burn severity.*7, 200"):
        fd.fire_codes(np.array([3, 7, 200, 4], U8))


# --- harvest ----------------------------------------------------------------------------------------------------
def _harvest(start, end, forest=True, fire=0, insect=0, **kw):
    n = len(start)
    return fd.harvest_codes(
        np.array(start, np.float32),
        np.array(end, np.float32),
        np.full(n, forest),
        np.full(n, fire, U8),
        np.full(n, insect, U8),
        **kw,
    ).tolist()


def test_harvest_severity_class_boundaries():
    losses = [0, 1, 25, 26, 50, 51, 75, 76, 100]
    assert _harvest([100] * 9, [100 - x for x in losses]) == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    # fractional points just above a bound are in the next class; a gain is no loss
    assert _harvest([80, 80, 40], [54.5, 79.5, 60]) == [2, 1, 0]


def test_harvest_zero_on_nodata_canopy_non_forest_fire_and_insect():
    assert _harvest([255, 90, 254, np.nan, 90], [10, 255, 10, 10, np.nan]) == [0, 0, 0, 0, 0]
    assert _harvest([90, 90], [0, 30], canopy_nodata=90) == [0, 0]
    assert _harvest([90], [0], forest=False) == [0]
    assert _harvest([90], [0], fire=10) == [0]
    assert _harvest([90], [0], insect=5) == [0]
    assert _harvest([90], [0]) == [4]


# --- combination ------------------------------------------------------------------------------------------------
def test_combine_disturbance_is_the_per_pixel_max():
    fire = np.array([10, 0, 0, 10, 0], U8)
    insect = np.array([5, 5, 0, 0, 0], U8)
    harvest = np.array([0, 0, 3, 0, 0], U8)
    assert fd.combine_disturbance(fire, insect, harvest).tolist() == [10, 5, 3, 10, 0]
    assert fd.combine_disturbance(harvest).tolist() == [0, 0, 3, 0, 0]


def test_combine_disturbance_refuses_nothing_and_mismatched_grids():
    with pytest.raises(fd.DerivedLayerError, match="no disturbance layer"):
        fd.combine_disturbance()
    with pytest.raises(fd.DerivedLayerError, match="not on one grid"):
        fd.combine_disturbance(np.zeros(3, U8), np.zeros(4, U8))


@given(
    arrays(U8, 12, elements=st.sampled_from([0, 1, 2, 3, 4, 5, 6])),
    arrays(U8, 12, elements=st.sampled_from([0, 5])),
    arrays(np.float32, 12, elements=st.integers(0, 100)),
    arrays(np.float32, 12, elements=st.integers(0, 100)),
    arrays(bool, 12),
)
def test_period_layers_combine_into_exclusive_classes(mtbs, insect, c1, c2, forest):
    fire = fd.fire_codes(mtbs)
    known = np.where(fire == 10, 10, 0)  # as learn.sources.forest_layers: harvest where no fire is known
    harvest = fd.harvest_codes(c1, c2, forest, known, insect)
    combined = fd.combine_disturbance(fire, insect, harvest)
    assert np.array_equal(combined == 10, np.isin(mtbs, [3, 4]))
    assert np.array_equal(combined == 5, (known == 0) & (insect == 5))
    loss = np.maximum(c1 - c2, 0)
    harvested = (known == 0) & (insect == 0) & forest & (loss > 0)
    assert np.array_equal(combined[harvested], np.ceil(loss[harvested] / 25).astype(U8))
    rest = ~harvested & (known == 0) & (insect == 0)
    assert np.array_equal(combined[rest], np.where(mtbs[rest] == 6, fd.FIRE_NOT_MAPPED, 0))


# --- contract codes through the raster stage --------------------------------------------------------------------
def test_stratum_kernel_keeps_uint32_codes():
    """Before the code dictionary the kernel refused codes above 65535 (ValueError)."""
    codes = np.array([0, 2508002, 2508002, 9909993, 4294967295, 65535], np.uint32)
    n = codes.size
    acc = StratumAccumulator()
    acc.add(np.zeros(n, np.int32), np.full(n, 41, U8), np.full(n, 41, U8), code=codes)
    acc.add(np.zeros(2, np.int32), np.full(2, 41, U8), np.full(2, 42, U8), code=codes[:2][::-1].copy())
    frame = acc.to_frame()
    got = {(int(r.lc2), int(r.forest_age_type_region)): r.pixels for r in frame.itertuples()}
    assert got == {
        (41, 0): 1,
        (41, 65535): 1,
        (41, 2508002): 2,
        (41, 9909993): 1,
        (41, 4294967295): 1,
        (42, 0): 1,
        (42, 2508002): 1,
    }


def test_stratum_kernel_refuses_negative_codes_and_too_many_distinct_codes():
    acc = StratumAccumulator()
    with pytest.raises(ValueError, match="must be 0"):
        acc.add(np.zeros(1, np.int32), np.full(1, 41, U8), np.full(1, 41, U8), code=np.array([-1]))
    n = MAX_DISTINCT_CODES + 1
    with pytest.raises(ValueError, match="distinct forest codes"):
        acc.add(
            np.zeros(n, np.int32), np.full(n, 41, U8), np.full(n, 41, U8), code=np.arange(n, dtype=np.uint32)
        )


def test_region_with_contract_codes_gets_forest_remaining_forest_removals(make_region, tmp_path):
    """A forest code layer built by forest_code (uint32) is accounted like any other code layer."""
    state = np.full((2, 3), 25, U8)
    group = np.array([[800, 800, 800], [500, 0, 800]], np.uint16)
    age = np.array([[10, 45, 45], [150, 45, 45]], np.float32)
    codes = fd.forest_code(state, group, age)  # [[2508001, 2508002, 2508002], [2505003, 0, 2508002]]
    lc = np.full((2, 3), 41, U8)
    rows = forest_table((2508001, -1, -2, 0, 0, 0), (2508002, -1, -3, 0, 0, 0), (2505003, -1, -4, 0, 0, 0))
    cat = make_region({2011: lc, 2019: lc}, codes=np.zeros((2, 3)), forest_rows=rows)
    write_tif(cat.parent / "codes.tif", codes)  # the fixture writes uint16; the contract needs uint32
    rep = learn.open_region("t", catalog=cat).inventory("A", (2011, 2019))
    row = next(r for r in rep.inventory if r.type == "Undisturbed")
    assert row.area_ha == pytest.approx(5 * 0.09)
    assert row.removals_t_co2e_per_yr == pytest.approx((-2 - 3 * 3 - 4) * 0.09 * 44 / 12)


# --- a region declaring the contract (codes: state_type_age) is checked when its codes are read ------------------
def _declare(cat, **layer_fields):
    import yaml

    doc = yaml.safe_load(cat.read_text())
    doc["regions"]["t"]["layers"]["forest_age_type_region"].update(layer_fields)
    cat.write_text(yaml.safe_dump(doc))
    return cat


def test_a_region_declaring_the_contract_refuses_codes_outside_it(make_region, tmp_path):
    """LEARN-style codes (the demo's 1000 + 100 x group + age, 1999) in a layer saying `codes: state_type_age`:
    refused before any work, naming the layer, the values and their count; undeclared, they are the region's own."""
    lc = np.full((2, 3), 41, U8)
    demo_like = np.array([[1101, 1999, 1999], [0, 2508002, 2508004]], np.uint32)  # 2508004: age class 4
    rows = forest_table((2508002, -1, -3, 0, 0, 0), (1101, -1, -2, 0, 0, 0))
    cat = make_region({2011: lc, 2019: lc}, codes=np.zeros((2, 3)), forest_rows=rows)
    write_tif(cat.parent / "codes.tif", demo_like)
    assert (
        learn.open_region("t", catalog=cat).inventory("A", (2011, 2019)).inventory
    )  # its own codes: no check
    _declare(cat, codes="state_type_age")
    with pytest.raises(learn.errors.RasterError) as err:
        learn.open_region("t", catalog=cat).inventory("A", (2011, 2019))
    msg = str(err.value)
    assert "forest_age_type_region" in msg and "codes.tif" in msg and "holds 4 pixel(s) outside" in msg
    assert "1101, 1999, 2508004" in msg and "state_type_age" in (err.value.hint or "")
    # Contract codes pass (nodata 0 and the type's nodata aside).
    write_tif(cat.parent / "codes.tif", np.array([[2508001, 2508002, 0], [2599903, 0, 5370002]], np.uint32))
    assert learn.open_region("t", catalog=cat).inventory("A", (2011, 2019)).inventory


def test_codes_is_for_the_forest_code_layer_only(make_region):
    import yaml

    lc = np.full((2, 2), 41, U8)
    cat = make_region({2011: lc, 2019: lc}, codes=np.zeros((2, 2)))
    doc = yaml.safe_load(cat.read_text())
    doc["regions"]["t"]["layers"]["land_cover"]["codes"] = "state_type_age"
    cat.write_text(yaml.safe_dump(doc))
    with pytest.raises(LearnError, match="'codes' is for layer 'forest_age_type_region' only"):
        learn.open_region("t", catalog=cat)
