"""The forest rows: forest → non-forest stock loss, forest remaining forest (undisturbed removals and
disturbance emissions) and reforestation (``docs/method.md``, "Forest terms")."""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import pandas as pd

import learn.landuse as lu
from learn.accounting.factors import FOREST_COLUMNS, HARVEST_SEVERITY_COLUMNS
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
    make_row,
)
from learn.report.models import HarvestSeverityRow, InventoryRow

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


class ForestRows(NamedTuple):
    rows: list[InventoryRow]
    #: The Harvest/Other row by severity class 1–4: a breakdown of that row, never added to the totals.
    harvest_by_severity: list[HarvestSeverityRow]
    #: Strata moved by the burned-grassland recategorisation.
    moved: pd.Series
    #: Forest area (ha) without a code or a factor row, left out of the forest rows, by row type.
    left_out_ha: dict[str, float]


def forest_rows(s: pd.DataFrame, inp: AccountingInputs, warnings: list[str]) -> ForestRows:
    """Forest Change (stock loss), Reforestation and Forest Remaining Forest rows, the strata moved by
    the burned-grassland option and the forest area the rows leave out (no code or no factor row)."""
    px, yrs = inp.pixel_area_ha, inp.years
    table = inp.forest_factors
    codes = s["forest_age_type_region"].astype(int)
    has_row = codes.isin(table.codes()) if table is not None else pd.Series(False, index=s.index)
    dist = s["disturbance"].astype(int)

    moved = pd.Series(False, index=s.index)
    if inp.recategorize_burned_grassland and inp.has_disturbance:
        moved = (s["transition"] == lu.FOREST_TO[lu.GRASSLAND]) & (dist == DIST_FIRE) & has_row

    rows: list[InventoryRow] = []
    # Forest → non-forest: stock loss by end category, charged in the period.
    for end_cat, type_ in FOREST_CHANGE_TYPES.items():
        sel = (s["transition"] == lu.FOREST_TO[end_cat]) & ~moved
        area = float(s.loc[sel, "pixels"].sum() * px)
        emissions = None
        fractions = STOCK_LOSS_FRACTIONS[end_cat]
        if inp.has_carbon:
            stock_tc = sum(f * float(s.loc[sel, f"{pool}_sum"].sum()) * px for pool, f in fractions.items())
            emissions = stock_tc * C_TO_CO2 / yrs
        if inp.has_carbon:
            missing = float(s.loc[sel, "carbon_missing_pixels"].sum() * px)
            if missing > 0:
                warnings.append(
                    f"{missing:.2f} ha of forest converted {type_.lower()} have no carbon stock data; "
                    "their stock loss counts as 0 (LEARN leaves them out of the row's area too)"
                )
        rows.append(
            make_row(
                FOREST_CHANGE,
                type_,
                area,
                emissions,
                None,
                {"stock_loss_fractions": fractions, "source": STOCK_LOSS_SOURCE},
            )
        )

    def factor_sum(sel: pd.Series, column: str) -> float:
        """Σ area (ha) × factor over strata, each stratum with its own code's factor."""
        if table is None or not sel.any():
            return 0.0
        f = table.table.loc[codes[sel], column].to_numpy(float)
        return float((s.loc[sel, "pixels"].to_numpy(float) * px * f).sum())

    def negative_codes(sel: pd.Series, column: str) -> list[int]:
        """Codes of ``sel`` (with area) whose ``column`` factor is negative."""
        if table is None or not sel.any():
            return []
        used = codes[sel & (s["pixels"] > 0)]
        f = table.table.loc[used, column].to_numpy(float)
        return sorted({int(c) for c, v in zip(used, f, strict=True) if v < 0})

    def warn_negative(type_: str, found: dict[str, list[int]]) -> dict[str, Any]:
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

    factor_info = (
        {"table": table.shown_path, "sha256": table.sha256} if table is not None else {"table": None}
    )
    forest_ok = inp.has_forest_codes and table is not None
    # Nonforest → forest: removals at the code's RF (annual).
    reforest = (s["transition"] == lu.NONFOREST_TO_FOREST) & has_row
    rf_nf = factor_sum(reforest, "removal_factor_nonforest_to_forest_tc_ha_yr") * C_TO_CO2
    rows.append(
        make_row(
            FOREST_CHANGE,
            REFORESTATION,
            float(s.loc[reforest, "pixels"].sum() * px) if forest_ok else None,
            None,
            rf_nf if forest_ok else None,
            {**factor_info, "column": "Nonforest to Forest Removal Factor"},
        )
    )

    frf = ((s["transition"] == lu.FOREST_REMAINING_FOREST) & has_row) | moved
    fire = frf & (dist == DIST_FIRE) if inp.has_disturbance else pd.Series(False, index=s.index)
    insect = frf & (dist == DIST_INSECT) if inp.has_disturbance else pd.Series(False, index=s.index)
    harvest = frf & dist.isin(DIST_HARVEST) if inp.has_disturbance else pd.Series(False, index=s.index)
    undisturbed = frf & ~(fire | insect | harvest)
    odd = frf & ~dist.isin([DIST_NONE, DIST_INSECT, DIST_FIRE, *DIST_HARVEST])
    if inp.has_disturbance and odd.any():
        warnings.append(
            f"{s.loc[odd, 'pixels'].sum() * px:.2f} ha of forest carry disturbance codes "
            f"{sorted(set(dist[odd]))} that are not 0/1–4/5/10; they were treated as undisturbed"
        )
    rf_frf = factor_sum(undisturbed, "removal_factor_forest_remaining_tc_ha_yr") * C_TO_CO2
    rows.append(
        make_row(
            FOREST_REMAINING,
            UNDISTURBED,
            float(s.loc[undisturbed, "pixels"].sum() * px) if forest_ok else None,
            None,
            rf_frf if forest_ok else None,
            {**factor_info, "column": "Forests Remaining Forest Removal Factor"},
        )
    )

    # A table without EF columns (an FIA-derived one, docs/factors.md): disturbance not estimated, never NaN.
    efs_ok = table is None or table.has_emission_factors
    if forest_ok and inp.has_disturbance and not efs_ok and (fire | insect | harvest).any():
        warnings.append(
            f"the forest factor table {table.shown_path if table else ''} has no disturbance emission factors "
            "(an FIA-derived table gives removal factors only): Fire, Insect/Disease and Harvest/Other are not "
            "estimated"
        )

    def disturbance_row(type_: str, sel: pd.Series, column: str) -> InventoryRow:
        if not (forest_ok and inp.has_disturbance and (efs_ok or not sel.any())):
            return make_row(FOREST_REMAINING, type_, None, None, None, {**factor_info, "column": column})
        e = factor_sum(sel, column) * C_TO_CO2 / yrs
        negative = warn_negative(type_, {column: negative_codes(sel, column)})
        return make_row(
            FOREST_REMAINING,
            type_,
            float(s.loc[sel, "pixels"].sum() * px),
            e,
            None,
            {**factor_info, "column": column, **negative},
        )

    rows.append(disturbance_row(FIRE, fire, "emission_factor_fire_tc_ha"))
    rows.append(disturbance_row(INSECT, insect, "emission_factor_insect_tc_ha"))
    if table is not None and table.has_severity and forest_ok and inp.has_disturbance:
        e = 0.0
        found: dict[str, list[int]] = {}
        for column, code in zip(HARVEST_SEVERITY_COLUMNS, DIST_HARVEST, strict=True):
            e += factor_sum(harvest & (dist == code), column)
            found[column] = negative_codes(harvest & (dist == code), column)
        negative = warn_negative(HARVEST, found)
        rows.append(
            make_row(
                FOREST_REMAINING,
                HARVEST,
                float(s.loc[harvest, "pixels"].sum() * px),
                e * C_TO_CO2 / yrs,
                None,
                {**factor_info, "column": "Harvest_EF_<severity> for codes 1–4", **negative},
            )
        )
    else:
        rows.append(disturbance_row(HARVEST, harvest, "emission_factor_harvest_tc_ha"))

    def severity_row(code: int) -> HarvestSeverityRow:
        """One severity class of Harvest/Other, with that row's factor rule (and nullness)."""
        severity_table = table is not None and table.has_severity
        column = HARVEST_SEVERITY_COLUMNS[code - 1] if severity_table else "emission_factor_harvest_tc_ha"
        shown = CSV_COLUMN_NAME.get(column, column)
        info: dict[str, Any] = {**factor_info, "column": shown}
        if not severity_table:
            info["note"] = SINGLE_HARVEST_EF_NOTE
        area = emissions = None
        if forest_ok and inp.has_disturbance and (efs_ok or not harvest.any()):
            sel = harvest & (dist == code)
            area = float(s.loc[sel, "pixels"].sum() * px)
            emissions = factor_sum(sel, column) * C_TO_CO2 / yrs
            negative = negative_codes(sel, column)  # already named in the Harvest/Other row's warning
            if negative:
                info["negative_factor_codes"] = {shown: negative}
        return HarvestSeverityRow(
            severity=code,
            canopy_loss_points=HARVEST_SEVERITY_POINTS[code],
            area_ha=area,
            emissions_t_co2e_per_yr=emissions,
            factors=info,
        )

    by_severity = [severity_row(code) for code in DIST_HARVEST]

    # What the forest rows could not include, said out loud.
    left_out: dict[str, float] = {}
    forest_like = s["transition"].isin([lu.FOREST_REMAINING_FOREST, lu.NONFOREST_TO_FOREST])
    if table is not None and inp.has_forest_codes:
        no_code = forest_like & (codes == 0)
        if no_code.any():
            warnings.append(
                f"{s.loc[no_code, 'pixels'].sum() * px:.2f} ha of forest (remaining or new) have no forest "
                "age-type-region code and are left out of the forest rows (as LEARN does)"
            )
        unknown = forest_like & (codes > 0) & ~has_row
        if unknown.any():
            missing_codes = sorted({int(c) for c in codes[unknown]})
            warnings.append(
                f"{s.loc[unknown, 'pixels'].sum():.0f} forest pixels ({s.loc[unknown, 'pixels'].sum() * px:.2f} ha) "
                f"have forest age-type-region codes without a factor row {missing_codes[:20]}; "
                "they are left out of the forest rows — add rows for these codes to the forest factor table"
            )
        left_out = _left_out_by_row(
            s, forest_like & ~has_row & (s["pixels"] > 0), dist, inp.has_disturbance, px
        )
    if moved.any():
        warnings.append(
            f"recategorise burned grassland: {s.loc[moved, 'pixels'].sum() * px:.2f} ha of burned Forest→Grassland "
            "counted as Forest Remaining Forest (fire emissions only) and removed from 'To Grassland'"
        )
    return ForestRows(rows, by_severity, moved, left_out)


def _left_out_by_row(
    s: pd.DataFrame, left: pd.Series, dist: pd.Series, has_disturbance: bool, px: float
) -> dict[str, float]:
    """Area (ha) of forest left out of the forest rows, by the row (``type``) it would have counted in."""
    if not left.any():
        return {}
    row_of = pd.Series(UNDISTURBED, index=s.index)
    if has_disturbance:
        row_of[dist == DIST_FIRE] = FIRE
        row_of[dist == DIST_INSECT] = INSECT
        row_of[dist.isin(DIST_HARVEST)] = HARVEST
    row_of[s["transition"] == lu.NONFOREST_TO_FOREST] = REFORESTATION
    area = (s.loc[left, "pixels"] * px).groupby(row_of[left]).sum()
    order = [REFORESTATION, UNDISTURBED, FIRE, INSECT, HARVEST]
    return {t: float(area[t]) for t in order if t in area.index}
