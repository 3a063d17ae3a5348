"""Response models of the HTTP API (the report itself is :class:`learn.report.models.Report`).

Fluxes in t CO2e/yr (emissions positive, removals negative, net = emissions + removals), areas in
hectares, coordinates in EPSG:4326 degrees.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from learn.report.models import Report


class Failure(BaseModel):
    """Why preparing or listing failed, in plain words (api.failures): what the map shows, with the technical detail
    behind its "Details" toggle."""

    reason: Literal["no_internet", "source_not_answering", "unreadable"] = Field(
        description="no_internet: DNS or connection failure; source_not_answering: a timeout or HTTP 5xx of a named "
        "source; unreadable: anything else"
    )
    message: str = Field(description='plain words, e.g. "The land-cover service did not answer. …"')
    detail: str = Field(description="the technical error text (URLs, library messages)")


class ErrorDetail(BaseModel):
    """Every error answer: what is wrong and how to fix it, in one sentence."""

    detail: str = Field(description="what is wrong and how to fix it")


class SourceFailure(ErrorDetail):
    """A 502: a public source the server reads cannot be reached; ``failure`` says why in plain words."""

    failure: Failure = Field(description="why, in plain words, and the technical detail")


class ValidationErrorItem(BaseModel):
    loc: list[str | int] = Field(description="where: 'query', 'path' or 'body', then the parameter name")
    msg: str
    type: str


class ValidationFailure(ErrorDetail):
    """A 422: a parameter or body that cannot be used. ``errors`` lists FastAPI's findings when the request
    did not match the parameters' types (empty for checks of the data, e.g. a year the region lacks)."""

    errors: list[ValidationErrorItem] = Field(default_factory=list)


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(description="version of the learn-navigator package")
    tile_workers: int = Field(
        default=0, description="processes rendering map tiles (0: the server's threads)"
    )
    tile_workers_ready: bool = Field(
        default=True,
        description="false while the tile processes start, or restart after one died (tiles are drawn in "
        "the server meanwhile)",
    )
    tile_worker_restarts: int = Field(
        default=0,
        description="times the tile processes were restarted after one died, since the server started",
    )


class RegionInfo(BaseModel):
    name: str
    title: str = Field(
        description="what a picker shows: the place's name for a county or place prepared on request "
        "(e.g. 'Hampshire County, MA'), else the region's name"
    )
    description: str
    synthetic: bool = Field(description="true for generated demo data (not a real place)")
    years: list[int] = Field(description="land-cover years; an inventory period runs between two of them")
    default_period: tuple[int, int]


class LegendEntry(BaseModel):
    value: int = Field(description="raster value (class code, percent, or change code)")
    color: str = Field(description="CSS colour #rrggbb")
    label: str


class TileLayer(BaseModel):
    id: str = Field(description="layer name in /tiles/{region}/{layer}/...")
    title: str
    kind: Literal["year", "period"] = Field(
        description="'year': tiles take ?year=Y; 'period': tiles take ?start=Y1&end=Y2"
    )
    legend: list[LegendEntry]


class RegionDetail(RegionInfo):
    canopy_years: list[int]
    disturbance_periods: list[tuple[int, int]]
    layers: list[str] = Field(description="catalog layers of the region")
    boundaries_count: int
    bounds: tuple[float, float, float, float] = Field(description="west, south, east, north (EPSG:4326)")
    tile_layers: list[TileLayer]


class BoundaryTotals(BaseModel):
    id: str
    name: str
    kind: str | None = None
    area_ha: float
    gross_emissions_t_co2e_per_yr: float
    gross_removals_t_co2e_per_yr: float
    net_t_co2e_per_yr: float
    net_t_co2e_per_ha_yr: float | None = Field(description="net flux per hectare (t CO2e/ha/yr)")
    totals_complete: bool = Field(
        default=True,
        description="the report's totals.complete: false when rows could not be estimated and are left "
        "out of the totals (a partial total)",
    )
    not_estimated: list[str] = Field(
        default_factory=list,
        description='the report\'s totals.not_estimated: rows left out of the totals ("Category — Type")',
    )


