"""Headline shares: how much of a report's gross emissions, and of its gross removals, each inventory row makes.

The parts are the report's own inventory rows (land-use change "Forest Change — To …", reforestation, forest
remaining forest undisturbed and its disturbances, trees outside forests), never new groupings. A row counts
on the side its number is in (emissions or removals column); a row that could not be estimated (null) is in
neither, just as it is left out of the totals; Harvest/Other's severity classes are a breakdown of that row
and not counted again. The whole of each side is the sum of its parts, which is the report's gross total
(``learn.accounting.inventory.gross_totals`` adds the same numbers in the same order), so the percents add
up to 100 %. A row's percent is null when its side's total is 0 (no share of nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class InventoryRow(Protocol):
    """What the shares read of an inventory row (:class:`learn.report.model.InventoryRow`, which holds them):
    a protocol, so the model imports this module and never the reverse."""

    @property
    def category(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def emissions_t_co2e_per_yr(self) -> float | None: ...

    @property
    def removals_t_co2e_per_yr(self) -> float | None: ...


#: Category of the inventory's sum row (learn.report.models.TOTAL_ROW; not imported: models imports this module).
_TOTAL = "Total"


class ShareRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str
    type: str
    t_co2e_per_yr: float = Field(description="the row's emissions (or removals: negative), t CO2e/yr")
    percent: float | None = Field(
        description="t_co2e_per_yr ÷ the side's total × 100 (null when that total is 0); a negative emission "
        "(negative emission factors) has a negative share"
    )


class Side(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_t_co2e_per_yr: float = Field(description="sum of the rows: the report's gross total of this side")
    rows: list[ShareRow] = Field(description="every estimated row of this side, in report order (0 included)")


class GrossShares(BaseModel):
    """Each inventory row's share of gross emissions and of gross removals (t CO2e/yr and %)."""

    model_config = ConfigDict(extra="forbid")

    gross_emissions: Side
    gross_removals: Side


def _side(rows: list[InventoryRow], column: str) -> Side:
    parts = [(r, getattr(r, column)) for r in rows]
    known = [(r, v) for r, v in parts if v is not None]
    total = 0.0
    for _, v in known:  # the order gross_totals adds them in: the same float
        total += v
    return Side(
        total_t_co2e_per_yr=float(total),
        rows=[
            ShareRow(
                category=r.category,
                type=r.type,
                t_co2e_per_yr=float(v),
                percent=None if total == 0 else 100.0 * (v / total),
            )
            for r, v in known
        ],
    )


def gross_shares(inventory: Iterable[InventoryRow]) -> GrossShares:
    """The shares of the inventory rows (the Total row left out) in gross emissions and gross removals."""
    rows = [r for r in inventory if r.category != _TOTAL]
    return GrossShares(
        gross_emissions=_side(rows, "emissions_t_co2e_per_yr"),
        gross_removals=_side(rows, "removals_t_co2e_per_yr"),
    )
