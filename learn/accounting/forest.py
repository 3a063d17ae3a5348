"""The forest rows: forest → non-forest stock loss, forest remaining forest (undisturbed removals and
disturbance emissions) and reforestation (``docs/method.md``, "Forest terms"), for every zone at once.

Each term is a function of the same shape — ``(ForestStrata, AccountingInputs, ZoneWarnings) →
list[RowSums]`` — that selects strata with masks and sums them by zone (:mod:`learn.accounting.zone_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np

import learn.landuse as lu
from learn.accounting.factors import FOREST_COLUMNS, HARVEST_SEVERITY_COLUMNS, ForestFactorTable
from learn.accounting.terms import (
    C_TO_CO2,
    FIRE,
    FOREST_CHANGE,
    FOREST_CHANGE_TYPES,
    FOREST_REMAINING,
    HARVEST,
    HARVEST_SEVERITY_POINTS,
    INSECT,
    REFORESTATION,
    UNDISTURBED,
    AccountingInputs,
)
from learn.accounting.zone_table import F64, BoolArray, IntArray, RowSums, ZoneTable, ZoneWarnings
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

#: The factor table's own (CSV) column names of the internal factor columns.
CSV_COLUMN_NAME: Final = {v: k for k, v in FOREST_COLUMNS.items()}

# Disturbance codes (docs/method.md §1.2, §3.3).
DIST_NONE, DIST_INSECT, DIST_FIRE = 0, 5, 10
DIST_HARVEST = tuple(HARVEST_SEVERITY_POINTS)  # 1, 2, 3, 4
#: What the severity classes mean when the factor table has no Harvest_EF_* columns (docs/method.md §3.3).
SINGLE_HARVEST_EF_NOTE: Final = (
    "the factor table has no Harvest_EF_* severity columns: every class uses its code's Harvest Emissions "
    "Factor, so the classes split the row's area and emissions by code; a binary harvest layer (code 1 = any "
    "harvest) puts all harvest in class 1"
)
#: The order of the rows :func:`_left_out_by_row` reports.
LEFT_OUT_ORDER: Final = (REFORESTATION, UNDISTURBED, FIRE, INSECT, HARVEST)


class ForestRows(NamedTuple):
    rows: list[RowSums]
    #: The Harvest/Other row by severity class 1–4, per zone: a breakdown of that row, never in the totals.
    harvest_by_severity: list[list[HarvestSeverityRow]]
    #: Forest area (ha) without a code or a factor row, left out of the forest rows, by row type, per zone.
    left_out_ha: list[dict[str, float]]


@dataclass
class ForestStrata:
    """The valid strata with what the forest terms share: codes, factor rows, disturbance, the masks."""

    t: ZoneTable
    valid: BoolArray
    table: ForestFactorTable | None
    codes: IntArray
    position: IntArray  # row in the factor table, -1 without one
    has_row: BoolArray
    dist: IntArray
    pixels: F64
    moved: BoolArray
    px: float

    @classmethod
    def of(cls, t: ZoneTable, inp: AccountingInputs) -> ForestStrata:
        table = inp.forest_factors
        codes = t.codes("forest_age_type_region")
        position = t.factor_positions(table.table.index) if table is not None else np.full(len(t), -1)
        has_row = t.valid & (position >= 0)
        dist = t.codes("disturbance")
        moved = np.zeros(len(t), bool)
        if inp.recategorize_burned_grassland and inp.has_disturbance:
            moved = t.is_transition(lu.FOREST_TO[lu.GRASSLAND]) & (dist == DIST_FIRE) & has_row
        return cls(
            t, t.valid, table, codes, position, has_row, dist, t.col("pixels"), moved, inp.pixel_area_ha
        )

    def area(self, sel: BoolArray) -> F64:
        """Σ pixels × pixel area (ha) per zone."""
        return self.t.by_zone(sel, self.pixels) * self.px

    def factor(self, column: str) -> F64:
        """Each stratum's ``column`` factor (0 without a factor row)."""
        if self.table is None:
            return np.zeros(len(self.t))
        values = self.table.table[column].to_numpy(np.float64)
        return np.where(self.position >= 0, values[np.maximum(self.position, 0)], 0.0)

    def factor_sum(self, sel: BoolArray, column: str) -> F64:
        """Σ area (ha) × factor over the strata of ``sel``, each with its own code's factor, per zone."""
        return self.t.by_zone(sel, self.pixels * self.px * self.factor(column))

    def negative_codes(self, sel: BoolArray, column: str) -> list[list[int]]:
        """Per zone, the codes of ``sel`` (with area) whose ``column`` factor is negative."""
        return self.t.values_by_zone(sel & (self.pixels > 0) & (self.factor(column) < 0), self.codes)


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
    return ForestRows(rows, by_severity, left_out)


