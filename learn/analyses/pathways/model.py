"""The pathway document (JSON contract of ``learn pathways`` and ``POST /api/regions/{region}/pathways``).

Fluxes in t CO2e/yr (emissions positive, removals negative, net = emissions + removals), areas in ha,
cumulative values in t CO2e. Keys are the contract: extend, never rename (docs/pathways.md "Output").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandas as pd


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathwayBoundary(_Model):
    id: str
    name: str
    area_ha: float


class YearRow(_Model):
    year: int
    forest_ha: float
    nonforest_ha: float
    nonforest_tree_canopy_ha: float | None = Field(
        description="tree canopy on non-forest land (null: no canopy layer)"
    )
    gross_emissions_t_co2e_per_yr: float
    gross_removals_t_co2e_per_yr: float = Field(description="negative")
    net_t_co2e_per_yr: float
    net_p05_t_co2e_per_yr: float
    net_p95_t_co2e_per_yr: float
    trees_planted: float | None = Field(
        default=None,
        description="trees to plant this year for the canopy goals (canopy ha ÷ crown area); null: none",
    )


class ScenarioResult(_Model):
    name: str
    measures: list[dict[str, dict[str, Any]]]
    series: list[YearRow]
    cumulative_net_t_co2e: dict[str, float] = Field(
        description="Σ net over the first projected year…that year"
    )
    cumulative_net_p05_t_co2e: dict[str, float] = Field(default_factory=dict)
    cumulative_net_p95_t_co2e: dict[str, float] = Field(default_factory=dict)
    reduction_vs_bau_t_co2e: dict[str, float] = Field(
        description="cumulative BAU net − cumulative scenario net over the first projected year…that year"
    )
    reduction_vs_bau_p05_t_co2e: dict[str, float] = Field(default_factory=dict)
    reduction_vs_bau_p95_t_co2e: dict[str, float] = Field(default_factory=dict)
    trees_to_plant: float | None = Field(default=None, description="Σ trees_planted (null: no canopy goal)")
    warnings: list[str] = Field(default_factory=list)


class BaselineRate(_Model):
    """One carried-forward area rate of the baseline and what it emits per hectare."""

    name: str
    ha_per_yr: float | None
    sd_ha_per_yr: float | None = Field(
        description="standard deviation over the region's periods (null: one period)"
    )
    t_co2e_per_ha: float | None = Field(
        default=None, description="stock loss or emissions per hectare (null: none)"
    )


class Pathways(_Model):
    boundary: PathwayBoundary
    baseline_period: list[int]
    end_year: int
    scenarios: list[ScenarioResult]
    complete: bool = Field(
        description="false when rows of the baseline inventory were not estimated (not_estimated)"
    )
    not_estimated: list[str] = Field(
        default_factory=list, description="baseline rows the projection leaves out"
    )
    baseline: dict[str, Any] = Field(
        default_factory=dict, description="areas, rates and removal factors carried forward"
    )
    uncertainty: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str]
    provenance: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        """One row per scenario and year (the CSV/XLSX table)."""
        import pandas as pd

        rows = [{"scenario": s.name, **r.model_dump()} for s in self.scenarios for r in s.series]
        return pd.DataFrame(rows)

    def scenario(self, name: str) -> ScenarioResult:
        return next(s for s in self.scenarios if s.name == name)
