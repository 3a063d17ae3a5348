"""The accounting stage: stratum table → LEARN report rows (IPCC gain–loss).

Implements ``method/README.md`` §2–§7 (ICLEI USA / WRI LEARN; Glen, Harris & Birdsey 2024,
doi:10.46830/writn.20.00011; analysis code erin-glen/learn_analysis). Works on a few hundred rows, so
it stays readable and hand-checkable. Fluxes in t CO2e/yr, emissions positive, removals negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

import learn.landuse as lu
from learn.accounting.factors import ForestFactorTable, TofSelection
from learn.report.models import (
    CanopyRow,
    ChangeMatrix,
    InventoryRow,
    SummaryRow,
    Totals,
    not_estimated_rows,
)

#: t CO2 per t C.
C_TO_CO2: Final = 44.0 / 12.0

#: Share of each pool lost when forest becomes the end category (live, dead organic matter, soil).
#: erin-glen/learn_analysis lookups.py carbonStockLoss @ 8095dd4b; method §3.
STOCK_LOSS_FRACTIONS: Final = {
    lu.CROPLAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.23},
    lu.GRASSLAND: {"carbon_live": 0.5, "carbon_dead_litter": 1.0, "carbon_soil": 0.0},
    lu.WETLAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.0},
    lu.SETTLEMENT: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 0.3},
    lu.OTHER_LAND: {"carbon_live": 1.0, "carbon_dead_litter": 1.0, "carbon_soil": 1.0},
}
STOCK_LOSS_SOURCE: Final = "erin-glen/learn_analysis lookups.py carbonStockLoss @ 8095dd4b (method §3)"

# Disturbance codes (method §1).
DIST_NONE, DIST_INSECT, DIST_FIRE = 0, 5, 10
DIST_HARVEST = (1, 2, 3, 4)

# Report row names (method §7), exactly.
FOREST_CHANGE = "Forest Change"
FOREST_REMAINING = "Forest Remaining Forest"
TREES_OUTSIDE = "Trees Outside Forest"
TOTAL = "Total"
FOREST_CHANGE_TYPES: Final = {
    lu.CROPLAND: "To Cropland",
    lu.GRASSLAND: "To Grassland",
    lu.SETTLEMENT: "To Settlement",
    lu.WETLAND: "To Wetland",
    lu.OTHER_LAND: "To Other",
}
REFORESTATION = "Reforestation (Non-Forest to Forest)"
UNDISTURBED, FIRE, INSECT, HARVEST = "Undisturbed", "Fire", "Insect/Disease", "Harvest/Other"
CANOPY_LOSS, CANOPY_KEPT = "Tree canopy loss", "Canopy maintained/gained"
IPCC_FRF, IPCC_F2NF, IPCC_NF2F, IPCC_TOF, IPCC_TOTAL = (
    "Forest remaining forest",
    "Forest to non-forest",
    "Non-forest to forest",
    "Trees outside forests",
    "Total",
)
#: Rows of the tree-canopy summary: Nonforest→Nonforest pixels by end-year category, in LEARN's order.
CANOPY_CATEGORIES: Final = (lu.GRASSLAND, lu.CROPLAND, lu.SETTLEMENT, lu.WETLAND, lu.OTHER_LAND)


@dataclass(frozen=True)
class AccountingInputs:
    """Everything the accounting needs besides the stratum table.

    ``canopy_unit``: 0.01 for percent canopy, 1.0 for fractions. ``canopy_years``: the two canopy
    years used (None when there is no canopy layer). ``carbon``/``disturbance``: whether those layers
    entered the raster stage.
    """

    start: int
    end: int
    pixel_area_ha: float
    forest_factors: ForestFactorTable | None
    tof: TofSelection | None
    canopy_unit: float | None
    canopy_years: tuple[int, int] | None
    has_carbon: bool
    has_disturbance: bool
    has_forest_codes: bool
    recategorize_burned_grassland: bool = False

    @property
    def years(self) -> int:
        return self.end - self.start

    @property
    def canopy_loss_scale(self) -> float:
        """Scale canopy loss from the canopy years to the inventory years (method §5)."""
        if self.canopy_years is None:
            return 1.0
        return self.years / (self.canopy_years[1] - self.canopy_years[0])


@dataclass
class Accounting:
    inventory: list[InventoryRow]
    ipcc_summary: list[SummaryRow]
    totals: Totals
    change_matrix: ChangeMatrix
    tree_canopy: list[CanopyRow]
    warnings: list[str] = field(default_factory=list)
    area_ha: float = 0.0
    nodata_area_ha: float = 0.0


def classify_strata(strata: pd.DataFrame) -> pd.DataFrame:
    """Add ``valid``, ``cat1``, ``cat2`` and ``transition`` columns to a stratum table."""
    out = strata.copy()
    valid = lu.valid_class_lut()
    out["valid"] = valid[out["lc1"].to_numpy(int)] & valid[out["lc2"].to_numpy(int)]
    out["cat1"] = out["lc1"].map(lu.NLCD_TO_CATEGORY)
    out["cat2"] = out["lc2"].map(lu.NLCD_TO_CATEGORY)
    out["transition"] = [lu.transition_of(a, b) for a, b in zip(out["lc1"], out["lc2"], strict=True)]
    return out


def _row(
    category: str,
    type_: str,
    area: float | None,
    emissions: float | None,
    removals: float | None,
    factors: dict[str, Any] | None = None,
) -> InventoryRow:
    parts = [v for v in (emissions, removals) if v is not None]
    net = float(sum(parts)) if parts else None
    return InventoryRow(
        category=category,
        type=type_,
        area_ha=area,
        emissions_t_co2e_per_yr=emissions,
        removals_t_co2e_per_yr=removals,
        net_t_co2e_per_yr=net,
        factors=factors or {},
    )


def change_matrix(strata: pd.DataFrame, pixel_area_ha: float) -> ChangeMatrix:
    """Area (ha) of each (start class, end class) pair in LEARN's class order (rows = start year)."""
    valid = strata[strata["valid"]]
    extra = sorted((set(valid["lc1"]) | set(valid["lc2"])) - set(lu.LEARN_MATRIX_ORDER))
    classes = [*lu.LEARN_MATRIX_ORDER, *(int(c) for c in extra)]
    index = {c: i for i, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes)))
    pairs = valid.groupby(["lc1", "lc2"])["pixels"].sum()
    for a, b, px in zip(
        pairs.index.get_level_values(0), pairs.index.get_level_values(1), pairs.to_numpy(), strict=True
    ):
        m[index[int(a)], index[int(b)]] += float(px) * pixel_area_ha
    return ChangeMatrix(
        classes=classes,
        hectares=m.tolist(),
        row_totals_ha=m.sum(axis=1).tolist(),
        column_totals_ha=m.sum(axis=0).tolist(),
        total_ha=float(m.sum()),
    )


