"""ArcGIS REST MapServer / FeatureServer layer ``query`` for ``learn fetch``: the features in a box.

:func:`layer_info` reads the layer's JSON metadata (``<layer>?f=json``: fields, ``maxRecordCount``,
``supportedQueryFormats``, pagination support); :func:`query_features` asks ``<layer>/query`` for the
features intersecting an envelope that match a ``where`` clause, page by page (``resultOffset`` /
``resultRecordCount`` in steps of the service's ``maxRecordCount``, until the answer no longer says
``exceededTransferLimit``), in GeoJSON when the layer offers it and in Esri JSON otherwise (both read
by GDAL's GeoJSON / ESRIJSON drivers through pyogrio, so rings and holes follow GDAL's rules).

Every request carries the project's User-Agent and a timeout; refusals that may pass (HTTP 429 and
5xx, timeouts, dropped connections) are retried with exponential backoff. ArcGIS reports most faults
as ``{"error": {"code", "message", "details"}}`` with HTTP 200: those are shown as a FetchError.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataSourceError, FeatureError

from learn.sources.http import RETRY_STATUSES, DeadlineExceeded, HttpPolicy, Unreachable, get_bytes
from learn.sources.remote import FetchError

#: A server that keeps saying "more" without giving features would loop for ever: stop after this many pages.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class FeatureLayer:
    """What a layer's metadata says that a query needs."""

    url: str  # …/MapServer/<id> or …/FeatureServer/<id>, no trailing slash, no query
    name: str
    geometry_type: str
    fields: tuple[str, ...]
    object_id_field: str | None
    max_record_count: int
    geojson: bool  # ``geoJSON`` is among supportedQueryFormats
    pagination: bool  # advancedQueryCapabilities.supportsPagination

    def field_named(self, wanted: str) -> str:
        """The layer's spelling of field ``wanted`` (ArcGIS field names are case-insensitive)."""
        for f in self.fields:
            if f.lower() == wanted.lower():
                return f
        raise FetchError(
            f"layer '{self.name}' ({self.url}) has no field '{wanted}'",
            hint=f"its fields: {', '.join(self.fields)}; set the field name in the catalog dataset",
        )


@dataclass
class QueryResult:
    """The features found (a GeoDataFrame in EPSG:4326) and every request made, for the manifest."""

    features: gpd.GeoDataFrame
    requests: list[str] = field(default_factory=list)


def _arcgis_error(doc: Any, url: str) -> FetchError | None:
    """The FetchError for an ArcGIS ``{"error": …}`` answer (sent with HTTP 200 or 4xx/5xx), else None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), dict):
        return None
    err = doc["error"]
    details = [str(d) for d in err.get("details") or [] if d]
    text = " ".join(filter(None, [str(err.get("message") or "").strip(), *details]))
    return FetchError(
        f"the ArcGIS service answered error {err.get('code', '?')}: {text or 'no message'} ({url})",
        hint="check the dataset's href (a layer URL ending in /MapServer/<id> or /FeatureServer/<id>), "
        "its field names and years in the catalog",
    )


def get_json(
    url: str, policy: HttpPolicy = HttpPolicy(), *, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """GET ``url`` and parse its JSON, retrying what may pass; a FetchError naming the fault otherwise."""
    try:
        body = get_bytes(url, policy, {"Accept": "application/json"}, sleep=sleep)
    except urllib.error.HTTPError as err:
        body = err.read() or b""
        with contextlib.suppress(ValueError):  # an error page that is not JSON is no ArcGIS error
            if (fault := _arcgis_error(json.loads(body), url)) is not None and err.code not in RETRY_STATUSES:
                raise fault from None
        tries = getattr(err, "attempts", 1)
        raise FetchError(
            f"the ArcGIS service refused {url}: HTTP {err.code} {err.reason}"
            + (f" after {tries} tries" if tries > 1 else ""),
            hint="403: the host blocks this network (try another network or a mirror in the catalog's href); "
            "404: check the layer URL; 429/5xx: the service is busy, try again later",
        ) from None
    except DeadlineExceeded as err:
        raise FetchError(
            f"the ArcGIS service at {url} gave {err.reason}",
            hint="the service is too slow or stalled: try again later, or raise the dataset's deadline_s "
            "in the catalog",
        ) from None
    except Unreachable as err:
        raise FetchError(
            f"cannot reach the ArcGIS service at {url}: {err.reason} (after {err.attempts} tries)",
            hint="check the network connection and the dataset's href in the catalog",
        ) from None
    try:
        doc = json.loads(body)
    except ValueError:
        text = " ".join(body[:300].decode("utf-8", "replace").split())
        raise FetchError(
            f"the ArcGIS service answered no JSON for {url}: {text!r}",
            hint="the href must be an ArcGIS REST layer (…/MapServer/<id>), not a web page",
        ) from None
    if (fault := _arcgis_error(doc, url)) is not None:
        raise fault
    return doc


def layer_info(url: str, policy: HttpPolicy = HttpPolicy()) -> FeatureLayer:
    """Read the layer's metadata (``?f=json``) and keep what :func:`query_features` needs."""
    url = url.rstrip("/")
    return feature_layer(url, get_json(f"{url}?{urllib.parse.urlencode({'f': 'json'})}", policy))


