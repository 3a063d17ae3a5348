"""The forest rows: forest → non-forest stock loss, forest remaining forest (undisturbed removals and
disturbance emissions) and reforestation (``docs/method.md``, "Forest terms"), for every zone at once.

Each term is a function of the same shape — ``(ForestStrata, AccountingInputs, ZoneWarnings) →
list[RowSums]`` — that selects strata with masks and sums them by zone (:mod:`learn.accounting.zone_table`).
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np

import learn.landuse as lu
from learn.accounting.disturbance import disturbance_masks, disturbance_rows, harvest_severity_rows
from learn.accounting.forest_strata import (
    DIST_FIRE,
    DIST_HARVEST,
    DIST_INSECT,
    ForestStrata,
    factor_info,
    forest_ok,
    missing_carbon_text,
)
from learn.accounting.terms import (
    C_TO_CO2,
    FIRE,
    FOREST_CHANGE,
    FOREST_CHANGE_TYPES,
    FOREST_REMAINING,
    HARVEST,
    INSECT,
    REFORESTATION,
    UNDISTURBED,
    AccountingInputs,
)
from learn.accounting.uncertainty import Interval, has_standard_errors, removal_hectares, removal_interval
from learn.accounting.zone_table import BoolArray, RowSums, ZoneWarnings
from learn.report.models import HarvestSeverityRow

#: Share of each pool lost when forest becomes the end category (live, dead organic matter, soil).
#: erin-glen/learn_analysis lookups.py carbonStockLoss @ 8095dd4b; docs/method.md §3.1.
STOCK_LOSS_FRACTIONS: Final = {
    lu.CROPLAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.23},
    lu.GRASSLAND: {"carbon_live": 0.5, "carbon_dead_litter": 1.0, "carbon_soil": 0.0},
    lu.WETLAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.0},
    lu.SETTLEMENT: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.3},
    lu.OTHER_LAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 1.0},
}
STOCK_LOSS_SOURCE: Final = (
    "erin-glen/learn_analysis lookups.py carbonStockLoss @ 8095dd4b (docs/method.md §3.1)"
)

#: The order of the rows :func:`_left_out_by_row` reports.
LEFT_OUT_ORDER: Final = (REFORESTATION, UNDISTURBED, FIRE, INSECT, HARVEST)


class ForestRows(NamedTuple):
    rows: list[RowSums]
    #: The Harvest/Other row by severity class 1–4, per zone: a breakdown of that row, never in the totals.
    harvest_by_severity: list[list[HarvestSeverityRow]]
    #: Forest area (ha) without a code or a factor row, left out of the forest rows, by row type, per zone.
    left_out_ha: list[dict[str, float]]
    #: The 90 % interval the removal factors' standard errors give (None: the table has no SEs).
    interval: Interval | None = None
    #: Forest remaining forest (ha) counted as undisturbed where fire was not estimated, per zone.
    fire_not_mapped_ha: list[float] | None = None


def forest_rows(s: ForestStrata, inp: AccountingInputs, warnings: ZoneWarnings) -> ForestRows:
    """Forest Change (stock loss), Reforestation and Forest Remaining Forest rows of every zone, the
    harvest severity breakdown and the forest area the rows leave out (no code or no factor row)."""
    rows = stock_loss_rows(s, inp, warnings)
    rows.append(reforestation_row(s, inp))
    masks = disturbance_masks(s, inp, warnings)
    rows.append(undisturbed_row(s, inp, masks["undisturbed"]))
    rows += disturbance_rows(s, inp, masks, warnings)
    by_severity = harvest_severity_rows(s, inp, masks["harvest"])
    left_out = left_out_forest(s, inp, warnings)
    moved_ha = s.area(s.moved)
    warnings.where(
        s.t.count_by_zone(s.moved) > 0,
        lambda z: (
            f"recategorise burned grassland: {moved_ha[z]:.2f} ha of burned Forest→Grassland "
            "counted as Forest Remaining Forest (fire emissions only) and removed from 'To Grassland'"
        ),
    )
    interval = None
    if forest_ok(s, inp) and s.table is not None and has_standard_errors(s.table):
        reforest = s.t.is_transition(lu.NONFOREST_TO_FOREST) & s.counted
        hectares = removal_hectares(
            s.t.zone,
            s.position,
            s.pixels * s.px,
            masks["undisturbed"],
            reforest,
            s.t.n_zones,
            len(s.table.table),
        )
        interval = removal_interval(s.table, hectares)
    unmapped = s.area(masks["fire_not_mapped"])
    return ForestRows(rows, by_severity, left_out, interval, [float(unmapped[z]) for z in range(s.t.n_zones)])


def stock_loss_rows(s: ForestStrata, inp: AccountingInputs, warnings: ZoneWarnings) -> list[RowSums]:
    """Forest → non-forest: stock loss by end category, charged in the period (docs/method.md §3.1)."""
    rows = []
    for end_cat, type_ in FOREST_CHANGE_TYPES.items():
        sel = s.valid & s.t.is_transition(lu.FOREST_TO[end_cat]) & ~s.moved
        fractions = STOCK_LOSS_FRACTIONS[end_cat]
        emissions = None
        if inp.has_carbon:
            pools = [f * s.t.by_zone(sel, s.t.col(f"{pool}_sum")) * s.px for pool, f in fractions.items()]
            emissions = sum(pools[1:], pools[0]) * C_TO_CO2 / inp.years
            missing = s.t.by_zone(sel, s.t.col("carbon_missing_pixels")) * s.px
            warnings.where(missing > 0, missing_carbon_text(missing, type_))
        rows.append(
            RowSums(
                FOREST_CHANGE,
                type_,
                s.area(sel),
                emissions,
                None,
                {"stock_loss_fractions": fractions, "source": STOCK_LOSS_SOURCE},
            )
        )
    return rows


def reforestation_row(s: ForestStrata, inp: AccountingInputs) -> RowSums:
    """Nonforest → forest: removals at the code's RF (annual)."""
    ok = forest_ok(s, inp)
    reforest = s.t.is_transition(lu.NONFOREST_TO_FOREST) & s.counted
    removals = s.factor_sum(reforest, "removal_factor_nonforest_to_forest_tc_ha_yr") * C_TO_CO2
    return RowSums(
        FOREST_CHANGE,
        REFORESTATION,
        s.area(reforest),  # the area is known without a factor; the removals are not
        None,
        removals if ok else None,
        {**factor_info(s), "column": "Nonforest to Forest Removal Factor"},
    )


