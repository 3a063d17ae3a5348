"""The forest layers: LEARN forest age-type-region codes and the carbon pools (live, dead + litter, soil)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from learn.demo.grid import F32, FOREST_LUT, U8, Bool, _lut
from learn.demo.land_cover import _State
from learn.demo.landscape import _Landscape
from learn.demo.noise import _blob, _choose, _field, _quantile, _window

# Soil organic carbon (t C/ha) of non-forest classes before noise; water 0 (no soil mapped under lakes).
SOIL_NONFOREST = {21: 45, 22: 42, 23: 38, 24: 33, 31: 30, 52: 62, 71: 60, 81: 60, 82: 48, 95: 84, 11: 0}


def _forest_codes(
    rng: np.random.Generator, lcs: list[U8], ls: _Landscape, st: _State
) -> tuple[npt.NDArray[np.uint16], U8, Bool]:
    """LEARN forest age-type-region code on every pixel that is forest in any epoch (0 elsewhere).

    Code = 1000 (Northeast) + 100 × group (1 maple/beech/birch, 2 oak/hickory, 3 pine, 4 spruce/fir,
    5 other hardwoods) + age class (1: 0–20, 2: 20–100, 3: 100+ years). Group 5 covers ~0.3 % of forest in a
    few clumps. Every code drawn has a row in ``learn/factors/demo_forest_factors_SYNTHETIC.csv`` (the clumps
    were code 1999, without a row, until generator 1.1.0: the demo's totals were partial; forest without a
    factor row is tested on hand-made rasters, tests/test_partial_forest.py).
    Returns (codes, age class 0–3, forest-in-any-epoch mask).
    """
    shape = ls.lc_nat.shape
    forest_any = np.logical_or.reduce([FOREST_LUT[lc] for lc in lcs])
    mix = _field(rng, shape, 25)
    spruce = 0.8 * ls.elev + 0.6 * _field(rng, shape, 180)
    oak = -0.5 * ls.elev + 0.9 * _field(rng, shape, 250)
    evergreen = (ls.ft_map == 42) | ((ls.ft_map == 43) & (mix < 0))
    wet = ls.lc_nat == 90  # woody wetlands: red maple swamps, spruce swamps on the high side
    evergreen = np.where(wet, spruce > _quantile(spruce, 0.85), evergreen)
    spruce_th = float(np.median(spruce[::5, ::5][evergreen[::5, ::5]]))
    group = np.where(evergreen, np.where(spruce > spruce_th, 4, 3), np.where((oak > 0) & ~wet, 2, 1))

    young = st.young | (forest_any & ~FOREST_LUT[lcs[0]]) | (_field(rng, shape, 20) > 1.7)
    old = np.zeros(shape, dtype=bool)
    core_ok = forest_any & FOREST_LUT[lcs[0]] & (ls.d_road > 45) & (ls.d_town > 250) & ~young
    for centre in _choose(rng, core_ok, 4):
        rs, cs, dr, dc = _window(centre, 70, shape)
        old[rs, cs] |= _blob(rng, dr, dc, float(rng.uniform(25, 40)))
    age = np.full(shape, 2, dtype=np.uint8)
    age[old] = 3
    age[young] = 1
    codes = (1000 + 100 * group + age).astype(np.uint16)

    clump_r = math.sqrt(0.003 * forest_any.sum() / 5 / math.pi / 0.8)
    for centre in _choose(rng, forest_any & (ls.d_road > clump_r) & ~old, 5):
        rs, cs, dr, dc = _window(centre, 1.5 * clump_r + 4, shape)
        clump = _blob(rng, dr, dc, clump_r)
        codes[rs, cs][clump] = 1500 + age[rs, cs][clump].astype(np.uint16)
    codes[~forest_any | ls.nodata] = 0
    age[~forest_any] = 0
    return codes, age, forest_any


SOIL_LUT = _lut(SOIL_NONFOREST, default=50.0)


def _carbon(
    rng: np.random.Generator, lc: U8, canopy: U8, forest_any: Bool, age: U8, ls: _Landscape
) -> tuple[F32, F32, F32]:
    """Carbon pools (t C/ha; -9999 nodata): live, dead wood + litter, soil organic carbon.

    Forest (any epoch): live 50–130 by age class, dead 10–35 following live, soil 50–110 (wetter higher).
    Other land (classes of ``lc``, the 2016 epoch): live 0–15 from canopy, dead 0–5, soil 30–90; water 0.
    """
    shape = lc.shape
    n_live, n_dead = _field(rng, shape, 12), _field(rng, shape, 8)
    n_soil = 0.9 * _field(rng, shape, 60) + 0.3 * _field(rng, shape, 10)
    base = np.array([0, 62, 92, 118], dtype=np.float32)[age]
    spread = np.array([0, 8, 12, 7], dtype=np.float32)[age]
    lo = np.array([0, 50, 65, 100], dtype=np.float32)[age]
    hi = np.array([0, 80, 120, 130], dtype=np.float32)[age]
    live_f = np.clip(base + spread * n_live, lo, hi)
    dead_f = np.clip(10 + 0.25 * (live_f - 50) + 3 * n_dead, 10, 35)
    soil_f = np.clip(78 + 12 * n_soil + 20 * (ls.lc_nat == 90), 50, 110)

    tc = np.where(canopy == 255, 0, canopy).astype(np.float32)
    live_n = np.clip(0.3 * tc + 0.8 * n_live, 0, 15)
    dead_n = np.clip(0.3 * live_n + 0.3 * n_dead, 0, 5)
    soil_n = np.clip(SOIL_LUT[lc] + 8 * n_soil, 30, 90)
    water = (lc == 11) & ~forest_any
    out = []
    for f, n in ((live_f, live_n), (dead_f, dead_n), (soil_f, soil_n)):
        a = np.round(np.where(forest_any, f, n), 1).astype(np.float32)
        a[water] = 0.0
        a[ls.nodata] = -9999.0
        out.append(a)
    return out[0], out[1], out[2]
