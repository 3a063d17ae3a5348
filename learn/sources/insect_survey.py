"""The insect/disease disturbance layer from the USFS Insect & Disease Detection Survey (IDS) damage areas.

LEARN's rule (``erin-glen/learn_analysis`` ``preprocessing/disturbances`` ``insect_disease_process.py``):
survey damage areas whose damage type is "Mortality - Previously Undocumented", of the survey years of the
disturbance period, are burned into the land-cover grid as code 5 (``gdal_rasterize``: pixel centres), all
other pixels 0. :func:`insect_disease_codes` does the same for one region's grid from the survey's ArcGIS
layer (:mod:`learn.sources.arcgis.feature`): the server filters by year and damage type, the client checks
the filter again (a server may ignore part of a ``where``), and rasterio burns the polygons on the grid.

Before that it asks the layer which damage types its features of the period's survey years hold
(:func:`damage_type_check`, a ``returnDistinctValues`` query over the whole layer): when LEARN's value is
not among them (the survey spells it otherwise, or did not use it in those years: the legacy survey
before DMSM wrote "Mortality"), no damage area could ever match, so the layer cannot say where insects
and disease killed trees. The period's insect/disease is then *not estimated* (:attr:`SurveyLayer.
not_estimated` gives the reason; the region's catalog entry and the report carry it), never 0.

The catalog dataset (``protocol: arcgis_feature``) names the layer (``href``), the published survey
``years`` and the field names and value (``year_field``, ``damage_type_field``, ``damage_type``), so another
copy of the survey (a FeatureServer, the bulk geodatabase served by a local ArcGIS) needs no code change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import rasterio.features
import rasterio.warp

from learn.raster.grid import Grid
from learn.sources.arcgis.feature import FeatureLayer, distinct_values, layer_info, query_features
from learn.sources.catalog import DatasetSpec
from learn.sources.http import HttpPolicy
from learn.sources.remote import FetchError, extra

#: LEARN's disturbance code for insect/disease (the accounting stage's DIST_INSECT; a test ties the two).
INSECT_CODE = 5
#: The damage type LEARN counts, spelled as in the survey data (ASCII hyphen, as LEARN's SQL has it).
MORTALITY_NEW = "Mortality - Previously Undocumented"


@dataclass(frozen=True)
class SurveySource:
    """A catalog dataset serving survey damage areas through an ArcGIS layer ``query``."""

    dataset: str
    url: str  # the layer: …/MapServer/<id> or …/FeatureServer/<id>
    years: tuple[int, ...]  # survey years the source publishes
    year_field: str = "survey_year"
    damage_type_field: str = "damage_type"
    damage_type: str = MORTALITY_NEW
    citation: str = ""
    license: str = ""
    version: str | None = None


@dataclass
class SurveyLayer:
    """The rasterized layer and how it was made (for the manifest)."""

    codes: npt.NDArray[np.uint8]
    period: tuple[int, int]
    survey_years: list[int]  # the period's years the source publishes (the ones asked for)
    features: int  # damage areas burned in
    requests: list[str] = field(default_factory=list)
    #: Why the period's insect/disease cannot be estimated from the source (codes are then all 0 and must
    #: not be read as "no insect/disease"), or None.
    not_estimated: str | None = None


def survey_source(key: str, spec: DatasetSpec) -> SurveySource:
    """The :class:`SurveySource` of catalog dataset ``key`` (``protocol: arcgis_feature``)."""
    if extra(spec, "protocol") != "arcgis_feature":
        raise FetchError(
            f"dataset '{key}' is not an ArcGIS feature layer (protocol: {extra(spec, 'protocol')})",
            hint="the insect/disease survey needs `protocol: arcgis_feature` and a layer URL as href",
        )
    if not spec.years:
        raise FetchError(f"dataset '{key}' lists no survey 'years'", hint="add the published survey years")
    if not isinstance(spec.href, str):
        raise FetchError(
            f"dataset '{key}' lists several hrefs; a feature layer takes one",
            hint="give the layer's URL as one href (alternative hosts are for image services)",
        )
    names = {n: extra(spec, n) for n in ("year_field", "damage_type_field", "damage_type")}
    return SurveySource(
        dataset=key,
        url=spec.href.rstrip("/"),
        years=tuple(sorted(spec.years)),
        **{n: str(v) for n, v in names.items() if v is not None},
        citation=spec.citation,
        license=spec.license,
        version=str(extra(spec, "version")) if extra(spec, "version") is not None else None,
    )


def survey_years(period: tuple[int, int], published: tuple[int, ...]) -> list[int]:
    """The survey years of a disturbance period: every published year from start to end, both included.

    LEARN's configuration lists them so (``TIME_PERIODS = {"2019_2021": [2019, 2020, 2021]}``); mortality
    seen in the start year's survey may postdate that year's imagery, so the start year counts too.
    """
    start, end = period
    if start >= end:
        raise FetchError(f"period {start}-{end} must have start < end", hint="e.g. --years 2011 2019")
    return [y for y in published if start <= y <= end]


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def where_clause(src: SurveySource, layer: FeatureLayer, years: list[int]) -> str:
    """The server-side filter: the survey years and LEARN's damage type, in the layer's field spelling."""
    year_f, type_f = layer.field_named(src.year_field), layer.field_named(src.damage_type_field)
    return f"{year_f} IN ({', '.join(map(str, years))}) AND {type_f} = {_sql_text(src.damage_type)}"


def damage_type_check(
    src: SurveySource, layer: FeatureLayer, years: list[int], policy: HttpPolicy = HttpPolicy()
) -> tuple[str | None, str]:
    """Whether the layer holds damage areas of ``src.damage_type`` in ``years`` anywhere (not only in the
    region's box, where none may be a true 0): None when it does, else the reason; and the URL asked."""
    year_f = layer.field_named(src.year_field)
    where = f"{year_f} IN ({', '.join(map(str, years))})"
    values, url = distinct_values(layer, src.damage_type_field, where, policy=policy)
    if src.damage_type in {v.strip() for v in values}:
        return None, url
    shown = "; ".join(repr(v) for v in values[:12]) + (
        f" and {len(values) - 12} more" if len(values) > 12 else ""
    )
    return (
        f"the survey layer {layer.name!r} ({src.dataset}) holds no damage type {src.damage_type!r} in survey "
        f"years {years[0]}-{years[-1]} (its damage types there: {shown or 'none'}), so no damage area can "
        "match LEARN's rule",
        url,
    )


def grid_bbox_4326(grid: Grid) -> tuple[float, float, float, float]:
    """The grid's box in lon/lat (edges densified, so the box covers the whole grid)."""
    west, south, east, north = rasterio.warp.transform_bounds(
        grid.crs, "EPSG:4326", *grid.bounds, densify_pts=21
    )
    return (west, south, east, north)


def read_insect_disease(
    grid: Grid,
    period: tuple[int, int],
    src: SurveySource,
    progress: Callable[[int, int], None] | None = None,
    *,
    policy: HttpPolicy = HttpPolicy(),
) -> SurveyLayer:
    """The period's insect/disease layer on ``grid``: :data:`INSECT_CODE` under qualifying damage areas, else 0."""
    years = survey_years(period, src.years)
    if not years:
        raise FetchError(
            f"{src.dataset} publishes no survey year inside {period[0]}-{period[1]}",
            hint=f"published survey years: {src.years[0]}-{src.years[-1]}; choose inventory years inside them",
        )
    layer = layer_info(src.url, policy)
    if "polygon" not in layer.geometry_type.lower():
        raise FetchError(
            f"layer '{layer.name}' ({src.url}) holds {layer.geometry_type or 'no'} geometries, not damage areas",
            hint="point href at the survey's damage-areas polygon layer (EDW_InsectandDiseaseSurvey_01: layer 1)",
        )
    year_f, type_f = layer.field_named(src.year_field), layer.field_named(src.damage_type_field)
    absent, check_url = damage_type_check(src, layer, years, policy)
    if absent is not None:
        codes = np.zeros((grid.height, grid.width), dtype=np.uint8)
        return SurveyLayer(codes, period, years, 0, [check_url], not_estimated=absent)
    result = query_features(
        layer,
        grid_bbox_4326(grid),
        where_clause(src, layer, years),
        [year_f, type_f],
        policy=policy,
        progress=(lambda n: progress(n, n)) if progress else None,
    )
    frame = result.features
    if len(frame):
        # LEARN's CASE WHEN: only this damage type in these years gets the code (whatever the server sent).
        keep = frame[type_f].astype(str).str.strip().eq(src.damage_type) & frame[year_f].isin(years)
        frame = frame[keep & frame.geometry.notna() & ~frame.geometry.is_empty]
    codes = rasterize_codes(list(frame.to_crs(grid.crs).geometry) if len(frame) else [], grid)
    return SurveyLayer(
        codes=codes,
        period=period,
        survey_years=years,
        features=len(frame),
        requests=[check_url, *result.requests],
    )


def rasterize_codes(geometries: list[object], grid: Grid, code: int = INSECT_CODE) -> npt.NDArray[np.uint8]:
    """``code`` on every pixel whose centre lies in one of ``geometries`` (in the grid's CRS), 0 elsewhere."""
    shape = (grid.height, grid.width)
    if not geometries:
        return np.zeros(shape, dtype=np.uint8)
    return rasterio.features.rasterize(
        ((g, code) for g in geometries),
        out_shape=shape,
        transform=grid.transform,
        fill=0,
        all_touched=False,  # pixel centres, as gdal_rasterize's default that LEARN uses
        dtype="uint8",
    )


def insect_disease_codes(
    grid: Grid,
    period: tuple[int, int],
    src: SurveySource,
    progress: Callable[[int, int], None] | None = None,
) -> npt.NDArray[np.uint8]:
    """Just the codes of :func:`read_insect_disease` (uint8, 5 or 0, the grid's shape); a FetchError when
    the source cannot say (:attr:`SurveyLayer.not_estimated`), as 0 codes would then claim no damage."""
    survey = read_insect_disease(grid, period, src, progress)
    if survey.not_estimated is not None:
        raise FetchError(
            survey.not_estimated, hint="check the catalog dataset's damage_type against the layer"
        )
    return survey.codes
