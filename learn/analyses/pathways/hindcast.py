"""Hindcast: a pathway's business as usual from an earlier baseline, projected to a later land-cover year the
region has observed, compared with what was observed (docs/pathways_hindcast.md).

The projection is the one :func:`learn.analyses.pathways.run.pathways_from_basis` makes: the baseline's basis
(:func:`learn.analyses.pathways.baseline.baseline_of`), the same Monte Carlo draws (:func:`make_draws`, fixed seed)
and the same engine (:func:`learn.analyses.pathways.engine.project`) with no measures. Two differences, both so
that the hindcast cannot see the years it is judged on: the area rates' variability comes only from the
region's adjacent periods that end by the baseline's end year, and nothing after it is read except the
observed period (baseline end → target year) used as the truth.

Observed (the region's inventory of the period baseline end → target year, one two-date change matrix, as the
baseline's own rates are two-date): forest and non-forest hectares at the target year, forest → non-forest and
non-forest → forest hectares of that matrix, and the gross emissions, gross removals and net flux per year of
the inventory's totals. Projected: the same at the target year (areas) or summed / averaged over the projected
years (baseline end + 1 … target year), the point (draw 0) and the 90 % interval of the draws.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from learn.analyses.pathways.basis import basis_from_report, class_area, matrix_area
from learn.analyses.pathways.engine import project
from learn.analyses.pathways.run import DRAWS, SEED, baseline_rates, make_draws, rate_sd
from learn.errors import PeriodError
from learn.options import InventoryOptions
from learn.report.trend import MAX_TREND_PERIODS, adjacent_periods

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.report.models import Report
    from learn.sources.boundaries import Boundary

#: Names of the compared quantities, in the order of :attr:`Hindcast.comparisons`.
FOREST = "forest_ha"
NONFOREST = "nonforest_ha"
FOREST_TO_NONFOREST = "forest_to_nonforest_ha"
NONFOREST_TO_FOREST = "nonforest_to_forest_ha"
EMISSIONS = "gross_emissions_t_co2e_per_yr"
REMOVALS = "gross_removals_t_co2e_per_yr"
NET = "net_t_co2e_per_yr"
#: Forest and non-forest land never move more than this (ha) between the engine's balance and the rates.
BALANCE_TOLERANCE_HA = 1e-6


@dataclass(frozen=True)
class Comparison:
    """One quantity: observed, projected (the point, draw 0) and the projection's 90 % interval."""

    name: str
    unit: str
    observed: float
    projected: float
    p05: float
    p95: float
    #: The naive forecast "nothing changes after the baseline": the areas at its end year, its fluxes per year
    #: held constant (None: not meaningful, the transitions). Its error is the one to beat.
    persistence: float | None = None

    @property
    def error(self) -> float:
        """Projected − observed."""
        return self.projected - self.observed

    @property
    def relative_error(self) -> float | None:
        """(Projected − observed) ÷ observed; None when nothing was observed."""
        return None if self.observed == 0 else self.error / self.observed

    @property
    def persistence_error(self) -> float | None:
        """Persistence − observed (None: no persistence forecast)."""
        return None if self.persistence is None else self.persistence - self.observed

    @property
    def inside(self) -> bool:
        """The observed value lies within the 90 % interval (ends included)."""
        return self.p05 <= self.observed <= self.p95


@dataclass(frozen=True)
class Hindcast:
    """A hindcast of one boundary: BAU from ``baseline`` projected to ``target_year`` against the observation."""

    boundary_id: str
    boundary_name: str
    baseline: tuple[int, int]
    target_year: int
    rate_periods: list[tuple[int, int]]  # the periods whose rates give the draws' variability
    draws: int
    seed: int
    comparisons: list[Comparison]
    fluxes_estimated: list[str] = field(default_factory=list)  # rows both inventories estimate
    notes: list[str] = field(default_factory=list)

    @property
    def years(self) -> int:
        """Projected years (baseline end + 1 … target year)."""
        return self.target_year - self.baseline[1]

    def get(self, name: str) -> Comparison:
        return next(c for c in self.comparisons if c.name == name)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per comparison (error, relative error, inside) for a table."""
        return [
            {
                "baseline": f"{self.baseline[0]}–{self.baseline[1]}",
                "target_year": self.target_year,
                "quantity": c.name,
                "unit": c.unit,
                "observed": c.observed,
                "projected": c.projected,
                "p05": c.p05,
                "p95": c.p95,
                "error": c.error,
                "relative_error": c.relative_error,
                "inside_90": c.inside,
                "persistence": c.persistence,
                "persistence_error": c.persistence_error,
            }
            for c in self.comparisons
        ]


def _interval(values: np.ndarray) -> tuple[float, float]:
    """5th/95th percentile of draws 1… (draw 0 is the point), as the pathway's interval."""
    if values.shape[0] <= 1:
        return float(values[0]), float(values[0])
    lo, hi = np.percentile(values[1:], (5.0, 95.0))
    return float(lo), float(hi)


def _compare(
    name: str, unit: str, observed: float, per_draw: np.ndarray, persistence: float | None = None
) -> Comparison:
    lo, hi = _interval(per_draw)
    return Comparison(name, unit, float(observed), float(per_draw[0]), lo, hi, persistence)


