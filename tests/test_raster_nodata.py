"""The raster stage honours the nodata each categorical layer declares (F13), even when it is a real class."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import forest_table, write_tif

import learn

PX = 0.09


def test_declared_land_cover_nodata_is_no_class_even_when_it_is_a_forest_class(make_region):
    cat = make_region(
        {2011: [[41, 41, 82]], 2019: [[41, 42, 82]]},
        codes=[[7, 7, 0]],
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    before = learn.open_region("t", cat).inventory("A", (2011, 2019))
    undisturbed = next(r for r in before.inventory if r.type == "Undisturbed")
    assert undisturbed.area_ha == pytest.approx(2 * PX) and before.boundary.nodata_area_ha == 0
    # The same 2019 raster, now declaring 41 as its nodata: that pixel has no land-cover class in 2019.
    write_tif(cat.parent / "lc_2019.tif", np.array([[41, 42, 82]], dtype=np.uint8), nodata=41)
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    assert rep.boundary.nodata_area_ha == pytest.approx(PX)
    assert next(r for r in rep.inventory if r.type == "Undisturbed").area_ha == pytest.approx(PX)
    m = rep.change_matrix
    assert m.total_ha == pytest.approx(2 * PX)
    assert sum(row[m.classes.index(41)] for row in m.hectares) == 0  # nothing is class 41 in 2019
    assert any("no valid land-cover class in 2011 or 2019" in w for w in rep.warnings)


def test_declared_nodata_of_forest_codes_and_disturbance_is_honoured(make_region):
    lc = [[41, 41, 41]]
    cat = make_region(
        {2011: lc, 2019: lc},
        codes=[[7, 7, 7]],
        disturbance={(2011, 2019): [[10, 5, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
    )
    write_tif(cat.parent / "codes.tif", np.array([[7, 7, 9]], dtype=np.uint16), nodata=9)
    write_tif(cat.parent / "dist_2011_2019.tif", np.array([[10, 5, 5]], dtype=np.uint8), nodata=5)
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    r = {x.type: x for x in rep.inventory}
    assert r["Fire"].area_ha == pytest.approx(PX)
    assert r["Insect/Disease"].area_ha == 0  # 5 is the disturbance layer's nodata: no disturbance
    assert r["Undisturbed"].area_ha == pytest.approx(PX)  # the pixel of code 9 (nodata) has no code
    assert rep.totals.forest_area_left_out_ha == pytest.approx(PX)
