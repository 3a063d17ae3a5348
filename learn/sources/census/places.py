"""The places (cities, towns, CDPs) of one state, for a picker: read once from the state's TIGER/Line place
file (catalog dataset ``tiger_places``, online), then from a JSON copy on disk.

Only the attribute table is read (``read_geometry=False``: the .dbf inside the zip, through range requests),
GEOID, NAMELSAD ("Northampton city") and ALAND (land area, m²). GDAL's in-process cache of the file is cleared
after the read (``pyogrio.vsi_curl_clear_cache``): the disk copy is the one cache, so a state's list costs its
HTTP requests once per vintage and source URL, whatever the process.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyogrio

from learn.sources.catalog import Catalog
from learn.sources.census.tiger import NON_CONUS_FIPS, states
from learn.sources.http import HttpPolicy, Unreachable, open_url
from learn.sources.remote import FetchError, dataset_for_layer, gdal_http_env, source_file, vsi_path
from learn.util import write_text_atomic

#: Bumped when the cached file's layout changes (older copies are then read again from the source).
CACHE_LAYOUT = 1


class SourceUnreachable(FetchError):
    """A public source could not be read (no answer, an HTTP error, not the file expected)."""

    def __init__(self, message: str, hint: str | None = None, *, dataset: str, url: str) -> None:
        super().__init__(message, hint)
        self.dataset, self.url = dataset, url


class UnknownState(FetchError):
    """A state code that is not a state (or DC) of the conterminous US."""


@dataclass(frozen=True)
class PlaceRow:
    """One place of the TIGER/Line place file."""

    geoid: str  # 7 digits: state FIPS + place FIPS
    name: str  # NAMELSAD, e.g. "Northampton city", "Amherst Center CDP"
    state: str  # postal code
    land_km2: float | None  # ALAND / 1e6 (Census land area); None when the file has no ALAND


@dataclass(frozen=True)
class StatePlaces:
    """A state's places and where they were read from."""

    statefp: str
    state: str
    year: int
    dataset: str
    url: str
    places: list[PlaceRow]
    from_cache: bool


def conus_state(code: str) -> tuple[str, str]:
    """(STATEFP, postal code) of a state of the conterminous US or DC, given as 2-digit FIPS or postal code."""
    code = code.strip().upper()
    if not re.fullmatch(r"\d{2}|[A-Z]{2}", code):
        raise UnknownState(
            f"state '{code}' is neither a 2-digit FIPS code nor a postal code",
            hint="e.g. 25 or MA for Massachusetts",
        )
    table = states()
    by = "STATEFP" if code.isdigit() else "STUSPS"
    hit = table[table[by] == code]
    if hit.empty:
        raise UnknownState(f"no U.S. state has the code '{code}'", hint="e.g. 25 or MA for Massachusetts")
    statefp, postal = str(hit["STATEFP"].iloc[0]), str(hit["STUSPS"].iloc[0])
    if statefp in NON_CONUS_FIPS:
        raise UnknownState(
            f"{postal} lies outside the conterminous US covered by NLCD (CONUS)",
            hint="pick a place in the lower 48 states or DC",
        )
    return statefp, postal


def _cache_file(cache_dir: Path, year: int, statefp: str, url: str) -> Path:
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]  # another source URL is another list
    return cache_dir / f"tl_{year}_{statefp}_place.{tag}.json"


def _why(url: str, gdal_error: Exception) -> str:
    """Why GDAL could not open the file: one plain GET of its first byte tells a host that does not answer or
    an HTTP error (GDAL only says "does not exist") from a file that is there but not a place shapefile zip."""
    if not url.startswith(("http://", "https://")):
        return str(gdal_error)
    try:
        open_url(url, HttpPolicy(timeout_s=15, retries=0), {"Range": "bytes=0-0"}).close()
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code} {err.reason}"
    except Unreachable as err:
        return f"no answer ({err.reason})"
    return f"not a readable zip of a place shapefile ({gdal_error})"


def _read_source(path: str, url: str, dataset: str, statefp: str, postal: str) -> list[PlaceRow]:
    try:
        with gdal_http_env(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's HTTP warning; the error below says it
            fields = set(pyogrio.read_info(path)["fields"])
            columns = [c for c in ("GEOID", "NAME", "NAMELSAD", "ALAND") if c in fields]
            frame = pyogrio.read_dataframe(path, read_geometry=False, columns=columns)
    except Exception as err:  # pyogrio raises DataSourceError and friends
        pyogrio.vsi_curl_clear_cache(vsi_path(url))  # a failure is not remembered either
        raise SourceUnreachable(
            f"cannot read the TIGER places of {postal} ({dataset}) from {url}: {_why(url, err)}",
            hint="places are read online from Census TIGER",
            dataset=dataset,
            url=url,
        ) from None
    pyogrio.vsi_curl_clear_cache(vsi_path(url))  # the disk copy is the one cache (module docstring)
    if "GEOID" not in fields or not {"NAME", "NAMELSAD"} & fields:
        raise SourceUnreachable(
            f"{url} is not a TIGER/Line place file: it has no GEOID and NAMELSAD (or NAME) fields",
            hint=f"check the href of the catalog dataset '{dataset}'",
            dataset=dataset,
            url=url,
        )
    names = frame["NAMELSAD"] if "NAMELSAD" in frame else frame["NAME"]
    land = frame["ALAND"] if "ALAND" in frame else [None] * len(frame)
    rows = [
        PlaceRow(geoid=str(g), name=str(n), state=postal, land_km2=None if a is None else float(a) / 1e6)
        for g, n, a in zip(frame["GEOID"], names, land, strict=True)
        if str(g).startswith(statefp)
    ]
    return sorted(rows, key=lambda r: (r.name.casefold(), r.geoid))


def places_of_state(
    state: str, catalog: Catalog, cache_dir: Path | None = None, year: int | None = None
) -> StatePlaces:
    """Every place of a CONUS state (FIPS or postal code) from its TIGER/Line place file, sorted by name.

    ``year``: the TIGER vintage (default: the latest the catalog lists, as ``learn fetch --place``).
    ``cache_dir``: where the list is kept after the first read (nothing kept when None).
    """
    statefp, postal = conus_state(state)
    key, spec = dataset_for_layer(catalog, "place_boundaries")
    years = sorted(spec.years or [])
    use_year = year if year is not None else (years[-1] if years else None)
    if use_year is None:
        raise FetchError(f"dataset '{key}' lists no years", hint="add the TIGER vintages to its 'years'")
    src = source_file(key, spec, use_year, state_fips=statefp)
    cached = _cache_file(cache_dir, use_year, statefp, src.url) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        doc = json.loads(cached.read_text(encoding="utf-8"))
        if doc.get("layout") == CACHE_LAYOUT and doc.get("url") == src.url:
            rows = [PlaceRow(**r) for r in doc["places"]]
            return StatePlaces(statefp, postal, use_year, key, src.url, rows, from_cache=True)
    rows = _read_source(src.path, src.url, key, statefp, postal)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "layout": CACHE_LAYOUT,
            "dataset": key,
            "url": src.url,
            "year": use_year,
            "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "places": [asdict(r) for r in rows],
        }
        write_text_atomic(cached, json.dumps(doc, ensure_ascii=False))
    return StatePlaces(statefp, postal, use_year, key, src.url, rows, from_cache=False)
