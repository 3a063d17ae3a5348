"""``learn sources check`` for ArcGIS image services (BIGMAP, MTBS): the service JSON and a 64 × 64
``exportImage`` compared with what the catalog entry makes ``learn fetch`` ask and expect.

Every expected value comes from the dataset's catalog entry through the adapters' own readers
(:func:`~learn.sources.arcgis.image_request.image_request`, :func:`~learn.sources.remote.source_file`,
:func:`~learn.sources.arcgis.image.export_url`): the raster function of ``rendering_rule``, the units text
``service_units``, ``pixel_type``, ``no_data``, the grid asked for (EPSG:5070, 30 m). What ``learn fetch`` sends
and accepts is what is checked, by the same functions: the ``noData=`` sent
(:func:`~learn.sources.arcgis.image.no_data_sent`), the service's declared NoData
(:func:`~learn.sources.arcgis.image.service_no_data`) and the units rule (:mod:`learn.sources.service_units`).
"""

from __future__ import annotations

import contextlib
import json
import math
import urllib.parse
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rasterio.io import MemoryFile

from learn.errors import LearnError
from learn.sources.arcgis.image import arcgis_error, export_url, no_data_sent, service_no_data
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.check.models import CheckResult
from learn.sources.check.probe import Down, Probe
from learn.sources.nlcd.wcs import JITTER_M, TIFF_MAGIC
from learn.sources.remote import extra, source_file
from learn.sources.service_units import stated_units, units_fault

#: The sample block: 64 × 64 pixels of 30 m in EPSG:5070 (the grid ``learn fetch`` asks for), in forest
#: of Northampton, MA (99.9 % NLCD 2019 forest classes; the real clip of tests/data).
SAMPLE_EPSG = 5070
SAMPLE_SIZE = 64
SAMPLE_BBOX: tuple[float, float, float, float] = (1883085.0, 2381955.0, 1885005.0, 2383875.0)

#: ArcGIS pixel types → numpy dtypes; the integer types' ranges (which type holds which).
DTYPES = {"U8": "uint8", "S8": "int8", "U16": "uint16", "S16": "int16", "U32": "uint32", "S32": "int32",
          "F32": "float32", "F64": "float64"}  # fmt: skip
FLOATS = frozenset({"F32", "F64"})
#: Relative and absolute tolerance of the pool sum against the total (service units, tons per pixel).
SUM_RTOL, SUM_ATOL = 0.005, 0.01


def holds(asked: str, native: str) -> bool:
    """Whether values of ArcGIS pixel type ``native`` survive being asked for as ``asked``."""
    asked, native = asked.upper(), native.upper()
    if asked == native:
        return True
    if native in FLOATS:
        return asked == "F64"
    if native not in DTYPES or asked not in DTYPES:
        return native.startswith("U") and native[1:].isdigit() and asked in DTYPES and int(native[1:]) < 8
    if asked in FLOATS:
        return asked == "F64" or np.iinfo(DTYPES[native]).bits <= 16
    a, n = np.iinfo(DTYPES[asked]), np.iinfo(DTYPES[native])
    return a.min <= n.min and a.max >= n.max


@dataclass
class ImageSample:
    """What a dataset's first answering host gave for the sample block (for the pool-sum check)."""

    values: npt.NDArray[Any] | None = None
    nodata: set[float] | None = None
    unreachable: str | None = None


def latest_year(spec: DatasetSpec) -> int | None:
    return max(spec.years) if spec.years else None


def _result(key: str, check: str, status: str, **kw: Any) -> CheckResult:
    return CheckResult(dataset=key, check=check, status=status, **kw)


def _service(key: str, host: str, probe: Probe) -> tuple[dict[str, Any] | None, CheckResult]:
    url = f"{host}?f=json"
    try:
        a = probe.get(url)
    except Down as why:
        return None, _result(key, "service", "unreachable", detail=str(why), url=url)
    if a.status == 403 or a.status >= 500:
        return None, _result(key, "service", "unreachable", got=f"HTTP {a.status}", url=url)
    doc: Any = None
    with contextlib.suppress(ValueError):
        doc = json.loads(a.body)
    fault = arcgis_error(a.body) if a.ok else f"HTTP {a.status}"
    if fault or not isinstance(doc, dict) or "maxImageWidth" not in doc:
        got = fault or " ".join(a.body[:160].decode("utf-8", "replace").split())
        return None, _result(
            key, "service", "differs", expected="an ArcGIS ImageServer's JSON", got=got, url=url
        )
    return doc, _result(key, "service", "ok", got=f"{doc.get('name') or 'ImageServer'}", url=url)


