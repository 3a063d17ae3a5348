"""Background jobs (custom polygons above the synchronous size limit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import ServiceDep
from api.errors import COMMON_ERRORS, error_responses
from api.models import JobStatus

router = APIRouter(tags=["jobs"], responses=error_responses(*COMMON_ERRORS))


@router.get("/api/jobs/{job_id}", response_model=JobStatus)
async def job_status(
    job_id: Annotated[str, Path(max_length=64, description="the id a 202 answer gave")],
    service: ServiceDep,
    response: Response,
) -> JobStatus:
    """Status, progress (0–1) and, once done, the report; ``Retry-After`` (seconds) until it is finished."""
    job = service.jobs.get(job_id)
    if not job.finished:
        response.headers["Retry-After"] = "1"
    return JobStatus(
        job_id=job.id, status=job.status, progress=job.progress, result=job.result, error=job.error
    )
