"""What every forest term shares: the valid strata with their forest codes, factor rows and disturbance
codes (:class:`ForestStrata`), and the disturbance codes and factor-column names (docs/method.md §1.2, §3.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

import learn.landuse as lu
from learn.accounting.factors import FOREST_COLUMNS, ForestFactorTable
from learn.accounting.terms import HARVEST_SEVERITY_POINTS, AccountingInputs
from learn.accounting.zone_table import F64, BoolArray, IntArray, ZoneTable
from learn.layers import FIRE_NOT_MAPPED

#: The factor table's own (CSV) column names of the internal factor columns.
CSV_COLUMN_NAME: Final = {v: k for k, v in FOREST_COLUMNS.items()}

# Disturbance codes (docs/method.md §1.2, §3.3).
DIST_NONE, DIST_INSECT, DIST_FIRE = 0, 5, 10
DIST_HARVEST = tuple(HARVEST_SEVERITY_POINTS)  # 1, 2, 3, 4
#: Fire not estimated (MTBS non-mapping area or a year without a mosaic), nothing else known: undisturbed.
DIST_FIRE_NOT_MAPPED: Final = FIRE_NOT_MAPPED
#: What the severity classes mean when the factor table has no Harvest_EF_* columns (docs/method.md §3.3).
SINGLE_HARVEST_EF_NOTE: Final = (
    "the factor table has no Harvest_EF_* severity columns: every class uses its code's Harvest Emissions "
    "Factor, so the classes split the row's area and emissions by code; a binary harvest layer (code 1 = any "
    "harvest) puts all harvest in class 1"
)


@dataclass
class ForestStrata:
    """The valid strata with what the forest terms share: codes, factor rows, disturbance, the masks."""

    t: ZoneTable
    valid: BoolArray
    table: ForestFactorTable | None
    codes: IntArray
    position: IntArray  # row in the factor table, -1 without one
    has_row: BoolArray
    #: The strata the forest rows count: those with a factor row when the region has forest codes and a
    #: factor table, else every valid stratum (the rows then give areas, their rates not estimated).
    counted: BoolArray
    dist: IntArray
    pixels: F64
    moved: BoolArray
    px: float

    @classmethod
    def of(cls, t: ZoneTable, inp: AccountingInputs) -> ForestStrata:
        table = inp.forest_factors
        codes = t.codes("forest_age_type_region")
        position = t.factor_positions(table.table.index) if table is not None else np.full(len(t), -1)
        has_row = t.valid & (position >= 0)
        dist = t.codes("disturbance")
        counted = has_row if (table is not None and inp.has_forest_codes) else t.valid
        moved = np.zeros(len(t), bool)
        if inp.recategorize_burned_grassland and inp.has_disturbance:
            moved = t.is_transition(lu.FOREST_TO[lu.GRASSLAND]) & (dist == DIST_FIRE) & counted
        return cls(
            t,
            t.valid,
            table,
            codes,
            position,
            has_row,
            counted,
            dist,
            t.col("pixels"),
            moved,
            inp.pixel_area_ha,
        )

    def area(self, sel: BoolArray) -> F64:
        """Σ pixels × pixel area (ha) per zone."""
        return self.t.by_zone(sel, self.pixels) * self.px

    def has_factor(self, column: str) -> bool:
        """Whether the region's table gives ``column`` for every code (a table derived from FIA has no EFs)."""
        df = self.table.table if self.table is not None else None
        return df is not None and column in df.columns and bool(df[column].notna().all())

    def factor(self, column: str) -> F64:
        """Each stratum's ``column`` factor (0 without a factor row)."""
        if self.table is None:
            return np.zeros(len(self.t))
        values = self.table.table[column].to_numpy(np.float64)
        return np.where(self.position >= 0, values[np.maximum(self.position, 0)], 0.0)

    def factor_sum(self, sel: BoolArray, column: str) -> F64:
        """Σ area (ha) × factor over the strata of ``sel``, each with its own code's factor, per zone."""
        return self.t.by_zone(sel, self.pixels * self.px * self.factor(column))

    def negative_codes(self, sel: BoolArray, column: str) -> list[list[int]]:
        """Per zone, the codes of ``sel`` (with area) whose ``column`` factor is negative."""
        return self.t.values_by_zone(sel & (self.pixels > 0) & (self.factor(column) < 0), self.codes)


def factor_info(s: ForestStrata) -> dict[str, Any]:
    return {"table": s.table.shown_path, "sha256": s.table.sha256} if s.table is not None else {"table": None}


def forest_ok(s: ForestStrata, inp: AccountingInputs) -> bool:
    return inp.has_forest_codes and s.table is not None


def missing_carbon_text(missing_ha: F64, type_: str) -> Callable[[int], str]:
    def text(z: int) -> str:
        return (
            f"{missing_ha[z]:.2f} ha of forest converted {type_.lower()} have no carbon stock data; their stock "
            "loss counts as 0 (LEARN leaves them out of the row's area too)"
        )

    return text