def _metadata_checks(key: str, spec: DatasetSpec, info: dict[str, Any], url: str) -> list[CheckResult]:
    year = latest_year(spec)
    req = source_file(key, spec, year).image
    assert req is not None
    out: list[CheckResult] = []
    functions = {
        str(f.get("name")): str(f.get("description", "")) for f in info.get("rasterFunctionInfos") or []
    }
    name = json.loads(req.rendering_rule).get("rasterFunction") if req.rendering_rule else None
    if name not in (None, "None"):
        ok = name in functions
        got = name if ok else ", ".join(sorted(functions)) or "no raster functions"
        out.append(
            _result(key, "raster function", "ok" if ok else "differs", expected=name, got=got, url=url)
        )
    if req.service_units:  # the rule learn fetch applies (learn.sources.service_units)
        said = stated_units(info, req.rendering_rule, req.service_units)
        fault = units_fault(said, req.service_units)
        out.append(_result(key, "units", "ok" if fault is None else "differs", expected=req.service_units,
                           got=said[:120] or "no description", detail=fault[1] if fault else None,
                           url=url))  # fmt: skip
    native = str(info.get("pixelType") or "")
    if req.pixel_type:
        ok = bool(native) and holds(req.pixel_type, native)
        detail = (
            None
            if ok
            else f"the service holds {native or '?'} values; pixelType={req.pixel_type} would alter them"
        )
        out.append(_result(key, "pixel type", "ok" if ok else "differs", expected=req.pixel_type,
                           got=native or "not stated", detail=detail, url=url))  # fmt: skip
    declared, asked = service_no_data(info), req.no_data
    if asked is not None:
        ok = declared is None or asked == declared
        out.append(_result(key, "NoData", "ok" if ok else "differs", expected=f"{asked:g} (catalog no_data)",
                           got="not declared" if declared is None else f"{declared:g}", url=url))  # fmt: skip
    return out


def _export(
    key: str,
    spec: DatasetSpec,
    host: str,
    probe: Probe,
    bbox: tuple[float, float, float, float],
    info: dict[str, Any],
) -> tuple[list[CheckResult], ImageSample]:
    src = source_file(key, spec, latest_year(spec))
    req = src.image
    assert req is not None
    # noData= exactly as learn fetch sends it (the catalog's, else the service's; -3.4028235e+38, not -3.40282e+38).
    sent = no_data_sent(req, info)
    url = export_url(host, src, bbox, (SAMPLE_SIZE, SAMPLE_SIZE), SAMPLE_EPSG, sent)
    check = f"exportImage {SAMPLE_SIZE}x{SAMPLE_SIZE}"
    try:
        a = probe.get(url)
    except Down as why:
        return [_result(key, check, "unreachable", detail=str(why), url=url)], ImageSample(
            unreachable=str(why)
        )
    if not a.body.startswith(TIFF_MAGIC):
        got = f"HTTP {a.status}: " + (
            arcgis_error(a.body) or " ".join(a.body[:160].decode("utf-8", "replace").split())
        )
        status = "unreachable" if a.status == 403 or a.status >= 500 else "differs"
        return [_result(key, check, status, expected="a GeoTIFF", got=got, url=url)], ImageSample(
            unreachable=got
        )
    with MemoryFile(a.body) as mem, mem.open() as ds:
        values, dtype, tag = ds.read(1), ds.dtypes[0], ds.nodata
        crs, res, size, origin = ds.crs, ds.res, (ds.width, ds.height), (ds.transform.c, ds.transform.f)
    want_dtype = DTYPES.get((req.pixel_type or "").upper())
    expected = f"GeoTIFF {SAMPLE_SIZE}x{SAMPLE_SIZE}" + (f", {want_dtype}" if want_dtype else "")
    got = f"GeoTIFF {size[0]}x{size[1]}, {dtype}"
    ok = size == (SAMPLE_SIZE, SAMPLE_SIZE) and (want_dtype is None or dtype == want_dtype)
    out = [_result(key, check, "ok" if ok else "differs", expected=expected, got=got, url=url)]
    epsg = crs.to_epsg() if crs is not None else None
    on_grid = abs(origin[0] - bbox[0]) <= JITTER_M and abs(origin[1] - bbox[3]) <= JITTER_M
    sr_ok = epsg == SAMPLE_EPSG and all(math.isclose(r, 30.0) for r in res) and on_grid
    out.append(_result(key, "spatial reference", "ok" if sr_ok else "differs",
                       expected=f"EPSG:{SAMPLE_EPSG}, 30 m, origin {bbox[0]:.0f}, {bbox[3]:.0f}",
                       got=f"EPSG:{epsg}, {res[0]:g} m, origin {origin[0]:.0f}, {origin[1]:.0f}", url=url))  # fmt: skip
    # NoData as learn fetch takes it: what was sent, the answer's tag, the service's declared value.
    nodata = {float(v) for v in (sent, tag, service_no_data(info)) if v is not None}
    if sent is None:  # neither the catalog nor the service says one: the answer must say where data lack
        out.append(_result(key, "NoData", "ok" if tag is not None else "differs",
                           expected="a NoData tag in the answer (no no_data in the catalog or the service)",
                           got="none" if tag is None else f"{tag:g}", url=url))  # fmt: skip
    return out, ImageSample(values=values, nodata=nodata)


