"""Disturbance emissions from the carbon on the disturbed pixels when the forest table gives no EFs:
hand-computed on a few pixels (docs/method.md §3.5; learn/factors/disturbance_stock_rules.csv)."""

from __future__ import annotations

import numpy as np
import pytest

import learn
from learn.accounting.stock_emissions import load_stock_rules

K = 44 / 12
PX = 0.09
FRF = "Forest Remaining Forest"


def _rows(report):
    return {(r.category, r.type): r for r in report.inventory}


def test_fire_and_harvest_from_live_carbon_without_a_factor_table(make_region):
    # Six forest pixels that stay forest: fire, harvest classes 1-4, undisturbed; live carbon 100..600 t C/ha.
    lc = [[41, 41, 41, 41, 41, 41]]
    live = np.array([[100.0, 200.0, 300.0, 400.0, 500.0, 600.0]])
    cat = make_region(
        {2011: lc, 2019: lc},
        carbon=(live, live * 0 + 20, live * 0 + 50),
        disturbance={(2011, 2019): [[10, 1, 2, 3, 4, 0]]},
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    r = _rows(rep)
    years = 8
    # Fire: 2 t dm/t C × live/(1 + 0.26) × 0.51 × 1569 g/kg / 1000, per pixel area, per year.
    fire_t_co2 = 100.0 * PX * 2 / 1.26 * 0.51 * 1.569 / years
    assert r[(FRF, "Fire")].area_ha == pytest.approx(PX)
    assert r[(FRF, "Fire")].emissions_t_co2e_per_yr == pytest.approx(fire_t_co2, rel=1e-6)
    # Harvest: each class's share (0.13, 0.38, 0.63, 0.88) of the pixel's live carbon, × 44/12, per year.
    shares = [0.13, 0.38, 0.63, 0.88]
    per_class = [v * PX * sh * K / years for v, sh in zip((200.0, 300.0, 400.0, 500.0), shares, strict=True)]
    assert r[(FRF, "Harvest/Other")].area_ha == pytest.approx(4 * PX)
    assert r[(FRF, "Harvest/Other")].emissions_t_co2e_per_yr == pytest.approx(sum(per_class), rel=1e-6)
    by_class = {h.severity: h for h in rep.harvest_by_severity}
    for k in (1, 2, 3, 4):
        assert by_class[k].area_ha == pytest.approx(PX)
        assert by_class[k].emissions_t_co2e_per_yr == pytest.approx(per_class[k - 1], rel=1e-6)
        assert by_class[k].factors["share_of_live_carbon"] == shares[k - 1]
    # Labelled as this tool's estimate, with the rules' sources; insect not estimated (area 0: no "NE").
    fire = r[(FRF, "Fire")].factors
    assert (
        fire["estimate"] == "this tool's (not a LEARN factor)" and fire["sha256"] == load_stock_rules().sha256
    )
    assert {c["key"] for c in fire["rules"]} >= {"combustion_factor", "below_to_above_ground_ratio"}
    assert any("stock-based estimate" in w for w in rep.warnings)
    assert r[(FRF, "Insect/Disease")].area_ha == 0.0 and r[(FRF, "Insect/Disease")].net_t_co2e_per_yr is None
    # Undisturbed: area known (1 pixel), removals need the factor table: the one row not estimated.
    assert r[(FRF, "Undisturbed")].area_ha == pytest.approx(PX)
    assert [n for n in rep.totals.not_estimated if n.startswith("Forest")] == [f"{FRF} — Undisturbed"]
    assert rep.totals.gross_emissions_t_co2e_per_yr == pytest.approx(fire_t_co2 + sum(per_class), rel=1e-6)


def test_a_table_with_emission_factors_overrides_the_stock_rules(make_region):
    from conftest import forest_table

    lc = [[41, 41]]
    cat = make_region(
        {2011: lc, 2019: lc},
        carbon=(np.array([[100.0, 100.0]]), np.array([[20.0, 20.0]]), np.array([[50.0, 50.0]])),
        codes=[[7, 7]],
        disturbance={(2011, 2019): [[10, 1]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    r = _rows(learn.open_region("t", cat).inventory("A", (2011, 2019)))
    assert r[(FRF, "Fire")].emissions_t_co2e_per_yr == pytest.approx(PX * 30 * K / 8)  # the table's EF
    assert r[(FRF, "Harvest/Other")].emissions_t_co2e_per_yr == pytest.approx(PX * 40 * K / 8)
    assert "method" not in r[(FRF, "Fire")].factors
