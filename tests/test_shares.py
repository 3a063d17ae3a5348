"""Headline shares (report.shares): each inventory row's part of gross emissions and of gross removals,
hand-computed on a five-pixel region. 1 pixel = 0.09 ha; C→CO2 = 44/12; 8 years."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TOF_DEFAULT, forest_table

import learn
from learn.report.models import Report

LC11 = [[41, 41, 41, 82, 82]]
LC19 = [[21, 41, 41, 41, 82]]
#       F→Settl FRF FRF NF→F NF→NF (canopy 40 → 20 %)


@pytest.fixture
def tiny(make_region):
    shape = np.array(LC11).shape
    cat = make_region(
        {2011: LC11, 2019: LC19},
        carbon=(np.full(shape, 100.0), np.full(shape, 20.0), np.full(shape, 50.0)),
        codes=[[0, 7, 7, 7, 0]],
        canopy={2011: [[90, 90, 90, 10, 40]], 2019: [[0, 90, 90, 10, 20]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
    )
    return learn.open_region("t", cat)


def nonzero(side):
    return {(r.category, r.type): r.percent for r in side.rows if r.t_co2e_per_yr != 0}


def test_shares_hand_computed(tiny):
    rep = tiny.inventory("A", (2011, 2019))
    shares = rep.shares
    assert shares is not None
    # Emissions, in t C/ha of one pixel: Forest→Settlement loses live 100 + dead 20 + 30 % of soil 50 = 135;
    # the canopy lost (20 points of 1 pixel) emits the TOF EF 50 × 0.2 = 10. Shares 135/145 and 10/145.
    e = shares.gross_emissions
    assert nonzero(e) == {
        ("Forest Change", "To Settlement"): pytest.approx(100 * 135 / 145),
        ("Trees Outside Forest", "Tree canopy loss"): pytest.approx(100 * 10 / 145),
    }
    # Removals per pixel-year: 2 FRF pixels × 1.0, reforestation 1.5, canopy kept (40+20)/2 % × 4 = 1.2; Σ 4.7.
    r = shares.gross_removals
    assert nonzero(r) == {
        ("Forest Remaining Forest", "Undisturbed"): pytest.approx(100 * 2 / 4.7),
        ("Forest Change", "Reforestation (Non-Forest to Forest)"): pytest.approx(100 * 1.5 / 4.7),
        ("Trees Outside Forest", "Canopy maintained/gained"): pytest.approx(100 * 1.2 / 4.7),
    }
    # Each side is the report's own gross total, exactly, and its percents add up to 100 %.
    assert e.total_t_co2e_per_yr == rep.totals.gross_emissions_t_co2e_per_yr
    assert r.total_t_co2e_per_yr == rep.totals.gross_removals_t_co2e_per_yr
    assert e.total_t_co2e_per_yr == pytest.approx(145 * 0.09 * 44 / 12 / 8)
    assert r.total_t_co2e_per_yr == pytest.approx(-4.7 * 0.09 * 44 / 12)
    for side in (e, r):
        assert sum(x.percent for x in side.rows) == pytest.approx(100.0)
        assert sum(x.t_co2e_per_yr for x in side.rows) == pytest.approx(side.total_t_co2e_per_yr)
    # Every estimated row of a side is listed (zeros too), in report order, never the Total row.
    body = [x for x in rep.inventory if x.category != "Total"]
    assert [(x.category, x.type) for x in e.rows] == [
        (x.category, x.type) for x in body if x.emissions_t_co2e_per_yr is not None
    ]
    assert all(x.category != "Total" for x in e.rows + r.rows)


def test_rows_not_estimated_are_in_no_share(make_region):
    # No carbon pools: Forest→Settlement cannot be estimated; the shares are of what the totals hold.
    cat = make_region(
        {2011: LC11, 2019: LC19},
        codes=[[0, 7, 7, 7, 0]],
        canopy={2011: [[90, 90, 90, 10, 40]], 2019: [[0, 90, 90, 10, 20]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    assert not rep.totals.complete
    e = rep.shares.gross_emissions
    assert ("Forest Change", "To Settlement") not in {(x.category, x.type) for x in e.rows}
    assert nonzero(e) == {("Trees Outside Forest", "Tree canopy loss"): pytest.approx(100.0)}
    assert e.total_t_co2e_per_yr == rep.totals.gross_emissions_t_co2e_per_yr


def test_no_emissions_at_all_gives_no_percent(make_region):
    # Forest remaining forest only: every emission row is 0 t (carbon pools given, nothing lost).
    one = np.full((1, 2), 10.0)
    cat = make_region(
        {2011: [[41, 41]], 2019: [[41, 41]]},
        carbon=(one, one, one),
        codes=[[7, 7]],
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    e = rep.shares.gross_emissions
    assert e.total_t_co2e_per_yr == 0.0
    assert e.rows and all(x.percent is None for x in e.rows)
    assert nonzero(rep.shares.gross_removals) == {("Forest Remaining Forest", "Undisturbed"): 100.0}


def test_documents_without_shares_get_them_from_their_rows(tiny):
    rep = tiny.inventory("A", (2011, 2019))
    doc = json.loads(rep.to_json())
    assert "shares" in doc
    del doc["shares"]
    old = Report.model_validate(doc)
    assert old.shares == rep.shares
