"""The 90 % interval from the removal factors' standard errors (learn.accounting.uncertainty), on tiny rasters."""

from __future__ import annotations

import numpy as np
import pytest

import learn
from learn.accounting.uncertainty import DRAWS, PERCENTILES, SEED

K = 44 / 12
PX = 0.09
HEADER = (
    "ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,"
    "Forests Remaining Forest Removal Factor,removal_factor_nonforest_to_forest_se_tc_ha_yr,"
    "removal_factor_forest_remaining_se_tc_ha_yr,source\n"
)


def _region(make_region, se_frf: float, se_nf: float, *, pixels_frf: int = 3, pixels_nf: int = 1):
    """Forest that stays forest (code 7) and non-forest that becomes forest (code 7), no disturbance layer."""
    lc1 = [[41] * pixels_frf + [82] * pixels_nf]
    lc2 = [[41] * (pixels_frf + pixels_nf)]
    table = HEADER + f"7,Northeast,Test group,20-100,0,-2.0,-1.0,{se_nf},{se_frf},test\n"
    return make_region({2011: lc1, 2019: lc2}, codes=[[7] * (pixels_frf + pixels_nf)], forest_rows=table)


def _totals(cat):
    return learn.open_region("t", cat).inventory("A", (2011, 2019))


def test_interval_by_hand_one_row_one_zone(make_region) -> None:
    rep = _totals(_region(make_region, se_frf=0.4, se_nf=0.3))
    t = rep.totals
    net = (3 * PX * -1.0 + 1 * PX * -2.0) * K
    assert t.net_t_co2e_per_yr == pytest.approx(net)
    # The draws: one standard normal per table row (here one), used for both rates of that row.
    z = np.random.default_rng(SEED).standard_normal((DRAWS, 1))[:, 0]
    delta = z * (0.4 * 3 * PX + 0.3 * 1 * PX) * K
    lo, hi = np.percentile(delta, PERCENTILES)
    assert t.net_p05_t_co2e_per_yr == pytest.approx(net + lo, rel=1e-12)
    assert t.net_p95_t_co2e_per_yr == pytest.approx(net + hi, rel=1e-12)
    assert t.gross_removals_p05_t_co2e_per_yr == pytest.approx(t.gross_removals_t_co2e_per_yr + lo, rel=1e-12)
    # A normal's 5th/95th percentiles are ∓1.645 σ: the 1,000 draws are within 10 % of that.
    sigma = (0.4 * 3 * PX + 0.3 * PX) * K
    assert hi == pytest.approx(1.645 * sigma, rel=0.1) and lo == pytest.approx(-1.645 * sigma, rel=0.1)
    assert t.net_p05_t_co2e_per_yr < t.net_t_co2e_per_yr < t.net_p95_t_co2e_per_yr
    assert t.uncertainty and t.uncertainty["draws"] == DRAWS and t.uncertainty["seed"] == SEED
    assert "carbon pools" in t.uncertainty["not_varied"]
    summary = {s.category: s for s in rep.ipcc_summary}
    frf = next(s for c, s in summary.items() if "remaining" in c.lower())
    frf_delta = np.percentile(z * 0.4 * 3 * PX * K, PERCENTILES)
    assert frf.net_p05_t_co2e_per_yr == pytest.approx(frf.net_t_co2e_per_yr + frf_delta[0], rel=1e-12)


def test_zero_standard_errors_give_the_point_estimate(make_region) -> None:
    t = _totals(_region(make_region, se_frf=0.0, se_nf=0.0)).totals
    assert t.net_p05_t_co2e_per_yr == t.net_t_co2e_per_yr == t.net_p95_t_co2e_per_yr


def test_the_interval_is_reproducible_and_shrinks_with_the_errors(make_region) -> None:
    wide = _totals(_region(make_region, se_frf=0.4, se_nf=0.4)).totals
    again = _totals(_region(make_region, se_frf=0.4, se_nf=0.4)).totals
    narrow = _totals(_region(make_region, se_frf=0.2, se_nf=0.2)).totals
    assert (wide.net_p05_t_co2e_per_yr, wide.net_p95_t_co2e_per_yr) == (
        again.net_p05_t_co2e_per_yr,
        again.net_p95_t_co2e_per_yr,
    )
    width = lambda t: t.net_p95_t_co2e_per_yr - t.net_p05_t_co2e_per_yr  # noqa: E731
    assert width(narrow) == pytest.approx(width(wide) / 2, rel=1e-9)


def test_no_standard_errors_no_interval(make_region) -> None:
    from conftest import forest_table

    cat = make_region(
        {2011: [[41]], 2019: [[41]]}, codes=[[7]], forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40))
    )
    t = _totals(cat).totals
    assert t.net_p05_t_co2e_per_yr is None and t.uncertainty is None
