"""Trees outside forests: canopy loss and canopy kept on non-forest → non-forest pixels, and the tree-canopy
summary by end-year category (``docs/method.md``, "Trees outside forests"), for every zone at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import learn.landuse as lu
from learn.accounting.factors import TofSelection
from learn.accounting.terms import (
    C_TO_CO2,
    CANOPY_CATEGORIES,
    CANOPY_KEPT,
    CANOPY_LOSS,
    TREES_OUTSIDE,
    AccountingInputs,
)
from learn.accounting.zone_table import CATEGORIES, F64, BoolArray, RowSums, ZoneTable
from learn.report.models import CanopyCover, CanopyRow


def _canopy_sums(t: ZoneTable, sel: BoolArray, inp: AccountingInputs) -> tuple[F64, F64]:
    """Canopy area (mean of the two years) and canopy loss (scaled to the inventory years), ha per zone."""
    unit, px = inp.canopy_unit or 0.0, inp.pixel_area_ha
    canopy = t.by_zone(sel, t.col("canopy1_sum") + t.col("canopy2_sum")) / 2 * unit * px
    loss = t.by_zone(sel, t.col("canopy_loss_sum")) * unit * px * inp.canopy_loss_scale
    return canopy, loss


def tof_rows(t: ZoneTable, inp: AccountingInputs, tof: Sequence[TofSelection | None]) -> list[RowSums]:
    """Trees Outside Forest rows of every zone: canopy on Nonforest→Nonforest pixels (docs/method.md §4).

    ``tof``: each zone's factors (all None when the region has no TOF table)."""
    if inp.canopy_unit is None or any(s is None for s in tof):
        if any(s is not None for s in tof) and inp.canopy_unit is not None:
            raise ValueError("trees-outside-forest factors are needed for every zone or for none")
        return [
            RowSums(TREES_OUTSIDE, CANOPY_LOSS, None, None, None),
            RowSums(TREES_OUTSIDE, CANOPY_KEPT, None, None, None),
        ]
    chosen: list[TofSelection] = [s for s in tof if s is not None]
    sel = t.valid & t.is_transition(lu.NONFOREST_TO_NONFOREST)
    canopy_ha, loss_ha = _canopy_sums(t, sel, inp)
    ef = np.array([s.ef_t_c_per_ha for s in chosen], np.float64)
    rf = np.array([s.rf_t_c_per_ha_yr for s in chosen], np.float64)
    info = {"canopy_years": list(inp.canopy_years or ()), "canopy_loss_scale": inp.canopy_loss_scale}
    return [
        RowSums(
            TREES_OUTSIDE,
            CANOPY_LOSS,
            loss_ha,
            loss_ha * ef * C_TO_CO2 / inp.years,
            None,
            info,
            lambda z: {"ef_t_c_per_ha": chosen[z].ef_t_c_per_ha, "row": chosen[z].ef_row},
        ),
        RowSums(
            TREES_OUTSIDE,
            CANOPY_KEPT,
            canopy_ha,
            None,
            canopy_ha * rf * C_TO_CO2,
            info,
            lambda z: {"rf_t_c_per_ha_yr": chosen[z].rf_t_c_per_ha_yr, "row": chosen[z].rf_row},
        ),
    ]


def tree_canopy_summary(t: ZoneTable, inp: AccountingInputs) -> list[list[CanopyRow]]:
    """Canopy ha, canopy-loss ha and % tree cover of trees outside forests by end-year category, per zone
    (docs/method.md §4).

    Like LEARN, over Nonforest→Nonforest pixels (the pixels of the Trees Outside Forest rows), so the
    rows add up to those rows' areas; % tree cover = canopy ha ÷ the category's area.
    """
    nn = t.valid & t.is_transition(lu.NONFOREST_TO_NONFOREST)
    sums = []
    for cat in CANOPY_CATEGORIES:
        sel = nn & (t.cat2 == CATEGORIES.index(cat))
        area = t.by_zone(sel, t.col("pixels")) * inp.pixel_area_ha
        canopy = loss = None
        if inp.canopy_unit is not None:
            canopy, loss = _canopy_sums(t, sel, inp)
        sums.append((cat, area, canopy, loss))
    out = []
    for z in range(t.n_zones):
        rows = []
        for cat, area, canopy, loss in sums:
            a = float(area[z])
            if canopy is None or loss is None:
                rows.append(
                    CanopyRow(
                        category=cat, canopy_ha=None, canopy_loss_ha=None, percent_tree_cover=None, area_ha=a
                    )
                )
                continue
            c = float(canopy[z])
            rows.append(
                CanopyRow(
                    category=cat,
                    canopy_ha=c,
                    canopy_loss_ha=float(loss[z]),
                    percent_tree_cover=100.0 * c / a if a > 0 else None,
                    area_ha=a,
                )
            )
        out.append(rows)
    return out


def canopy_cover(t: ZoneTable, inp: AccountingInputs) -> list[CanopyCover | None]:
    """Each zone's tree canopy cover over every valid pixel with canopy data, in both canopy years (the
    map's "whole jurisdiction" figure; not an inventory term)."""
    if inp.canopy_unit is None or inp.canopy_years is None:
        return [None] * t.n_zones
    px, unit = inp.pixel_area_ha, inp.canopy_unit
    with_data = t.valid
    area = t.by_zone(with_data, t.col("canopy_pixels")) * px
    c1 = t.by_zone(with_data, t.col("canopy1_sum")) * unit * px
    c2 = t.by_zone(with_data, t.col("canopy2_sum")) * unit * px
    out: list[CanopyCover | None] = []
    for z in range(t.n_zones):
        a = float(area[z])
        p1 = 100.0 * float(c1[z]) / a if a > 0 else None
        p2 = 100.0 * float(c2[z]) / a if a > 0 else None
        out.append(
            CanopyCover(
                start_year=inp.canopy_years[0],
                end_year=inp.canopy_years[1],
                percent_start=p1,
                percent_end=p2,
                change_points=None if p1 is None or p2 is None else p2 - p1,
                canopy_start_ha=float(c1[z]),
                canopy_end_ha=float(c2[z]),
                area_ha=a,
            )
        )
    return out
