"""The trend of one boundary: net flux by IPCC category in every period the region offers (thin over learn.analyses.trend)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BoundaryQuery, OptionsDep, RegionDep, ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from learn.analyses.trend import boundary_trend
from learn.report.models import Report
from learn.report.trend import Trend

router = APIRouter(tags=["inventory"], responses=error_responses(*COMMON_ERRORS))


@router.get("/api/regions/{region}/trend", response_model=Trend)
def trend(region: RegionDep, boundary: BoundaryQuery, options: OptionsDep, service: ServiceDep) -> Trend:
    """Net flux (t CO2e/yr) of one boundary by IPCC category, with its totals, in each of LEARN's periods
    (adjacent land-cover years of the region; the latest 12, older ones named in ``periods_left_out``),
    oldest first.

    Every number is the same period's report (``/inventory?boundary=&start=&end=``), through the same cache.
    """
    region.boundaries.get(boundary)  # unknown boundary → 404 before any report is computed

    def report_of(start: int, end: int) -> Report:
        return service.report(region, boundary, start, end, options).report

    return boundary_trend(region, boundary, options, report_of)
