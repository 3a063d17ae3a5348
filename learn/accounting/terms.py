"""The report's row names, the inputs every term needs, and one row's construction (``docs/method.md``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import learn.landuse as lu
from learn.accounting.factors import ForestFactorTable, TofSelection
from learn.report.models import InventoryRow

#: t CO2 per t C.
C_TO_CO2: Final = 44.0 / 12.0

# Report row names (docs/method.md §3–§5), exactly.
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
#: Harvest severity classes: disturbance code → tree canopy cover loss in percentage points (docs/method.md §3.3).
HARVEST_SEVERITY_POINTS: Final = {1: "1–25", 2: "26–50", 3: "51–75", 4: "76–100"}
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
    #: Disturbance types ("fire", "insect") the disturbance layer cannot say in this period → why: their
    #: rows are not estimated (the layer's 0 there means "unknown", not "no disturbance").
    disturbance_not_estimated: dict[str, str] = field(default_factory=dict)

    @property
    def years(self) -> int:
        return self.end - self.start

    @property
    def canopy_loss_scale(self) -> float:
        """Scale canopy loss from the canopy years to the inventory years (docs/method.md §4)."""
        if self.canopy_years is None:
            return 1.0
        return self.years / (self.canopy_years[1] - self.canopy_years[0])


def make_row(
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
