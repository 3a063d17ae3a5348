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

The kernel is vectorised NumPy (a combined integer key, ``np.unique`` + ``np.bincount``); I/O and
accounting live elsewhere. Partial tables from different windows add up (:func:`combine`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

KEY_COLUMNS = ("zone", "lc1", "lc2", "forest_age_type_region", "disturbance")
SUM_COLUMNS = (
    "pixels",
    "carbon_live_sum",
    "carbon_dead_litter_sum",
    "carbon_soil_sum",
    "carbon_missing_pixels",
    "canopy1_sum",
    "canopy2_sum",
    "canopy_loss_sum",
    "canopy_pixels",
)
CARBON_POOLS = ("carbon_live", "carbon_dead_litter", "carbon_soil")

# Bit layout of the combined key: zone (15 bits) | code (24) | lc1 (8) | lc2 (8) | disturbance (8).
_MAX_ZONE = (1 << 15) - 1
_MAX_CODE = (1 << 24) - 1


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


def reduce_window(a: WindowArrays) -> pd.DataFrame:
    """Stratum table of one window (see the module docstring for the columns)."""
    sel = (a.zone >= 0) & (a.weight > 0)
    if not sel.any():
        return empty_strata()
    zone = a.zone[sel].astype(np.int64)
    w = a.weight[sel].astype(np.float64)
    lc1 = a.lc1[sel].astype(np.int64)
    lc2 = a.lc2[sel].astype(np.int64)
    code = a.code[sel].astype(np.int64) if a.code is not None else np.zeros_like(zone)
    dist = a.disturbance[sel].astype(np.int64) if a.disturbance is not None else np.zeros_like(zone)
    if zone.max() > _MAX_ZONE or code.max() > _MAX_CODE or code.min() < 0:
        raise ValueError("zone index or forest age-type-region code out of range for the stratum key")

    key = (zone << 48) | (code << 24) | (lc1 << 16) | (lc2 << 8) | dist
    uniq, inverse = np.unique(key, return_inverse=True)
    n = len(uniq)

    def wsum(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(inverse, weights=values, minlength=n).astype(np.float64)

    out: dict[str, npt.NDArray[np.generic]] = {
        "zone": uniq >> 48,
        "lc1": (uniq >> 16) & 0xFF,
        "lc2": (uniq >> 8) & 0xFF,
        "forest_age_type_region": (uniq >> 24) & _MAX_CODE,
        "disturbance": uniq & 0xFF,
        "pixels": wsum(w),
    }
    if a.carbon is not None:
        missing = np.zeros_like(w)
        for pool in CARBON_POOLS:
            values = a.carbon[pool][sel].astype(np.float64)
            bad = ~np.isfinite(values)
            missing = np.maximum(missing, bad)
            out[f"{pool}_sum"] = wsum(np.where(bad, 0.0, values) * w)
        out["carbon_missing_pixels"] = wsum(missing * w)
    else:
        for pool in CARBON_POOLS:
            out[f"{pool}_sum"] = np.full(n, np.nan)
        out["carbon_missing_pixels"] = np.full(n, np.nan)
    if a.canopy1 is not None and a.canopy2 is not None:
        c1 = a.canopy1[sel].astype(np.float64)
        c2 = a.canopy2[sel].astype(np.float64)
        ok = np.isfinite(c1) & np.isfinite(c2)
        wc = np.where(ok, w, 0.0)
        c1, c2 = np.where(ok, c1, 0.0), np.where(ok, c2, 0.0)
        out["canopy1_sum"] = wsum(c1 * wc)
        out["canopy2_sum"] = wsum(c2 * wc)
        out["canopy_loss_sum"] = wsum(np.maximum(c1 - c2, 0.0) * wc)
        out["canopy_pixels"] = wsum(wc)
    else:
        for col in ("canopy1_sum", "canopy2_sum", "canopy_loss_sum", "canopy_pixels"):
            out[col] = np.full(n, np.nan)
    return pd.DataFrame(out)


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Add partial stratum tables (from windows or workers) into one; sums are additive."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_strata()
    frame = pd.concat(parts, ignore_index=True)
    # min_count=1 keeps NaN (layer absent) instead of turning it into 0.
    summed = frame.groupby(list(KEY_COLUMNS), sort=True)[list(SUM_COLUMNS)].sum(min_count=1)
    return summed.reset_index()
