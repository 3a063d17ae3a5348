"""Application state for the API: regions, a report cache, summaries and background jobs.

No globals: one :class:`Service` lives on ``app.state.service`` (see :func:`api.app.create_app`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from learn.batch import run_batch, totals_frame
from learn.boundaries import Boundary
from learn.catalog import Catalog, load_catalog
from learn.errors import CatalogError
from learn.region import InventoryOptions, Region
from learn.results import Report
from learn.util import sha256_file


@dataclass
class Job:
    """A custom-polygon inventory running in the background."""

    id: str
    status: str = "queued"  # queued | running | done | error
    progress: float = 0.0
    result: Report | None = None
    error: str | None = None


class LruCache:
    """A small thread-safe LRU of rendered tiles (PNG bytes); tiles are deterministic per URL."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: bytes) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class Service:
    catalog_path: Path
    cache_dir: Path
    #: Polygons larger than this (ha) run as background jobs (HTTP 202).
    sync_limit_ha: float = 50_000.0
    report_cache_size: int = 512
    catalog: Catalog = field(init=False)
    catalog_sha256: str = field(init=False)
    _regions: dict[str, Region] = field(default_factory=dict, init=False)
    _reports: OrderedDict[tuple[Any, ...], Report] = field(default_factory=OrderedDict, init=False)
    _summaries: dict[tuple[str, int, int], list[dict[str, Any]]] = field(default_factory=dict, init=False)
    _jobs: dict[str, Job] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    tiles: LruCache = field(default_factory=LruCache, init=False)
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1), init=False
    )

    def __post_init__(self) -> None:
        self.catalog = load_catalog(self.catalog_path)
        self.catalog_sha256 = sha256_file(self.catalog_path)

    def region(self, name: str) -> Region:
        with self._lock:
            if name not in self._regions:
                self._regions[name] = Region(self.catalog, name)  # raises CatalogError (404) if unknown
            return self._regions[name]

    def region_names(self) -> list[str]:
        return list(self.catalog.regions)

    # ---- reports ---------------------------------------------------------------------------
    def inventory(
        self, region: str, boundary_id: str, start: int, end: int, options: InventoryOptions
    ) -> Report:
        """The report of a region boundary, cached (LRU) by region, boundary, period and options."""
        key = (region, boundary_id, start, end, options.pixel_rule, options.recategorize_burned_grassland)
        with self._lock:
            hit = self._reports.get(key)
            if hit is not None:
                self._reports.move_to_end(key)
                return hit
        report = self.region(region).inventory(boundary_id, (start, end), options)
        with self._lock:
            self._reports[key] = report
            while len(self._reports) > self.report_cache_size:
                self._reports.popitem(last=False)
        return report

    def summary(self, region: str, start: int, end: int) -> list[dict[str, Any]]:
        """Totals of every boundary: one raster pass through ``learn.batch`` (cached on disk and in memory)."""
        key = (region, start, end)
        with self._lock:
            if key in self._summaries:
                return self._summaries[key]
        reg = self.region(region)
        result = run_batch(reg, [(start, end)], self.cache_dir / "summaries" / region)
        kinds = dict(
            zip(
                reg.boundaries.frame["id"],
                reg.boundaries.frame.get("kind", [None] * len(reg.boundaries.frame)),
                strict=True,
            )
        )
        rows = totals_frame(result.reports).to_dict(orient="records")
        out = [
            {
                "id": r["boundary_id"],
                "name": r["boundary_name"],
                "kind": kinds.get(r["boundary_id"]),
                **{
                    k: r[k]
                    for k in (
                        "area_ha",
                        "gross_emissions_t_co2e_per_yr",
                        "gross_removals_t_co2e_per_yr",
                        "net_t_co2e_per_yr",
                        "net_t_co2e_per_ha_yr",
                    )
                },
            }
            for r in rows
        ]
        with self._lock:
            self._summaries[key] = out
        return out

    # ---- custom polygons -------------------------------------------------------------------
    def job_id(self, region: str, boundary: Boundary, start: int, end: int, options: InventoryOptions) -> str:
        h = hashlib.sha256(shapely.to_wkb(shapely.normalize(boundary.geometry)))
        h.update(repr((region, start, end, sorted(options.as_dict().items()), self.catalog_sha256)).encode())
        return h.hexdigest()[:32]

    def submit(self, region: str, boundary: Boundary, start: int, end: int, options: InventoryOptions) -> Job:
        """Start (or find) the background job for a large polygon; the id is deterministic."""
        job_id = self.job_id(region, boundary, start, end, options)
        with self._lock:
            if job_id in self._jobs and self._jobs[job_id].status != "error":
                return self._jobs[job_id]
            job = self._jobs[job_id] = Job(id=job_id)

        def run() -> None:
            job.status = "running"
            try:

                def progress(i: int, n: int) -> None:
                    job.progress = i / n if n else 1.0

                job.result = self.region(region).inventory(boundary, (start, end), options, progress=progress)
                job.progress, job.status = 1.0, "done"
            except Exception as err:  # reported to the client through GET /api/jobs/{id}
                job.status, job.error = "error", str(err)

        self._executor.submit(run)
        return job

    def job(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise CatalogError(
                    f"unknown job '{job_id}'", hint="POST a polygon to /api/regions/{region}/inventory"
                )
            return self._jobs[job_id]

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
