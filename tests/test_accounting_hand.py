"""Hand-computed inventories on tiny rasters: every report row, end-use fraction, disturbance priority,
canopy scaling, recategorisation, missing factor rows and nodata. 1 pixel = 0.09 ha; C→CO2 = 44/12."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import TOF_DEFAULT, forest_table, pixel_box

import learn
from learn.options import InventoryOptions

K = 44 / 12
PX = 0.09


def rows(report):
    return {(r.category, r.type): r for r in report.inventory}


LC11 = [[41, 41, 41, 41, 41], [41, 82, 90, 82, 41]]
LC19 = [[21, 82, 71, 31, 41], [41, 82, 11, 41, 41]]
#       F→Settl F→Crop F→Grass F→Other FRF / FRF NF→NF F→Wetl NF→F FRF
LIVE, DEAD, SOIL = 100.0, 20.0, 50.0


@pytest.fixture
def basic(make_region):
    shape = np.array(LC11).shape
    cat = make_region(
        {2011: LC11, 2019: LC19},
        carbon=(np.full(shape, LIVE), np.full(shape, DEAD), np.full(shape, SOIL)),
        codes=[[0, 0, 0, 0, 7], [7, 0, 0, 8, 7]],
        canopy={
            2011: [[90, 90, 90, 90, 90], [90, 40, 80, 10, 90]],
            2019: [[10, 5, 20, 0, 90], [90, 20, 0, 60, 95]],
        },
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40), (8, -2.0, -1.2, 31, 6, 41)),
        tof_rows=TOF_DEFAULT,
    )
    return learn.open_region("t", cat)


def test_forest_to_nonforest_stock_loss_by_end_use(basic):
    r = rows(basic.inventory("A", (2011, 2019)))
    yrs = 8
    expect = {
        "To Settlement": (LIVE * 1 + DEAD * 1 + SOIL * 0.3),
        "To Cropland": (LIVE * 1 + DEAD * 1 + SOIL * 0.23),
        "To Grassland": (LIVE * 0.5 + DEAD * 1 + SOIL * 0),
        "To Other": (LIVE + DEAD + SOIL),
        "To Wetland": (LIVE + DEAD + SOIL * 0),
    }
    for type_, stock in expect.items():
        row = r[("Forest Change", type_)]
        assert row.area_ha == pytest.approx(PX)
        assert row.emissions_t_co2e_per_yr == pytest.approx(stock * PX * K / yrs)
        assert row.removals_t_co2e_per_yr is None
        assert row.net_t_co2e_per_yr == pytest.approx(row.emissions_t_co2e_per_yr)


def test_forest_remaining_and_reforestation_removals(basic):
    rep = basic.inventory("A", (2011, 2019))
    r = rows(rep)
    und = r[("Forest Remaining Forest", "Undisturbed")]
    assert und.area_ha == pytest.approx(3 * PX)  # three FRF pixels with code 7
    assert und.removals_t_co2e_per_yr == pytest.approx(3 * PX * -1.0 * K)
    ref = r[("Forest Change", "Reforestation (Non-Forest to Forest)")]
    assert ref.area_ha == pytest.approx(PX)  # the 82→41 pixel, code 8
    assert ref.removals_t_co2e_per_yr == pytest.approx(PX * -2.0 * K)
    assert ref.emissions_t_co2e_per_yr is None


def test_trees_outside_forest_and_canopy_summary(basic):
    rep = basic.inventory("A", (2011, 2019))
    r = rows(rep)
    # Only the 82→82 pixel is Nonforest→Nonforest: canopy 40 → 20 %.
    canopy_ha = (40 + 20) / 2 * 0.01 * PX
    loss_ha = 20 * 0.01 * PX
    kept, lost = (
        r[("Trees Outside Forest", "Canopy maintained/gained")],
        r[("Trees Outside Forest", "Tree canopy loss")],
    )
    assert kept.area_ha == pytest.approx(canopy_ha)
    assert kept.removals_t_co2e_per_yr == pytest.approx(canopy_ha * -4 * K)
    assert lost.area_ha == pytest.approx(loss_ha)
    assert lost.emissions_t_co2e_per_yr == pytest.approx(loss_ha * 50 * K / 8)
    summary = {c.category: c for c in rep.tree_canopy}
    assert list(summary) == ["Grassland", "Cropland", "Settlement", "Wetland", "Other Land"]
    crop = summary["Cropland"]  # the one Nonforest→Nonforest pixel, 40 → 20 %
    assert crop.area_ha == pytest.approx(PX)
    assert crop.canopy_ha == pytest.approx(canopy_ha)
    assert crop.canopy_loss_ha == pytest.approx(loss_ha)
    assert crop.percent_tree_cover == pytest.approx(30.0)
    assert (
        summary["Settlement"].area_ha == 0.0
    )  # Forest→Settlement is forest change, not trees outside forest


def test_totals_and_ipcc_summary_add_up(basic):
    rep = basic.inventory("A", (2011, 2019))
    body = [r for r in rep.inventory if r.category != "Total"]
    e = sum(r.emissions_t_co2e_per_yr or 0 for r in body)
    rm = sum(r.removals_t_co2e_per_yr or 0 for r in body)
    assert rep.totals.gross_emissions_t_co2e_per_yr == pytest.approx(e)
    assert rep.totals.gross_removals_t_co2e_per_yr == pytest.approx(rm)
    assert rep.totals.net_t_co2e_per_yr == pytest.approx(e + rm)
    s = {x.category: x.net_t_co2e_per_yr for x in rep.ipcc_summary}
    assert s["Total"] == pytest.approx(e + rm)
    parts = (
        s["Forest remaining forest"]
        + s["Forest to non-forest"]
        + s["Non-forest to forest"]
        + s["Trees outside forests"]
    )
    assert parts == pytest.approx(s["Total"])
    assert rep.inventory[-1].category == "Total"


def test_change_matrix_learn_order_and_area(basic):
    rep = basic.inventory("A", (2011, 2019))
    m = rep.change_matrix
    assert m.classes[:4] == [41, 42, 43, 90]
    i = {c: k for k, c in enumerate(m.classes)}
    assert m.hectares[i[41]][i[21]] == pytest.approx(PX)
    assert m.hectares[i[41]][i[41]] == pytest.approx(3 * PX)
    assert m.hectares[i[82]][i[41]] == pytest.approx(PX)
    assert m.total_ha == pytest.approx(10 * PX) == pytest.approx(rep.boundary.area_ha)


def test_disturbance_priority_max_and_period_selection(make_region):
    lc = [[41, 41, 41, 41]]
    cat = make_region(
        {2011: lc, 2016: lc, 2019: lc},
        codes=[[7, 7, 7, 7]],
        # Inside 2011–2019: 2011–2013 and 2013–2016. 2016–2019 is outside the 2011–2016 inventory below.
        disturbance={
            (2011, 2013): [[1, 5, 0, 2]],
            (2013, 2016): [[10, 2, 0, 0]],
            (2016, 2019): [[0, 0, 10, 0]],
        },
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    reg = learn.open_region("t", cat)
    r = rows(reg.inventory("A", (2011, 2016)))
    yrs = 5
    assert r[("Forest Remaining Forest", "Fire")].area_ha == pytest.approx(PX)  # max(1, 10) = fire
    assert r[("Forest Remaining Forest", "Fire")].emissions_t_co2e_per_yr == pytest.approx(PX * 30 * K / yrs)
    assert r[("Forest Remaining Forest", "Insect/Disease")].area_ha == pytest.approx(PX)  # max(5, 2) = insect
    assert r[("Forest Remaining Forest", "Insect/Disease")].emissions_t_co2e_per_yr == pytest.approx(
        PX * 5 * K / yrs
    )
    assert r[("Forest Remaining Forest", "Harvest/Other")].area_ha == pytest.approx(PX)
    assert r[("Forest Remaining Forest", "Harvest/Other")].emissions_t_co2e_per_yr == pytest.approx(
        PX * 40 * K / yrs
    )
    # The pixel burned only in 2016–2019 is undisturbed in 2011–2016, and disturbed forest gets no removals.
    und = r[("Forest Remaining Forest", "Undisturbed")]
    assert und.area_ha == pytest.approx(PX)
    assert und.removals_t_co2e_per_yr == pytest.approx(PX * -1.0 * K)
    r2 = rows(reg.inventory("A", (2011, 2019)))
    assert r2[("Forest Remaining Forest", "Fire")].area_ha == pytest.approx(2 * PX)


def test_harvest_severity_columns(make_region):
    lc = [[41, 41, 41, 41, 41]]
    table = (
        "ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,"
        "Forests Remaining Forest Removal Factor,Fire Emissions Factor,Insect Emissions Factor,"
        "Harvest Emissions Factor,Harvest_EF_0_25,Harvest_EF_25_50,Harvest_EF_50_75,Harvest_EF_75_100,source\n"
        "7,Northeast,g,20-100,0,-1,-1,30,5,40,-2,10,20,50,test\n"
    )
    cat = make_region(
        {2011: lc, 2019: lc},
        codes=[[7] * 5],
        disturbance={(2011, 2019): [[1, 2, 3, 4, 0]]},
        forest_rows=table,
    )
    r = rows(learn.open_region("t", cat).inventory("A", (2011, 2019)))
    h = r[("Forest Remaining Forest", "Harvest/Other")]
    assert h.area_ha == pytest.approx(4 * PX)
    assert h.emissions_t_co2e_per_yr == pytest.approx(PX * (-2 + 10 + 20 + 50) * K / 8)


def test_recategorise_burned_grassland_moves_without_double_counting(make_region):
    lc11, lc19 = [[41, 41, 41]], [[71, 71, 41]]
    ones = np.ones((1, 3))
    cat = make_region(
        {2011: lc11, 2019: lc19},
        codes=[[7, 7, 7]],
        carbon=(ones * 100, ones * 20, ones * 50),
        disturbance={(2011, 2019): [[10, 0, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    reg = learn.open_region("t", cat)
    off = rows(reg.inventory("A", (2011, 2019)))
    on = rows(reg.inventory("A", (2011, 2019), InventoryOptions(recategorize_burned_grassland=True)))
    grass = (100 * 0.5 + 20) * PX * K / 8
    assert off[("Forest Change", "To Grassland")].area_ha == pytest.approx(2 * PX)
    assert off[("Forest Change", "To Grassland")].emissions_t_co2e_per_yr == pytest.approx(2 * grass)
    assert off[("Forest Remaining Forest", "Fire")].area_ha == pytest.approx(0)
    assert on[("Forest Change", "To Grassland")].area_ha == pytest.approx(PX)
    assert on[("Forest Change", "To Grassland")].emissions_t_co2e_per_yr == pytest.approx(grass)
    assert on[("Forest Remaining Forest", "Fire")].area_ha == pytest.approx(PX)
    assert on[("Forest Remaining Forest", "Fire")].emissions_t_co2e_per_yr == pytest.approx(PX * 30 * K / 8)
    # Burned pixel gets no removals; the unburned FRF pixel keeps its removals either way.
    assert on[("Forest Remaining Forest", "Undisturbed")].area_ha == pytest.approx(PX)
    total_area_on = (
        sum(
            on[k].area_ha
            for k in on
            if k[0] == "Forest Change" and k[1] != "Reforestation (Non-Forest to Forest)"
        )
        + on[("Forest Remaining Forest", "Fire")].area_ha
        + on[("Forest Remaining Forest", "Undisturbed")].area_ha
    )
    assert total_area_on == pytest.approx(3 * PX)


def test_missing_factor_rows_and_uncoded_forest_are_reported(make_region):
    lc = [[41, 41, 41, 41]]
    cat = make_region(
        {2011: lc, 2019: lc}, codes=[[7, 99, 99, 0]], forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40))
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    r = rows(rep)
    assert r[("Forest Remaining Forest", "Undisturbed")].area_ha == pytest.approx(PX)
    text = " ".join(rep.warnings)
    assert "2 forest pixels (0.18 ha)" in text and "[99]" in text
    assert "0.09 ha of forest (remaining or new) have no forest age-type-region code" in text


def test_canopy_years_scaling(make_region):
    lc = [[21, 21]]
    cat = make_region({2011: lc, 2019: lc}, canopy={2011: [[50, 30]], 2016: [[40, 30]]}, tof_rows=TOF_DEFAULT)
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    lost = rows(rep)[("Trees Outside Forest", "Tree canopy loss")]
    scale = 8 / 5  # inventory years / canopy years
    assert lost.area_ha == pytest.approx(10 * 0.01 * PX * scale)
    assert lost.emissions_t_co2e_per_yr == pytest.approx(10 * 0.01 * PX * scale * 50 * K / 8)
    assert lost.factors["canopy_years"] == [2011, 2016]


def test_canopy_fraction_units(make_region):
    lc = [[21, 21]]
    cat = make_region(
        {2011: lc, 2019: lc},
        canopy={2011: [[0.5, 0.3]], 2019: [[0.4, 0.3]]},
        tof_rows=TOF_DEFAULT,
        canopy_units="fraction",
    )
    kept = rows(learn.open_region("t", cat).inventory("A", (2011, 2019)))[
        ("Trees Outside Forest", "Canopy maintained/gained")
    ]
    assert kept.area_ha == pytest.approx((0.45 + 0.3) * PX)


def test_nodata_never_counts_as_a_class(make_region):
    lc11, lc19 = [[0, 82, 250]], [[41, 82, 41]]
    cat = make_region(
        {2011: lc11, 2019: lc19}, canopy={2011: [[255, 254, 50]], 2019: [[255, 60, 50]]}, tof_rows=TOF_DEFAULT
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    assert rep.change_matrix.total_ha == pytest.approx(PX)
    assert rep.boundary.nodata_area_ha == pytest.approx(2 * PX)
    assert 0 not in rep.change_matrix.classes and 250 not in rep.change_matrix.classes
    crop = {c.category: c for c in rep.tree_canopy}["Cropland"]
    assert crop.area_ha == pytest.approx(PX)
    assert crop.canopy_ha == pytest.approx(0.0)  # 254 → 60 is background, not canopy
    assert any("no valid land-cover class" in w for w in rep.warnings)


def test_missing_layers_are_explicit_not_zero(make_region):
    lc11, lc19 = [[41, 41]], [[21, 41]]
    rep = learn.open_region("t", make_region({2011: lc11, 2019: lc19})).inventory("A", (2011, 2019))
    r = rows(rep)
    assert r[("Forest Change", "To Settlement")].area_ha == pytest.approx(PX)
    assert r[("Forest Change", "To Settlement")].emissions_t_co2e_per_yr is None
    assert r[("Forest Remaining Forest", "Undisturbed")].removals_t_co2e_per_yr is None
    assert r[("Trees Outside Forest", "Tree canopy loss")].emissions_t_co2e_per_yr is None
    text = " ".join(rep.warnings)
    for needle in (
        "no carbon pool layers",
        "no forest factor table",
        "no disturbance raster",
        "no tree canopy layer",
    ):
        assert needle in text


def test_exact_coverage_weights_edge_pixels(make_region):
    lc = [[41, 82], [41, 82]]
    # Covers column 0 fully and 40 % of column 1 (12 m of 30): the centre rule counts only column 0.
    xmin, ymin, _, ymax = pixel_box(0, 0, 2, 2).bounds
    geom = shapely.box(xmin, ymin, xmin + 30.0 + 12.0, ymax)
    cat = make_region({2011: lc, 2019: lc}, boundaries=[("A", "a", geom)])
    reg = learn.open_region("t", cat)
    centre = reg.inventory("A", (2011, 2019))
    exact = reg.inventory("A", (2011, 2019), InventoryOptions(pixel_rule="exact"))
    assert centre.change_matrix.total_ha == pytest.approx(2 * PX)
    assert exact.change_matrix.total_ha == pytest.approx(2 * PX + 2 * 0.4 * PX)
    assert exact.boundary.polygon_area_ha == pytest.approx(exact.boundary.area_ha)


# ---- completeness of the totals (IPCC "NE": rows not estimated are named, not silently left out) ------------
FRF = "Forest Remaining Forest"
FIRE_ROW, INSECT_ROW, HARVEST_ROW = (f"{FRF} — {t}" for t in ("Fire", "Insect/Disease", "Harvest/Other"))


def test_totals_of_a_full_region_are_complete(make_region):
    """Every layer and factor table: every row estimated. Rows with 0 ha (here Fire) are 0, not null."""
    shape = np.array(LC11).shape
    cat = make_region(
        {2011: LC11, 2019: LC19},
        carbon=(np.full(shape, LIVE), np.full(shape, DEAD), np.full(shape, SOIL)),
        codes=[[0, 0, 0, 0, 7], [7, 0, 0, 8, 7]],
        canopy={2011: [[90] * 5, [90, 40, 80, 10, 90]], 2019: [[10, 5, 20, 0, 90], [90, 20, 0, 60, 95]]},
        disturbance={(2011, 2019): [[0, 0, 0, 0, 5], [2, 0, 0, 0, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40), (8, -2.0, -1.2, 31, 6, 41)),
        tof_rows=TOF_DEFAULT,
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    assert rep.totals.complete is True
    assert rep.totals.not_estimated == []
    assert all(r.net_t_co2e_per_yr is not None for r in rep.inventory)
    fire = rows(rep)[(FRF, "Fire")]
    assert (fire.area_ha, fire.emissions_t_co2e_per_yr) == (0.0, 0.0)
    assert rows(rep)[(FRF, "Insect/Disease")].emissions_t_co2e_per_yr == pytest.approx(PX * 5 * K / 8)
    assert not any("totals are partial" in w for w in rep.warnings)


def test_totals_without_a_disturbance_layer_leave_out_the_disturbance_rows(basic):
    rep = basic.inventory("A", (2011, 2019))  # `basic` has every layer but disturbance
    assert rep.totals.complete is False
    assert rep.totals.not_estimated == [FIRE_ROW, INSECT_ROW, HARVEST_ROW]
    assert any("totals are partial: 3 inventory row(s)" in w for w in rep.warnings)


def test_totals_of_a_fetched_region_are_partial_and_name_what_is_missing(make_region):
    """Land cover + tree canopy only (what `learn fetch` makes): no carbon pools, forest codes, forest factor
    table or disturbance. Forest→Cropland, Forest→Settlement, forest remaining forest (1 px), Cropland→Cropland."""
    cat = make_region(
        {2011: [[41, 41, 41, 82]], 2019: [[21, 41, 82, 82]]},
        canopy={2011: [[90, 90, 90, 40]], 2019: [[0, 90, 0, 20]]},
        tof_rows=TOF_DEFAULT,
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    assert rep.totals.complete is False
    assert rep.totals.not_estimated == [
        "Forest Change — To Cropland",
        "Forest Change — To Settlement",
        f"{FRF} — Undisturbed",
        FIRE_ROW,
        INSECT_ROW,
        HARVEST_ROW,
    ]
    # Forest→Grassland/Wetland/Other and Reforestation are null too, but 0 ha: they do not occur, so the totals
    # lack nothing there. Rows without a factor still give their area (no disturbance layer: its rows' is unknown).
    r = rows(rep)
    assert r[("Forest Change", "Reforestation (Non-Forest to Forest)")].area_ha == 0.0
    assert r[(FRF, "Undisturbed")].area_ha == pytest.approx(PX)  # the one forest pixel that stays forest
    assert r[(FRF, "Fire")].area_ha is None
    for type_ in ("To Grassland", "To Wetland", "To Other"):
        assert r[("Forest Change", type_)].area_ha == 0.0
        assert r[("Forest Change", type_)].net_t_co2e_per_yr is None
    # The totals still add up what was estimated: the Trees Outside Forest rows of the 82→82 pixel (40 → 20 %).
    canopy_ha, loss_ha = 30 * 0.01 * PX, 20 * 0.01 * PX
    assert rep.totals.gross_emissions_t_co2e_per_yr == pytest.approx(loss_ha * 50 * K / 8)
    assert rep.totals.gross_removals_t_co2e_per_yr == pytest.approx(canopy_ha * -4 * K)
    net = loss_ha * 50 * K / 8 + canopy_ha * -4 * K
    assert rep.totals.net_t_co2e_per_yr == pytest.approx(net)
    assert r[("Total", "Total")].net_t_co2e_per_yr == pytest.approx(net)
    assert {s.category: s.net_t_co2e_per_yr for s in rep.ipcc_summary}["Total"] == pytest.approx(net)
    assert any("totals are partial: 6 inventory row(s)" in w for w in rep.warnings)


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("carbon", ["Forest Change — To Cropland", "Forest Change — To Settlement"]),
        # Without a factor table only the removals are not estimated: every row has its area (no
        # reforestation, no disturbance: 0 ha, so not missing) and fire/harvest would be stock-based.
        ("forest factor table", [f"{FRF} — Undisturbed"]),
    ],
)
def test_not_estimated_names_the_rows_of_the_missing_layer(make_region, missing, expected):
    lc11, lc19 = [[41, 41, 41, 82]], [[21, 41, 82, 82]]
    ones = np.ones((1, 4))
    cat = make_region(
        {2011: lc11, 2019: lc19},
        carbon=None if missing == "carbon" else (ones * LIVE, ones * DEAD, ones * SOIL),
        codes=[[7, 7, 7, 0]],
        canopy={2011: [[90, 90, 90, 40]], 2019: [[0, 90, 0, 20]]},
        disturbance={(2011, 2019): [[0, 0, 0, 0]]},
        forest_rows=None if missing == "forest factor table" else forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
    )
    totals = learn.open_region("t", cat).inventory("A", (2011, 2019)).totals
    assert (totals.complete, totals.not_estimated) == (False, expected)


def test_reports_written_before_the_completeness_keys_get_them_from_their_rows(make_region):
    from learn.report.models import Report, Totals

    cat = make_region({2011: [[41, 41]], 2019: [[21, 41]]})  # land cover only
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    doc = rep.model_dump(mode="json")
    for key in ("complete", "not_estimated"):
        del doc["totals"][key]
    old = Report.model_validate(doc)
    assert old.totals.complete is False
    assert old.totals.not_estimated == rep.totals.not_estimated
    assert rep.totals.not_estimated[0] == "Forest Change — To Settlement"
    assert Totals.model_validate(doc["totals"]).complete is True  # the bare Totals keeps its defaults
    assert Totals.model_validate(doc["totals"]).not_estimated == []
