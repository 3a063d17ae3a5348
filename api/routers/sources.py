"""Are the public sources reachable and as the code expects? The server's last ``learn sources check``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.errors import COMMON_ERRORS, error_responses
from api.sources_status import SourcesMonitor
from learn.sources.check import CheckResult

router = APIRouter(tags=["sources"], responses=error_responses(*COMMON_ERRORS))


class SourcesStatus(BaseModel):
    state: Literal["unchecked", "checking", "reachable", "not reachable"] = Field(
        description="reachable: every public source answered (see differs for answers other than expected); "
        "not reachable: at least one did not; unchecked/checking: no check has finished yet"
    )
    checking: bool = Field(description="a check is running now")
    checked_at: str | None = Field(default=None, description="when the last check ran (ISO 8601, UTC)")
    ok: bool | None = Field(
        default=None, description="every check ok (what `learn sources check` exits 0 on)"
    )
    counts: dict[str, int] = Field(default_factory=dict)
    unreachable: list[str] = Field(default_factory=list, description="datasets that did not answer")
    differs: list[CheckResult] = Field(default_factory=list, description="checks that answered otherwise")
    error: str | None = None


@router.get("/api/sources/status", response_model=SourcesStatus)
def sources_status(
    request: Request,
    refresh: Annotated[bool, Query(description="run the check again now (in the background)")] = False,
) -> SourcesStatus:
    """The server's last check of the catalog's public sources (`learn sources check`), run in the background
    when there is none, when it is an hour old or on `refresh`; answers at once with what is known."""
    monitor: SourcesMonitor = request.app.state.sources_monitor
    monitor.ensure(refresh)
    last, checking = monitor.last, monitor.running
    if last is None:
        return SourcesStatus(
            state="checking" if checking else "unchecked", checking=checking, error=monitor.error
        )
    unreachable = list(dict.fromkeys(r.dataset for r in last.results if r.status == "unreachable"))
    return SourcesStatus(
        state="not reachable" if unreachable else "reachable",
        checking=checking,
        checked_at=last.checked_at,
        ok=last.ok,
        counts=last.counts,
        unreachable=unreachable,
        differs=[r for r in last.results if r.status == "differs"],
        error=monitor.error,
    )
