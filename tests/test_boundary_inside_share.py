"""How much of a boundary lies inside the region's grid (the warning of a boundary partly outside)."""

from __future__ import annotations

import shapely
from conftest import ORIGIN, PIXEL, pixel_box

import learn
from learn.pipeline.region_report import boundary_facts

LC = [[41, 41, 82, 82], [41, 41, 82, 82], [21, 41, 82, 82]]


def test_inside_share_of_interior_edge_and_partly_outside_boundaries(make_region):
    x0, y0 = ORIGIN
    half_out = shapely.box(x0 - 2 * PIXEL, y0 - 2 * PIXEL, x0 + 2 * PIXEL, y0 - PIXEL)  # row 1, cols -2..2
    cat = make_region(
        {2011: LC, 2019: LC},
        boundaries=[
            ("IN", "Interior", pixel_box(1, 1, 2, 3)),  # touches no edge of the grid
            ("EDGE", "Edge", pixel_box(0, 0, 3, 1)),  # along the grid's left edge, inside
            ("HALF", "Half out", half_out),
        ],
    )
    region = learn.open_region("t", cat)
    facts = boundary_facts(region, [region.boundary(b) for b in ("IN", "EDGE", "HALF")])
    assert [f.inside_share for f in facts] == [1.0, 1.0, 0.5]
    assert not any("outside the region" in w for w in region.inventory("IN", (2011, 2019)).warnings)
    warned = [w for w in region.inventory("HALF", (2011, 2019)).warnings if "outside the region" in w]
    assert len(warned) == 1 and "50.0 % of boundary 'HALF'" in warned[0]
