"""The stratum kernel on layers as stored (integer steps, uint8 canopy) against the same layers as float
values, and zones in one band against each zone alone: the exactness properties the fast paths rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learn.raster.kernel import NO_ZONE_U16, Stored, StratumAccumulator
from learn.raster.strata import KEY_COLUMNS

STEP = 0.02  # t C/ha per stored step, as learn.raster.cog.CARBON_STORAGE_SCALE
NODATA = 65535


def _scene(seed: int, n: int = 20_000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = [rng.integers(0, 60_000, n).astype(np.uint16) for _ in range(3)]
    for s in steps:
        s[rng.random(n) < 0.05] = NODATA
    tc = [rng.choice(np.array([0, 5, 40, 99, 100, 101, 254, 255], np.uint8), n) for _ in range(2)]
    return {
        # Runs of equal strata, as neighbouring pixels have them.
        "zone": np.repeat(rng.integers(0, 3, n // 8), 8).astype(np.uint16),
        "lc1": np.repeat(rng.choice(np.array([41, 82], np.uint8), n // 4), 4),
        "lc2": np.repeat(rng.choice(np.array([41, 21], np.uint8), n // 4), 4),
        "live": steps[0],
        "dead": steps[1],
        "soil": steps[2],
        "tc1": tc[0],
        "tc2": tc[1],
    }


def _as_values(steps: np.ndarray) -> np.ndarray:
    """The engine's float path (learn.raster.engine._floats): float32 values, NaN for nodata."""
    values = steps.astype(np.float32) * np.float32(STEP)
    values[steps == NODATA] = np.nan
    return values


def _canopy_values(tc: np.ndarray) -> np.ndarray:
    values = tc.astype(np.float32)
    values[(tc == 255) | (values > 100)] = np.nan
    return values


def test_stored_steps_sum_exactly_and_match_float_values_within_float32_rounding():
    L = _scene(1)
    stored = StratumAccumulator()
    stored.add(
        L["zone"],
        L["lc1"],
        L["lc2"],
        carbon=(L["live"], L["dead"], L["soil"]),
        carbon_stored=(Stored(STEP, NODATA),) * 3,
        canopy=(L["tc1"], L["tc2"]),
        canopy_stored=(Stored(1.0, 255),) * 2,
        canopy_range=(0.0, 100.0),
    )
    floats = StratumAccumulator()
    floats.add(
        L["zone"].astype(np.int32),
        L["lc1"],
        L["lc2"],
        carbon=tuple(_as_values(L[k]) for k in ("live", "dead", "soil")),  # type: ignore[arg-type]
        canopy=(_canopy_values(L["tc1"]), _canopy_values(L["tc2"])),
    )
    a, b = stored.to_frame(), floats.to_frame()
    pd.testing.assert_frame_equal(a[list(KEY_COLUMNS)], b[list(KEY_COLUMNS)])
    exact = [
        "pixels",
        "carbon_missing_pixels",
        "canopy1_sum",
        "canopy2_sum",
        "canopy_loss_sum",
        "canopy_pixels",
    ]
    pd.testing.assert_frame_equal(a[exact], b[exact], rtol=0, atol=0)
    # The stored sums are the exact integer sums times the step (one rounding, per stratum).
    zone = L["zone"].astype(np.int64)
    key = (zone << 16) | (L["lc1"].astype(np.int64) << 8) | L["lc2"]
    row_key = (a["zone"].to_numpy() << 16) | (a["lc1"].to_numpy() << 8) | a["lc2"].to_numpy()
    for pool, column in (
        ("live", "carbon_live_sum"),
        ("dead", "carbon_dead_litter_sum"),
        ("soil", "carbon_soil_sum"),
    ):
        valid = L[pool] != NODATA
        want = {k: int(L[pool][valid & (key == k)].astype(np.int64).sum()) * STEP for k in row_key}
        assert a[column].tolist() == [want[k] for k in row_key]
        # The float path rounds each pixel's value to float32 (≤ 2⁻²⁴ relative): within that, equal.
        np.testing.assert_allclose(a[column], b[column], rtol=2**-23, atol=0)
    assert a["carbon_missing_pixels"].sum() > 0 and a["canopy_pixels"].sum() < len(L["zone"])


def test_zones_in_one_band_equal_each_zone_alone_to_the_last_bit():
    """Float layers too: a run of pixels ends at a skipped pixel as at another zone's pixel, so a zone's
    sums are added in the same groups whether it comes in a band with its neighbours or alone."""
    L = _scene(2)
    # float64 values with full mantissas (float32 ones would add up exactly in float64 in any grouping).
    rng = np.random.default_rng(3)
    carbon = tuple(rng.random(len(L["zone"])) * 300 for _ in range(3))
    canopy = (rng.random(len(L["zone"])) * 100, rng.random(len(L["zone"])) * 100)
    as_is = {"carbon_stored": (Stored(),) * 3, "canopy_stored": (Stored(),) * 2}
    band = L["zone"].copy()
    band[::13] = NO_ZONE_U16  # pixels in no zone
    together = StratumAccumulator()
    together.add(band, L["lc1"], L["lc2"], carbon=carbon, canopy=canopy, **as_is)  # type: ignore[arg-type]
    alone = []
    for z in range(3):
        acc = StratumAccumulator()
        acc.add(
            np.where(band == z, z, -1).astype(np.int32),
            L["lc1"],
            L["lc2"],
            carbon=carbon,
            canopy=canopy,
            **as_is,
        )  # type: ignore[arg-type]
        alone.append(acc.to_frame())
    want = pd.concat(alone, ignore_index=True).sort_values(list(KEY_COLUMNS)).reset_index(drop=True)
    pd.testing.assert_frame_equal(together.to_frame(), want, rtol=0, atol=0)
    assert int(together.to_frame()["pixels"].sum()) == int((band != NO_ZONE_U16).sum())


def test_infinite_and_nan_values_are_missing_as_before():
    zone = np.zeros(4, np.int32)
    lc = np.full(4, 41, np.uint8)
    pool = np.array([1.5, np.inf, np.nan, -np.inf], np.float32)
    canopy = np.array([10.0, np.inf, np.nan, 20.0], np.float32)
    acc = StratumAccumulator()
    acc.add(zone, lc, lc, carbon=(pool, pool, pool), canopy=(canopy, canopy))
    row = acc.to_frame().iloc[0]
    assert row["carbon_live_sum"] == 1.5 and row["carbon_missing_pixels"] == 3
    assert row["canopy1_sum"] == 30.0 and row["canopy_pixels"] == 2
