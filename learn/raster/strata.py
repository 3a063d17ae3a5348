"""The raster stage: one pass over stacked layers → a per-zone stratum table.

A *stratum* is a unique (zone, land cover year 1, land cover year 2, forest age-type-region code,
combined disturbance code). For each stratum the kernel returns the pixel weight (pixels, or
covered fractions with exact coverage) and weighted sums of the continuous layers:

============================  ===============================================================
column                        meaning (units)
============================  ===============================================================
``pixels``                    Σ w (pixels; × pixel area → ha)
``carbon_live_sum``           Σ w · live carbon (t C/ha · pixel)
``carbon_dead_litter_sum``    Σ w · dead wood + litter carbon (t C/ha · pixel)
``carbon_soil_sum``           Σ w · soil organic carbon (t C/ha · pixel)
``carbon_missing_pixels``     Σ w over pixels whose carbon is nodata (counted as 0 stock)
``canopy1_sum``               Σ w · canopy year 1 (percent or fraction · pixel)
``canopy2_sum``               Σ w · canopy year 2
``canopy_loss_sum``           Σ w · max(canopy1 − canopy2, 0)
``canopy_pixels``             Σ w over pixels with valid canopy in both years
============================  ===============================================================

The kernel is compiled (:mod:`learn.raster.kernel`, numba, one pass into a hash table of strata); I/O and
accounting live elsewhere. Partial tables from different windows, threads or workers add up
(:func:`combine`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from learn.layers import FIRE_NOT_MAPPED
from learn.raster.stratum_sums import SUMS

if TYPE_CHECKING:
    from learn.raster.kernel import StratumAccumulator

KEY_COLUMNS = ("zone", "lc1", "lc2", "forest_age_type_region", "disturbance")
SUM_COLUMNS = SUMS  # defined next to the kernel that fills them


@dataclass
class WindowArrays:
    """The arrays of one window, all the same shape.

    ``zone``: int32 zone index (-1 = outside every zone); ``weight``: float32 pixel weight (0–1);
    ``lc1``/``lc2``: uint8 NLCD codes; ``code``: forest age-type-region code (0 = none);
    ``disturbance``: uint8 combined code; ``carbon``: pool name → float t C/ha (NaN = nodata);
    ``canopy1``/``canopy2``: float canopy (NaN = nodata).
    """

    zone: npt.NDArray[np.int32]
    weight: npt.NDArray[np.float32]
    lc1: npt.NDArray[np.uint8]
    lc2: npt.NDArray[np.uint8]
    code: npt.NDArray[np.integer] | None = None
    disturbance: npt.NDArray[np.uint8] | None = None
    carbon: Mapping[str, npt.NDArray[np.floating]] | None = None
    canopy1: npt.NDArray[np.floating] | None = None
    canopy2: npt.NDArray[np.floating] | None = None


def empty_strata() -> pd.DataFrame:
    cols: dict[str, pd.Series] = {c: pd.Series(dtype="int64") for c in KEY_COLUMNS}
    cols.update({c: pd.Series(dtype="float64") for c in SUM_COLUMNS})
    return pd.DataFrame(cols)


def reduce_window(a: WindowArrays, acc: StratumAccumulator | None = None) -> pd.DataFrame:
    """Stratum table of one window (see the module docstring for the columns).

    With ``acc`` the window is added to that accumulator (and its running table is returned).
    """
    from learn.raster.kernel import StratumAccumulator  # numba: loaded where a window is reduced

    acc = acc if acc is not None else StratumAccumulator()
    carbon = None
    if a.carbon is not None:
        carbon = (a.carbon["carbon_live"], a.carbon["carbon_dead_litter"], a.carbon["carbon_soil"])
    canopy = (a.canopy1, a.canopy2) if a.canopy1 is not None and a.canopy2 is not None else None
    acc.add(
        a.zone,
        a.lc1,
        a.lc2,
        weight=a.weight,
        code=a.code,
        disturbance=a.disturbance,
        carbon=carbon,
        canopy=canopy,
    )
    return acc.to_frame()


def combine_disturbance(periods: Sequence[npt.NDArray[np.integer]]) -> npt.NDArray[np.integer]:
    """Combined disturbance code per pixel: the MAX over the period rasters, so fire (10) wins over
    insect (5) and insect over harvest (1–4), and each pixel is in one class (LEARN's CellStatistics
    MAXIMUM). Code 9 (fire not mapped, :data:`learn.sources.forest_derive.FIRE_NOT_MAPPED`) is kept only
    where no period has another code: a known disturbance wins over "fire not estimated"."""
    if len(periods) == 1:
        return periods[0]
    top = np.maximum.reduce(list(periods))
    unmapped = [p == FIRE_NOT_MAPPED for p in periods]
    if not any(u.any() for u in unmapped):
        return top
    known = np.maximum.reduce([np.where(u, 0, p) for p, u in zip(periods, unmapped, strict=True)])
    return np.where((known == 0) & np.logical_or.reduce(unmapped), FIRE_NOT_MAPPED, known).astype(top.dtype)


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Add partial stratum tables (from windows or workers) into one; sums are additive."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_strata()
    frame = pd.concat(parts, ignore_index=True)
    # min_count=1 keeps NaN (layer absent) instead of turning it into 0.
    summed = frame.groupby(list(KEY_COLUMNS), sort=True)[list(SUM_COLUMNS)].sum(min_count=1)
    return summed.reset_index()
