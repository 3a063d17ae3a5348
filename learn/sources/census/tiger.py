"""U.S. Census boundaries for ``learn fetch``: counties (offline), places (TIGER, online), states.

Counties and states come from the Census cartographic boundary files that the PyPI package
``plotly-geo`` ships (``cb_2016_us_county_500k``, ``cb_2016_us_state_500k``; NAD83 without a
.prj, so EPSG:4269 is set here). Places come from the TIGER/Line place file of their state
(catalog dataset ``tiger_places``), read through ``/vsizip//vsicurl/``.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyogrio
import rasterio.features
import rasterio.warp
import shapely

from learn.raster.grid import Grid
from learn.sources.catalog import Catalog
from learn.sources.remote import FetchError, dataset_for_layer, gdal_http_env, source_file
from learn.util import close_matches

NAD83 = "EPSG:4269"
EQUAL_AREA = "EPSG:5070"
#: State FIPS codes outside the conterminous US (NLCD CONUS does not cover them).
NON_CONUS_FIPS = frozenset({"02", "15", "60", "66", "69", "72", "78"})


@dataclass(frozen=True)
class CensusBoundary:
    """A boundary with where it came from (for the manifest) and its state's postal code."""

    #: columns GEOID, NAME, STATEFP (+ LABEL for a county or place), geometry (EPSG:4269)
    frame: gpd.GeoDataFrame
    source: str
    state: str | None
    #: The column the region's names come from unless asked otherwise: LABEL ("Hampshire County, MA") for a
    #: Census county or place, None (the usual pick) for a file
    name_field: str | None = None


#: The column of a fetched Census county or place holding its display name ("Hampshire County, MA"), which
#: the map, the reports and the API show (issue 26).
LABEL_FIELD = "LABEL"


def with_state(name: str, state: str | None) -> str:
    """A display name: the Census name with its kind ("Hampshire County", "Northampton city") and the state's
    postal code: "Hampshire County, MA"."""
    return f"{name}, {state}" if state else name


def plotly_geo_dir() -> Path:
    """Folder of the Census shapefiles shipped by plotly-geo."""
    try:
        import _plotly_geo
    except ImportError:
        raise FetchError(
            "county boundaries need the package plotly-geo",
            hint="pip install plotly-geo (see requirements.lock)",
        ) from None
    return Path(_plotly_geo.__file__).resolve().parent / "package_data"


