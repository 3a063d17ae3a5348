"""The OpenAPI document, made to say what the service accepts: year parameters list the catalog's years.

FastAPI documents ``start``, ``end`` and ``year`` as any integer; the service accepts only years that a
region of the catalog has (and, for a period, start before end), answering 422 otherwise. The document
is generated once per app, for its catalog.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from learn.sources.catalog import Catalog


def catalog_years(catalog: Catalog) -> dict[str, list[int]]:
    """Years per query parameter: land-cover years for ``start``/``end``; those and canopy years for ``year``."""
    land: set[int] = set()
    canopy: set[int] = set()
    for name in catalog.regions:
        layers = catalog.region(name).layers
        land |= set(layers["land_cover"].years or [])
        if "tree_canopy" in layers:
            canopy |= set(layers["tree_canopy"].years or [])
    return {"start": sorted(land), "end": sorted(land), "year": sorted(land | canopy)}


def install(app: FastAPI, catalog: Catalog) -> None:
    """Replace ``app.openapi`` with a generator whose year parameters enumerate the catalog's years."""
    years = catalog_years(catalog)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for item in doc.get("paths", {}).values():
                for operation in item.values():
                    for param in operation.get("parameters", []):
                        if param.get("in") == "query" and param.get("name") in years:
                            _enumerate(param, years[param["name"]])
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _enumerate(param: dict[str, Any], years: list[int]) -> None:
    schema = param.get("schema", {})
    options = schema.get("anyOf", [schema])
    for option in options:
        if option.get("type") == "integer":
            option["enum"] = years
    param["description"] = (
        f"{param.get('description', '')}; one of the catalog's years (each region has its own: "
        "GET /api/regions/{region}); a period needs start < end, else 422"
    ).lstrip("; ")
