"""A report says when trees outside forests use canopy years other than the inventory years (D5)."""

from __future__ import annotations

from conftest import TOF_DEFAULT

import learn


def _region(make_region):
    lc = [[21, 21]]
    return learn.open_region(
        "t",
        make_region(
            {2001: lc, 2004: lc, 2011: lc, 2013: lc},
            canopy={2011: [[50, 30]], 2013: [[40, 30]]},
            tof_rows=TOF_DEFAULT,
        ),
    )


def test_canopy_years_substituted_for_an_early_period_are_named_with_the_scale(make_region):
    rep = _region(make_region).inventory("A", (2001, 2004))
    notes = [w for w in rep.warnings if w.startswith("Trees outside forests use tree canopy")]
    assert notes == [
        "Trees outside forests use tree canopy 2011→2013 for the 2001–2004 inventory (the region has no tree "
        "canopy layer for 2001 or 2004): canopy area is the mean of 2011 and 2013, and canopy loss 2011→2013 is "
        "scaled by 3/2 = 1.5 to the inventory's 3 years"
    ]


def test_no_canopy_note_when_the_canopy_years_are_the_inventory_years(make_region):
    rep = _region(make_region).inventory("A", (2011, 2013))
    assert not any("use tree canopy" in w for w in rep.warnings)
