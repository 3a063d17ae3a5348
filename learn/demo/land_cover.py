"""Each epoch's land cover: the per-pixel history, development growth and composing the NLCD classes.

The history (:class:`_State`) is what disturbances write and what land cover and canopy are read from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learn.demo.grid import F32, FIRE_PERIOD, I8, LC_YEARS, U8, Bool
from learn.demo.landscape import _Landscape


@dataclass
class _State:
    """Per-pixel history from which every land-cover epoch is composed (indices into LC_YEARS/PERIODS)."""

    oldfield: I8  # epoch a farm field is abandoned (71 → 52 → forest), -1 never
    cc_start: I8  # first epoch a clearcut shows as non-forest, -1 none
    cc_len: I8  # number of epochs it stays non-forest
    cc_cls: U8  # its class in the first of those epochs (52 or 71)
    fire_cls: U8  # class of severely burned forest in the epoch after the fire, 0 = none
    fire_cls_late: U8  # its class two epochs after the fire
    last_harvest: I8  # period of the last harvest, -100 never
    young: Bool  # stand replaced at some point (clearcut, severe fire)
    burned: Bool
    damage: F32  # fraction (0–1) of canopy currently missing after disturbances


def _initial_state(rng: np.random.Generator, ls: _Landscape) -> _State:
    """Start state in 2001; abandons ~3 % of pasture/meadow parcels at a random later epoch."""
    shape = ls.lc_nat.shape
    p_epoch = np.where(rng.random(ls.n_parcels) < 0.03, rng.integers(1, len(LC_YEARS) - 1, ls.n_parcels), -1)
    oldfield = p_epoch[ls.parcel].astype(np.int8)
    oldfield[~np.isin(ls.lc_nat, (71, 81))] = -1
    return _State(
        oldfield=oldfield,
        cc_start=np.full(shape, -1, dtype=np.int8),
        cc_len=np.zeros(shape, dtype=np.int8),
        cc_cls=np.zeros(shape, dtype=np.uint8),
        fire_cls=np.zeros(shape, dtype=np.uint8),
        fire_cls_late=np.zeros(shape, dtype=np.uint8),
        last_harvest=np.full(shape, -100, dtype=np.int8),
        young=np.zeros(shape, dtype=bool),
        burned=np.zeros(shape, dtype=bool),
        damage=np.zeros(shape, dtype=np.float32),
    )


def _urban_class(ls: _Landscape, e: int) -> U8:
    """Development class (0, 21–24) of epoch ``e``; thresholds only fall, so development never reverts."""
    out = np.zeros(ls.urban.shape, dtype=np.uint8)
    for cls in (21, 22, 23, 24):
        out[ls.urban > ls.dev_thresholds[e][cls]] = cls
    dev: U8 = np.maximum(out, ls.road_cls)
    return dev


def _compose(e: int, ls: _Landscape, st: _State, dev: U8) -> U8:
    """Land cover (NLCD codes) of epoch ``e`` from the static landscape, the history and development."""
    lc = ls.lc_nat.copy()
    k = e - st.oldfield.astype(np.int16)
    field = st.oldfield >= 0
    lc[field & (k == 0)] = 71
    lc[field & (k >= 1) & (k <= 2)] = 52
    grown = field & (k >= 3)
    lc[grown] = ls.ft_map[grown]
    cc = (st.cc_start >= 0) & (st.cc_start <= e) & (e < st.cc_start + st.cc_len)
    lc[cc] = np.where(st.cc_start[cc] == e, st.cc_cls[cc], 52)
    if e == FIRE_PERIOD + 1:
        lc[st.fire_cls > 0] = st.fire_cls[st.fire_cls > 0]
    elif e > FIRE_PERIOD + 1:
        lc[st.fire_cls_late > 0] = st.fire_cls_late[st.fire_cls_late > 0]
    lc = np.where(dev > 0, dev, lc)
    lc[ls.nodata] = 0
    return lc
