"""How the net flux responds to the factors: one raster pass, many accountings.

A first step toward uncertainty ranges. The raster stage (the stratum table of one boundary and period,
:meth:`learn.pipeline.region.Region.strata`) does not depend on any factor, so it is computed once; every scenario
re-runs only the accounting (:meth:`learn.pipeline.region.Region.report_from_strata`) with perturbed factor tables
(:meth:`learn.accounting.factors.ForestFactorTable.scaled`, :meth:`learn.accounting.factors.TofFactorTable.scaled`). A scenario's
report is a full report whose provenance names the perturbed table (label and derived sha256).

What is perturbed:

* every numeric column of the forest factor table (RF t C/ha/yr, EF t C/ha, severity EFs when present);
* the trees-outside-forest EF (t C/ha of canopy lost) and RF (t C/ha of canopy/yr), all rows of the table;
* the three carbon pools (t C/ha). They come from rasters, not from a table: they enter the accounting
  only through the stratum table's per-stratum sums (``carbon_live_sum`` …), so scaling a pool by
  (1 ± x) scales that sum column — exactly what a raster scaled by (1 ± x) would give, with no re-read.
  The stock-loss fractions by end use (``learn.accounting.forest.STOCK_LOSS_FRACTIONS``) are method constants
  and are not perturbed.

The accounting is linear in each factor, so net(+x) − base = −(net(−x) − base) = x × (the flux that
factor produces). Example::

    import learn
    region = learn.open_region("demo")
    learn.factor_sensitivity(region, "99001", (2011, 2019), relative_change=0.1)   # one row per factor
    learn.tof_place_sensitivity(region, "99001", (2011, 2019))   # net with each TOF table row's factors

    stage = AccountingStage.compute(region, "99001", (2011, 2019))   # share one raster pass between both
    stage.factor_sensitivity(0.1); stage.tof_place_sensitivity()
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from learn.accounting.factors import (
    FOREST_COLUMNS,
    HARVEST_SEVERITY_COLUMNS,
    ForestFactorTable,
    TofFactorTable,
    TofSelection,
)
from learn.layers import CARBON_LAYERS
from learn.pipeline.region import InventoryOptions, PeriodLayers, Region
from learn.report.models import Report
from learn.sources.boundaries import Boundary

#: Columns of :func:`factor_sensitivity`'s table.
SENSITIVITY_COLUMNS = (
    "factor",
    "source",
    "units",
    "relative_change",
    "net_minus_t_co2e_per_yr",
    "net_base_t_co2e_per_yr",
    "net_plus_t_co2e_per_yr",
    "change_minus_t_co2e_per_yr",
    "change_plus_t_co2e_per_yr",
    "elasticity",
)
_LEARN_NAME = {v: k for k, v in FOREST_COLUMNS.items()}
_FOREST_TABLE = "forest factor table"
_TOF_TABLE = "trees-outside-forest factor table"
_CARBON = "carbon pool raster (stratum-table sums)"


@dataclass(frozen=True)
class AccountingStage:
    """The stratum table of one boundary and period, computed once, re-accounted under other factors."""

    region: Region
    boundary: Boundary
    layers: PeriodLayers
    strata: pd.DataFrame
    options: InventoryOptions

    @classmethod
    def compute(
        cls,
        region: Region,
        boundary: str | Boundary | os.PathLike[str],
        years: Sequence[int] | None = None,
        options: InventoryOptions = InventoryOptions(),
    ) -> AccountingStage:
        """Run the raster stage once (as :meth:`Region.inventory` does) and keep its stratum table."""
        start, end = (int(years[0]), int(years[1])) if years else region.default_period
        layers = region.period_layers(start, end)
        b = region.boundary(boundary)
        _ = region.forest_factors, region.tof_factors  # fail on a bad factor table before reading rasters
        return cls(region, b, layers, region.strata(b, layers, options), options)

    def report(
        self,
        *,
        forest: ForestFactorTable | None = None,
        tof_table: TofFactorTable | None = None,
        tof: TofSelection | None = None,
        carbon_scale: dict[str, float] | None = None,
    ) -> Report:
        """The report with other factors: a forest table, a TOF table (factors then selected for the
        boundary as usual) or fixed TOF factors ``tof``, and carbon pools scaled by ``carbon_scale``
        (``{"carbon_live": 1.1}``). With no argument: the region's own report."""
        strata = self.strata
        if carbon_scale:
            unknown = set(carbon_scale) - set(CARBON_LAYERS)
            if unknown:
                raise ValueError(f"unknown carbon pools {sorted(unknown)}; pools: {list(CARBON_LAYERS)}")
            strata = strata.copy()
            for pool, factor in carbon_scale.items():
                strata[f"{pool}_sum"] = strata[f"{pool}_sum"] * factor
        region = self.region.with_factors(forest=forest, tof=tof_table)
        return region.report_from_strata(self.boundary, self.layers, strata, self.options, tof=tof)

    # ---- the perturbations ------------------------------------------------------------------------
    def _perturbations(self) -> list[tuple[str, str, str]]:
        """(factor, source, units) of every factor that can be perturbed in this region."""
        out: list[tuple[str, str, str]] = []
        forest = self.region.forest_factors
        if forest is not None:
            for col in forest.factor_columns():
                units = "t C/ha/yr" if col.startswith("removal") else "t C/ha"
                out.append((col, _FOREST_TABLE, units))
        if self.region.tof_factors is not None:
            out.append(("ef_t_c_per_ha", _TOF_TABLE, "t C/ha"))
            out.append(("rf_t_c_per_ha_yr", _TOF_TABLE, "t C/ha/yr"))
        if self.layers.carbon is not None:
            out.extend((pool, _CARBON, "t C/ha") for pool in CARBON_LAYERS)
        return out

    def _scaled_report(self, factor: str, source: str, scale: float) -> Report:
        if source == _FOREST_TABLE:
            assert self.region.forest_factors is not None
            return self.report(forest=self.region.forest_factors.scaled(factor, scale))
        if source == _TOF_TABLE:
            assert self.region.tof_factors is not None
            return self.report(tof_table=self.region.tof_factors.scaled(factor, scale))
        return self.report(carbon_scale={factor: scale})

    def factor_sensitivity(self, relative_change: float = 0.1) -> pd.DataFrame:
        """Net flux (t CO2e/yr) with each factor × (1 − x) and × (1 + x), ``x = relative_change``.

        One row per factor (see :data:`SENSITIVITY_COLUMNS`), largest swing first: ``factor`` (column
        name; forest columns also carry LEARN's name in ``source``), ``units`` of the factor, the nets,
        the changes from the base net and the ``elasticity`` = (Δnet / net) / (Δfactor / factor) from
        the two sides (NaN when the base net is 0).
        """
        if not (math.isfinite(relative_change) and 0 <= relative_change < 1):
            raise ValueError(f"relative_change must be in [0, 1), got {relative_change!r}")
        base = self.report().totals.net_t_co2e_per_yr
        rows = []
        for factor, source, units in self._perturbations():
            lo = self._scaled_report(factor, source, 1 - relative_change).totals.net_t_co2e_per_yr
            hi = self._scaled_report(factor, source, 1 + relative_change).totals.net_t_co2e_per_yr
            slope = (hi - lo) / (2 * relative_change) if relative_change else 0.0
            learn_name = _LEARN_NAME.get(factor, factor if factor in HARVEST_SEVERITY_COLUMNS else None)
            rows.append(
                {
                    "factor": factor,
                    "source": f"{source}: {learn_name}" if learn_name else source,
                    "units": units,
                    "relative_change": relative_change,
                    "net_minus_t_co2e_per_yr": lo,
                    "net_base_t_co2e_per_yr": base,
                    "net_plus_t_co2e_per_yr": hi,
                    "change_minus_t_co2e_per_yr": lo - base,
                    "change_plus_t_co2e_per_yr": hi - base,
                    "elasticity": slope / base if base else math.nan,
                }
            )
        frame = pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
        swing = (frame["net_plus_t_co2e_per_yr"] - frame["net_minus_t_co2e_per_yr"]).abs()
        return frame.iloc[swing.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)

    def tof_place_sensitivity(self) -> pd.DataFrame:
        """Net flux (t CO2e/yr) with the trees-outside-forest EF and RF of each row of the TOF table.

        First the factors the boundary gets (``level`` "selected": LEARN's rule — RF of the state, EF of
        the place, else the default), then one row per table row (default, state, place), as if the
        boundary took both factors of that row. Columns: ``level``, ``name``, ``ef_t_c_per_ha``,
        ``rf_t_c_per_ha_yr``, ``tof_net_t_co2e_per_yr`` (the two TOF rows), ``net_t_co2e_per_yr``,
        ``change_t_co2e_per_yr`` (from the selected factors), ``source``.
        """
        table = self.region.tof_factors
        if table is None:
            raise ValueError(f"region '{self.region.name}' has no trees-outside-forest factor table")
        base = self.report()
        chosen = base.provenance["tof_factor_rows"]

        def row(level: str, name: str, report: Report, source: str) -> dict[str, object]:
            tof_rows = [r for r in report.inventory if r.category == "Trees Outside Forest"]
            ef = next(r.factors.get("ef_t_c_per_ha") for r in tof_rows if "ef_t_c_per_ha" in r.factors)
            rf = next(r.factors.get("rf_t_c_per_ha_yr") for r in tof_rows if "rf_t_c_per_ha_yr" in r.factors)
            return {
                "level": level,
                "name": name,
                "ef_t_c_per_ha": ef,
                "rf_t_c_per_ha_yr": rf,
                "tof_net_t_co2e_per_yr": sum(r.net_t_co2e_per_yr or 0.0 for r in tof_rows),
                "net_t_co2e_per_yr": report.totals.net_t_co2e_per_yr,
                "change_t_co2e_per_yr": report.totals.net_t_co2e_per_yr - base.totals.net_t_co2e_per_yr,
                "source": source,
            }

        rows = [
            row(
                "selected",
                f"EF: {chosen['ef']['level']} {chosen['ef']['name']}".strip()
                + f"; RF: {chosen['rf']['level']} {chosen['rf']['name']}".rstrip(),
                base,
                "LEARN's selection for this boundary",
            )
        ]
        for i in range(len(table.table)):
            sel = table.row_selection(i)
            rows.append(
                row(
                    str(sel.ef_row["level"]),
                    str(sel.ef_row["name"]),
                    self.report(tof=sel),
                    str(sel.ef_row["source"]),
                )
            )
        return pd.DataFrame(rows)


def factor_sensitivity(
    region: Region,
    boundary: str | Boundary | os.PathLike[str],
    years: Sequence[int] | None = None,
    relative_change: float = 0.1,
    *,
    options: InventoryOptions = InventoryOptions(),
) -> pd.DataFrame:
    """Net flux at ±``relative_change`` on each factor, one raster pass (:meth:`AccountingStage.factor_sensitivity`)."""
    return AccountingStage.compute(region, boundary, years, options).factor_sensitivity(relative_change)


def tof_place_sensitivity(
    region: Region,
    boundary: str | Boundary | os.PathLike[str],
    years: Sequence[int] | None = None,
    *,
    options: InventoryOptions = InventoryOptions(),
) -> pd.DataFrame:
    """Net flux with the TOF factors of each place/state row, one raster pass (:meth:`AccountingStage.tof_place_sensitivity`)."""
    return AccountingStage.compute(region, boundary, years, options).tof_place_sensitivity()
