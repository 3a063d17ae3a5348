"""``learn sources check``: tiny live requests to every public source of the catalog, compared with what
the code expects of it (docs/fetch.md "Checking the sources").

:func:`check_sources` runs them (a few sources at a time, each request with a short deadline, a silent
host asked only once) and returns a :class:`SourcesCheck`; the CLI (``learn/cli/sources.py``) prints it
and the API (``GET /api/sources/status``) serves the last one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from learn.errors import CatalogError, LearnError
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.check.files import (
    cog_checks,
    datamart_checks,
    feature_checks,
    object_store_checks,
    page_checks,
    wcs_checks,
    zip_checks,
)
from learn.sources.check.image import (
    SAMPLE_BBOX,
    ImageSample,
    carbon_sum_check,
    image_checks,
    total_carbon_key,
)
from learn.sources.check.models import CheckResult, SourcesCheck, Status
from learn.sources.check.probe import TIMEOUT_S, Probe
from learn.sources.remote import OBJECT_STORES, extra

__all__ = ["CheckResult", "SourcesCheck", "Status", "check_sources", "checks_of"]


def checks_of(key: str, spec: DatasetSpec, probe: Probe, bbox: tuple[float, float, float, float] = SAMPLE_BBOX
              ) -> tuple[list[CheckResult], ImageSample | None]:  # fmt: skip
    """The checks of one dataset, chosen by how ``learn fetch`` reads it (its protocol, its href)."""
    protocol, href = extra(spec, "protocol"), spec.href
    if protocol == "arcgis_image":
        return image_checks(key, spec, probe, bbox)
    if not isinstance(href, str):
        return [
            CheckResult(dataset=key, check="catalog", status="differs", expected="one href", got=str(href))
        ], None
    if protocol == "arcgis_feature":
        return feature_checks(key, spec, probe), None
    if protocol == "wcs":
        return wcs_checks(key, spec, probe), None
    if href.startswith(tuple(OBJECT_STORES)):
        return object_store_checks(key, spec), None
    if spec.kind == "table":
        return datamart_checks(key, spec, probe), None
    path = href.split("?", 1)[0].lower()
    if path.endswith((".tif", ".tiff")):
        return cog_checks(key, spec, probe), None
    if path.endswith(".zip"):
        return zip_checks(key, spec, probe), None
    return page_checks(key, spec, probe), None


def _guarded(
    key: str, spec: DatasetSpec, probe: Probe, bbox: tuple[float, float, float, float]
) -> tuple[list[CheckResult], ImageSample | None]:
    """:func:`checks_of`, a catalog entry the adapters refuse (e.g. a template key missing) as its result."""
    try:
        return checks_of(key, spec, probe, bbox)
    except LearnError as err:
        found = CheckResult(dataset=key, check="catalog", status="differs", expected="an entry the adapters read",
                            got=err.message)  # fmt: skip
        return [found], None


def check_sources(
    catalog: Catalog,
    datasets: Sequence[str] | None = None,
    *,
    timeout_s: float = TIMEOUT_S,
    workers: int = 6,
    bbox: tuple[float, float, float, float] = SAMPLE_BBOX,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SourcesCheck:
    """Check every dataset of ``catalog`` (or those named) against its live source."""
    keys = list(datasets) if datasets else list(catalog.datasets)
    unknown = [k for k in keys if k not in catalog.datasets]
    if unknown:
        raise CatalogError(
            f"no dataset {', '.join(map(repr, unknown))} in the catalog",
            hint=f"datasets: {', '.join(sorted(catalog.datasets))}",
        )
    started, t0 = clock(), time.monotonic()
    probe = Probe(timeout_s=timeout_s)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = list(pool.map(lambda k: _guarded(k, catalog.datasets[k], probe, bbox), keys))
    results = [r for found, _ in done for r in found]
    samples = {k: s for k, (_, s) in zip(keys, done, strict=True) if s is not None}
    pools = [k for k, s in catalog.datasets.items() if extra(s, "carbon_component_of")]
    total = total_carbon_key(catalog)
    if not datasets or (total in keys and all(p in keys for p in pools)):
        results.append(carbon_sum_check(catalog, samples))
    return SourcesCheck(
        catalog=str(catalog.path),
        checked_at=started.isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - t0, 2),
        results=results,
    )
