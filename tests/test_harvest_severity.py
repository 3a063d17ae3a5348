"""Harvest by severity (2026 LEARN update), hand-computed on a few pixels: the four classes of
Forest Remaining Forest — Harvest/Other, their sum equal to that row, and totals that count harvest once.
1 pixel = 0.09 ha; C→CO2 = 44/12; 2011–2019 = 8 years."""

from __future__ import annotations

import json

import pytest
from conftest import FOREST_HEADER, forest_table

import learn
from learn.report.models import Report

K = 44 / 12
PX = 0.09
YEARS = 8
FRF = "Forest Remaining Forest"

SEVERITY_HEADER = FOREST_HEADER.replace(
    "Harvest Emissions Factor,source",
    "Harvest Emissions Factor,Harvest_EF_0_25,Harvest_EF_25_50,Harvest_EF_50_75,Harvest_EF_75_100,source",
)
# code, RF N→F, RF FRF, EF fire, EF insect, EF harvest, EF severity 1–4 (t C/ha, t C/ha/yr)
SEVERITY_TABLE = (
    SEVERITY_HEADER
    + "7,Northeast,g,20-100,0,-1,-1,30,5,40,-2,10,20,50,test\n"
    + "8,Northeast,g,20-100,0,-1,-2,31,6,41,3,12,24,60,test\n"
)
# Ten forest-remaining-forest pixels: harvest codes 1–4 on two forest codes, one undisturbed, one burned.
LC = [[41] * 10]
CODES = [[7, 7, 7, 7, 8, 8, 8, 8, 7, 8]]
DIST = [[1, 2, 3, 4, 1, 2, 4, 4, 0, 10]]


def inventory(make_region, table: str, dist=DIST) -> Report:
    cat = make_region(
        {2011: LC, 2019: LC},
        codes=CODES,
        disturbance={(2011, 2019): dist} if dist is not None else None,
        forest_rows=table,
    )
    return learn.open_region("t", cat).inventory("A", (2011, 2019))


def row(report: Report, type_: str):
    return next(r for r in report.inventory if (r.category, r.type) == (FRF, type_))


def test_severity_classes_by_hand_and_their_sum_is_the_harvest_row(make_region):
    rep = inventory(make_region, SEVERITY_TABLE)
    by = {r.severity: r for r in rep.harvest_by_severity}
    assert [r.severity for r in rep.harvest_by_severity] == [1, 2, 3, 4]
    assert [r.canopy_loss_points for r in rep.harvest_by_severity] == ["1–25", "26–50", "51–75", "76–100"]
    # class: (pixels, Σ EF over its pixels, each with its own code's severity EF)
    hand = {1: (2, -2 + 3), 2: (2, 10 + 12), 3: (1, 20), 4: (3, 50 + 60 + 60)}
    for code, (pixels, ef_sum) in hand.items():
        assert by[code].area_ha == pytest.approx(pixels * PX)
        assert by[code].emissions_t_co2e_per_yr == pytest.approx(PX * ef_sum * K / YEARS)
        assert by[code].factors["column"] == f"Harvest_EF_{['0_25', '25_50', '50_75', '75_100'][code - 1]}"
        assert by[code].factors["table"] == "forest.csv" and len(by[code].factors["sha256"]) == 64
    assert by[1].factors["negative_factor_codes"] == {"Harvest_EF_0_25": [7]}
    harvest = row(rep, "Harvest/Other")
    assert harvest.area_ha == pytest.approx(8 * PX)
    assert harvest.emissions_t_co2e_per_yr == pytest.approx(PX * (1 + 22 + 20 + 170) * K / YEARS)
    assert sum(r.area_ha for r in by.values()) == pytest.approx(harvest.area_ha, rel=1e-12)
    assert sum(r.emissions_t_co2e_per_yr for r in by.values()) == pytest.approx(
        harvest.emissions_t_co2e_per_yr, rel=1e-12
    )


def test_totals_count_harvest_once(make_region):
    """The totals and the IPCC summary are those of the inventory rows alone, by hand."""
    rep = inventory(make_region, SEVERITY_TABLE)
    harvest_e = PX * (1 + 22 + 20 + 170) * K / YEARS
    fire_e = PX * 31 * K / YEARS  # the code-8 burned pixel
    undisturbed_r = PX * -1 * K  # the code-7 undisturbed pixel
    t = rep.totals
    assert t.gross_emissions_t_co2e_per_yr == pytest.approx(harvest_e + fire_e)
    assert t.gross_removals_t_co2e_per_yr == pytest.approx(undisturbed_r)
    assert t.net_t_co2e_per_yr == pytest.approx(harvest_e + fire_e + undisturbed_r)
    summary = {s.category: s.net_t_co2e_per_yr for s in rep.ipcc_summary}
    assert summary["Forest remaining forest"] == pytest.approx(harvest_e + fire_e + undisturbed_r)
    assert summary["Total"] == pytest.approx(t.net_t_co2e_per_yr)
    # The breakdown is not an inventory row: the report's row names and order are those of before.
    assert [r.type for r in rep.inventory if r.category == FRF] == [
        "Undisturbed",
        "Fire",
        "Insect/Disease",
        "Harvest/Other",
    ]
    assert len(rep.inventory) == 13
    # Only the Trees Outside Forest rows (no canopy layer) are missing: the classes are never listed.
    assert t.not_estimated == [
        "Trees Outside Forest — Tree canopy loss",
        "Trees Outside Forest — Canopy maintained/gained",
    ]


