"""Pathways of a boundary or stored area: BAU and scenarios to 2030/2050 (thin over learn.analyses.pathways)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import OptionsDep, RegionDep, ServiceDep
from api.downloads import XLSX, ascii_name, attachment
from api.errors import COMMON_ERRORS, NotFound, error_responses
from api.routers.inventory import PaperQuery
from api.service import Service, _options_key
from learn.analyses.pathways import Pathways, boundary_pathways
from learn.analyses.pathways.export import pathways_csv, write_pathways
from learn.analyses.pathways.run import DRAWS
from learn.errors import LearnError
from learn.pipeline.batch import safe_name
from learn.pipeline.region import InventoryOptions, Region
from learn.report.models import Report

router = APIRouter(tags=["pathways"], responses=error_responses(*COMMON_ERRORS))


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    measures: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=20,
        description='e.g. [{"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}}] (docs/pathways.md "Measures")',
    )


class PathwaysRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boundary: str | None = Field(default=None, description="boundary id or exact name (or give area)")
    area: str | None = Field(default=None, description="id of a stored area (drawn or uploaded polygon)")
    baseline: list[int] | None = Field(
        default=None, min_length=2, max_length=2, description="[start, end] (default: the latest period)"
    )
    to: int = Field(default=2050, description="last projected year")
    scenarios: list[ScenarioIn] = Field(default_factory=list, max_length=8)


@router.post("/api/regions/{region}/pathways", response_model=Pathways)
def pathways(body: PathwaysRequest, region: RegionDep, options: OptionsDep, service: ServiceDep) -> Pathways:
    """Forest and tree carbon of one boundary (or stored area) projected year by year from its baseline period
    to ``to``: business as usual first, then each scenario, with the 90 % interval — the same document as
    ``learn pathways``. The baseline's inventory and the other periods' reports are cached."""
    return _pathways(body, region, options, service)


#: The pathway's downloads: the same table as ``learn pathways --format csv|xlsx``, the JSON document, and the
#: printable report of the baseline period with the pathway's section (HTML, PDF).
PATHWAY_DOWNLOADS = ("csv", "xlsx", "json", "html", "pdf")
PATHWAY_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, XLSX: {}, "application/json": {}, "text/html": {}, "application/pdf": {}},
        "description": "csv: one row per scenario and year; xlsx: that table, the milestones, measures, "
        "baseline rates and notes; json: the pathway document; html/pdf: the baseline period's printable "
        "report with a Pathway section (the first scenario)",
    }
}


def download_name(p: Pathways, ext: str, suffix: str = "") -> str:
    """``learn_<id>_<name>_pathways_<start>_<end>_to<year><suffix>.<ext>`` (the name left out when it is the
    id; ``suffix``: a PDF's paper)."""
    parts = [safe_name(p.boundary.id)]
    name = ascii_name(p.boundary.name)
    if name and name != parts[0]:
        parts.append(name)
    start, end = p.baseline_period
    return f"learn_{'_'.join(parts)}_pathways_{start}_{end}_to{p.end_year}{suffix}.{ext}"


@router.post("/api/regions/{region}/pathways.{ext}", response_class=Response, responses=PATHWAY_CONTENT)
def pathways_download(
    ext: str,
    body: PathwaysRequest,
    region: RegionDep,
    options: OptionsDep,
    service: ServiceDep,
    paper: PaperQuery = "letter",
) -> Response:
    """The pathway of the same request body as a file: ``.csv`` (one row per scenario and year, as
    ``learn pathways --format csv``), ``.xlsx`` (that table with the milestones, measures, baseline rates
    and notes), ``.json``, or the printable report of the baseline period with a Pathway section (BAU and the
    first scenario: sentence, chart with the 90 % bands, milestones) as ``.html`` or ``.pdf`` (``paper``);
    an attachment named after the boundary, baseline and target year."""
    if ext not in PATHWAY_DOWNLOADS:
        raise NotFound(
            f"unknown download format '.{ext}'",
            hint=f"use one of {', '.join('.' + d for d in PATHWAY_DOWNLOADS)}",
        )
    p, report, shape = _compute(body, region, options, service)
    headers = attachment(download_name(p, ext, suffix=f"_{paper}" if ext == "pdf" else ""))
    if ext in ("html", "pdf"):
        return _printable(p, report, shape, ext, paper, region, headers)
    if ext == "csv":
        return Response(pathways_csv(p), media_type="text/csv; charset=utf-8", headers=headers)
    if ext == "json":
        return Response(p.model_dump_json(indent=2), media_type="application/json", headers=headers)
    with tempfile.TemporaryDirectory(prefix="learn-pathways-") as tmp:
        data = write_pathways(p, Path(tmp) / "pathways.xlsx", "xlsx").read_bytes()
    return Response(data, media_type=XLSX, headers=headers)


def _printable(
    p: Pathways, report: Report, shape: Any, ext: str, paper: str, region: Region, headers: dict[str, str]
) -> Response:
    """The baseline period's report with the pathway's section, as HTML or PDF."""
    from learn.report.html import render_html  # lazy: matplotlib (and WeasyPrint) only when asked for

    doc = p.model_dump(mode="json")
    if ext == "html":
        return Response(
            render_html(report, pathway=doc), media_type="text/html; charset=utf-8", headers=headers
        )
    from learn.pipeline.region_map import locator_map
    from learn.report.pdf import render_pdf

    start, end = p.baseline_period
    locator = locator_map(region, shape, start, end)
    pdf = render_pdf(report, paper=paper, locator=locator, pathway=doc)
    return Response(pdf, media_type="application/pdf", headers=headers)


def _pathways(body: PathwaysRequest, region: Region, options: InventoryOptions, service: Service) -> Pathways:
    return _compute(body, region, options, service)[0]


def _compute(
    body: PathwaysRequest, region: Region, options: InventoryOptions, service: Service
) -> tuple[Pathways, Report, Any]:
    """The pathways, the baseline period's report, and the boundary's shape (for a PDF's locator map)."""
    if (body.boundary is None) == (body.area is None):
        raise LearnError('give exactly one of "boundary" or "area"')
    period = tuple(body.baseline) if body.baseline else None
    if body.area is not None:
        stored = service.areas.get(region.name, body.area)
        target: Any = stored.boundary(region.grid.crs)

        def report_of(s: int, e: int) -> Report:
            return service.polygon_report(region, target, s, e, options).report

        key_id: Any = ("area", service.polygon_key(region, target, 0, 0, options))
    else:
        assert body.boundary is not None
        target = region.boundaries.get(body.boundary).id  # unknown → 404 before any raster is read

        def report_of(s: int, e: int) -> Report:
            return service.report(region, target, s, e, options).report

        key_id = target
    from learn.analyses.pathways.run import default_baseline

    start, end = period or default_baseline(region)
    region.check_period(int(start), int(end))
    key = (region.name, key_id, int(start), int(end), _options_key(options), service.data_version)
    basis = service.pathway_bases.get(key, region, target, (int(start), int(end)), options)
    shape = region.boundaries.get(target) if body.area is None else target
    p = boundary_pathways(
        region,
        target,
        (int(start), int(end)),
        body.to,
        [s.model_dump() for s in body.scenarios],
        options,
        report_of=report_of,
        basis=basis,
        draws=DRAWS,
    )
    return p, basis[0], shape