def feature_layer(url: str, doc: Any) -> FeatureLayer:
    """The :class:`FeatureLayer` of a layer's JSON metadata ``doc``; a FetchError when it is no feature layer."""
    if not isinstance(doc, dict) or "fields" not in doc or doc.get("type") not in ("Feature Layer", "Table"):
        what = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise FetchError(
            f"{url} is not an ArcGIS feature layer (its metadata says type {what!r})",
            hint="point the catalog's href at one layer: …/MapServer/<id> or …/FeatureServer/<id>",
        )
    formats = {f.strip().lower() for f in str(doc.get("supportedQueryFormats") or "JSON").split(",")}
    advanced = doc.get("advancedQueryCapabilities") or {}
    return FeatureLayer(
        url=url,
        name=str(doc.get("name") or url),
        geometry_type=str(doc.get("geometryType") or ""),
        fields=tuple(str(f["name"]) for f in doc.get("fields") or [] if isinstance(f, dict) and "name" in f),
        object_id_field=doc.get("objectIdField"),
        # ArcGIS Server's default when a layer does not say: 1000 (MapServer) — never ask for more.
        max_record_count=int(doc.get("maxRecordCount") or 1000),
        geojson="geojson" in formats,
        pagination=bool(advanced.get("supportsPagination", False)),
    )


def distinct_url(layer: FeatureLayer, field_name: str, where: str = "1=1") -> str:
    """The ``query`` URL asking the distinct values of ``field_name`` among the features matching ``where``
    (no box): ``returnDistinctValues=true``, ``returnGeometry=false``, that one field in ``outFields``."""
    name = layer.field_named(field_name)
    params = {
        "where": where,
        "outFields": name,
        "returnDistinctValues": "true",
        "returnGeometry": "false",
        "orderByFields": name,
        "f": "json",
    }
    return f"{layer.url}/query?{urllib.parse.urlencode(params)}"


def distinct_from(doc: Any, field_name: str, url: str) -> list[str]:
    """The values of a distinct-values answer: ArcGIS sends Esri JSON features holding attributes only."""
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise FetchError(
            f"the ArcGIS service's distinct-values answer has no 'features' ({url})",
            hint="the layer must support query with returnDistinctValues (ArcGIS Server 10.1 and later)",
        )
    values = set()
    for feat in doc["features"]:
        attrs = feat.get("attributes") if isinstance(feat, dict) else None
        if isinstance(attrs, dict):
            # The answer spells the field as the layer does, or in another case: match without case.
            got = next((v for k, v in attrs.items() if k.lower() == field_name.lower()), None)
            if got is not None:
                values.add(str(got))
    return sorted(values)


def distinct_values(
    layer: FeatureLayer, field_name: str, where: str = "1=1", *, policy: HttpPolicy = HttpPolicy()
) -> tuple[list[str], str]:
    """The distinct values of ``field_name`` among the layer's features matching ``where`` (no box), and
    the URL asked (:func:`distinct_url`)."""
    url = distinct_url(layer, field_name, where)
    return distinct_from(get_json(url, policy), field_name, url), url


