"""Any US county or place on request: the county list (offline), a state's places (TIGER, online, cached), and a
background fetch + inventory of one (api.prepare)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import ServiceDep
from api.errors import COMMON_ERRORS, NotFound, error_responses
from api.failures import classify
from api.models import CountyInfo, Failure, PlaceInfo, PrepareInfo, PrepareRequest, PrepareStatus
from api.prepare import CountyPreparer, Prepared, county_region_name, place_region_name, region_name
from api.tasks import Job
from learn.sources.census.places import SourceUnreachable, UnknownState
from learn.sources.census.tiger import conus_counties

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


@router.get("/api/places", response_model=list[PlaceInfo], responses=error_responses(502))
def places(
    state: Annotated[
        str,
        Query(
            min_length=2,
            max_length=2,
            pattern=r"^(\d{2}|[A-Za-z]{2})$",
            description="the state: 2-digit FIPS code or postal code, e.g. 25 or MA",
        ),
    ],
    service: ServiceDep,
) -> list[PlaceInfo]:
    """The places (cities, towns, CDPs) of a CONUS state from its Census TIGER/Line place file, sorted by name,
    with their region when prepared. Read online once per state and vintage, then from the server's cache."""
    preparer = service.preparer
    if not preparer.places_enabled():
        raise NotFound(
            "this server's catalog has no place source (TIGER places)",
            hint="pick a county (GET /api/counties)",
        )
    try:
        listed = preparer.places(state)
    except UnknownState as err:
        raise NotFound(err.message, err.hint) from None
    except SourceUnreachable as err:
        raise SourceUnreachable(
            err.message,
            hint="places are read online from Census TIGER; the county list (GET /api/counties) works offline",
            dataset=err.dataset,
            url=err.url,
        ) from None
    regions = set(service.catalog.regions)
    return [
        PlaceInfo(
            geoid=p.geoid,
            name=p.name,
            state=p.state,
            land_km2=p.land_km2,
            region=place_region_name(p.geoid) if place_region_name(p.geoid) in regions else None,
        )
        for p in listed.places
    ]


def _status(
    preparer: CountyPreparer, geoid: str, start: int, end: int, job: Job[Prepared] | None
) -> PrepareStatus:
    common = {
        "county": geoid if len(geoid) == 5 else None,
        "place": geoid if len(geoid) == 7 else None,
        "label": preparer.label(geoid),
        "start": start,
        "end": end,
    }
    if job is None:
        return PrepareStatus(status="done", progress=1.0, region=region_name(geoid), **common)
    result = job.result
    return PrepareStatus(
        job_id=job.id,
        status=job.status,
        progress=job.progress,
        step=job.step,
        history=job.history,
        region=result.region if result is not None else None,
        error=job.error,
        failure=Failure(**classify(job.error).as_dict()) if job.error else None,
        **common,
    )


@router.get("/api/prepare", response_model=PrepareInfo)
def prepare_info(service: ServiceDep) -> PrepareInfo:
    """Whether counties (and places) can be prepared here, and for which years (the map offers these)."""
    preparer = service.preparer
    years = preparer.years()
    enabled = preparer.jobs.max_pending > 0 and bool(years)
    start = 2011 if 2011 in years else (years[0] if years else None)
    end = 2019 if 2019 in years else (years[-1] if years else None)
    return PrepareInfo(
        enabled=enabled,
        places=enabled and preparer.places_enabled(),
        years=years,
        default_start=start,
        default_end=end,
    )


@router.post(
    "/api/prepare",
    response_model=PrepareStatus,
    status_code=202,
    responses={
        200: {"model": PrepareStatus, "description": "the county or place was ready"},
        **error_responses(409, 502, 503),
    },
)
def prepare(body: PrepareRequest, service: ServiceDep, response: Response) -> PrepareStatus:
    """Fetch a county's or place's public layers and compute its inventory in the background (202 + a job to
    poll), or answer at once (200) when it is already prepared for these years."""
    preparer = service.preparer
    geoid = body.geoid
    preparer.check(geoid, body.start, body.end)
    if preparer.ready(geoid, body.start, body.end):
        response.status_code = 200
        return _status(preparer, geoid, body.start, body.end, None)
    job = preparer.submit(geoid, body.start, body.end)
    response.headers["Retry-After"] = "2"
    return _status(preparer, geoid, body.start, body.end, job)


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
    geoid, start, end = job.run.key.split(" ")
    return _status(service.preparer, geoid, int(start), int(end), job)
