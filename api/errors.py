"""Errors as HTTP answers: JSON ``{"detail": "message saying what to fix"}``.

The library raises :class:`learn.errors.LearnError` subclasses; :func:`status_for` maps them to a status
code (unknown region or boundary → 404, bad years or geometry → 422, polygon outside the data → 400). The
API adds a few of its own (unknown layer or job, upload too large, job queue full → 503, tile of an
unreadable layer file → 500, a public source the server reads unreachable → 502). Malformed query parameters also get a
one-line ``detail`` (plus FastAPI's structured list under ``errors``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from api.failures import classify
from api.fetch_process import PreparedElsewhere
from api.models import ErrorDetail, SourceFailure, ValidationFailure
from learn.analyses.pathways.scenario import ScenarioError
from learn.errors import BoundaryError, CatalogError, FactorTableError, LearnError, PeriodError, RasterError
from learn.sources.census.places import SourceUnreachable

log = logging.getLogger("api")


class NotFound(LearnError):
    """An unknown resource named in the URL (tile layer, job, download format) → 404."""


class TooLarge(LearnError):
    """An upload above the size or vertex limit → 413."""


class ServerBusy(LearnError):
    """The background-job queue is full → 503 with ``Retry-After``."""

    def __init__(self, message: str, hint: str | None = None, *, retry_after_s: int = 30) -> None:
        super().__init__(message, hint)
        self.retry_after_s = retry_after_s


class TileUnavailable(RasterError):
    """A tile that cannot be drawn because a layer file is missing or unreadable → 500 for that tile only.

    Raised in the tile worker processes in place of GDAL's errors, which do not survive pickling
    (an unpicklable error breaks the whole process pool)."""

    def __reduce__(self) -> tuple[type[TileUnavailable], tuple[str, str | None]]:
        return (type(self), (self.message, self.hint))


class BadGeometry(BoundaryError):
    """A request body or upload that is not a usable polygon → 422."""


class OutsideData(BoundaryError):
    """A polygon that does not touch the region's data → 400."""


class BadAreaId(LearnError):
    """A stored area's id that is not of the form the server gives (:data:`api.areas.AREA_ID`) → 422."""


RESPONSE_TEXT = {
    400: "the request cannot be answered (e.g. a polygon outside the region's data)",
    404: "unknown region, boundary, stored area, county, tile layer, tile, job or download format",
    409: "the county or place is being prepared by another process (a second server, a `learn fetch`)",
    413: "upload over the size or vertex limit",
    422: "a parameter or body that cannot be used (bad years, bad geometry, wrong types)",
    500: "the server's data or code is at fault (e.g. an unreadable layer file); the detail says which",
    502: "a public source the server reads (e.g. Census TIGER places) cannot be reached; the detail says which",
    503: "busy: the job queue is full, or the tile processes are restarting; see Retry-After",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, with the bodies the handlers below send."""
    return {
        code: {
            "model": {422: ValidationFailure, 502: SourceFailure}.get(code, ErrorDetail),
            "description": RESPONSE_TEXT[code],
        }
        for code in codes
    }


#: What any route may answer besides its success.
COMMON_ERRORS = (400, 404, 422, 500)


def status_for(err: LearnError) -> int:
    """HTTP status of a library or API error."""
    if isinstance(err, NotFound | CatalogError):
        return 404  # the catalog only raises on requests for an unknown region
    if isinstance(err, TooLarge):
        return 413
    if isinstance(err, PreparedElsewhere):
        return 409
    if isinstance(err, ServerBusy):
        return 503
    if isinstance(err, SourceUnreachable):
        return 502
    if isinstance(err, OutsideData):
        return 400
    if isinstance(err, BadGeometry | PeriodError | BadAreaId | ScenarioError):
        return 422
    if isinstance(err, BoundaryError):
        if err.message.startswith("unknown boundary"):
            return 404
        if "outside" in err.message:
            return 400
        return 422  # invalid, empty or non-polygonal geometry
    if isinstance(err, RasterError | FactorTableError):
        return 500  # the server's data, not the request, is at fault
    return 400


def detail_of(err: LearnError) -> str:
    return err.message if not err.hint else f"{err.message} ({err.hint})"


def _describe(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ())]
    where = {"query": "query parameter", "path": "path parameter", "body": "request body"}.get(loc[0], loc[0])
    name = ".".join(loc[1:])
    got = f" (got {error['input']!r})" if "input" in error and not isinstance(error["input"], dict) else ""
    return f"{where} '{name}': {error.get('msg', 'invalid')}{got}".replace(" ''", "")


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into ``{"detail": "..."}``."""

    @app.exception_handler(LearnError)
    async def _learn_error(request: Request, err: LearnError) -> JSONResponse:
        headers = {"Retry-After": str(err.retry_after_s)} if isinstance(err, ServerBusy) else None
        content: dict[str, Any] = {"detail": detail_of(err)}
        if isinstance(err, SourceUnreachable):  # a public source: plain words for the map too (issue 26)
            log.warning("%s %s: %s", request.method, request.url.path, content["detail"])
            what = "the data for this place"
            if request.url.path == "/api/places":
                what = f"the list of cities and towns of {request.query_params.get('state', '').upper()}"
            content["failure"] = classify(err.message, what=what).as_dict()
        return JSONResponse(status_code=status_for(err), content=content, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = list(err.errors())
        detail = "; ".join(_describe(e) for e in errors) or "invalid request"
        safe = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in errors]
        return JSONResponse(status_code=422, content={"detail": detail, "errors": safe})

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _: ClientDisconnect) -> Response:
        # the client left, or was cut off as too slow (api/slow_clients.py), before its body arrived: no one
        # reads this answer, and it is no server error (no traceback)
        log.info("client gone before the body of %s %s arrived", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500, content={"detail": f"internal error ({type(err).__name__}); see the server log"}
        )