class Summary(BaseModel):
    start: int
    end: int
    boundaries: list[BoundaryTotals]


class JobAccepted(BaseModel):
    job_id: str = Field(description="random id of this request's job: the only way to read its result")
    status: Literal["queued", "running", "done", "error"]
    area_id: str | None = Field(
        default=None,
        description="id of the stored polygon (GET /api/regions/{region}/areas/{area_id}/…); null if it "
        "could not be stored",
    )


class JobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "error"]
    progress: float = Field(ge=0, le=1, description="share of the raster pass done")
    result: Report | None = None
    error: str | None = None


class TileJson(BaseModel):
    tilejson: str = "3.0.0"
    name: str
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]
    tiles: list[str]
    legend: list[LegendEntry]


class CountyInfo(BaseModel):
    """A county of the conterminous US the server can prepare (offline Census 2016 list)."""

    geoid: str = Field(description="5-digit Census GEOID (state FIPS + county FIPS)")
    name: str = Field(description='e.g. "Hampshire County"')
    state: str = Field(description="postal code, e.g. MA")
    region: str | None = Field(default=None, description="the catalog region when already prepared")


class PlaceInfo(BaseModel):
    """A place (city, town, CDP) of a state, from its TIGER/Line place file (read online once, then cached)."""

    geoid: str = Field(description="7-digit Census GEOID (state FIPS + place FIPS)")
    name: str = Field(description='NAMELSAD, e.g. "Northampton city", "Amherst Center CDP"')
    state: str = Field(description="postal code, e.g. MA")
    land_km2: float | None = Field(default=None, description="land area, km² (the file's ALAND m² / 10⁶)")
    region: str | None = Field(default=None, description="the catalog region when already prepared")


class PrepareRequest(BaseModel):
    """A county or a place and two inventory years: all a client may ask (never a URL or a path)."""

    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(
        default=None, pattern=r"^\d{5}$", description="5-digit Census GEOID, e.g. 25015"
    )
    place: str | None = Field(
        default=None, pattern=r"^\d{7}$", description="7-digit Census place GEOID, e.g. 2546330"
    )
    start: int = Field(ge=1985, le=2100)
    end: int = Field(ge=1985, le=2100)

    @model_validator(mode="after")
    def _one_boundary(self) -> PrepareRequest:
        if (self.county is None) == (self.place is None):
            raise ValueError('give exactly one of "county" (5-digit GEOID) or "place" (7-digit GEOID)')
        return self

    @property
    def geoid(self) -> str:
        return self.county or self.place or ""


class PrepareStatus(BaseModel):
    """A county or place being prepared: ``region`` once done (then open it like any other region)."""

    job_id: str | None = Field(default=None, description="null when the county or place was ready at once")
    county: str | None = Field(default=None, description="the county's GEOID (null for a place)")
    place: str | None = Field(default=None, description="the place's GEOID (null for a county)")
    label: str = Field(description='e.g. "Hampshire County, MA", "Northampton city, MA"')
    status: Literal["queued", "running", "done", "error"]
    progress: float = Field(
        ge=0, le=1, description="share of the steps done (clips, derived layers, inventory)"
    )
    step: str | None = Field(default=None, description='the step running, e.g. "land_cover 2011: 40 %"')
    history: list[str] = Field(
        default_factory=list,
        description='the steps finished so far with their last progress text, oldest first, e.g. ["starting", '
        '"land_cover 2011: 100 %"]',
    )
    region: str | None = None
    start: int
    end: int
    error: str | None = Field(default=None, description="why it failed (e.g. a public source unreachable)")
    failure: Failure | None = Field(
        default=None, description="once failed: why, in plain words, and the detail"
    )


class PrepareInfo(BaseModel):
    """Whether this server prepares counties (and places) on request, and the years it can fetch land cover for."""

    enabled: bool
    places: bool = Field(
        default=False, description="whether places can be listed and prepared too (a TIGER place source)"
    )
    years: list[int] = Field(description="inventory years offered (the land-cover source's inventory years)")
    default_start: int | None = None
    default_end: int | None = None
