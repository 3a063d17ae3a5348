"""The trend of one boundary: its net flux by IPCC category in every period the region offers.

Assembled from the period reports themselves (:func:`trend_from_reports`: the numbers are theirs, copied, never
recomputed), so a trend row equals the same period's report. The periods are LEARN's: each pair of adjacent
land-cover years (2001–2004, 2004–2006, …), which do not overlap and together cover the region's years.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from learn.report.models import TOTAL_ROW, Report

#: The most periods one trend holds (the latest ones): one report each, so the work per request is bounded.
MAX_TREND_PERIODS = 12

PERIODS_RULE = (
    "LEARN's inventory periods: each pair of adjacent land-cover years of the region (non-overlapping, "
    "adjacent periods covering its years)"
)
UNITS = (
    "t CO2e/yr; emissions positive, removals negative, net = emissions + removals (negative = net removal)"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrendPeriod(_Model):
    """One period's totals, as in its report's ``totals``."""

    start: int
    end: int
    years: int
    area_ha: float = Field(
        description="area of the pixels counted in the boundary (ha), for per-hectare values"
    )
    gross_emissions_t_co2e_per_yr: float
    gross_removals_t_co2e_per_yr: float
    net_t_co2e_per_yr: float
    net_p05_t_co2e_per_yr: float | None = Field(
        default=None, description="90 % interval, when the report has it"
    )
    net_p95_t_co2e_per_yr: float | None = None
    complete: bool = Field(description="the report's totals.complete (false: a partial total)")
    not_estimated: list[str] = Field(default_factory=list, description="the report's totals.not_estimated")


class TrendRow(_Model):
    """One period and IPCC category: the report's ``ipcc_summary`` row."""

    start: int
    end: int
    category: str = Field(description="IPCC summary category (e.g. 'Forest remaining forest')")
    net_t_co2e_per_yr: float | None = Field(description="null when the category could not be estimated")
    net_p05_t_co2e_per_yr: float | None = None
    net_p95_t_co2e_per_yr: float | None = None


class Trend(_Model):
    """Net flux of one boundary by IPCC category across the region's periods (oldest first)."""

    region: str
    boundary_id: str
    boundary_name: str
    synthetic: bool = Field(description="true for generated demo data (not a real place)")
    periods_rule: str = Field(description="which periods the trend shows")
    units: str
    categories: list[str] = Field(description="the IPCC summary categories, in report order (Total left out)")
    periods: list[TrendPeriod]
    rows: list[TrendRow] = Field(description="one row per period and category, periods oldest first")
    periods_left_out: list[tuple[int, int]] = Field(
        default_factory=list,
        description=f"older periods of the region not in the trend (it holds the latest {MAX_TREND_PERIODS})",
    )


def adjacent_periods(years: Sequence[int]) -> list[tuple[int, int]]:
    """``[2001, 2004, 2006]`` → ``[(2001, 2004), (2004, 2006)]``: LEARN's periods between inventory years."""
    ys = sorted(set(years))
    return list(pairwise(ys))


def trend_from_reports(
    region: str, reports: Sequence[Report], periods_left_out: Sequence[tuple[int, int]] = ()
) -> Trend:
    """The trend of the boundary of ``reports`` (one per period, oldest first, one boundary)."""
    if not reports:
        raise ValueError("a trend needs at least one report")
    first = reports[0].boundary
    periods: list[TrendPeriod] = []
    rows: list[TrendRow] = []
    for rep in reports:
        if rep.boundary.id != first.id:
            raise ValueError(f"reports of two boundaries in one trend: {first.id!r} and {rep.boundary.id!r}")
        p, t = rep.period, rep.totals
        periods.append(
            TrendPeriod(
                start=p.start,
                end=p.end,
                years=p.years,
                area_ha=rep.boundary.area_ha,
                gross_emissions_t_co2e_per_yr=t.gross_emissions_t_co2e_per_yr,
                gross_removals_t_co2e_per_yr=t.gross_removals_t_co2e_per_yr,
                net_t_co2e_per_yr=t.net_t_co2e_per_yr,
                net_p05_t_co2e_per_yr=t.net_p05_t_co2e_per_yr,
                net_p95_t_co2e_per_yr=t.net_p95_t_co2e_per_yr,
                complete=t.complete,
                not_estimated=list(t.not_estimated),
            )
        )
        rows.extend(
            TrendRow(
                start=p.start,
                end=p.end,
                category=s.category,
                net_t_co2e_per_yr=s.net_t_co2e_per_yr,
                net_p05_t_co2e_per_yr=s.net_p05_t_co2e_per_yr,
                net_p95_t_co2e_per_yr=s.net_p95_t_co2e_per_yr,
            )
            for s in rep.ipcc_summary
            if s.category != TOTAL_ROW
        )
    categories = list(dict.fromkeys(r.category for r in rows))
    return Trend(
        region=region,
        boundary_id=first.id,
        boundary_name=first.name,
        synthetic=bool(reports[-1].provenance.get("synthetic", False)),
        periods_rule=PERIODS_RULE,
        units=UNITS,
        categories=categories,
        periods=periods,
        rows=rows,
        periods_left_out=list(periods_left_out),
    )