def _forest_rows(
    s: pd.DataFrame, inp: AccountingInputs, warnings: list[str]
) -> tuple[list[InventoryRow], pd.Series]:
    """Forest Change (stock loss), Reforestation and Forest Remaining Forest rows.

    Returns the rows and a boolean mask of strata moved by the burned-grassland recategorisation.
    """
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
            _row(
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

    factor_info = {"table": str(table.path), "sha256": table.sha256} if table is not None else {"table": None}
    forest_ok = inp.has_forest_codes and table is not None
    # Nonforest → forest: removals at the code's RF (annual).
    reforest = (s["transition"] == lu.NONFOREST_TO_FOREST) & has_row
    rf_nf = factor_sum(reforest, "removal_factor_nonforest_to_forest_tc_ha_yr") * C_TO_CO2
    rows.append(
        _row(
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
        _row(
            FOREST_REMAINING,
            UNDISTURBED,
            float(s.loc[undisturbed, "pixels"].sum() * px) if forest_ok else None,
            None,
            rf_frf if forest_ok else None,
            {**factor_info, "column": "Forests Remaining Forest Removal Factor"},
        )
    )

    def disturbance_row(type_: str, sel: pd.Series, column: str) -> InventoryRow:
        if not (forest_ok and inp.has_disturbance):
            return _row(FOREST_REMAINING, type_, None, None, None, {**factor_info, "column": column})
        e = factor_sum(sel, column) * C_TO_CO2 / yrs
        return _row(
            FOREST_REMAINING,
            type_,
            float(s.loc[sel, "pixels"].sum() * px),
            e,
            None,
            {**factor_info, "column": column},
        )

    rows.append(disturbance_row(FIRE, fire, "emission_factor_fire_tc_ha"))
    rows.append(disturbance_row(INSECT, insect, "emission_factor_insect_tc_ha"))
    if table is not None and table.has_severity and forest_ok and inp.has_disturbance:
        e = 0.0
        for k, code in enumerate(DIST_HARVEST):
            from learn.accounting.factors import HARVEST_SEVERITY_COLUMNS

            e += factor_sum(harvest & (dist == code), HARVEST_SEVERITY_COLUMNS[k])
        rows.append(
            _row(
                FOREST_REMAINING,
                HARVEST,
                float(s.loc[harvest, "pixels"].sum() * px),
                e * C_TO_CO2 / yrs,
                None,
                {**factor_info, "column": "Harvest_EF_<severity> for codes 1–4"},
            )
        )
    else:
        rows.append(disturbance_row(HARVEST, harvest, "emission_factor_harvest_tc_ha"))

    # What the forest rows could not include, said out loud.
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
    if moved.any():
        warnings.append(
            f"recategorise burned grassland: {s.loc[moved, 'pixels'].sum() * px:.2f} ha of burned Forest→Grassland "
            "counted as Forest Remaining Forest (fire emissions only) and removed from 'To Grassland'"
        )
    return rows, moved


def _tof_rows(s: pd.DataFrame, inp: AccountingInputs) -> list[InventoryRow]:
    """Trees Outside Forest rows: canopy on Nonforest→Nonforest pixels (method §5)."""
    if inp.canopy_unit is None or inp.tof is None:
        return [
            _row(TREES_OUTSIDE, CANOPY_LOSS, None, None, None),
            _row(TREES_OUTSIDE, CANOPY_KEPT, None, None, None),
        ]
    px, unit = inp.pixel_area_ha, inp.canopy_unit
    sel = s["transition"] == lu.NONFOREST_TO_NONFOREST
    canopy_ha = float((s.loc[sel, "canopy1_sum"] + s.loc[sel, "canopy2_sum"]).sum() / 2 * unit * px)
    loss_ha = float(s.loc[sel, "canopy_loss_sum"].sum() * unit * px * inp.canopy_loss_scale)
    info = {"canopy_years": list(inp.canopy_years or ()), "canopy_loss_scale": inp.canopy_loss_scale}
    return [
        _row(
            TREES_OUTSIDE,
            CANOPY_LOSS,
            loss_ha,
            loss_ha * inp.tof.ef_t_c_per_ha * C_TO_CO2 / inp.years,
            None,
            {**info, "ef_t_c_per_ha": inp.tof.ef_t_c_per_ha, "row": inp.tof.ef_row},
        ),
        _row(
            TREES_OUTSIDE,
            CANOPY_KEPT,
            canopy_ha,
            None,
            canopy_ha * inp.tof.rf_t_c_per_ha_yr * C_TO_CO2,
            {**info, "rf_t_c_per_ha_yr": inp.tof.rf_t_c_per_ha_yr, "row": inp.tof.rf_row},
        ),
    ]


def tree_canopy_summary(s: pd.DataFrame, inp: AccountingInputs) -> list[CanopyRow]:
    """Canopy ha, canopy-loss ha and % tree cover of trees outside forests by end-year category (method §5).

    Like LEARN, over Nonforest→Nonforest pixels (the pixels of the Trees Outside Forest rows), so the
    rows add up to those rows' areas; % tree cover = canopy ha ÷ the category's area.
    """
    px = inp.pixel_area_ha
    out = []
    nn = s["transition"] == lu.NONFOREST_TO_NONFOREST
    for cat in CANOPY_CATEGORIES:
        sel = nn & (s["cat2"] == cat)
        area = float(s.loc[sel, "pixels"].sum() * px)
        if inp.canopy_unit is None:
            out.append(
                CanopyRow(
                    category=cat, canopy_ha=None, canopy_loss_ha=None, percent_tree_cover=None, area_ha=area
                )
            )
            continue
        canopy = float(
            (s.loc[sel, "canopy1_sum"] + s.loc[sel, "canopy2_sum"]).sum() / 2 * inp.canopy_unit * px
        )
        loss = float(s.loc[sel, "canopy_loss_sum"].sum() * inp.canopy_unit * px * inp.canopy_loss_scale)
        pct = 100.0 * canopy / area if area > 0 else None
        out.append(
            CanopyRow(
                category=cat, canopy_ha=canopy, canopy_loss_ha=loss, percent_tree_cover=pct, area_ha=area
            )
        )
    return out


def _ipcc_summary(rows: list[InventoryRow]) -> list[SummaryRow]:
    def net(pred: Any) -> float | None:
        vals = [r.net_t_co2e_per_yr for r in rows if pred(r)]
        known = [v for v in vals if v is not None]
        return float(sum(known)) if known else None

    groups = [
        (IPCC_FRF, lambda r: r.category == FOREST_REMAINING),
        (IPCC_F2NF, lambda r: r.category == FOREST_CHANGE and r.type != REFORESTATION),
        (IPCC_NF2F, lambda r: r.category == FOREST_CHANGE and r.type == REFORESTATION),
        (IPCC_TOF, lambda r: r.category == TREES_OUTSIDE),
    ]
    out = [SummaryRow(category=name, net_t_co2e_per_yr=net(pred)) for name, pred in groups]
    out.append(SummaryRow(category=IPCC_TOTAL, net_t_co2e_per_yr=net(lambda r: r.category != TOTAL)))
    return out


def account(strata: pd.DataFrame, inp: AccountingInputs) -> Accounting:
    """Turn the stratum table of one boundary into the report's tables."""
    if inp.end <= inp.start:
        raise ValueError("end year must be after start year")
    s = classify_strata(strata)
    warnings: list[str] = []
    px = inp.pixel_area_ha
    area_ha = float(s["pixels"].sum() * px)
    nodata_ha = float(s.loc[~s["valid"], "pixels"].sum() * px)
    if nodata_ha > 0:
        warnings.append(
            f"{nodata_ha:.2f} ha inside the boundary have no valid land-cover class in {inp.start} or {inp.end} "
            "(NLCD background/nodata) and are not counted in any row"
        )
    valid = s[s["valid"]]
    forest_rows, _ = _forest_rows(valid, inp, warnings)
    tof_rows = _tof_rows(valid, inp)
    rows = [*forest_rows, *tof_rows]
    gross_e = float(sum(r.emissions_t_co2e_per_yr or 0.0 for r in rows))
    gross_r = float(sum(r.removals_t_co2e_per_yr or 0.0 for r in rows))
    rows.append(_row(TOTAL, TOTAL, None, gross_e, gross_r))
    if not inp.has_carbon:
        warnings.append(
            "Forest Change emissions not computed: the region has no carbon pool layers "
            "(carbon_live, carbon_dead_litter, carbon_soil)"
        )
    if inp.forest_factors is None:
        warnings.append(
            "forest removals and disturbance emissions not computed: the region has no forest factor table"
        )
    elif not inp.has_forest_codes:
        warnings.append(
            "forest removals and disturbance emissions not computed: the region has no "
            "forest_age_type_region layer"
        )
    if not inp.has_disturbance:
        warnings.append(
            f"disturbance (fire, insect/disease, harvest) not computed: no disturbance raster covers "
            f"a period inside {inp.start}–{inp.end}; all forest remaining forest counted as undisturbed"
        )
    if inp.canopy_unit is None:
        warnings.append(
            "Trees Outside Forest not computed: the region has no tree canopy layer for this period"
        )
    elif inp.tof is None:
        warnings.append(
            "Trees Outside Forest not computed: the region has no trees-outside-forest factor table"
        )
    missing = not_estimated_rows(rows)
    if missing:
        warnings.append(
            f"the totals are partial: {len(missing)} inventory row(s) could not be estimated and are left out "
            f"of gross emissions, gross removals and net ({'; '.join(missing)})"
        )
    return Accounting(
        inventory=rows,
        ipcc_summary=_ipcc_summary(rows),
        totals=Totals(
            gross_emissions_t_co2e_per_yr=gross_e,
            gross_removals_t_co2e_per_yr=gross_r,
            net_t_co2e_per_yr=gross_e + gross_r,
            complete=not missing,
            not_estimated=missing,
        ),
        change_matrix=change_matrix(s, px),
        tree_canopy=tree_canopy_summary(valid, inp),
        warnings=warnings,
        area_ha=area_ha,
        nodata_area_ha=nodata_ha,
    )
