"""Result models: the JSON report of one boundary and one period (design.md "JSON report").

Keys are the user-facing contract; extend, never rename. Fluxes in t CO2e/yr (emissions positive,
removals negative, net = emissions + removals); areas in hectares. ``None`` means "could not be
computed" (the reason is in ``warnings``), never zero.

The model knows nothing of what renders it: tables, labels, files and pages build on it
(:mod:`learn.report.frames`, :mod:`learn.report.labels`, :mod:`learn.report.export`, ...), and the
:class:`learn.report.models.Report` users get adds its conversions to pandas / xarray.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from learn.report.shares import GrossShares, gross_shares


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


class HarvestSeverityRow(_Model):
    """One harvest severity class of the Forest Remaining Forest — Harvest/Other row: a breakdown of that
    row, not a row of its own. Its area and emissions are already in Harvest/Other (the four classes add up
    to it), so the totals never count them; it has no removals (disturbed forest earns none)."""

    severity: int = Field(description="harvest severity class: the disturbance layer's code 1–4")
    canopy_loss_points: str = Field(
        description='tree canopy cover loss of the class, percentage points ("1–25", "26–50", "51–75", "76–100")'
    )
    area_ha: float | None
    emissions_t_co2e_per_yr: float | None
    factors: dict[str, Any] = Field(default_factory=dict, description="factors and inputs this class used")


class SummaryRow(_Model):
    category: str
    net_t_co2e_per_yr: float | None
    net_p05_t_co2e_per_yr: float | None = Field(
        default=None,
        description="5th percentile of the net over the factor uncertainty (see totals.uncertainty)",
    )
    net_p95_t_co2e_per_yr: float | None = Field(default=None, description="95th percentile, as net_p05")


#: Category (and type) of the inventory's last row, the sum of the others.
TOTAL_ROW = "Total"


def row_name(row: InventoryRow) -> str:
    """``"Category — Type"``: how a row is named in :attr:`Totals.not_estimated`."""
    return f"{row.category} — {row.type}"


def not_estimated_rows(rows: Iterable[InventoryRow]) -> list[str]:
    """Names of the inventory rows the totals leave out (IPCC "NE", not estimated), in report order.

    A row's net flux is null only when a layer or factor table it needs is missing (the accounting
    warns about each); a row with its inputs but no area has a flux of 0, never null. A null row whose
    area is known to be 0 ha does not occur (IPCC "NO"): its flux would be 0 whatever the missing layer,
    so it does not make the totals partial. The Total row itself is not counted.
    """
    return [
        row_name(r)
        for r in rows
        if r.category != TOTAL_ROW and r.net_t_co2e_per_yr is None and r.area_ha != 0.0
    ]


class Totals(_Model):
    """Sums of the inventory rows that were estimated (a row that could not be computed adds nothing).

    ``complete`` says whether that is the whole inventory; ``not_estimated`` names the rows left out
    (IPCC notation key "NE") or left out in part (forest without a code or factor row,
    ``forest_area_left_out_ha``), so a partial total is never read as the full inventory.
    """

    gross_emissions_t_co2e_per_yr: float
    gross_removals_t_co2e_per_yr: float
    net_t_co2e_per_yr: float
    complete: bool = Field(
        default=True,
        description="true when every inventory row was estimated; false when the totals leave out rows "
        "that could not be computed (a layer or factor table is missing) or forest area without a forest code "
        "or factor row (see not_estimated, forest_area_left_out_ha and warnings)",
    )
    not_estimated: list[str] = Field(
        default_factory=list,
        description='rows left out of the totals, as "Category — Type" in report order (IPCC "NE", not '
        "estimated): net flux null because a layer or factor table is missing. A row with 0 ha does not "
        "occur and is not listed (its flux is 0 whatever the missing layer). A row only part of whose forest "
        'could be estimated is listed with "(in part: …)" after its name. Empty when complete',
    )
    net_p05_t_co2e_per_yr: float | None = Field(
        default=None,
        description="5th percentile of the net flux over the factor uncertainty (90 % interval with net_p95); "
        "null when the forest factor table gives no standard errors. What is varied: uncertainty",
    )
    net_p95_t_co2e_per_yr: float | None = Field(default=None, description="95th percentile, as net_p05")
    gross_removals_p05_t_co2e_per_yr: float | None = Field(
        default=None, description="as net_p05, gross removals"
    )
    gross_removals_p95_t_co2e_per_yr: float | None = Field(
        default=None, description="as net_p95, gross removals"
    )
    uncertainty: dict[str, Any] | None = Field(
        default=None,
        description="how the interval was computed: method, draws, seed, what is varied and what is not",
    )
    forest_area_left_out_ha: float | None = Field(
        default=None,
        description="forest area (remaining or new) without a forest age-type-region code or factor row, left "
        "out of the forest rows (ha); when > 0 the totals are partial. null in documents written before it "
        "was recorded",
    )


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


class CanopyCover(_Model):
    """Tree canopy cover of the whole boundary (every land use) in the two canopy years the inventory uses."""

    start_year: int
    end_year: int
    percent_start: float | None = Field(description="canopy ha ÷ area with canopy data, %, in start_year")
    percent_end: float | None = Field(description="the same in end_year")
    change_points: float | None = Field(description="percent_end − percent_start (percentage points)")
    canopy_start_ha: float
    canopy_end_ha: float
    area_ha: float = Field(description="area with canopy data in both years (ha)")


class Report(_Model):
    boundary: BoundaryInfo
    period: Period
    inventory: list[InventoryRow]
    tree_canopy_cover: CanopyCover | None = Field(
        default=None,
        description="tree canopy cover of the whole boundary in the two canopy years (null without a canopy layer)",
    )
    harvest_by_severity: list[HarvestSeverityRow] = Field(
        default_factory=list,
        description="Forest Remaining Forest — Harvest/Other by severity class 1–4 (2026 LEARN update): a "
        "breakdown of that inventory row, which stays the sum of the classes; no total adds these. Empty in "
        "documents written before it was recorded",
    )
    ipcc_summary: list[SummaryRow]
    totals: Totals
    change_matrix: ChangeMatrix
    tree_canopy: list[CanopyRow]
    warnings: list[str]
    provenance: dict[str, Any]
    shares: GrossShares | None = Field(
        default=None,
        description="each inventory row's share of gross emissions and of gross removals (t CO2e/yr, %), "
        "from the rows themselves (learn.report.shares); filled in from the rows when a document lacks it",
    )

    @model_validator(mode="after")
    def _completeness_of_older_documents(self) -> Report:
        """Documents written before ``totals.complete`` existed get it from their own rows, so a
        reused partial report is never read as complete; the same for ``shares``."""
        t = self.totals
        if not {"complete", "not_estimated"} & t.model_fields_set:
            missing = not_estimated_rows(self.inventory)
            t.complete, t.not_estimated = not missing, missing
        if self.shares is None:
            self.shares = gross_shares(self.inventory)
        return self

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)
