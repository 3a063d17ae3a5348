"""Forest left out of the forest rows (no code, no factor row) makes the totals partial (D13)."""

from __future__ import annotations

import pytest
from conftest import forest_table

import learn
from learn.report.labels import partial_total_text

PX = 0.09
FRF = "Forest Remaining Forest"


def test_forest_without_a_factor_row_or_code_makes_the_totals_partial(make_region):
    lc11, lc19 = [[41, 41, 41, 41, 82]], [[41, 41, 41, 41, 41]]
    cat = make_region(
        {2011: lc11, 2019: lc19},
        codes=[[7, 99, 99, 0, 99]],  # 99: no factor row; 0: no code; the last pixel is new forest
        disturbance={(2011, 2019): [[0, 0, 10, 0, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    t = rep.totals
    assert t.complete is False
    assert t.forest_area_left_out_ha == pytest.approx(4 * PX)
    assert [n for n in t.not_estimated if "in part" in n] == [
        "Forest Change — Reforestation (Non-Forest to Forest) (in part: forest without a forest code or factor row left out)",
        f"{FRF} — Undisturbed (in part: forest without a forest code or factor row left out)",
        f"{FRF} — Fire (in part: forest without a forest code or factor row left out)",
    ]
    assert any(
        "0.36 ha of forest without a forest age-type-region code or factor row" in w for w in rep.warnings
    )
    assert partial_total_text(rep).startswith("Partial total — not estimated")  # every display says partial


def test_coded_forest_with_factor_rows_stays_complete(make_region):
    lc = [[41, 41, 82]]
    cat = make_region(
        {2011: lc, 2019: lc}, codes=[[7, 7, 0]], forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40))
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    # Without a disturbance layer the disturbance rows are not estimated, but no forest is left out.
    assert rep.totals.forest_area_left_out_ha == 0.0
    assert not any("in part" in n for n in rep.totals.not_estimated)


def test_not_estimated_lists_partly_estimated_rows_in_report_order(make_region):
    lc = [[41, 41]]
    cat = make_region(
        {2011: lc, 2019: lc}, codes=[[7, 0]], forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40))
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    names = [n.split(" (in part")[0] for n in rep.totals.not_estimated]
    order = [f"{r.category} — {r.type}" for r in rep.inventory]
    assert names == sorted(names, key=order.index)
    assert names[0] == f"{FRF} — Undisturbed" and f"{FRF} — Fire" in names  # Fire: no disturbance layer