def undisturbed_row(s: ForestStrata, inp: AccountingInputs, undisturbed: BoolArray) -> RowSums:
    ok = forest_ok(s, inp)
    removals = s.factor_sum(undisturbed, "removal_factor_forest_remaining_tc_ha_yr") * C_TO_CO2
    return RowSums(
        FOREST_REMAINING,
        UNDISTURBED,
        s.area(undisturbed),
        None,
        removals if ok else None,
        {**factor_info(s), "column": "Forests Remaining Forest Removal Factor"},
    )


def left_out_forest(s: ForestStrata, inp: AccountingInputs, warnings: ZoneWarnings) -> list[dict[str, float]]:
    """What the forest rows could not include (forest without a code or a factor row), said out loud."""
    n = s.t.n_zones
    if s.table is None or not inp.has_forest_codes:
        return [{} for _ in range(n)]
    forest_like = s.valid & (
        s.t.is_transition(lu.FOREST_REMAINING_FOREST) | s.t.is_transition(lu.NONFOREST_TO_FOREST)
    )
    no_code = forest_like & (s.codes == 0)
    no_code_ha = s.area(no_code)
    warnings.where(
        s.t.count_by_zone(no_code) > 0,
        lambda z: (
            f"{no_code_ha[z]:.2f} ha of forest (remaining or new) have no forest "
            "age-type-region code and are left out of the forest rows (as LEARN does)"
        ),
    )
    unknown = forest_like & (s.codes > 0) & ~s.has_row
    unknown_px, unknown_codes = s.t.by_zone(unknown, s.pixels), s.t.values_by_zone(unknown, s.codes)
    warnings.where(
        s.t.count_by_zone(unknown) > 0,
        lambda z: (
            f"{unknown_px[z]:.0f} forest pixels ({unknown_px[z] * s.px:.2f} ha) "
            f"have forest age-type-region codes without a factor row {unknown_codes[z][:20]}; "
            "they are left out of the forest rows — add rows for these codes to the forest factor table"
        ),
    )
    return _left_out_by_row(s, forest_like & ~s.has_row & (s.pixels > 0), inp.has_disturbance)


def _left_out_by_row(s: ForestStrata, left: BoolArray, has_disturbance: bool) -> list[dict[str, float]]:
    """Area (ha) of forest left out of the forest rows, by the row (``type``) it would have counted in."""
    row_of = np.full(len(s.t), LEFT_OUT_ORDER.index(UNDISTURBED))
    if has_disturbance:
        row_of[s.dist == DIST_FIRE] = LEFT_OUT_ORDER.index(FIRE)
        row_of[s.dist == DIST_INSECT] = LEFT_OUT_ORDER.index(INSECT)
        row_of[np.isin(s.dist, DIST_HARVEST)] = LEFT_OUT_ORDER.index(HARVEST)
    row_of[s.t.is_transition(lu.NONFOREST_TO_FOREST)] = LEFT_OUT_ORDER.index(REFORESTATION)
    by_row = [(t, left & (row_of == k)) for k, t in enumerate(LEFT_OUT_ORDER)]
    sums = [(t, s.t.count_by_zone(sel) > 0, s.area(sel)) for t, sel in by_row]
    return [{t: float(area[z]) for t, hit, area in sums if hit[z]} for z in range(s.t.n_zones)]
