"""The ``exportImage`` parameters of an ArcGIS image-service dataset, read from its catalog entry.

Kept apart from :mod:`learn.sources.remote` (which turns any dataset into a :class:`~learn.sources.remote.SourceFile`)
so that the image-service keys (``rendering_rule``, ``mosaic_rule``, ``pixel_type``, ``band_ids``, ``scale``,
``service_units``, ``no_data``, an ``href`` list) are checked in one place; a bad entry is a :class:`~learn.errors.CatalogError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from learn.errors import CatalogError
from learn.sources.catalog import DatasetSpec


def extra(spec: DatasetSpec, name: str) -> Any:
    return (spec.model_extra or {}).get(name)


@dataclass(frozen=True)
class ImageRequest:
    """What an ArcGIS ImageServer ``exportImage`` source asks for (learn.sources.arcgis.image), from the catalog."""

    hosts: tuple[str, ...]  # service URLs (``…/ImageServer``), tried in order when one refuses
    rendering_rule: str | None = None  # JSON text, e.g. {"rasterFunction": "Litter"}
    mosaic_rule: str | None = None  # JSON text, e.g. a year's lockRasterIds
    pixel_type: str | None = None  # U8, U16, F32, …
    band_ids: str | None = None
    scale: float = 1.0  # unit factor applied to every value (BIGMAP: short tons C/pixel → t C/ha)
    service_units: str | None = None  # units the service must state (learn.sources.service_units)
    #: NoData sent as ``noData=`` (the service fills pixels without data with it) and treated as NoData in the
    #: answer, with or without a NoData tag; None: the service's own ``noDataValue(s)`` from ``?f=json``.
    no_data: float | None = None

    def as_manifest(self) -> dict[str, Any]:
        return {
            "protocol": "arcgis_image",
            "hosts": list(self.hosts),
            "rendering_rule": self.rendering_rule,
            "mosaic_rule": self.mosaic_rule,
            "pixel_type": self.pixel_type,
            "band_ids": self.band_ids,
            "scale": self.scale,
            "service_units": self.service_units,
            "no_data": self.no_data,
        }


def _json_param(key: str, spec: DatasetSpec, name: str, values: dict[str, Any]) -> str | None:
    """A JSON parameter of the dataset (a mapping in the YAML, or JSON text), as compact JSON text;
    ``{year}`` etc. are filled in inside its strings (a mosaic rule picking a year)."""
    raw = extra(spec, name)
    if raw is None:
        return None
    try:
        text = raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))
        parsed = json.loads(text)
    except (TypeError, ValueError) as err:
        raise CatalogError(
            f"dataset '{key}': {name} is not JSON ({err})", hint=f'e.g. {name}: {{rasterFunction: "None"}}'
        ) from None

    def fill(v: Any) -> Any:
        if isinstance(v, str):
            return v.format(**values) if "{" in v else v
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        return v

    try:
        return json.dumps(fill(parsed), separators=(",", ":"))
    except (KeyError, IndexError, ValueError) as err:
        raise CatalogError(
            f"dataset '{key}': {name} template needs {err}", hint=f"{name} is {text}"
        ) from None


def image_request(key: str, spec: DatasetSpec, values: dict[str, Any]) -> ImageRequest:
    """The request parameters of dataset ``key`` (``values`` fill ``{year}`` etc. in its JSON rules)."""
    hosts = tuple(str(h).rstrip("/") for h in ([spec.href] if isinstance(spec.href, str) else spec.href))
    bad = [h for h in hosts if not h.startswith(("http://", "https://")) or not h.endswith("/ImageServer")]
    if not hosts or bad:
        raise CatalogError(
            f"dataset '{key}' (protocol: arcgis_image): href {bad or '[]'} is not an image service URL",
            hint="give the service's REST URL ending in /ImageServer, e.g. "
            "https://host/arcgis/rest/services/NAME/ImageServer (a list tries each host in turn)",
        )
    scale = extra(spec, "scale")
    try:
        factor = float(scale) if scale is not None else 1.0
    except (TypeError, ValueError):
        factor = float("nan")
    if not factor > 0:
        raise CatalogError(f"dataset '{key}': scale {scale!r} is not a positive number", hint="e.g. scale: 1")
    no_data = extra(spec, "no_data")
    try:
        sent = float(no_data) if no_data is not None else None
    except (TypeError, ValueError):
        sent = float("nan")
    if sent is not None and not math.isfinite(sent):
        raise CatalogError(
            f"dataset '{key}': no_data {no_data!r} is not a finite number", hint="e.g. no_data: 0"
        )
    opt = lambda name: str(extra(spec, name)) if extra(spec, name) is not None else None  # noqa: E731
    return ImageRequest(
        hosts=hosts,
        rendering_rule=_json_param(key, spec, "rendering_rule", values),
        mosaic_rule=_json_param(key, spec, "mosaic_rule", values),
        pixel_type=opt("pixel_type"),
        band_ids=opt("band_ids"),
        scale=factor,
        service_units=opt("service_units"),
        no_data=sent,
    )