def _estimated_rows(report: Report) -> set[str]:
    return {
        f"{r.category} — {r.type}"
        for r in report.inventory
        if r.net_t_co2e_per_yr is not None and r.category != "Total"
    }


def rate_periods_until(years: Sequence[int], end: int) -> list[tuple[int, int]]:
    """The region's adjacent land-cover periods that end by ``end`` (the latest :data:`MAX_TREND_PERIODS`)."""
    return [(s, e) for s, e in adjacent_periods(years) if e <= end][-MAX_TREND_PERIODS:]


def hindcast(
    region: Region,
    boundary: str | Boundary | os.PathLike[str],
    baseline: tuple[int, int],
    target_year: int,
    options: InventoryOptions | None = None,
    *,
    draws: int = DRAWS,
    seed: int = SEED,
) -> Hindcast:
    """Project BAU of ``boundary`` from ``baseline`` to ``target_year`` (a land-cover year of the region after
    the baseline's end) and compare it with the region's inventory of baseline end → ``target_year``."""
    from learn.analyses.pathways.baseline import baseline_of

    options = options or InventoryOptions()
    start, end = int(baseline[0]), int(baseline[1])
    region.check_period(start, end)
    if target_year <= end or target_year not in region.land_cover_years:
        raise PeriodError(
            f"a hindcast needs an observed land-cover year after the baseline's end {end} (got {target_year}; "
            f"the region has {region.land_cover_years})"
        )
    report, basis = baseline_of(region, boundary, (start, end), options)
    periods = rate_periods_until(region.land_cover_years, end)
    rates = []
    for s, e in periods:
        r = report if (s, e) == (start, end) else region.inventory(boundary, (s, e), options)
        rates.append(baseline_rates(basis_from_report(r, (None, None, None), None, None)))
    d = make_draws(basis, rate_sd(rates or [baseline_rates(basis)]), draws, seed)
    series = project(basis, [], d, target_year)
    observed = region.inventory(boundary, (end, target_year), options)
    years = target_year - end

    # BAU moves the drawn rates every year unless a limit binds (no more forest or non-forest land left):
    # then the cumulative transitions are the rates × years, which the engine's forest balance must show.
    converted = years * d.conversions.sum(axis=1)
    reforested = years * d.reforestation
    balance = basis.forest_ha - converted + reforested - series.forest_ha[-1]
    notes: list[str] = []
    if float(np.max(np.abs(balance))) > BALANCE_TOLERANCE_HA:
        notes.append(
            "a limit bound in the projection (forest or non-forest land ran out in some draws): the cumulative "
            "transitions are the rates × years, the areas the engine's"
        )
    comparisons = [
        _compare(FOREST, "ha", class_area(observed, forest=True), series.forest_ha[-1], basis.forest_ha),
        _compare(
            NONFOREST,
            "ha",
            class_area(observed, forest=False),
            series.nonforest_ha[-1],
            class_area(report, forest=False),
        ),
        _compare(FOREST_TO_NONFOREST, "ha", matrix_area(observed, True, False), converted),
        _compare(NONFOREST_TO_FOREST, "ha", matrix_area(observed, False, True), reforested),
    ]
    # Fluxes: comparable when both inventories estimate the same rows (the projection carries the baseline's).
    rows_base, rows_obs = _estimated_rows(report), _estimated_rows(observed)
    if rows_base and rows_base == rows_obs:
        t, b = observed.totals, report.totals
        comparisons += [
            _compare(
                EMISSIONS,
                "t CO2e/yr",
                t.gross_emissions_t_co2e_per_yr,
                series.emissions.mean(axis=0),
                b.gross_emissions_t_co2e_per_yr,
            ),
            _compare(
                REMOVALS,
                "t CO2e/yr",
                t.gross_removals_t_co2e_per_yr,
                series.removals.mean(axis=0),
                b.gross_removals_t_co2e_per_yr,
            ),
            _compare(NET, "t CO2e/yr", t.net_t_co2e_per_yr, series.net.mean(axis=0), b.net_t_co2e_per_yr),
        ]
        notes.append(
            "fluxes: mean per year over the projected years against the observed period's inventory, rows "
            + "; ".join(sorted(rows_base))
        )
    else:
        notes.append(
            "fluxes not compared: the baseline and the observed inventory estimate different rows "
            f"(baseline: {sorted(rows_base) or 'none'}; observed: {sorted(rows_obs) or 'none'})"
        )
    for c in comparisons:
        if not (math.isfinite(c.projected) and math.isfinite(c.observed)):
            raise ValueError(
                f"hindcast {c.name}: not a number (observed {c.observed}, projected {c.projected})"
            )
    return Hindcast(
        boundary_id=basis.boundary_id,
        boundary_name=basis.boundary_name,
        baseline=(start, end),
        target_year=target_year,
        rate_periods=periods,
        draws=draws,
        seed=seed,
        comparisons=comparisons,
        fluxes_estimated=sorted(rows_base & rows_obs),
        notes=notes,
    )
