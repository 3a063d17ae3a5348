"""The projection: year by year from the baseline's end, every Monte Carlo draw at once (docs/pathways.md).

State per draw: forest remaining from the baseline (``old``), new forest by the year it grew (``cohorts``),
tree canopy on non-forest land. Each year: conversions leave forest (the baseline's ha/yr, less what measures
avoid, never more than the forest left: old forest first, then the oldest new forest); reforestation adds a
cohort (never more than the non-forest land); disturbances hit old forest at their ha/yr and keep it from
removing for a baseline period's length, as the inventory counts a period's disturbed forest; canopy gains and
loses at its ha/yr within [0, non-forest land]. Fluxes use the basis' per-hectare values. Draw 0 is the point:
every deviate 0, computed with the same arithmetic, so an interval without uncertainty is the point exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from learn.accounting.terms import C_TO_CO2
from learn.analyses.pathways.basis import PathwayBasis
from learn.analyses.pathways.scenario import (
    AvoidForestConversion,
    CanopyGoal,
    Measure,
    ProtectCanopy,
    Reforest,
)

F64 = npt.NDArray[np.float64]
#: New forest removes at the nonforest → forest rate for this many years, then at its next age class's
#: forest-remaining rate (LEARN's first age class, 0–20 years).
YOUNG_YEARS = 20


@dataclass(frozen=True)
class Draws:
    """What varies between draws (index 0 = the point: deviates 0). ``rates``: name → ha/yr per draw."""

    frf_rate: F64 | None  # t C/ha/yr, undisturbed old forest
    young_rate: F64 | None  # new forest, first 20 years
    mature_rate: F64 | None
    conversions: F64  # draws × conversion kinds, ha/yr
    reforestation: F64  # ha/yr
    disturbances: F64  # draws × disturbance kinds, ha/yr
    canopy_loss: F64 | None
    canopy_gain: F64 | None

    @property
    def n(self) -> int:
        return int(self.reforestation.shape[0])


@dataclass
class Series:
    """Per year (rows) and draw (columns)."""

    years: list[int]
    forest_ha: F64
    nonforest_ha: F64
    canopy_ha: F64 | None
    emissions: F64
    removals: F64
    trees_planted: F64 | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def net(self) -> F64:
        return self.emissions + self.removals


def _share(measures: list[Measure], kind: type[AvoidForestConversion | ProtectCanopy], year: int) -> float:
    """1 − Σ shares of the active measures of ``kind`` (at least 0): what is left of the BAU flow."""
    total = 0.0
    for m in measures:
        if isinstance(m, kind) and m.active(year):
            total += float(m.share)
    return max(0.0, 1.0 - total)


def project(basis: PathwayBasis, measures: list[Measure], draws: Draws, end_year: int) -> Series:
    """Project ``basis`` to ``end_year`` under ``measures`` for every draw."""
    n, first = draws.n, basis.end + 1
    years = list(range(first, end_year + 1))
    rows = len(years)
    period = max(basis.years, 1)
    land = basis.land_ha
    conv_ef = np.array([c.t_co2e_per_ha or 0.0 for c in basis.conversions])
    dist_ef = np.array([d.t_co2e_per_ha or 0.0 for d in basis.disturbances])
    # Baseline reforestation: cohorts of equal size in the period's years (still young at the end).
    n_base = period
    cohorts = np.zeros((n, n_base + rows))
    cohorts[:, :n_base] = basis.baseline_reforested_ha / n_base
    cohort_year = np.array([basis.end - n_base + 1 + i for i in range(n_base)] + years)
    old = np.full(n, basis.forest_remaining_ha)
    canopy = None if basis.canopy_ha is None else np.full(n, basis.canopy_ha)
    out = {k: np.zeros((rows, n)) for k in ("forest", "nonforest", "canopy", "e", "r", "trees")}
    goals = [m for m in measures if isinstance(m, CanopyGoal)]
    notes: list[str] = []
    if goals and canopy is None:
        notes.append(
            "a canopy goal needs a tree canopy layer: the region has none, so the goal is not projected"
        )
    nonforest0 = land - basis.forest_ha
    goal_start: dict[int, F64] = {}  # each goal's canopy when it starts (ha per draw)
    for i, year in enumerate(years):
        # Conversions: old forest first, then the oldest new forest.
        conv = draws.conversions * _share(measures, AvoidForestConversion, year)
        total = conv.sum(axis=1)
        forest = old + cohorts.sum(axis=1)
        scale = np.where(total > forest, np.divide(forest, total, out=np.zeros(n), where=total > 0), 1.0)
        conv = conv * scale[:, None]
        take = conv.sum(axis=1)
        from_old = np.minimum(old, take)
        old = old - from_old
        rest = take - from_old
        for j in range(cohorts.shape[1]):
            got = np.minimum(cohorts[:, j], rest)
            cohorts[:, j] -= got
            rest = rest - got
        emissions = conv @ conv_ef
        # Reforestation: BAU + measures, within the non-forest land.
        extra = sum(float(m.ha_per_yr) for m in measures if isinstance(m, Reforest) and m.active(year))
        forest = old + cohorts.sum(axis=1)
        new = np.minimum(draws.reforestation + extra, np.maximum(land - forest, 0.0))
        cohorts[:, n_base + i] = new
        forest = forest + new
        nonforest = land - forest
        # Disturbance of old forest; disturbed forest removes nothing for a period's length.
        dist = draws.disturbances
        dtotal = dist.sum(axis=1)
        dscale = np.where(dtotal > old, np.divide(old, dtotal, out=np.zeros(n), where=dtotal > 0), 1.0)
        emissions = emissions + (dist * dscale[:, None]) @ dist_ef
        excluded = np.minimum(period * dtotal * dscale, old)
        removals = np.zeros(n)
        if draws.frf_rate is not None:
            removals = removals + (old - excluded) * basis.removal_share * draws.frf_rate * C_TO_CO2
        if draws.young_rate is not None and draws.mature_rate is not None:
            young = (year - cohort_year) < YOUNG_YEARS
            removals = (
                removals
                + (
                    cohorts[:, young].sum(axis=1) * draws.young_rate
                    + cohorts[:, ~young].sum(axis=1) * draws.mature_rate
                )
                * C_TO_CO2
            )
        if canopy is not None:
            loss = (draws.canopy_loss if draws.canopy_loss is not None else 0.0) * _share(
                measures, ProtectCanopy, year
            )
            gain = draws.canopy_gain if draws.canopy_gain is not None else 0.0
            before = canopy
            canopy = np.clip(canopy + gain - loss, 0.0, nonforest)
            lost = np.minimum(loss, before + gain)
            for k, g in enumerate(goals):
                if g.from_year is None or year >= g.from_year:
                    goal_start.setdefault(k, before.copy())
                if k not in goal_start:
                    continue
                # Forest grown on non-forest land takes plantable land with it (and conversions add to it).
                plantable = np.clip(basis.plantable_nonforest_ha + nonforest - nonforest0, 0.0, nonforest)
                target = _goal(g, year, first, goal_start[k], nonforest, plantable)
                if target is not None:
                    planted = np.maximum(target - canopy, 0.0)
                    out["trees"][i] += planted * 10_000 / g.crown_area_m2
                    canopy = canopy + planted
            if basis.tof_ef_t_co2e_per_ha is not None:
                emissions = emissions + lost * basis.tof_ef_t_co2e_per_ha
            if basis.tof_rf_t_co2e_per_ha_yr is not None:
                removals = removals + (before + canopy) / 2 * basis.tof_rf_t_co2e_per_ha_yr
            out["canopy"][i] = canopy
        out["forest"][i], out["nonforest"][i] = forest, nonforest
        out["e"][i], out["r"][i] = emissions, removals
    return Series(
        years,
        out["forest"],
        out["nonforest"],
        out["canopy"] if canopy is not None else None,
        out["e"],
        out["r"],
        out["trees"] if goals else None,
        notes,
    )


def _goal(g: CanopyGoal, year: int, first: int, start: F64, nonforest: F64, plantable: F64) -> F64 | None:
    """The goal's canopy (ha) in ``year``: linear from the canopy at its first year to ``percent`` of the
    non-forest land by ``by``, then held; never more than the plantable non-forest land. None: not active."""
    begin = max(first, g.from_year or first)
    if year < begin or (g.to_year is not None and year > g.to_year):
        return None
    target = np.minimum(g.percent / 100.0 * nonforest, plantable)
    if year >= g.by or g.by <= begin:
        return target
    frac = (year - begin + 1) / (g.by - begin + 1)
    return np.minimum(start + (target - start) * frac, plantable)
