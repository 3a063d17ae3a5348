"""``learn sources check`` for the other sources: the insect/disease feature layer (its JSON, fields and a
``returnDistinctValues`` query), COGs (a header range read), zip bundles (HEAD, and the listing of the
archive's central directory when the catalog names a ``member``), the FIA DataMart (HEAD of the tables
``learn factors fia`` downloads) and TIGER files (HEAD), the USGS WCS (DescribeCoverage) and web pages.

What is expected comes from the catalog entry through the adapters' own readers (``survey_source``,
``source_file``, ``table_url`` and ``FIA_TABLES``); a sample place stands for "any": the state of
:data:`SAMPLE_STATE` (Massachusetts, where the image checks' sample block lies).
"""

from __future__ import annotations

import json
import urllib.parse
import zipfile
from pathlib import PurePosixPath
from typing import Any

from rasterio.errors import RasterioIOError
from rasterio.io import MemoryFile

from learn.errors import LearnError
from learn.sources.arcgis.feature import distinct_from, distinct_url, feature_layer
from learn.sources.catalog import DatasetSpec
from learn.sources.check.image import latest_year
from learn.sources.check.models import CheckResult
from learn.sources.check.probe import Answer, Down, NoRanges, Probe, RangeFile
from learn.sources.insect_survey import survey_source
from learn.sources.nlcd.wcs import TIFF_MAGIC
from learn.sources.remote import OBJECT_STORES, extra, source_file

#: The state whose files stand for every state's (DataMart tables, TIGER places): Massachusetts.
SAMPLE_STATE, SAMPLE_STATE_FIPS = "MA", "25"
HEADER_BYTES = 64 * 1024


def _r(key: str, check: str, status: str, **kw: Any) -> CheckResult:
    return CheckResult(dataset=key, check=check, status=status, **kw)


def _answer(
    key: str, check: str, probe: Probe, url: str, *, head: bool = False, **kw: Any
) -> tuple[Answer | None, CheckResult | None]:
    """The answer (of a HEAD when ``head``), or the result saying why there is none worth reading
    (unreachable: no answer, 401/403/5xx; a 404 or another 4xx differs)."""
    try:
        a = probe.head(url) if head else probe.request(url, **kw)
    except Down as why:
        return None, _r(key, check, "unreachable", detail=str(why), url=url)
    if a.status in (401, 403) or a.status >= 500:
        return None, _r(key, check, "unreachable", got=f"HTTP {a.status}", url=url)
    if a.status >= 400:
        return None, _r(
            key, check, "differs", expected="the file (HTTP 200)", got=f"HTTP {a.status}", url=url
        )
    return a, None


def feature_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """The survey layer: its JSON (a polygon layer), its fields, the damage type LEARN counts, the years."""
    try:
        src = survey_source(key, spec)
    except LearnError as err:
        return [_r(key, "catalog", "differs", expected="a valid catalog entry", got=err.message)]
    url = f"{src.url}?f=json"
    a, fault = _answer(key, "service", probe, url)
    if a is None:
        return [fault] if fault else []
    try:
        layer = feature_layer(src.url, json.loads(a.body))
    except (ValueError, LearnError) as err:
        got = err.message if isinstance(err, LearnError) else "no JSON"
        return [_r(key, "service", "differs", expected="an ArcGIS feature layer", got=got, url=url)]
    polygons = "polygon" in layer.geometry_type.lower()
    out = [_r(key, "service", "ok" if polygons else "differs", expected="a polygon feature layer",
              got=f"{layer.name} ({layer.geometry_type})", url=url)]  # fmt: skip
    wanted = [src.year_field, src.damage_type_field]
    have = {f.lower() for f in layer.fields}
    lacking = [f for f in wanted if f.lower() not in have]
    out.append(_r(key, "fields", "differs" if lacking else "ok", expected=", ".join(wanted),
                  got=", ".join(layer.fields) if lacking else ", ".join(wanted), url=url))  # fmt: skip
    if lacking:
        return out
    for field, expected, check in (
        (src.damage_type_field, [src.damage_type], "field values"),
        (src.year_field, [str(src.years[-1])], "latest year"),
    ):
        q = distinct_url(layer, field)
        a, fault = _answer(key, check, probe, q)
        if a is None:
            out += [fault] if fault else []
            continue
        try:
            values = distinct_from(json.loads(a.body), field, q)
        except (ValueError, LearnError):
            out.append(
                _r(
                    key,
                    check,
                    "differs",
                    expected="distinct values",
                    got=a.body[:120].decode("utf-8", "replace"),
                    url=q,
                )
            )
            continue
        found = {v.strip().removesuffix(".0") for v in values}
        ok = all(e in found for e in expected)
        shown = "; ".join(values[:8]) + (f" … ({len(values)} values)" if len(values) > 8 else "")
        out.append(_r(key, check, "ok" if ok else "differs", expected=f"{field} = {expected[0]}",
                      got=expected[0] if ok else shown or "no values", url=q))  # fmt: skip
    return out