def test_a_table_without_severity_columns_splits_the_row_by_code_at_its_harvest_ef(make_region):
    """Binary tables: every class uses its code's Harvest Emissions Factor (40 for code 7, 41 for 8)."""
    rep = inventory(make_region, forest_table((7, -1, -1, 30, 5, 40), (8, -1, -2, 31, 6, 41)))
    by = {r.severity: r for r in rep.harvest_by_severity}
    hand = {1: (2, 40 + 41), 2: (2, 40 + 41), 3: (1, 40), 4: (3, 40 + 41 + 41)}
    for code, (pixels, ef_sum) in hand.items():
        assert by[code].area_ha == pytest.approx(pixels * PX)
        assert by[code].emissions_t_co2e_per_yr == pytest.approx(PX * ef_sum * K / YEARS)
        assert by[code].factors["column"] == "Harvest Emissions Factor"
        assert "no Harvest_EF_* severity columns" in by[code].factors["note"]
    harvest = row(rep, "Harvest/Other")
    assert sum(r.emissions_t_co2e_per_yr for r in by.values()) == pytest.approx(
        harvest.emissions_t_co2e_per_yr
    )


def test_a_binary_harvest_layer_puts_all_harvest_in_class_1(make_region):
    dist = [[1, 1, 1, 0, 1, 0, 0, 0, 0, 10]]  # a legacy binary layer: 1 = harvest
    rep = inventory(make_region, forest_table((7, -1, -1, 30, 5, 40), (8, -1, -2, 31, 6, 41)), dist)
    by = {r.severity: r for r in rep.harvest_by_severity}
    assert by[1].area_ha == pytest.approx(4 * PX)
    assert by[1].emissions_t_co2e_per_yr == pytest.approx(PX * (3 * 40 + 41) * K / YEARS)
    assert [(by[c].area_ha, by[c].emissions_t_co2e_per_yr) for c in (2, 3, 4)] == [(0.0, 0.0)] * 3
    assert by[1].emissions_t_co2e_per_yr == pytest.approx(row(rep, "Harvest/Other").emissions_t_co2e_per_yr)


def test_without_a_disturbance_layer_the_classes_are_null_like_the_row(make_region):
    rep = inventory(make_region, SEVERITY_TABLE, dist=None)
    assert row(rep, "Harvest/Other").area_ha is None
    assert [(r.area_ha, r.emissions_t_co2e_per_yr) for r in rep.harvest_by_severity] == [(None, None)] * 4
    assert "Forest Remaining Forest — Harvest/Other" in rep.totals.not_estimated


def test_reports_written_before_the_breakdown_still_load(make_region):
    doc = json.loads(inventory(make_region, SEVERITY_TABLE).to_json())
    del doc["harvest_by_severity"]
    old = Report.model_validate(doc)
    assert old.harvest_by_severity == []
    assert old.harvest_severity_frame().empty


def test_demo_classes_add_up_to_the_harvest_row_and_stay_out_of_the_totals(demo_catalog):
    """On every demo boundary: the classes add up to Harvest/Other, and the totals are those of the
    inventory rows alone (the severity rows would add harvest a second time)."""
    from learn.accounting.inventory import gross_totals

    for rep in learn.open_region("demo", demo_catalog).batch([(2011, 2019)]).reports:
        harvest = row(rep, "Harvest/Other")
        classes = rep.harvest_by_severity
        assert sum(r.area_ha for r in classes) == pytest.approx(harvest.area_ha, rel=1e-12, abs=1e-9)
        assert sum(r.emissions_t_co2e_per_yr for r in classes) == pytest.approx(
            harvest.emissions_t_co2e_per_yr, rel=1e-12, abs=1e-9
        )
        body = [r for r in rep.inventory if r.category != "Total"]
        assert (rep.totals.gross_emissions_t_co2e_per_yr, rep.totals.gross_removals_t_co2e_per_yr) == (
            gross_totals(body, [])
        )
