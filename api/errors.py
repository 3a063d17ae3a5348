"""Map library errors to HTTP answers: JSON ``{"detail": "..."}`` that says what to fix."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from learn.errors import BoundaryError, CatalogError, FactorTableError, LearnError, PeriodError, RasterError


class NotFound(LearnError):
    """An unknown resource named in the URL (layer, job)."""


class TooLarge(LearnError):
    """An upload above the size or vertex limit."""


def status_for(err: LearnError) -> int:
    if isinstance(err, NotFound | CatalogError):
        return 404
    if isinstance(err, TooLarge):
        return 413
    if isinstance(err, BoundaryError):
        if err.message.startswith("unknown boundary"):
            return 404
        if "outside" in err.message:
            return 400
        return 422
    if isinstance(err, PeriodError):
        return 422
    if isinstance(err, RasterError | FactorTableError):
        return 500  # the server's data, not the request, is at fault
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(LearnError)
    async def _learn_error(_: Request, err: LearnError) -> JSONResponse:
        detail = err.message if not err.hint else f"{err.message} ({err.hint})"
        return JSONResponse(status_code=status_for(err), content={"detail": detail})