def _factor_info(s: ForestStrata) -> dict[str, Any]:
    return {"table": s.table.shown_path, "sha256": s.table.sha256} if s.table is not None else {"table": None}


def _forest_ok(s: ForestStrata, inp: AccountingInputs) -> bool:
    return inp.has_forest_codes and s.table is not None


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
            warnings.where(missing > 0, _missing_carbon_text(missing, type_))
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


def _missing_carbon_text(missing_ha: F64, type_: str) -> Callable[[int], str]:
    def text(z: int) -> str:
        return (
            f"{missing_ha[z]:.2f} ha of forest converted {type_.lower()} have no carbon stock data; their stock "
            "loss counts as 0 (LEARN leaves them out of the row's area too)"
        )

    return text


def reforestation_row(s: ForestStrata, inp: AccountingInputs) -> RowSums:
    """Nonforest → forest: removals at the code's RF (annual)."""
    ok = _forest_ok(s, inp)
    reforest = s.t.is_transition(lu.NONFOREST_TO_FOREST) & s.has_row
    removals = s.factor_sum(reforest, "removal_factor_nonforest_to_forest_tc_ha_yr") * C_TO_CO2
    return RowSums(
        FOREST_CHANGE,
        REFORESTATION,
        s.area(reforest) if ok else None,
        None,
        removals if ok else None,
        {**_factor_info(s), "column": "Nonforest to Forest Removal Factor"},
    )


def disturbance_masks(s: ForestStrata, inp: AccountingInputs, warnings: ZoneWarnings) -> dict[str, BoolArray]:
    """Forest remaining forest split by disturbance: fire, insect, harvest, undisturbed."""
    frf = (s.t.is_transition(lu.FOREST_REMAINING_FOREST) & s.has_row) | s.moved
    none = np.zeros(len(s.t), bool)
    fire = frf & (s.dist == DIST_FIRE) if inp.has_disturbance else none
    insect = frf & (s.dist == DIST_INSECT) if inp.has_disturbance else none
    harvest = frf & np.isin(s.dist, DIST_HARVEST) if inp.has_disturbance else none
    if inp.has_disturbance:
        odd = frf & ~np.isin(s.dist, [DIST_NONE, DIST_INSECT, DIST_FIRE, *DIST_HARVEST])
        odd_ha, odd_codes = s.area(odd), s.t.values_by_zone(odd, s.dist)
        warnings.where(
            s.t.count_by_zone(odd) > 0,
            lambda z: (
                f"{odd_ha[z]:.2f} ha of forest carry disturbance codes {odd_codes[z]} that are not "
                "0/1–4/5/10; they were treated as undisturbed"
            ),
        )
    return {
        "fire": fire,
        "insect": insect,
        "harvest": harvest,
        "undisturbed": frf & ~(fire | insect | harvest),
    }


def undisturbed_row(s: ForestStrata, inp: AccountingInputs, undisturbed: BoolArray) -> RowSums:
    ok = _forest_ok(s, inp)
    removals = s.factor_sum(undisturbed, "removal_factor_forest_remaining_tc_ha_yr") * C_TO_CO2
    return RowSums(
        FOREST_REMAINING,
        UNDISTURBED,
        s.area(undisturbed) if ok else None,
        None,
        removals if ok else None,
        {**_factor_info(s), "column": "Forests Remaining Forest Removal Factor"},
    )


def _negative_warning(type_: str, found: dict[str, list[int]], warnings: list[str]) -> dict[str, Any]:
    """Say which codes entered a disturbance row with a negative EF; the row's ``factors`` entry."""
    found = {CSV_COLUMN_NAME.get(col, col): c for col, c in found.items() if c}
    if not found:
        return {}
    listed = "; ".join(f"{col} for codes {c[:20]}" for col, c in found.items())
    warnings.append(
        f"{FOREST_REMAINING} — {type_} used negative emission factors ({listed}): LEARN publishes some "
        "insect and low-severity harvest EFs as negative by design (the disturbed forest gains carbon over "
        "the period); they are kept and lower this row's emissions (docs/method.md §3.3)"
    )
    return {"negative_factor_codes": found}


