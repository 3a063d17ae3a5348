"""A boundary's pathways: the baseline, the Monte Carlo draws, BAU and each scenario, the document
(``region.pathways(...)``, ``learn pathways``, ``POST /api/regions/{region}/pathways``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from learn.analyses.pathways.basis import PathwayBasis, basis_from_report
from learn.analyses.pathways.engine import YOUNG_YEARS, Draws, Series, project
from learn.analyses.pathways.model import BaselineRate, PathwayBoundary, Pathways, ScenarioResult, YearRow
from learn.analyses.pathways.scenario import BAU_NAME, CanopyGoal, Scenario, ScenarioError, scenario_of
from learn.errors import PeriodError
from learn.options import InventoryOptions
from learn.report.trend import MAX_TREND_PERIODS, adjacent_periods

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.report.models import Report

DRAWS: Final = 1000
SEED: Final = 20261206
MILESTONES: Final = (2030, 2050)
LAST_YEAR: Final = 2100
#: Baselines shorter than this overstate gross transitions (docs/pathways_hindcast.md): said in the warnings.
SHORT_BASELINE_YEARS: Final = 10
ReportOf = Callable[[int, int], "Report"]


def baseline_rates(basis: PathwayBasis) -> dict[str, float]:
    """The area rates carried forward, ha/yr, by name."""
    out = {c.name: c.ha_per_yr for c in basis.conversions}
    out["Forest Change — Reforestation"] = basis.reforestation_ha_per_yr
    out.update({d.name: d.ha_per_yr for d in basis.disturbances})
    if basis.canopy_loss_ha_per_yr is not None:
        out["Trees Outside Forest — Tree canopy loss"] = basis.canopy_loss_ha_per_yr
    return out


def rate_sd(rates: Sequence[dict[str, float]]) -> dict[str, float]:
    """Standard deviation (ddof 1) of each rate over the periods (0 with fewer than two)."""
    if len(rates) < 2:
        return {k: 0.0 for k in rates[0]} if rates else {}
    return {k: float(np.std([r.get(k, 0.0) for r in rates], ddof=1)) for k in rates[0]}


def make_draws(basis: PathwayBasis, sd: dict[str, float], draws: int, seed: int) -> Draws:
    """Draw 0 is the point; draws 1… vary the removal factors (one deviate per forest-table row, as the
    inventory) and each area rate (Normal(rate, sd over the periods), at least 0, held over the years)."""
    rng = np.random.default_rng(seed)
    n = draws + 1
    mix = basis.frf_mix
    rows = len(mix.codes) if mix is not None else 0
    dev = rng.standard_normal((n, rows))
    dev[0] = 0.0
    rate_names = list(baseline_rates(basis))
    z = rng.standard_normal((n, len(rate_names)))
    z[0] = 0.0
    rates = baseline_rates(basis)
    drawn = {k: np.maximum(rates[k] + sd.get(k, 0.0) * z[:, i], 0.0) for i, k in enumerate(rate_names)}

    def columns(names: list[str]) -> np.ndarray:
        return np.stack([drawn[k] for k in names], axis=1) if names else np.zeros((n, 0))

    conv = columns([c.name for c in basis.conversions])
    dist = columns([d.name for d in basis.disturbances])
    canopy_loss = drawn.get("Trees Outside Forest — Tree canopy loss")
    gain = None if basis.canopy_gain_ha_per_yr is None else np.full(n, basis.canopy_gain_ha_per_yr)
    return Draws(
        frf_rate=None if basis.frf_mix is None else basis.frf_mix.weighted(dev),
        young_rate=None if basis.young_mix is None else basis.young_mix.weighted(dev),
        mature_rate=None if basis.mature_mix is None else basis.mature_mix.weighted(dev),
        conversions=conv,
        reforestation=drawn["Forest Change — Reforestation"],
        disturbances=dist,
        canopy_loss=canopy_loss,
        canopy_gain=gain,
    )


def _pct(values: np.ndarray) -> tuple[float, float]:
    """5th/95th percentile of draws 1… (the point is draw 0)."""
    if values.shape[-1] <= 1:
        return float(values[0]), float(values[0])
    lo, hi = np.percentile(values[1:], (5.0, 95.0))
    return float(lo), float(hi)


def _milestones(series: Series, end_year: int) -> list[int]:
    return sorted({y for y in (*MILESTONES, end_year) if series.years[0] <= y <= end_year})


def _result(s: Scenario, series: Series, bau: Series, end_year: int, basis: PathwayBasis) -> ScenarioResult:
    rows = []
    for i, year in enumerate(series.years):
        lo, hi = _pct(series.net[i])
        rows.append(
            YearRow(
                year=year,
                forest_ha=float(series.forest_ha[i, 0]),
                nonforest_ha=float(series.nonforest_ha[i, 0]),
                nonforest_tree_canopy_ha=None if series.canopy_ha is None else float(series.canopy_ha[i, 0]),
                gross_emissions_t_co2e_per_yr=float(series.emissions[i, 0]),
                gross_removals_t_co2e_per_yr=float(series.removals[i, 0]),
                net_t_co2e_per_yr=float(series.emissions[i, 0] + series.removals[i, 0]),
                net_p05_t_co2e_per_yr=lo,
                net_p95_t_co2e_per_yr=hi,
                trees_planted=None if series.trees_planted is None else float(series.trees_planted[i, 0]),
            )
        )
    cum, cum_bau = np.cumsum(series.net, axis=0), np.cumsum(bau.net, axis=0)
    out: dict[str, dict[str, float]] = {k: {} for k in ("c", "clo", "chi", "r", "rlo", "rhi")}
    for y in _milestones(series, end_year):
        i, key = y - series.years[0], str(y)
        out["c"][key] = float(cum[i, 0])
        out["clo"][key], out["chi"][key] = _pct(cum[i])
        red = cum_bau[i] - cum[i]
        out["r"][key] = float(red[0])
        out["rlo"][key], out["rhi"][key] = _pct(red)
    warnings = list(series.notes)
    for g in s.typed():
        if isinstance(g, CanopyGoal) and basis.canopy_ha is not None:
            i = min(max(g.by, series.years[0]), end_year) - series.years[0]
            wanted = g.percent / 100.0 * float(series.nonforest_ha[i, 0])
            if wanted > basis.plantable_nonforest_ha:
                warnings.append(
                    f"canopy goal {g.percent:g} % by {g.by} is out of reach: it needs {wanted:,.0f} ha of canopy, more "
                    f"than the {basis.plantable_nonforest_ha:,.0f} ha of plantable non-forest land (not water or "
                    "ice); the projection stops at the plantable land"
                )
    return ScenarioResult(
        name=s.name,
        measures=s.entries(),
        series=rows,
        cumulative_net_t_co2e=out["c"],
        cumulative_net_p05_t_co2e=out["clo"],
        cumulative_net_p95_t_co2e=out["chi"],
        reduction_vs_bau_t_co2e=out["r"],
        reduction_vs_bau_p05_t_co2e=out["rlo"],
        reduction_vs_bau_p95_t_co2e=out["rhi"],
        trees_to_plant=None if series.trees_planted is None else float(series.trees_planted[:, 0].sum()),
        warnings=warnings,
    )


def _baseline_doc(basis: PathwayBasis, sd: dict[str, float], periods: list[list[int]]) -> dict[str, Any]:
    per_ha = {c.name: c.t_co2e_per_ha for c in (*basis.conversions, *basis.disturbances)}
    per_ha["Trees Outside Forest — Tree canopy loss"] = basis.tof_ef_t_co2e_per_ha
    rates = [
        BaselineRate(
            name=k,
            ha_per_yr=v,
            sd_ha_per_yr=sd.get(k) if len(periods) > 1 else None,
            t_co2e_per_ha=per_ha.get(k),
        )
        for k, v in baseline_rates(basis).items()
    ]

    def point(mix: Any) -> float | None:
        return None if mix is None else float(mix.weighted(np.zeros((1, len(mix.codes))))[0])

    return {
        "forest_ha": basis.forest_ha,
        "forest_remaining_ha": basis.forest_remaining_ha,
        "land_ha": basis.land_ha,
        "plantable_nonforest_ha": basis.plantable_nonforest_ha,
        "nonforest_tree_canopy_ha": basis.canopy_ha,
        "canopy_gain_ha_per_yr": basis.canopy_gain_ha_per_yr,
        "rates": [r.model_dump() for r in rates],
        "removal_factor_forest_remaining_t_c_per_ha_yr": point(basis.frf_mix),
        "removal_factor_new_forest_t_c_per_ha_yr": point(basis.young_mix),
        "removal_factor_new_forest_after_20_years_t_c_per_ha_yr": point(basis.mature_mix),
        "removal_share": basis.removal_share,
        "tof_ef_t_co2e_per_ha": basis.tof_ef_t_co2e_per_ha,
        "tof_rf_t_co2e_per_ha_yr": basis.tof_rf_t_co2e_per_ha_yr,
        "rate_periods": periods,
    }


def pathways_from_basis(
    basis: PathwayBasis,
    report: Report,
    scenarios: Sequence[Scenario | dict[str, Any]] = (),
    end_year: int = 2050,
    period_rates: Sequence[dict[str, float]] = (),
    rate_periods: Sequence[Sequence[int]] = (),
    draws: int = DRAWS,
    seed: int = SEED,
) -> Pathways:
    """BAU and ``scenarios`` from a computed basis (``report``: its baseline report; ``period_rates``: the
    area rates of the region's periods, :func:`baseline_rates` of each, for their variability)."""
    check_end_year(basis.end, end_year)
    typed = typed_scenarios(scenarios)
    sd = rate_sd(list(period_rates) or [baseline_rates(basis)])
    d = make_draws(basis, sd, draws, seed)
    bau = project(basis, [], d, end_year)
    results = [_result(Scenario(name=BAU_NAME), bau, bau, end_year, basis)]
    for s in typed:
        results.append(_result(s, project(basis, s.typed(), d, end_year), bau, end_year, basis))
    warnings = [w for w in report.warnings if w.startswith("SYNTHETIC")]
    if basis.not_estimated:
        warnings.append(
            "the baseline inventory leaves out rows it could not estimate, so every year of the pathway does too: "
            + "; ".join(basis.not_estimated)
        )
    warnings += basis.notes
    if basis.years < SHORT_BASELINE_YEARS:
        warnings.append(
            f"a {basis.years}-year baseline: gross conversion and reforestation hectares from a short two-date span "
            "run high (hindcast on real NLCD: forest → non-forest +19 % to +224 % from baselines under 10 years), "
            "and the emissions and removals charged per hectare with them; a longer baseline (e.g. "
            f"{basis.end - 10}–{basis.end}, where the region has the years) gives steadier rates (docs/pathways_hindcast.md)"
        )
    if len(period_rates) < 2:
        warnings.append(
            "one inventory period only: the area rates' year-to-year variability is not in the interval"
        )
    return Pathways(
        boundary=PathwayBoundary(
            id=basis.boundary_id, name=basis.boundary_name, area_ha=report.boundary.area_ha
        ),
        baseline_period=[basis.start, basis.end],
        end_year=end_year,
        scenarios=results,
        complete=not basis.not_estimated,
        not_estimated=list(basis.not_estimated),
        baseline=_baseline_doc(basis, sd, [list(p) for p in rate_periods]),
        uncertainty={
            "method": 'Monte Carlo (docs/pathways.md "Uncertainty")',
            "interval": "90 % (5th-95th percentile)",
            "draws": draws,
            "seed": seed,
            "varied": [
                "forest removal factors: Normal(rate, SE) per forest-table row, one deviate per row (as the inventory)",
                "each area rate: Normal(baseline rate, SD over the region's inventory periods), at least 0, one value "
                "per draw held over the years",
            ],
            "not_varied": [
                "emission factors, stock loss per hectare, trees-outside-forest factors",
                "canopy gain rate",
                "the measures themselves",
            ],
            "factor_table_sha256": basis.factor_table_sha256,
        },
        warnings=warnings,
        provenance={
            "method": "docs/pathways.md",
            "young_forest_years": YOUNG_YEARS,
            "baseline_report": {"period": [basis.start, basis.end], "provenance": report.provenance},
        },
    )


def typed_scenarios(scenarios: Sequence[Scenario | dict[str, Any]]) -> list[Scenario]:
    """The scenarios validated, with unique names other than BAU's (else :class:`ScenarioError`)."""
    typed = [scenario_of(s, f"scenario {i + 1}") for i, s in enumerate(scenarios)]
    names = [s.name for s in typed]
    if BAU_NAME in names or len(set(names)) != len(names):
        raise ScenarioError(f"scenario names must be unique and not '{BAU_NAME}' (got {names})")
    return typed


def check_end_year(baseline_end: int, end_year: int) -> None:
    if not baseline_end < end_year <= LAST_YEAR:
        raise PeriodError(
            f"the pathway must end after the baseline's end year {baseline_end} and by {LAST_YEAR} (got {end_year})",
            hint='pass --to (API: "to") with a year such as 2030 or 2050',
        )


def default_baseline(region: Region) -> tuple[int, int]:
    """The latest of the region's adjacent land-cover periods."""
    periods = adjacent_periods(region.land_cover_years)
    if not periods:
        raise PeriodError(f"region '{region.name}' has one land-cover year only: no baseline period")
    return periods[-1]


def boundary_pathways(
    region: Region,
    boundary: str | os.PathLike[str] | Any,
    baseline: Sequence[int] | None = None,
    to: int = 2050,
    scenarios: Sequence[Scenario | dict[str, Any]] = (),
    options: InventoryOptions | None = None,
    *,
    report_of: ReportOf | None = None,
    basis: tuple[Report, PathwayBasis] | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
    progress: Callable[[str, int, int], None] | None = None,
) -> Pathways:
    """BAU and ``scenarios`` of ``boundary`` from its ``baseline`` period (default: the latest) to ``to``.

    ``report_of``: (start, end) → the boundary's report (the API's cache); ``basis``: the baseline's report and
    basis already computed (:func:`learn.analyses.pathways.baseline.baseline_of`); ``progress(text, done, total)``
    is told each inventory it computes."""
    from learn.analyses.pathways.baseline import baseline_of

    options = options or InventoryOptions()
    start, end = (int(baseline[0]), int(baseline[1])) if baseline else default_baseline(region)
    region.check_period(start, end)
    check_end_year(end, to)
    typed = typed_scenarios(scenarios)  # refused before any raster is read
    periods = adjacent_periods(region.land_cover_years)[-MAX_TREND_PERIODS:]
    steps = 1 + sum(p != (start, end) for p in periods)
    tell = progress or (lambda text, i, n: None)
    tell(f"baseline inventory {start}–{end}", 0, steps)
    report, b = basis or baseline_of(region, boundary, (start, end), options)
    if report_of is None:

        def report_of(s: int, e: int) -> Report:
            return region.inventory(boundary, (s, e), options)

    rates, done = [], 1
    for s, e in periods:
        if (s, e) == (start, end):
            r = report
        else:
            tell(f"area rates of {s}–{e}", done, steps)
            r, done = report_of(s, e), done + 1
        rates.append(baseline_rates(basis_from_report(r, (None, None, None), None, None)))
    tell("projecting", steps, steps)
    return pathways_from_basis(b, report, typed, to, rates, periods, draws, seed)
