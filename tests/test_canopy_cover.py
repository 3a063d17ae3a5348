"""Tree canopy cover of the whole boundary (``report.tree_canopy_cover``), by hand on four pixels."""

from __future__ import annotations

import pytest

import learn

PX = 0.09


def test_canopy_cover_of_the_whole_boundary_in_both_canopy_years(make_region):
    # Forest, forest, cropland, developed; the developed pixel has no canopy data (255) and is left out.
    lc = [[41, 41, 82, 21]]
    cat = make_region({2011: lc, 2019: lc}, canopy={2011: [[90, 80, 40, 255]], 2019: [[90, 60, 20, 255]]})
    cover = learn.open_region("t", cat).inventory("A", (2011, 2019)).tree_canopy_cover
    assert cover is not None and (cover.start_year, cover.end_year) == (2011, 2019)
    assert cover.area_ha == pytest.approx(3 * PX)
    assert cover.canopy_start_ha == pytest.approx((0.9 + 0.8 + 0.4) * PX)
    assert cover.canopy_end_ha == pytest.approx((0.9 + 0.6 + 0.2) * PX)
    assert cover.percent_start == pytest.approx(70.0)
    assert cover.percent_end == pytest.approx(170 / 3)
    assert cover.change_points == pytest.approx(170 / 3 - 70.0)


def test_no_canopy_layer_no_cover(make_region):
    cat = make_region({2011: [[41]], 2019: [[41]]})
    assert learn.open_region("t", cat).inventory("A", (2011, 2019)).tree_canopy_cover is None