def _read_census(name: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(plotly_geo_dir() / f"{name}.shp", engine="pyogrio")
    return frame.set_crs(NAD83, allow_override=True)


def states() -> gpd.GeoDataFrame:
    """U.S. states (cb_2016_us_state_500k): STATEFP, STUSPS, NAME, geometry (EPSG:4269)."""
    return _read_census("cb_2016_us_state_500k")


def state_fips_on_grid(grid: Grid) -> npt.NDArray[np.uint8]:
    """Census state FIPS code of each pixel of ``grid`` (uint8; 0 = outside every state), offline.

    From the shipped county file (cb_2016_us_county_500k): a pixel takes the state of the county
    its centre lies in (the pixel-centre rule of the raster stage). The counties of a state tile it,
    so burning each county with its STATEFP gives the dissolved states without computing the union.
    The file is generalised (1:500,000) and clipped to the shoreline: a pixel on the coast or a
    border can fall outside every county (0) or in the neighbouring state.
    """
    west, south, east, north = rasterio.warp.transform_bounds(grid.crs, NAD83, *grid.bounds, densify_pts=21)
    counties = gpd.read_file(
        plotly_geo_dir() / "cb_2016_us_county_500k.shp",
        engine="pyogrio",
        bbox=(west, south, east, north),
        columns=["STATEFP"],
    ).set_crs(NAD83, allow_override=True)
    out = np.zeros((grid.height, grid.width), np.uint8)
    if counties.empty:
        return out
    counties = counties.to_crs(grid.crs)
    shapes = ((g, int(fp)) for g, fp in zip(counties.geometry, counties["STATEFP"], strict=True))
    rasterio.features.rasterize(shapes, out=out, transform=grid.transform, all_touched=False)
    return out


def state_postal(statefp: str) -> str | None:
    hit = states().query("STATEFP == @statefp")
    return str(hit["STUSPS"].iloc[0]) if len(hit) else None


def states_overlapping(geometry: shapely.Geometry, crs: object) -> list[tuple[str, str, float]]:
    """(STATEFP, postal code, overlap km²) of the states a geometry overlaps, largest first."""
    st = states().to_crs(EQUAL_AREA)
    g = gpd.GeoSeries([geometry], crs=crs).to_crs(EQUAL_AREA).iloc[0]
    near = st[st.intersects(g)]
    out = [
        (str(r.STATEFP), str(r.STUSPS), float(shapely.intersection(r.geometry, g).area) / 1e6)
        for r in near.itertuples()
    ]
    return sorted(out, key=lambda t: -t[2])


def check_conus(geometry: shapely.Geometry, crs: object, label: str) -> str | None:
    """Refuse a boundary outside the conterminous US; return the postal code of its main state."""
    over = states_overlapping(geometry, crs)
    conus = [o for o in over if o[0] not in NON_CONUS_FIPS]
    if not conus:
        where = f"in {', '.join(o[1] for o in over)}" if over else "outside every U.S. state"
        raise FetchError(
            f"boundary {label} lies {where}, outside the conterminous US covered by NLCD (CONUS)",
            hint="learn fetch reads the CONUS products; give a boundary in the lower 48 states or DC",
        )
    return conus[0][1]


def county(geoid: str) -> CensusBoundary:
    """A county by its 5-digit GEOID (state FIPS + county FIPS), offline from plotly-geo."""
    if not re.fullmatch(r"\d{5}", geoid):
        raise FetchError(
            f"county GEOID '{geoid}' must be 5 digits (state FIPS + county FIPS)",
            hint="e.g. --county 25015 (Hampshire County, MA)",
        )
    counties = _read_census("cb_2016_us_county_500k")
    hit = counties[counties["GEOID"] == geoid]
    if hit.empty:
        same_state = counties[counties["STATEFP"] == geoid[:2]]
        pool = same_state if len(same_state) else counties
        labels = [f"{g} ({n})" for g, n in zip(pool["GEOID"], pool["NAME"], strict=True)]
        near = close_matches(geoid, pool["GEOID"].tolist(), what="counties")
        hint = (
            near
            if near.startswith("did you mean")
            else f"counties of state {geoid[:2]}: " + ", ".join(labels[:12])
        )
        if not len(same_state):
            hint = f"no state has FIPS code {geoid[:2]}; {near}"
        raise FetchError(f"unknown county GEOID '{geoid}' (Census 2016 counties)", hint=hint)
    frame = hit[["GEOID", "NAME", "STATEFP", "geometry"]].reset_index(drop=True)
    frame.insert(2, LABEL_FIELD, [county_labels().get(geoid, str(frame["NAME"].iloc[0]))])
    return CensusBoundary(
        frame=frame,
        source=f"{COUNTY_SOURCE} (offline copy shipped by plotly-geo), GEOID {geoid}",
        state=state_postal(geoid[:2]),
        name_field=LABEL_FIELD,
    )


#: How a fetched county's manifest names its boundary source (the start of ``boundary.source``).
COUNTY_SOURCE = "U.S. Census Bureau cb_2016_us_county_500k"


#: Census LSAD codes of county-equivalents → the word a name takes ("Hampshire County").
_LSAD_WORD = {"06": "County", "15": "Parish", "04": "Borough", "05": "Census Area", "03": "City and Borough",
              "12": "Municipality", "25": "city", "07": "District"}  # fmt: skip


@functools.cache
def conus_counties() -> tuple[tuple[str, str, str], ...]:
    """Every county of the conterminous US (what ``learn fetch`` reads): (GEOID, "Hampshire County", "MA"),
    sorted by state and name, from the offline Census file (attributes only: no geometry is read)."""
    import pyogrio

    df = pyogrio.read_dataframe(
        plotly_geo_dir() / "cb_2016_us_county_500k.shp",
        read_geometry=False,
        columns=["GEOID", "NAME", "LSAD", "STATEFP"],
    )
    postal = dict(zip(states()["STATEFP"], states()["STUSPS"], strict=True))
    rows = [
        (g, f"{n} {_LSAD_WORD[lsad]}" if lsad in _LSAD_WORD else n, postal.get(fp, fp))
        for g, n, lsad, fp in zip(df["GEOID"], df["NAME"], df["LSAD"], df["STATEFP"], strict=True)
        if fp not in NON_CONUS_FIPS
    ]
    return tuple(sorted(rows, key=lambda r: (r[2], r[1])))


@functools.cache
def county_labels() -> dict[str, str]:
    """Every conterminous county's display name by GEOID: {"25015": "Hampshire County, MA", ...}."""
    return {g: with_state(n, st) for g, n, st in conus_counties()}


def place(geoid: str, catalog: Catalog, year: int | None = None) -> CensusBoundary:
    """A place (city, town, CDP) by its 7-digit GEOID from its state's TIGER/Line place file (online)."""
    if not re.fullmatch(r"\d{7}", geoid):
        raise FetchError(
            f"place GEOID '{geoid}' must be 7 digits (state FIPS + place FIPS)",
            hint="e.g. --place 2546330 (Northampton city, MA)",
        )
    key, spec = dataset_for_layer(catalog, "place_boundaries")
    years = sorted(spec.years or [])
    use_year = year if year is not None else (years[-1] if years else None)
    if use_year is None:
        raise FetchError(f"dataset '{key}' lists no years", hint="add the TIGER vintages to its 'years'")
    src = source_file(key, spec, use_year, state_fips=geoid[:2])
    try:
        with gdal_http_env(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's HTTP warning; the error below says it
            frame = pyogrio.read_dataframe(src.path, where=f"GEOID = '{geoid}'")
    except Exception as err:  # pyogrio raises DataSourceError and friends
        raise FetchError(
            f"cannot read the TIGER places of state {geoid[:2]} from {src.url}: {err}",
            hint="--place needs the Internet (Census TIGER); offline, pass the polygon with --boundary-file",
        ) from None
    if frame.empty:
        raise FetchError(
            f"no place with GEOID '{geoid}' in {src.url}",
            hint="look the GEOID up on https://data.census.gov or pass the polygon with --boundary-file",
        )
    if frame.crs is None:
        frame = frame.set_crs(NAD83)
    state = state_postal(geoid[:2])
    kind_name = frame["NAMELSAD"] if "NAMELSAD" in frame else frame["NAME"]  # "Northampton city"
    frame = gpd.GeoDataFrame(frame[["GEOID", "NAME", "STATEFP", "geometry"]].reset_index(drop=True))
    frame.insert(2, LABEL_FIELD, [with_state(str(n), state) for n in kind_name])
    return CensusBoundary(
        frame=frame,
        source=f"U.S. Census Bureau TIGER/Line {use_year} places, {src.url}, GEOID {geoid}",
        state=state,
        name_field=LABEL_FIELD,
    )
