"""Result models: the JSON report of one boundary and one period (design.md "JSON report").

Keys are the user-facing contract; extend, never rename. Fluxes in t CO2e/yr (emissions positive,
removals negative, net = emissions + removals); areas in hectares. ``None`` means "could not be
computed" (the reason is in ``warnings``), never zero.

A :class:`Report` also converts to pandas / xarray (:mod:`learn.frames`)::

    report.inventory_frame()     # GHG inventory rows: area_ha, emissions/removals/net_t_co2e_per_yr
    report.summary_frame()       # IPCC summary + gross emissions, gross removals, net (t CO2e/yr)
    report.tree_canopy_frame()   # canopy ha, canopy loss ha, % tree cover by land-use category
    report.change_matrix_da()    # xarray.DataArray (ha), dims class_start × class_end
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoundaryInfo(_Model):
    id: str
    name: str
    area_ha: float = Field(description="area of the pixels counted in the boundary (ha)")
    polygon_area_ha: float | None = Field(
        default=None, description="area of the polygon itself, EPSG:5070 (ha)"
    )
    nodata_area_ha: float = Field(
        default=0.0, description="counted area without a valid land-cover class (ha)"
    )


class Period(_Model):
    start: int
    end: int
    years: int


class InventoryRow(_Model):
    category: str
    type: str
    area_ha: float | None
    emissions_t_co2e_per_yr: float | None
    removals_t_co2e_per_yr: float | None
    net_t_co2e_per_yr: float | None
    factors: dict[str, Any] = Field(default_factory=dict, description="factors and inputs this row used")


class SummaryRow(_Model):
    category: str
    net_t_co2e_per_yr: float | None


class Totals(_Model):
    gross_emissions_t_co2e_per_yr: float
    gross_removals_t_co2e_per_yr: float
    net_t_co2e_per_yr: float


class ChangeMatrix(_Model):
    classes: list[int] = Field(description="NLCD classes; rows = start year, columns = end year")
    hectares: list[list[float]]
    row_totals_ha: list[float] = Field(default_factory=list)
    column_totals_ha: list[float] = Field(default_factory=list)
    total_ha: float = 0.0


class CanopyRow(_Model):
    category: str
    canopy_ha: float | None
    canopy_loss_ha: float | None
    percent_tree_cover: float | None
    area_ha: float = 0.0


class Report(_Model):
    boundary: BoundaryInfo
    period: Period
    inventory: list[InventoryRow]
    ipcc_summary: list[SummaryRow]
    totals: Totals
    change_matrix: ChangeMatrix
    tree_canopy: list[CanopyRow]
    warnings: list[str]
    provenance: dict[str, Any]

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    # Conversions (learn.frames, imported late: it builds on learn.export, which imports this module).
    def inventory_frame(self) -> pd.DataFrame:
        """The GHG inventory, one row per report row: ``boundary_id, boundary_name, start, end, category,
        type, area_ha`` (ha) and ``emissions_/removals_/net_t_co2e_per_yr`` (t CO2e/yr)."""
        from learn.frames import inventory_frame

        return inventory_frame(self)

    def summary_frame(self) -> pd.DataFrame:
        """IPCC summary rows, then gross emissions, gross removals and net: ``category``,
        ``net_t_co2e_per_yr`` (t CO2e/yr)."""
        from learn.frames import summary_frame

        return summary_frame(self)

    def tree_canopy_frame(self) -> pd.DataFrame:
        """Tree canopy of Nonforest→Nonforest pixels by end-year category: ``area_ha``, ``canopy_ha``,
        ``canopy_loss_ha`` (ha over the inventory period) and ``percent_tree_cover`` (%)."""
        from learn.frames import tree_canopy_frame

        return tree_canopy_frame(self)

    def change_matrix_frame(self) -> pd.DataFrame:
        """The change matrix (ha) as LEARN's table: labelled rows (start year) × columns (end year) + totals."""
        from learn.frames import change_matrix_frame

        return change_matrix_frame(self)

    def change_matrix_da(self) -> xr.DataArray:
        """The change matrix (ha) as an ``xarray.DataArray`` with dims ``class_start``, ``class_end``
        (NLCD codes; names in ``name_start``/``name_end``); ``attrs`` units "ha", period, boundary."""
        from learn.frames import change_matrix_dataarray

        return change_matrix_dataarray(self)