def image_checks(
    key: str, spec: DatasetSpec, probe: Probe, bbox: tuple[float, float, float, float] = SAMPLE_BBOX
) -> tuple[list[CheckResult], ImageSample]:
    """The checks of an ``arcgis_image`` dataset on each of its hosts; the first answering host's sample."""
    try:
        hosts = source_file(key, spec, latest_year(spec)).image.hosts  # type: ignore[union-attr]
    except LearnError as err:
        return [
            _result(key, "catalog", "differs", expected="a valid catalog entry", got=err.message)
        ], ImageSample()
    results: list[CheckResult] = []
    sample = ImageSample()
    for i, host in enumerate(hosts):
        label = key if len(hosts) == 1 else f"{key} [{urllib.parse.urlsplit(host).netloc}]"
        info, service = _service(label, host, probe)
        results.append(service)
        if info is None:
            sample.unreachable = sample.unreachable or service.got or service.detail
            continue
        results += _metadata_checks(label, spec, info, service.url or host)
        found, got = _export(label, spec, host, probe, bbox, info)
        results += found
        if sample.values is None and got.values is not None:
            sample = got
        elif i == 0:
            sample.unreachable = got.unreachable
    return results, sample


def total_carbon_key(catalog: Catalog) -> str | None:
    """The catalog dataset marked ``carbon_total: true`` (the service holding the sum of the pools)."""
    keys = [k for k, s in catalog.datasets.items() if extra(s, "carbon_total")]
    return keys[0] if keys else None


def carbon_sum_check(catalog: Catalog, samples: dict[str, ImageSample]) -> CheckResult:
    """The pools (``carbon_component_of``) summed on the sample pixels against the total carbon service."""
    check = "pool sum = total"
    total_key = total_carbon_key(catalog)
    pools = [k for k, s in catalog.datasets.items() if extra(s, "carbon_component_of")]
    if total_key is None or not pools:
        return _result("carbon pools", check, "not checked",
                       detail="not configured: no catalog dataset is marked carbon_total: true"
                       if total_key is None else "no dataset is marked carbon_component_of")  # fmt: skip
    parts = [samples.get(k) for k in [*pools, total_key]]
    lacking = [k for k, p in zip([*pools, total_key], parts, strict=True) if p is None or p.values is None]
    if lacking:
        return _result(total_key, check, "unreachable", detail=f"no sample from {', '.join(lacking)}")
    arrays = [np.asarray(p.values, dtype=np.float64) for p in parts if p is not None and p.values is not None]
    valid = np.ones(arrays[0].shape, bool)
    for p, arr in zip(parts, arrays, strict=True):
        valid &= np.isfinite(arr) & (np.abs(arr) < 1e30)
        for nd in p.nodata if p is not None and p.nodata else set():
            valid &= arr != nd
    pool_sum, total = np.sum(arrays[:-1], axis=0), arrays[-1]
    valid &= total > 0
    if not valid.any():
        return _result(total_key, check, "not checked", detail="no forest carbon on the sample pixels")
    diff = np.abs(pool_sum - total)[valid]
    bad = diff > SUM_ATOL + SUM_RTOL * np.abs(total[valid])
    got = (
        f"max |sum - total| {diff.max():.4g} on {int(valid.sum())} pixels; {int(bad.sum())} beyond tolerance"
    )
    return _result(total_key, check, "differs" if bad.any() else "ok",
                   expected=f"the {len(pools)} pools sum to the total within {SUM_RTOL:.1%} + {SUM_ATOL:g}", got=got)  # fmt: skip
