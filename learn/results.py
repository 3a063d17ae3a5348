"""Result models: the JSON report of one boundary and one period (design.md "JSON report").

Keys are the user-facing contract; extend, never rename. Fluxes in t CO2e/yr (emissions positive,
removals negative, net = emissions + removals); areas in hectares. ``None`` means "could not be
computed" (the reason is in ``warnings``), never zero.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