def _disturbance_row(
    s: ForestStrata,
    inp: AccountingInputs,
    type_: str,
    parts: list[tuple[BoolArray, str]],
    shown_column: str,
    warnings: ZoneWarnings,
) -> RowSums:
    """One disturbance row: Σ over ``parts`` (strata, EF column) of area × EF, per zone; the negative
    EFs used are named in a warning and in the row's ``factors`` of the zones that used them."""
    info = {**_factor_info(s), "column": shown_column}
    if not (_forest_ok(s, inp) and inp.has_disturbance):
        return RowSums(FOREST_REMAINING, type_, None, None, None, info)
    e = s.factor_sum(*parts[0])
    for sel, column in parts[1:]:
        e = e + s.factor_sum(sel, column)
    negative = [s.negative_codes(sel, column) for sel, column in parts]
    extra: dict[int, dict[str, Any]] = {}
    for z in range(s.t.n_zones):
        if any(n[z] for n in negative):
            found = {column: n[z] for (_, column), n in zip(parts, negative, strict=True)}
            extra[z] = _negative_warning(type_, found, warnings.by_zone[z])
    area = s.area(np.logical_or.reduce([sel for sel, _ in parts]))
    return RowSums(
        FOREST_REMAINING, type_, area, e * C_TO_CO2 / inp.years, None, info, lambda z: extra.get(z, {})
    )


def disturbance_rows(
    s: ForestStrata, inp: AccountingInputs, masks: dict[str, BoolArray], warnings: ZoneWarnings
) -> list[RowSums]:
    """Fire, Insect/Disease and Harvest/Other (by severity code when the table has severity EFs)."""
    fire, insect, harvest = masks["fire"], masks["insect"], masks["harvest"]
    rows = [
        _disturbance_row(
            s, inp, FIRE, [(fire, "emission_factor_fire_tc_ha")], "emission_factor_fire_tc_ha", warnings
        ),
        _disturbance_row(
            s,
            inp,
            INSECT,
            [(insect, "emission_factor_insect_tc_ha")],
            "emission_factor_insect_tc_ha",
            warnings,
        ),
    ]
    if s.table is not None and s.table.has_severity and _forest_ok(s, inp) and inp.has_disturbance:
        parts = [
            (harvest & (s.dist == code), col)
            for col, code in zip(HARVEST_SEVERITY_COLUMNS, DIST_HARVEST, strict=True)
        ]
        rows.append(_disturbance_row(s, inp, HARVEST, parts, "Harvest_EF_<severity> for codes 1–4", warnings))
    else:
        parts = [(harvest, "emission_factor_harvest_tc_ha")]
        rows.append(_disturbance_row(s, inp, HARVEST, parts, "emission_factor_harvest_tc_ha", warnings))
    return rows


def harvest_severity_rows(
    s: ForestStrata, inp: AccountingInputs, harvest: BoolArray
) -> list[list[HarvestSeverityRow]]:
    """Each zone's Harvest/Other by severity class 1–4, with that row's factor rule (and nullness)."""
    severity_table = s.table is not None and s.table.has_severity
    computed = _forest_ok(s, inp) and inp.has_disturbance
    classes = []
    for code in DIST_HARVEST:
        column = HARVEST_SEVERITY_COLUMNS[code - 1] if severity_table else "emission_factor_harvest_tc_ha"
        shown = CSV_COLUMN_NAME.get(column, column)
        info: dict[str, Any] = {**_factor_info(s), "column": shown}
        if not severity_table:
            info["note"] = SINGLE_HARVEST_EF_NOTE
        sel = harvest & (s.dist == code)
        area = s.area(sel) if computed else None
        emissions = s.factor_sum(sel, column) * C_TO_CO2 / inp.years if computed else None
        negative = s.negative_codes(sel, column) if computed else None  # named in Harvest/Other's warning
        classes.append((code, shown, info, area, emissions, negative))
    out = []
    for z in range(s.t.n_zones):
        zone_rows = []
        for code, shown, info, area, emissions, negative in classes:
            factors = (
                {**info, "negative_factor_codes": {shown: negative[z]}} if negative and negative[z] else info
            )
            zone_rows.append(
                HarvestSeverityRow(
                    severity=code,
                    canopy_loss_points=HARVEST_SEVERITY_POINTS[code],
                    area_ha=None if area is None else float(area[z]),
                    emissions_t_co2e_per_yr=None if emissions is None else float(emissions[z]),
                    factors=factors,
                )
            )
        out.append(zone_rows)
    return out


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
