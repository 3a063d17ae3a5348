"""Public data sources for ``learn fetch``: which catalog dataset feeds which layer, and how to read it.

The catalog's ``datasets:`` section is the configuration: each source has an ``href`` template
(``{year}``, ``{state_fips}``), published ``years``, a ``version`` and, for zip bundles, the
``member`` file inside the archive. Pointing ``href`` at another server (a mirror, a local copy,
the test server) needs no code change.

Remote files are opened through GDAL's ``/vsicurl/`` (HTTP range requests), zip bundles through
``/vsizip//vsicurl/``; :func:`gdal_http_env` holds the GDAL settings that keep that cheap.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

import rasterio
from rasterio.errors import RasterioIOError

from learn.errors import LearnError
from learn.sources.arcgis.image_request import ImageRequest, image_request
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.http import deadline_of


class FetchError(LearnError):
    """A public source cannot be read for the requested boundary and years."""


#: GDAL settings for reading COGs over HTTP (titiler's recommendations, see docs/fetch.md).
GDAL_HTTP_OPTIONS: dict[str, str] = {
    # Do not list the remote "directory" looking for side-car files (.ovr, .aux.xml): saves requests.
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    # Only try to open URLs with these endings as files (no HEAD probing of anything else).
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.zip",
    # The first GET fetches 32 KiB: a COG's header and tile index usually fit, so opening costs one request.
    "GDAL_INGESTED_BYTES_AT_OPEN": "32768",
    # Adjacent tiles are fetched in one range request instead of one request per tile.
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    # HTTP/2 multiplexes parallel range requests over one connection (servers without it fall back).
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_VERSION": "2",
    # Keep fetched blocks in memory so overlapping windows are not downloaded twice.
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": str(64 * 1024 * 1024),
    # Fail fast on an unreachable host; retry transient server errors (429/5xx) a little.
    "GDAL_HTTP_CONNECTTIMEOUT": "15",
    "GDAL_HTTP_TIMEOUT": "120",
    "GDAL_HTTP_MAX_RETRY": "3",
    "GDAL_HTTP_RETRY_DELAY": "1",
}


@contextlib.contextmanager
def gdal_http_env(**extra: Any) -> Iterator[rasterio.Env]:
    """``rasterio.Env`` with :data:`GDAL_HTTP_OPTIONS` (plus ``extra``) for remote reads."""
    with rasterio.Env(**{**GDAL_HTTP_OPTIONS, **extra}) as env:
        yield env


#: Object-store URL schemes and the GDAL virtual file systems that read them (credentials and options
#: such as ``AWS_REQUEST_PAYER`` come from the environment or the dataset's ``gdal_options``).
OBJECT_STORES = {"s3://": "/vsis3/", "gs://": "/vsigs/", "az://": "/vsiaz/"}


def vsi_path(url: str, member: str | None = None) -> str:
    """GDAL path of a URL (http(s), s3://, gs://, az://) or local file; ``member`` = file inside a zip."""
    scheme, sep, rest = url.partition("://")
    store = OBJECT_STORES.get(f"{scheme}://") if sep else None
    base = (store + rest) if store else (f"/vsicurl/{url}" if sep else url)
    if member:
        return f"/vsizip/{base}/{member}"
    return base


@dataclass(frozen=True)
class SourceFile:
    """One file of a public dataset (for one year, one disturbance period, or for all years): where it
    is and what to cite."""

    dataset: str
    year: int | None
    url: str  # the published file (COG or zip bundle)
    path: str  # what GDAL opens (/vsicurl/…, /vsizip//vsicurl/…/member, or a local path)
    kind: str  # categorical | continuous
    version: str | None
    citation: str
    license: str
    is_cog: bool
    period: tuple[int, int] | None = None  # (start, end) of a disturbance period
    #: GDAL configuration the source needs (e.g. {"AWS_REQUEST_PAYER": "requester"}), from the catalog.
    gdal_options: tuple[tuple[str, str], ...] = ()
    member: str | None = None  # the file inside a zip bundle, as the catalog names it
    #: "gdal": a file GDAL opens; "wcs": a coverage service (learn.sources.nlcd.wcs); "arcgis_image": an
    #: ArcGIS ImageServer (learn.sources.arcgis.image); the last two answer for the grid's box.
    protocol: str = "gdal"
    wcs_coverage: str | None = None
    wcs_time: str | None = None  # the time instant asked for (WCS ``time``), from the dataset's template
    grid_origin: tuple[float, float] | None = None  # a pixel corner of the coverage (WCS sources)
    image: ImageRequest | None = None  # the exportImage parameters (arcgis_image sources)
    #: The total deadline of each HTTP request to a service (wcs, arcgis_image), from the dataset's
    #: ``deadline_s``; None: the reader's default (learn.sources.http).
    deadline_s: float | None = None

    def with_member(self, member: str) -> SourceFile:
        """The same source with another file inside its zip (the catalog's ``member`` sits elsewhere)."""
        return replace(self, member=member, path=vsi_path(self.url, member))

    @property
    def when(self) -> str:
        """``2011``, ``2011-2013`` or ``""`` (a layer for all years), for messages."""
        if self.period is not None:
            return f"{self.period[0]}-{self.period[1]}"
        return str(self.year) if self.year is not None else ""

    def as_manifest(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "year": self.year,
            "period": list(self.period) if self.period is not None else None,
            "url": self.url,
            "read_as": self.path,
            "version": self.version,
            "citation": self.citation,
            "license": self.license,
            "cloud_optimized": self.is_cog,
            **(
                {"protocol": "wcs", "coverage": self.wcs_coverage, "time": self.wcs_time}
                if self.protocol == "wcs"
                else {}
            ),
            **(self.image.as_manifest() if self.image is not None else {}),
            **({"gdal_options": dict(self.gdal_options)} if self.gdal_options else {}),
        }


def dataset_for_layer(catalog: Catalog, layer: str, key: str | None = None) -> tuple[str, DatasetSpec]:
    """The dataset feeding ``layer``: ``key`` if given, else the one whose ``fetch_layer`` is ``layer``."""
    if key is not None:
        if key not in catalog.datasets:
            raise FetchError(
                f"unknown dataset '{key}' in catalog {catalog.path}",
                hint=f"datasets: {', '.join(sorted(catalog.datasets))}",
            )
        return key, catalog.datasets[key]
    hits = [(k, d) for k, d in catalog.datasets.items() if extra(d, "fetch_layer") == layer]
    if not hits:
        raise FetchError(
            f"no dataset in catalog {catalog.path} is marked 'fetch_layer: {layer}'",
            hint="add `fetch_layer: "
            + layer
            + "` to the dataset learn fetch should read (see docs/fetch.md)",
        )
    return hits[0]


def extra(spec: DatasetSpec, name: str) -> Any:
    """An extra key of a dataset entry (``DatasetSpec`` allows keys beyond its fields)."""
    return (spec.model_extra or {}).get(name)


def published_years(key: str, spec: DatasetSpec) -> list[int]:
    if not spec.years:
        raise FetchError(f"dataset '{key}' lists no 'years'", hint="add the published years to its entry")
    return sorted(spec.years)


def periods_within(key: str, spec: DatasetSpec, start: int, end: int) -> list[tuple[int, int]]:
    """The published periods of a per-period dataset (disturbance) that lie inside ``[start, end]``."""
    if not spec.periods:
        raise FetchError(
            f"dataset '{key}' lists no 'periods'",
            hint="add the published periods to its entry, e.g. periods: [[2011, 2013], [2013, 2016]]",
        )
    return sorted((int(a), int(b)) for a, b in spec.periods if start <= a and b <= end)


def check_published(key: str, spec: DatasetSpec, years: list[int]) -> None:
    """Refuse years the dataset does not publish, listing the ones it does."""
    published = published_years(key, spec)
    missing = [y for y in years if y not in published]
    if missing:
        raise FetchError(
            f"{spec.title} ('{key}') is not published for {', '.join(map(str, missing))}",
            hint=f"published years: {', '.join(map(str, published))}",
        )


def source_file(
    key: str,
    spec: DatasetSpec,
    year: int | None,
    period: tuple[int, int] | None = None,
    **fmt: str,
) -> SourceFile:
    """The file of ``spec`` for ``year`` or ``period`` (href and member templates filled in: ``{year}``,
    ``{start}``, ``{end}`` and the keywords in ``fmt``)."""
    values: dict[str, Any] = {"year": year, **fmt}
    if period is not None:
        values.update(start=period[0], end=period[1])
    if extra(spec, "protocol") == "arcgis_image":
        return _image_source(key, spec, year, period, values)
    if not isinstance(spec.href, str):
        raise FetchError(
            f"dataset '{key}': only an ArcGIS image service (protocol: arcgis_image) may list several hrefs",
            hint="give one URL or path as href",
        )
    try:
        url = spec.href.format(**values)
        member_t = extra(spec, "member")
        member = str(member_t).format(**values) if member_t else None
    except KeyError as err:
        raise FetchError(f"dataset '{key}': href template needs {err}", hint=f"href is {spec.href}") from None
    is_zip = url.lower().endswith(".zip")
    if is_zip and not member:
        raise FetchError(
            f"dataset '{key}' is a zip bundle without 'member'",
            hint="add `member: <file inside the zip>` (may contain {year}) to its catalog entry",
        )
    if extra(spec, "protocol") == "wcs":
        return _wcs_source(key, spec, year, values, url)
    options = extra(spec, "gdal_options") or {}
    if not isinstance(options, dict):
        raise FetchError(
            f"dataset '{key}': gdal_options must be a mapping",
            hint="e.g. gdal_options: {AWS_REQUEST_PAYER: requester}",
        )
    return SourceFile(
        dataset=key,
        year=year,
        url=url,
        path=vsi_path(url, member if is_zip else None),
        kind=spec.kind,
        version=str(extra(spec, "version")) if extra(spec, "version") is not None else None,
        citation=spec.citation,
        license=spec.license,
        is_cog=not is_zip,
        period=period,
        gdal_options=tuple(sorted((str(k), str(v)) for k, v in options.items())),
        member=member if is_zip else None,
    )


def _wcs_source(
    key: str, spec: DatasetSpec, year: int | None, values: dict[str, Any], url: str
) -> SourceFile:
    """A coverage-service source: ``href`` is the service URL, ``coverage`` its id, ``time`` a template."""
    coverage, time_t, origin = extra(spec, "coverage"), extra(spec, "time"), extra(spec, "grid_origin")
    if not coverage:
        raise FetchError(f"dataset '{key}' (protocol: wcs) has no 'coverage'", hint="add the coverage id")
    return SourceFile(
        dataset=key,
        year=year,
        url=url,
        path=url,
        kind=spec.kind,
        version=str(extra(spec, "version")) if extra(spec, "version") is not None else None,
        citation=spec.citation,
        license=spec.license,
        is_cog=False,
        protocol="wcs",
        wcs_coverage=str(coverage),
        wcs_time=str(time_t).format(**values) if time_t else None,
        grid_origin=(float(origin[0]), float(origin[1])) if origin else None,
        deadline_s=_deadline_s(key, spec),
    )


def _image_source(
    key: str, spec: DatasetSpec, year: int | None, period: tuple[int, int] | None, values: dict[str, Any]
) -> SourceFile:
    """An ArcGIS ImageServer source: ``href`` is the service URL (or a list: other hosts of the same service)."""
    request = image_request(key, spec, values)
    rules = "&".join(
        f"{n}={v}"
        for n, v in (("renderingRule", request.rendering_rule), ("mosaicRule", request.mosaic_rule))
        if v
    )
    return SourceFile(
        dataset=key,
        year=year,
        url=f"{request.hosts[0]}/exportImage" + (f"?{rules}" if rules else ""),  # names the product
        path=request.hosts[0],
        kind=spec.kind,
        version=str(extra(spec, "version")) if extra(spec, "version") is not None else None,
        citation=spec.citation,
        license=spec.license,
        is_cog=False,
        period=period,
        protocol="arcgis_image",
        image=request,
        deadline_s=_deadline_s(key, spec),
    )


def _deadline_s(key: str, spec: DatasetSpec) -> float | None:
    """The dataset's ``deadline_s`` (seconds, checked), or None."""
    value = extra(spec, "deadline_s")
    return None if value is None else deadline_of(value, 0.0, f"dataset '{key}'")


def open_source(src: SourceFile) -> rasterio.io.DatasetReader:
    """Open a source raster (inside :func:`gdal_http_env`), naming the URL when it cannot be read.

    A zip bundle whose ``member`` is not where the catalog says (zips often hold a folder) is looked
    up by file name in the archive's listing (its central directory: a few range requests); the path
    actually opened is ``dataset.name``.
    """
    try:
        return rasterio.open(src.path)
    except RasterioIOError as err:
        moved = _member_elsewhere(src) if src.member else None
        if moved is not None:
            return open_source(src.with_member(moved))
        raise FetchError(
            f"cannot read {' '.join(filter(None, (src.dataset, src.when)))} from {src.url}: {err}",
            hint="check the network connection and the dataset's href in the catalog "
            "(it can point at a mirror or a local copy); offline, use a region already on disk",
        ) from None


def zip_listing(src: SourceFile) -> list[str] | None:
    """The files inside a zip bundle served over HTTP(S) or on disk; None when it cannot be listed.

    ``zipfile`` reads only the archive's central directory (at its end) through fsspec's range-reading
    HTTP file, so listing a multi-GB bundle moves a few hundred KB at most.
    """
    if src.url.startswith(tuple(OBJECT_STORES)):
        return None  # object stores: GDAL's credentials, not fsspec's; the catalog's member must be right
    import aiohttp  # only here: a listing is the rare case, and importing them costs ~0.3 s
    import fsspec

    try:
        with fsspec.open(src.url, "rb", block_size=256 * 1024) as f, zipfile.ZipFile(f) as zf:
            return [i.filename for i in zf.infolist() if not i.is_dir()]
    except (OSError, ValueError, zipfile.BadZipFile, aiohttp.ClientError):
        return None


def _member_elsewhere(src: SourceFile) -> str | None:
    """The file in the zip named like ``src.member`` (any folder, any case), else the zip's only raster;
    a FetchError listing the rasters it holds when neither exists; None when the zip cannot be listed or
    holds the member where the catalog says (it failed to open for another reason)."""
    assert src.member is not None
    files = zip_listing(src)
    if files is None:
        return None
    want = PurePosixPath(src.member).name.lower()
    hits = [f for f in files if PurePosixPath(f).name.lower() == want]
    rasters = [f for f in files if f.lower().endswith((".tif", ".tiff", ".img"))]
    if len(hits) != 1 and len(rasters) == 1:
        hits = rasters  # a bundle of one raster: that is the one, whatever its name
    if src.member in files:
        return None
    if len(hits) == 1:
        return hits[0]
    raise FetchError(
        f"{src.url} holds no file '{src.member}' for {src.dataset} {src.when}".rstrip(),
        hint=f"set the dataset's `member:` in the catalog to one of: {', '.join(rasters[:10]) or files[:10]}",
    )
