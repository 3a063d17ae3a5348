"""Any US county on request: the county list, and a background fetch + inventory of one (api.prepare)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from api.models import CountyInfo, PrepareInfo, PrepareRequest, PrepareStatus
from api.prepare import CountyPreparer, Prepared, county_region_name
from api.tasks import Job
from learn.sources.census import conus_counties

router = APIRouter(tags=["prepare"], responses=error_responses(*COMMON_ERRORS))


@router.get("/api/counties", response_model=list[CountyInfo])
def counties(service: ServiceDep) -> list[CountyInfo]:
    """Every county of the conterminous US (3,108, offline Census list), with its region when prepared."""
    regions = set(service.catalog.regions)
    return [
        CountyInfo(
            geoid=g,
            name=n,
            state=st,
            region=county_region_name(g) if county_region_name(g) in regions else None,
        )
        for g, n, st in conus_counties()
    ]


def _status(
    preparer: CountyPreparer, county: str, start: int, end: int, job: Job[Prepared] | None
) -> PrepareStatus:
    common = {"county": county, "label": preparer.label(county), "start": start, "end": end}
    if job is None:
        return PrepareStatus(status="done", progress=1.0, region=county_region_name(county), **common)
    result = job.result
    return PrepareStatus(
        job_id=job.id,
        status=job.status,
        progress=job.progress,
        step=job.step,
        region=result.region if result is not None else None,
        error=job.error,
        **common,
    )


@router.get("/api/prepare", response_model=PrepareInfo)
def prepare_info(service: ServiceDep) -> PrepareInfo:
    """Whether counties can be prepared here, and for which years (the map offers these)."""
    preparer = service.preparer
    years = preparer.years()
    enabled = preparer.jobs.max_pending > 0 and bool(years)
    start = 2011 if 2011 in years else (years[0] if years else None)
    end = 2019 if 2019 in years else (years[-1] if years else None)
    return PrepareInfo(enabled=enabled, years=years, default_start=start, default_end=end)


@router.post(
    "/api/prepare",
    response_model=PrepareStatus,
    status_code=202,
    responses={200: {"model": PrepareStatus, "description": "the county was ready"}, **error_responses(503)},
)
def prepare(body: PrepareRequest, service: ServiceDep, response: Response) -> PrepareStatus:
    """Fetch a county's public layers and compute its inventory in the background (202 + a job to poll), or
    answer at once (200) when it is already prepared for these years."""
    preparer = service.preparer
    preparer.check(body.county, body.start, body.end)
    if preparer.ready(body.county, body.start, body.end):
        response.status_code = 200
        return _status(preparer, body.county, body.start, body.end, None)
    job = preparer.submit(body.county, body.start, body.end)
    response.headers["Retry-After"] = "2"
    return _status(preparer, body.county, body.start, body.end, job)


@router.get("/api/prepare/{job_id}", response_model=PrepareStatus)
def prepare_status(
    job_id: Annotated[str, Path(max_length=64, description="the id POST /api/prepare gave")],
    service: ServiceDep,
    response: Response,
) -> PrepareStatus:
    """Status, progress, the step running and, once done, the region to open."""
    job = service.preparer.jobs.get(job_id)
    if not job.finished:
        response.headers["Retry-After"] = "2"
    county, start, end = job.run.key.split(" ")
    return _status(service.preparer, county, int(start), int(end), job)
