"""The accounting stage: stratum table → LEARN report rows (IPCC gain–loss).

Implements ``docs/method.md`` (ICLEI USA / WRI LEARN; Glen, Harris & Birdsey 2024,
doi:10.46830/writn.20.00011; analysis code erin-glen/learn_analysis). Works on a few hundred rows, so
it stays readable and hand-checkable. Fluxes in t CO2e/yr, emissions positive, removals negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import learn.landuse as lu
from learn.accounting.forest import forest_rows
from learn.accounting.terms import (
    FOREST_CHANGE,
    FOREST_REMAINING,
    IPCC_F2NF,
    IPCC_FRF,
    IPCC_NF2F,
    IPCC_TOF,
    IPCC_TOTAL,
    REFORESTATION,
    TOTAL,
    TREES_OUTSIDE,
    AccountingInputs,
    make_row,
)
from learn.accounting.trees_outside_forest import tof_rows, tree_canopy_summary
from learn.report.models import (
    CanopyRow,
    ChangeMatrix,
    HarvestSeverityRow,
    InventoryRow,
    SummaryRow,
    Totals,
    not_estimated_rows,
    row_name,
)


@dataclass
class Accounting:
    inventory: list[InventoryRow]
    ipcc_summary: list[SummaryRow]
    totals: Totals
    change_matrix: ChangeMatrix
    tree_canopy: list[CanopyRow]
    warnings: list[str] = field(default_factory=list)
    area_ha: float = 0.0
    #: Forest Remaining Forest — Harvest/Other by severity class: a breakdown of that row, outside the totals.
    harvest_by_severity: list[HarvestSeverityRow] = field(default_factory=list)
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


#: Appended to a row's name in ``totals.not_estimated`` when only part of its area could be estimated.
PARTLY_ESTIMATED = "(in part: forest without a forest code or factor row left out)"


def gross_totals(rows: list[InventoryRow], warnings: list[str]) -> tuple[float, float]:
    """Gross emissions (Σ of the emissions column) and gross removals (Σ of removals) of the rows (docs/method.md §5).

    A row whose emissions came out negative (negative disturbance EFs, §3.3) keeps that value in its own
    emissions column and lowers gross emissions by it, as in LEARN: so the totals of parts add up to the
    totals of the whole (towns to their county), which a sign rule per boundary would break. A warning names
    the row and the amount, so it is never silent.
    """
    gross_e, gross_r = 0.0, 0.0
    for r in rows:
        e, rm = r.emissions_t_co2e_per_yr, r.removals_t_co2e_per_yr
        gross_r += rm or 0.0
        gross_e += e or 0.0
        if e is not None and e < 0:
            warnings.append(
                f"{r.category} — {r.type}: its emissions are negative ({e:,.2f} t CO2e/yr, from negative "
                "emission factors); they are kept in gross emissions, which they lower (LEARN's convention)"
            )
    return float(gross_e), float(gross_r)


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
    forest = forest_rows(valid, inp, warnings)
    trees = tof_rows(valid, inp)
    rows = [*forest.rows, *trees]
    gross_e, gross_r = gross_totals(rows, warnings)
    rows.append(make_row(TOTAL, TOTAL, None, gross_e, gross_r))
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
    left_out_ha = float(sum(forest.left_out_ha.values()))
    if forest.left_out_ha:
        # Forest without a code or factor row is in no row: the totals cover only part of the forest.
        partly = [
            f"{FOREST_CHANGE if t == REFORESTATION else FOREST_REMAINING} — {t}" for t in forest.left_out_ha
        ]
        # In report order; a row not estimated at all keeps its plain name.
        missing = [
            name if name in missing else f"{name} {PARTLY_ESTIMATED}"
            for name in (row_name(r) for r in rows)
            if name in missing or name in partly
        ]
        warnings.append(
            f"the totals are partial: {left_out_ha:.2f} ha of forest without a forest age-type-region code or "
            f"factor row are left out of the forest rows ({'; '.join(partly)})"
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
            forest_area_left_out_ha=left_out_ha,
        ),
        change_matrix=change_matrix(s, px),
        tree_canopy=tree_canopy_summary(valid, inp),
        warnings=warnings,
        area_ha=area_ha,
        nodata_area_ha=nodata_ha,
        harvest_by_severity=forest.harvest_by_severity,
    )