def cog_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """A COG's first bytes by a range request: the file exists, ranges work, a TIFF whose header says 30 m."""
    url = source_file(key, spec, latest_year(spec)).url
    a, fault = _answer(
        key, "file", probe, url, headers={"Range": f"bytes=0-{HEADER_BYTES - 1}"}, limit=HEADER_BYTES
    )
    if a is None:
        return [fault] if fault else []
    if a.status != 206:
        return [
            _r(key, "file", "differs", expected="range reads (HTTP 206)", got=f"HTTP {a.status}", url=url)
        ]
    if not a.body.startswith(TIFF_MAGIC):
        return [_r(key, "file", "differs", expected="a GeoTIFF", got=repr(a.body[:16]), url=url)]
    out = [
        _r(
            key,
            "file",
            "ok",
            got=f"TIFF, {a.headers.get('content-range', '?').split('/')[-1]} bytes",
            url=url,
        )
    ]
    try:
        with MemoryFile(a.body) as mem, mem.open() as ds:
            res, dtype = ds.res[0], ds.dtypes[0]
    except (RasterioIOError, ValueError):  # a header larger than the bytes read: nothing more to say
        return out
    want = spec.resolution
    ok = want is None or abs(res - want) < 1e-6
    out.append(_r(key, "pixel size", "ok" if ok else "differs", expected=f"{want:g} m" if want else None,
                  got=f"{res:g} m, {dtype}", url=url))  # fmt: skip
    return out


def _zip_url(key: str, spec: DatasetSpec) -> tuple[str, str | None]:
    values: dict[str, Any] = {"year": latest_year(spec), "state_fips": SAMPLE_STATE_FIPS}
    if extra(spec, "member"):
        src = source_file(key, spec, values["year"], state_fips=SAMPLE_STATE_FIPS)
        return src.url, src.member
    assert isinstance(spec.href, str)
    return spec.href.format(**values), None


def zip_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """HEAD of the bundle; with a catalog ``member``, the archive's listing names it (folder included)."""
    url, member = _zip_url(key, spec)
    a, fault = _answer(key, "file", probe, url, head=True)
    if a is None:
        return [fault] if fault else []
    size = int(a.headers.get("content-length") or 0)
    html = "text/html" in a.headers.get("content-type", "")
    out = [_r(key, "file", "differs" if html else "ok", expected="a zip file",
              got=("an HTML page" if html else f"{size:,} bytes"), url=url)]  # fmt: skip
    if member is None or html or size <= 0:
        return out
    raw = RangeFile(probe, url, size)
    try:
        with zipfile.ZipFile(raw) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except Down as why:
        return [*out, _r(key, "member", "unreachable", detail=str(why), url=url)]
    except (NoRanges, zipfile.BadZipFile, OSError, ValueError) as err:
        return [
            *out,
            _r(key, "member", "differs", expected="a zip listing by range reads", got=str(err), url=url),
        ]
    if member in names:
        return [*out, _r(key, "member", "ok", expected=member, got=member, url=url)]
    same = [n for n in names if PurePosixPath(n).name.lower() == PurePosixPath(member).name.lower()]
    got = (
        same[0]
        if same
        else ", ".join(n for n in names if n.lower().endswith((".tif", ".img", ".shp")))
        or ", ".join(names[:5])
    )
    return [*out, _r(key, "member", "differs", expected=member, got=got, url=url)]


def datamart_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """HEAD of every table ``learn factors fia`` downloads, for the sample state."""
    from learn.sources.fia.download import FIA_TABLES, table_url

    assert isinstance(spec.href, str)
    missing, first = [], None
    for table in FIA_TABLES:
        url = table_url(spec.href, SAMPLE_STATE, table)
        a, fault = _answer(key, "tables", probe, url, head=True)
        if fault is not None and fault.status == "unreachable":
            return [fault]
        if a is None:
            missing.append(f"{SAMPLE_STATE}_{table}.zip")
        first = first or url
    expected = f"{len(FIA_TABLES)} tables of {SAMPLE_STATE}"
    got = f"missing: {', '.join(missing)}" if missing else expected
    return [_r(key, "tables", "differs" if missing else "ok", expected=expected, got=got, url=first)]


def wcs_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """DescribeCoverage of the catalog's coverage."""
    coverage = str(extra(spec, "coverage") or "")
    assert isinstance(spec.href, str)
    query = {"service": "WCS", "version": "1.0.0", "request": "DescribeCoverage", "coverage": coverage}
    url = f"{spec.href}?{urllib.parse.urlencode(query)}"
    a, fault = _answer(key, "coverage", probe, url)
    if a is None:
        return [fault] if fault else []
    text = a.body.decode("utf-8", "replace")
    ok = coverage.split(":")[-1] in text and "ServiceException" not in text
    got = coverage if ok else " ".join(text[:160].split())
    return [_r(key, "coverage", "ok" if ok else "differs", expected=coverage, got=got, url=url)]


def page_checks(key: str, spec: DatasetSpec, probe: Probe) -> list[CheckResult]:
    """A web page (documentation of a source ``learn fetch`` does not read): it answers."""
    assert isinstance(spec.href, str)
    a, fault = _answer(key, "page", probe, spec.href, head=True)
    if a is None:
        return [fault] if fault else []
    return [_r(key, "page", "ok", got=f"HTTP {a.status}", url=spec.href)]


def object_store_checks(key: str, spec: DatasetSpec) -> list[CheckResult]:
    store = next((s for s in OBJECT_STORES if str(spec.href).startswith(s)), "")
    return [
        _r(
            key,
            "file",
            "not checked",
            detail=f"an object store ({store}): needs the reader's credentials",
            url=str(spec.href),
        )
    ]
