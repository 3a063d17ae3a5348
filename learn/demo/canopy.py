"""Each canopy year's tree canopy percent: class range, texture, disturbance damage and slow gain."""

from __future__ import annotations

import numpy as np

from learn.demo.grid import FOREST_LUT, LC_YEARS, U8, _lut
from learn.demo.land_cover import _State
from learn.demo.landscape import _Landscape

# Canopy percent (low, high) by NLCD class for an undisturbed pixel.
CANOPY_RANGE = {
    11: (0, 0),
    21: (15, 45),
    22: (15, 45),
    23: (5, 20),
    24: (0, 8),
    31: (0, 5),
    41: (60, 95),
    42: (60, 95),
    43: (60, 95),
    52: (5, 30),
    71: (0, 15),
    81: (0, 15),
    82: (0, 5),
    90: (50, 85),
    95: (0, 15),
}
# Slow canopy gain, percentage points per year after 2011 (trees growing in yards, fields, forests).
CANOPY_GAIN = {21: 0.35, 22: 0.3, 23: 0.15, 41: 0.25, 42: 0.25, 43: 0.25, 52: 0.3, 71: 0.25, 81: 0.2, 90: 0.2}

CANOPY_LO = _lut({k: v[0] for k, v in CANOPY_RANGE.items()})
CANOPY_HI = _lut({k: v[1] for k, v in CANOPY_RANGE.items()})
CANOPY_GAIN_LUT = _lut(CANOPY_GAIN)


def _canopy(e: int, lc: U8, ls: _Landscape, st: _State) -> U8:
    """Tree canopy (percent 0–100, 255 nodata) of epoch ``e``: class range × persistent texture,
    minus disturbance damage, plus slow gain after 2011; young old-field forest builds up over ~15 years."""
    pot = CANOPY_LO[lc] + (CANOPY_HI[lc] - CANOPY_LO[lc]) * ls.canopy_s
    years = np.asarray(LC_YEARS)
    grown = (st.oldfield >= 0) & (e - st.oldfield.astype(np.int16) >= 3) & FOREST_LUT[lc]
    since = years[e] - years[np.clip(st.oldfield.astype(np.int16) + 3, 0, len(years) - 1)]
    pot = np.where(grown, pot * np.clip(0.55 + 0.03 * since, 0, 1), pot)
    gain = CANOPY_GAIN_LUT[lc] * max(years[e] - 2011, 0) * ls.canopy_g
    c = np.clip(np.rint(pot * (1 - st.damage) + gain), 0, 100).astype(np.uint8)
    c[lc == 11] = 0
    c[lc == 0] = 255
    return c
