"""The JSON report of one boundary and one period, as users get it: :class:`Report` is the model
(:mod:`learn.report.model`, design.md "JSON report") with its conversions to pandas / xarray
(:mod:`learn.report.frames`)::

    report.inventory_frame()     # GHG inventory rows: area_ha, emissions/removals/net_t_co2e_per_yr
    report.summary_frame()       # IPCC summary + gross emissions, gross removals, net (t CO2e/yr)
    report.tree_canopy_frame()   # canopy ha, canopy loss ha, % tree cover by land-use category
    report.change_matrix_da()    # xarray.DataArray (ha), dims class_start x class_end

The model's other classes are here too, so ``learn.report.models`` stays the one import for them. The model never
imports what renders it; this module joins the two (frames imported late: pandas only when asked for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from learn.report import model
from learn.report.model import (
    TOTAL_ROW,
    BoundaryInfo,
    CanopyCover,
    CanopyRow,
    ChangeMatrix,
    HarvestSeverityRow,
    InventoryRow,
    Period,
    SummaryRow,
    Totals,
    not_estimated_rows,
    row_name,
)

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = [
    "TOTAL_ROW",
    "BoundaryInfo",
    "CanopyCover",
    "CanopyRow",
    "ChangeMatrix",
    "HarvestSeverityRow",
    "InventoryRow",
    "Period",
    "Report",
    "SummaryRow",
    "Totals",
    "not_estimated_rows",
    "row_name",
]


class Report(model.Report):
    """One boundary's report for one period (the JSON report; its fields: :class:`learn.report.model.Report`)."""

    def inventory_frame(self) -> pd.DataFrame:
        """The GHG inventory, one row per report row: ``boundary_id, boundary_name, start, end, category,
        type, area_ha`` (ha) and ``emissions_/removals_/net_t_co2e_per_yr`` (t CO2e/yr)."""
        from learn.report.frames import inventory_frame

        return inventory_frame(self)

    def harvest_severity_frame(self) -> pd.DataFrame:
        """Forest Remaining Forest — Harvest/Other by severity class: ``severity`` (1–4),
        ``canopy_loss_points``, ``area_ha`` (ha), ``emissions_t_co2e_per_yr`` (t CO2e/yr) and the factor
        ``column`` used; a breakdown of the Harvest/Other inventory row (not to be added to it)."""
        from learn.report.frames import harvest_severity_frame

        return harvest_severity_frame(self)

    def summary_frame(self) -> pd.DataFrame:
        """IPCC summary rows, then gross emissions, gross removals and net: ``category``,
        ``net_t_co2e_per_yr`` (t CO2e/yr)."""
        from learn.report.frames import summary_frame

        return summary_frame(self)

    def tree_canopy_frame(self) -> pd.DataFrame:
        """Tree canopy of Nonforest→Nonforest pixels by end-year category: ``area_ha``, ``canopy_ha``,
        ``canopy_loss_ha`` (ha over the inventory period) and ``percent_tree_cover`` (%)."""
        from learn.report.frames import tree_canopy_frame

        return tree_canopy_frame(self)

    def change_matrix_frame(self) -> pd.DataFrame:
        """The change matrix (ha) as LEARN's table: labelled rows (start year) × columns (end year) + totals."""
        from learn.report.frames import change_matrix_frame

        return change_matrix_frame(self)

    def change_matrix_da(self) -> xr.DataArray:
        """The change matrix (ha) as an ``xarray.DataArray`` with dims ``class_start``, ``class_end``
        (NLCD codes; names in ``name_start``/``name_end``); ``attrs`` units "ha", period, boundary."""
        from learn.report.frames import change_matrix_dataarray

        return change_matrix_dataarray(self)
