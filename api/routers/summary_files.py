"""The totals of every boundary of a region for one period as files: ``summary.csv`` and ``summary.xlsx`` (the
map's "All jurisdictions" table, for a spreadsheet)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Response

from api.deps import PeriodDep, RegionDep, ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from api.routers.inventory import XLSX
from learn.pipeline.batch import safe_name
from learn.pipeline.region import Region
from learn.report.labels import METHOD_CITATION, SYNTHETIC_WARNING, UNITS_CONVENTION, with_unit_headers
from learn.report.xlsx import write_tables_xlsx

router = APIRouter(tags=["regions"], responses=error_responses(*COMMON_ERRORS))


def _frame(service: ServiceDep, region: Region, start: int, end: int) -> pd.DataFrame:
    rows = [b.model_dump() for b in service.summary(region, start, end)]
    frame = pd.DataFrame(rows)
    if "not_estimated" in frame:
        frame["not_estimated"] = frame["not_estimated"].map("; ".join)
    return frame.rename(columns={"id": "boundary_id", "name": "boundary_name"})


def _attachment(region: Region, start: int, end: int, ext: str) -> dict[str, str]:
    name = f"learn_{safe_name(region.name)}_all_jurisdictions_{start}_{end}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/api/regions/{region}/summary.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per boundary"}},
)
def summary_csv(region: RegionDep, period: PeriodDep, service: ServiceDep) -> Response:
    """Every boundary's totals (t CO2e/yr, t CO2e/ha/yr, ha) for the period, one row each (15 significant digits)."""
    start, end = period
    text = _frame(service, region, start, end).to_csv(index=False, float_format="%.15g")
    return Response(
        text, media_type="text/csv; charset=utf-8", headers=_attachment(region, start, end, "csv")
    )


@router.get(
    "/api/regions/{region}/summary.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "an About sheet and one row per boundary"}},
)
def summary_xlsx(region: RegionDep, period: PeriodDep, service: ServiceDep) -> Response:
    """The same table as a workbook: About (region, period, units, method), then the jurisdictions."""
    start, end = period
    about = [("WARNING", SYNTHETIC_WARNING)] if region.spec.synthetic else []
    about += [
        ("Region", region.name),
        ("Period", f"{start}–{end}"),
        ("Units", UNITS_CONVENTION),
        ("Method", METHOD_CITATION),
    ]
    sheets = {"All jurisdictions": (with_unit_headers(_frame(service, region, start, end)), False)}
    with tempfile.TemporaryDirectory(prefix="learn-xlsx-") as tmp:
        path = Path(tmp) / "summary.xlsx"
        write_tables_xlsx(path, about, sheets)
        data = path.read_bytes()
    return Response(data, media_type=XLSX, headers=_attachment(region, start, end, "xlsx"))
