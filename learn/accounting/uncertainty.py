"""A 90 % interval of the totals from a Monte Carlo over the removal factors' standard errors.

One raster pass, many accountings: every quantity of the inventory is linear in the removal factors, so a
draw of the factor table changes the net flux of a zone by Σ over table rows of (drawn − point rate) × that
row's hectares in Undisturbed forest remaining forest (and in Reforestation) × 44/12. The hectares per zone and
table row come from the stratum table once (:func:`removal_hectares`); the draws of a zone are then one
matrix-vector product.

What is varied: the two removal factors of each forest-table row, Normal(rate, SE) with the row's
``removal_factor_*_se_tc_ha_yr`` (FIA sampling errors from ``learn factors fia``), one standard normal deviate
per row for both of its rates, rows independent. What is not: emission factors and stock-based disturbance
emissions, carbon pools, trees-outside-forest factors, land-cover classification, areas (no error is published
for them) — so the interval is a lower bound on the inventory's uncertainty (docs/method.md §5.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from learn.accounting.factors import FOREST_SE_COLUMNS, ForestFactorTable
from learn.accounting.terms import C_TO_CO2

F64 = npt.NDArray[np.float64]
#: Draws and seed of the Monte Carlo: fixed, so a report is reproducible.
DRAWS: Final = 1000
SEED: Final = 20261201
#: The interval reported: the 5th and 95th percentiles of the draws.
PERCENTILES: Final = (5.0, 95.0)
RATES: Final = ("removal_factor_forest_remaining_tc_ha_yr", "removal_factor_nonforest_to_forest_tc_ha_yr")
VARIED: Final = [
    "forest remaining forest and nonforest-to-forest removal factors: Normal(rate, SE) per forest-table row "
    "(one deviate per row for both rates, rows independent)"
]
NOT_VARIED: Final = [
    "emission factors and stock-based disturbance emissions",
    "carbon pools",
    "trees-outside-forest factors",
    "land-cover classification and areas",
]


@dataclass(frozen=True)
class RemovalHectares:
    """Hectares per zone (rows) and forest-table row (columns) of the two removal rows."""

    undisturbed: F64  # Forest Remaining Forest — Undisturbed
    reforestation: F64  # Forest Change — Reforestation


@dataclass(frozen=True)
class Interval:
    """Per zone, the 5th/95th percentiles of the change the draws make (t CO2e/yr) to the Undisturbed row
    (``undisturbed``), the Reforestation row (``reforestation``) and their sum (``both``): an aggregate holding
    those rows has the interval point + these (the other rows are not varied)."""

    undisturbed: tuple[F64, F64]
    reforestation: tuple[F64, F64]
    both: tuple[F64, F64]
    method: dict[str, Any]


def removal_hectares(
    zone: npt.NDArray[np.int64],
    position: npt.NDArray[np.int64],
    hectares: F64,
    undisturbed: npt.NDArray[np.bool_],
    reforestation: npt.NDArray[np.bool_],
    n_zones: int,
    n_rows: int,
) -> RemovalHectares:
    """Σ ``hectares`` of the strata of each mask by (zone, table row ``position``); strata without a row
    (position −1) are in neither row already."""

    def grid(mask: npt.NDArray[np.bool_]) -> F64:
        sel = mask & (position >= 0)
        flat = np.bincount(
            zone[sel] * n_rows + position[sel], weights=hectares[sel], minlength=n_zones * n_rows
        )
        return np.asarray(flat, np.float64).reshape(n_zones, n_rows)

    return RemovalHectares(grid(undisturbed), grid(reforestation))


def has_standard_errors(table: ForestFactorTable | None) -> bool:
    """Whether the table gives an SE for both removal factors of every row."""
    if table is None:
        return False
    df = table.table
    return all(c in df.columns and bool(df[c].notna().all()) for c in FOREST_SE_COLUMNS.values())


def removal_interval(
    table: ForestFactorTable, hectares: RemovalHectares, draws: int = DRAWS, seed: int = SEED
) -> Interval:
    """The percentiles of each zone's change in the two removal rows over ``draws`` factor tables drawn
    around ``table`` (one raster pass: only hectares × rates)."""
    df = table.table
    se = [df[FOREST_SE_COLUMNS[rate]].to_numpy(np.float64) for rate in RATES]
    deviates = np.random.default_rng(seed).standard_normal((draws, len(df)))

    def change(scaled: F64, ha: F64) -> F64:
        """t CO2e/yr change of each zone's row in each draw (draws × zones): one matrix-vector product per
        zone, so a zone's numbers are the same bits whichever zones are computed with it (a matrix-matrix
        product sums in an order that depends on the number of zones: a batch would differ from
        ``learn inventory`` in the last digit)."""
        out = np.empty((draws, ha.shape[0]), np.float64)
        for z in range(ha.shape[0]):
            out[:, z] = scaled @ ha[z]
        return out * C_TO_CO2

    d_frf = change(deviates * se[0], hectares.undisturbed)
    d_nf = change(deviates * se[1], hectares.reforestation)

    def pct(delta: F64) -> tuple[F64, F64]:
        lo, hi = np.percentile(delta, PERCENTILES, axis=0)
        return np.asarray(lo, np.float64), np.asarray(hi, np.float64)

    return Interval(
        undisturbed=pct(d_frf),
        reforestation=pct(d_nf),
        both=pct(d_frf + d_nf),
        method={
            "method": "Monte Carlo over the forest factor table's standard errors (docs/method.md §5.1)",
            "interval": "90 % (5th-95th percentile)",
            "draws": draws,
            "seed": seed,
            "varied": VARIED,
            "not_varied": NOT_VARIED,
            "factor_table_sha256": table.sha256,
        },
    )
