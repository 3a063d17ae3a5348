"""FastAPI dependencies: the service, the region named in the path, the period and the options.

They are `async` because they only look things up (no I/O): no thread-pool hop per dependency.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.service import Service
from learn.pipeline.region import InventoryOptions, Region


async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def get_region(
    service: ServiceDep,
    region: Annotated[str, Path(description="region name from the catalog, e.g. 'demo'")],
) -> Region:
    """The region of the path (unknown → 404)."""
    return service.region(region)


RegionDep = Annotated[Region, Depends(get_region)]
StartQuery = Annotated[int | None, Query(description="first land-cover year (default: the region's period)")]
EndQuery = Annotated[int | None, Query(description="last land-cover year (default: the region's period)")]
ExactQuery = Annotated[
    bool, Query(description="weight edge pixels by the share of their area inside the polygon (exactextract)")
]
RecategorizeQuery = Annotated[
    bool, Query(description="LEARN's option: burned Forest→Grassland pixels count as Forest Remaining Forest")
]


def period_of(region: Region, start: int | None, end: int | None) -> tuple[int, int]:
    """The inventory period; missing years default to the region's period (bad years → 422)."""
    d0, d1 = region.default_period
    s, e = (d0 if start is None else start), (d1 if end is None else end)
    region.check_period(s, e)
    return s, e


def options_of(exact_coverage: bool, recategorize_burned_grassland: bool) -> InventoryOptions:
    return InventoryOptions(
        pixel_rule="exact" if exact_coverage else "centre",
        recategorize_burned_grassland=recategorize_burned_grassland,
    )


def period_query(start: int, end: int, options: InventoryOptions) -> dict[str, str]:
    """The query parameters that ask for this period and these options again (defaults left out)."""
    q = {"start": str(start), "end": str(end)}
    if options.pixel_rule == "exact":
        q["exact_coverage"] = "true"
    if options.recategorize_burned_grassland:
        q["recategorize_burned_grassland"] = "true"
    return q


async def get_period(region: RegionDep, start: StartQuery = None, end: EndQuery = None) -> tuple[int, int]:
    return period_of(region, start, end)


async def get_options(
    exact_coverage: ExactQuery = False, recategorize_burned_grassland: RecategorizeQuery = False
) -> InventoryOptions:
    return options_of(exact_coverage, recategorize_burned_grassland)


PeriodDep = Annotated[tuple[int, int], Depends(get_period)]
OptionsDep = Annotated[InventoryOptions, Depends(get_options)]
BoundaryQuery = Annotated[str, Query(description="boundary id (e.g. a GEOID) or exact name")]