def query_url(
    layer: FeatureLayer,
    bbox_4326: tuple[float, float, float, float],
    where: str,
    out_fields: Sequence[str],
    offset: int,
    count: int,
) -> str:
    """The ``query`` URL of one page: features intersecting the lon/lat envelope that match ``where``."""
    params: dict[str, Any] = {
        "where": where,
        "geometry": ",".join(f"{v:.7f}" for v in bbox_4326),
        "geometryType": "esriGeometryEnvelope",
        "inSR": 4326,
        "spatialRel": "esriSpatialRelIntersects",
        "outFields": ",".join(out_fields),
        "returnGeometry": "true",
        "outSR": 4326,
        "f": "geojson" if layer.geojson else "json",
    }
    if layer.pagination:
        # A stable order makes offsets mean the same rows from page to page (ArcGIS's advice for paging).
        if layer.object_id_field:
            params["orderByFields"] = f"{layer.object_id_field} ASC"
        params.update(resultOffset=offset, resultRecordCount=count)
    return f"{layer.url}/query?{urllib.parse.urlencode(params)}"


def _page_frame(doc: dict[str, Any]) -> gpd.GeoDataFrame:
    """One page (GeoJSON or Esri JSON, GDAL tells them apart) as a GeoDataFrame in EPSG:4326."""
    if not doc.get("features"):
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    # Without the paging flags: GDAL would otherwise try to fetch the next page itself (from no URL).
    page = {k: v for k, v in doc.items() if k not in ("exceededTransferLimit", "properties")}
    try:
        frame = pyogrio.read_dataframe(io.BytesIO(json.dumps(page).encode()))
    except (DataSourceError, FeatureError) as err:
        raise FetchError(
            f"the ArcGIS service's answer holds features GDAL cannot read: {err}",
            hint="ask the service's owner; the answer must be GeoJSON or Esri JSON",
        ) from None
    return frame if frame.crs is not None else frame.set_crs("EPSG:4326")


def _exceeded(doc: dict[str, Any]) -> bool:
    """More features wait: Esri JSON says so at the top, GeoJSON under ``properties``."""
    return bool(
        doc.get("exceededTransferLimit") or (doc.get("properties") or {}).get("exceededTransferLimit")
    )


def query_features(
    layer: FeatureLayer,
    bbox_4326: tuple[float, float, float, float],
    where: str,
    out_fields: Sequence[str],
    *,
    policy: HttpPolicy = HttpPolicy(),
    progress: Callable[[int], None] | None = None,
) -> QueryResult:
    """Every feature of ``layer`` intersecting the envelope and matching ``where``, all pages read."""
    frames: list[gpd.GeoDataFrame] = []
    urls: list[str] = []
    offset, page_size = 0, layer.max_record_count
    for _ in range(MAX_PAGES):
        url = query_url(layer, bbox_4326, where, out_fields, offset, page_size)
        urls.append(url)
        doc = get_json(url, policy)
        if not isinstance(doc, dict) or "features" not in doc:
            raise FetchError(
                f"the ArcGIS service's query answer has no 'features' ({url})",
                hint="the href must be a feature layer whose query returns GeoJSON or Esri JSON",
            )
        frame = _page_frame(doc)
        frames.append(frame)
        offset += len(frame)
        if progress:
            progress(offset)
        if not _exceeded(doc):
            break
        if not layer.pagination or len(frame) == 0:
            raise FetchError(
                f"layer '{layer.name}' holds more than {offset} matching features in the box and cannot "
                "page through them (no pagination support, or an empty page that says 'more')",
                hint="fetch a smaller boundary, or use the bulk download documented in docs/fetch.md",
            )
    else:
        raise FetchError(
            f"layer '{layer.name}': more than {MAX_PAGES} pages", hint="fetch a smaller boundary"
        )
    non_empty = [f for f in frames if len(f)]
    features = (
        gpd.GeoDataFrame(pd.concat(non_empty, ignore_index=True), crs="EPSG:4326")
        if non_empty
        else gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    )
    return QueryResult(features=features, requests=urls)
