"""Trees outside forests: canopy loss and canopy kept on non-forest → non-forest pixels, and the tree-canopy
summary by end-year category (``docs/method.md``, "Trees outside forests")."""

from __future__ import annotations

import pandas as pd

import learn.landuse as lu
from learn.accounting.terms import (
    C_TO_CO2,
    CANOPY_CATEGORIES,
    CANOPY_KEPT,
    CANOPY_LOSS,
    TREES_OUTSIDE,
    AccountingInputs,
    make_row,
)
from learn.report.models import CanopyRow, InventoryRow


def tof_rows(s: pd.DataFrame, inp: AccountingInputs) -> list[InventoryRow]:
    """Trees Outside Forest rows: canopy on Nonforest→Nonforest pixels (docs/method.md §4)."""
    if inp.canopy_unit is None or inp.tof is None:
        return [
            make_row(TREES_OUTSIDE, CANOPY_LOSS, None, None, None),
            make_row(TREES_OUTSIDE, CANOPY_KEPT, None, None, None),
        ]
    px, unit = inp.pixel_area_ha, inp.canopy_unit
    sel = s["transition"] == lu.NONFOREST_TO_NONFOREST
    canopy_ha = float((s.loc[sel, "canopy1_sum"] + s.loc[sel, "canopy2_sum"]).sum() / 2 * unit * px)
    loss_ha = float(s.loc[sel, "canopy_loss_sum"].sum() * unit * px * inp.canopy_loss_scale)
    info = {"canopy_years": list(inp.canopy_years or ()), "canopy_loss_scale": inp.canopy_loss_scale}
    return [
        make_row(
            TREES_OUTSIDE,
            CANOPY_LOSS,
            loss_ha,
            loss_ha * inp.tof.ef_t_c_per_ha * C_TO_CO2 / inp.years,
            None,
            {**info, "ef_t_c_per_ha": inp.tof.ef_t_c_per_ha, "row": inp.tof.ef_row},
        ),
        make_row(
            TREES_OUTSIDE,
            CANOPY_KEPT,
            canopy_ha,
            None,
            canopy_ha * inp.tof.rf_t_c_per_ha_yr * C_TO_CO2,
            {**info, "rf_t_c_per_ha_yr": inp.tof.rf_t_c_per_ha_yr, "row": inp.tof.rf_row},
        ),
    ]


def tree_canopy_summary(s: pd.DataFrame, inp: AccountingInputs) -> list[CanopyRow]:
    """Canopy ha, canopy-loss ha and % tree cover of trees outside forests by end-year category (docs/method.md §4).

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
