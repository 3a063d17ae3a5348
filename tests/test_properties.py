"""Property tests (hypothesis): areas add up, split boundaries add up, fluxes are linear in factors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import forest_table, pixel_box
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import learn

CLASSES = [0, 11, 21, 22, 41, 42, 43, 52, 71, 81, 82, 90, 95, 31]


@st.composite
def landscapes(draw: st.DrawFn, max_side: int = 7) -> dict:
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(2, max_side))
    lc = st.sampled_from(CLASSES)
    return {
        "lc1": draw(arrays(np.uint8, (h, w), elements=lc)),
        "lc2": draw(arrays(np.uint8, (h, w), elements=lc)),
        "codes": draw(arrays(np.uint16, (h, w), elements=st.sampled_from([0, 7, 8, 99]))),
        "dist": draw(arrays(np.uint8, (h, w), elements=st.sampled_from([0, 1, 2, 5, 10]))),
        "c1": draw(arrays(np.uint8, (h, w), elements=st.integers(0, 100))),
        "c2": draw(arrays(np.uint8, (h, w), elements=st.integers(0, 100))),
        "carbon": draw(arrays(np.float32, (3, h, w), elements=st.floats(0, 200, width=32))),
        "split": draw(st.integers(1, w - 1)),
    }


def _region(make_region, d: dict, *, k: float = 1.0, boundaries=None):
    return learn.open_region(
        "t",
        make_region(
            {2011: d["lc1"], 2019: d["lc2"]},
            codes=d["codes"],
            disturbance={(2011, 2019): d["dist"]},
            canopy={2011: d["c1"], 2019: d["c2"]},
            carbon=tuple(d["carbon"] * k),
            forest_rows=forest_table(
                (7, -1.5 * k, -1.0 * k, 30 * k, 5 * k, 40 * k), (8, -2 * k, -0.5 * k, 20 * k, -1 * k, 35 * k)
            ),
            tof_rows=f"level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ndefault,,{50 * k},{-4 * k},t\n",
            boundaries=boundaries,
        ),
    )


@given(landscapes())
def test_change_matrix_sums_to_boundary_area(make_region, d):
    rep = _region(make_region, d).inventory("A", (2011, 2019))
    n = d["lc1"].size
    assert rep.boundary.area_ha == pytest.approx(n * 0.09)
    assert rep.change_matrix.total_ha + rep.boundary.nodata_area_ha == pytest.approx(rep.boundary.area_ha)
    valid = (d["lc1"] > 0) & (d["lc2"] > 0)
    assert rep.change_matrix.total_ha == pytest.approx(valid.sum() * 0.09)
    assert sum(c.area_ha for c in rep.tree_canopy) <= rep.change_matrix.total_ha + 1e-9


@given(landscapes())
def test_split_boundary_reports_add_up(make_region, d):
    h, w = d["lc1"].shape
    k = d["split"]
    bounds = [
        ("W", "whole", pixel_box(0, 0, h, w)),
        ("L", "left", pixel_box(0, 0, h, k)),
        ("R", "right", pixel_box(0, k, h, w)),
    ]
    reg = _region(make_region, d, boundaries=bounds)
    whole, left, right = (reg.inventory(b, (2011, 2019)) for b in ("W", "L", "R"))
    for rw, rl, rr in zip(whole.inventory, left.inventory, right.inventory, strict=True):
        assert (rw.category, rw.type) == (rl.category, rl.type) == (rr.category, rr.type)
        for field in ("area_ha", "emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr"):
            a, b, c = getattr(rw, field), getattr(rl, field), getattr(rr, field)
            if a is None:
                assert b is None and c is None
            else:
                assert a == pytest.approx((b or 0) + (c or 0), abs=1e-9)
    assert np.allclose(
        np.array(whole.change_matrix.hectares),
        np.array(left.change_matrix.hectares) + np.array(right.change_matrix.hectares),
    )


@given(landscapes(), st.sampled_from([0.5, 2.0, 3.0]))
def test_fluxes_are_linear_in_factors(make_region, d, k):
    base = _region(make_region, d).inventory("A", (2011, 2019))
    scaled = _region(make_region, d, k=k).inventory("A", (2011, 2019))
    for r0, r1 in zip(base.inventory, scaled.inventory, strict=True):
        assert r1.area_ha == pytest.approx(r0.area_ha)
        for field in ("emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr"):
            v0, v1 = getattr(r0, field), getattr(r1, field)
            assert (v0 is None) == (v1 is None)
            if v0 is not None:
                assert v1 == pytest.approx(k * v0, rel=1e-5, abs=1e-9)
