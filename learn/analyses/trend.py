"""The trend of one boundary across the region's periods (Python API; ``GET /api/regions/{region}/trend``).

``boundary_trend(region, "99001")`` computes one report per period (LEARN's adjacent land-cover years, the
latest :data:`~learn.report.trend.MAX_TREND_PERIODS`) and assembles them with
:func:`learn.report.trend.trend_from_reports`. The API passes ``report_of`` (its cached report path), so the
trend and the period reports it serves are the same documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from learn.errors import PeriodError
from learn.options import InventoryOptions
from learn.report.trend import MAX_TREND_PERIODS, Trend, adjacent_periods, trend_from_reports

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.report.models import Report

#: (start, end) → the boundary's report of that period.
ReportOf = Callable[[int, int], "Report"]


def trend_periods(region: Region) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The periods a trend of ``region`` shows (oldest first) and the older ones it leaves out (bounded)."""
    periods = adjacent_periods(region.land_cover_years)
    if not periods:
        raise PeriodError(
            f"region '{region.name}' has one land-cover year only ({region.land_cover_years}): no period to show",
            hint="a trend needs land cover for at least two years",
        )
    cut = max(0, len(periods) - MAX_TREND_PERIODS)
    return periods[cut:], periods[:cut]


def boundary_trend(
    region: Region,
    boundary: str,
    options: InventoryOptions | None = None,
    report_of: ReportOf | None = None,
) -> Trend:
    """Net flux of ``boundary`` by IPCC category in each of the region's periods (see :func:`trend_periods`)."""
    periods, left_out = trend_periods(region)
    if report_of is None:
        region.boundary(boundary)  # an unknown boundary fails before any raster is read

        def report_of(start: int, end: int) -> Report:
            return region.inventory(boundary, (start, end), options or InventoryOptions())

    reports = [report_of(start, end) for start, end in periods]
    return trend_from_reports(region.name, reports, left_out)
