"""The API's state for one catalog: regions, caches, summaries and background jobs.

No globals: :func:`api.app.create_app` puts one :class:`Service` on ``app.state.service``. Everything
that is cached is keyed by what determines it (region, boundary or polygon, period, options), and the
on-disk summaries by the data version (sha256 of the catalog file) and the software version.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import rasterio.warp
import shapely
from pydantic import ValidationError

from api.areas import AreaStore, StoredArea
from api.cache import LruCache, SingleFlight
from api.models import BoundaryTotals
from api.pathway_bases import PathwayBases
from api.prepare import CountyPreparer
from api.render import TileRenderer
from api.tasks import Job, JobManager, Progress
from api.tile_workers import ProcessTileRenderer
from learn import __version__
from learn.pipeline.batch import report_file_name, run_batch, totals_frame
from learn.pipeline.region import InventoryOptions, Region
from learn.report.models import Report
from learn.sources.boundaries import Boundary
from learn.sources.catalog import Catalog, load_catalog
from learn.util import sha256_file


@dataclass(frozen=True)
class Settings:
    """Service settings; sizes in bytes, areas in hectares."""

    catalog_path: Path
    cache_dir: Path = Path("outputs") / "api_cache"
    #: Custom polygons larger than this (ha) run as background jobs (HTTP 202).
    sync_limit_ha: float = 50_000.0
    max_upload_bytes: int = 5 * 1024 * 1024
    max_vertices: int = 100_000
    report_cache_size: int = 512
    tile_cache_size: int = 2048
    #: Processes rendering cold map tiles (0: in the server process, on its threads).
    tile_workers: int = 0
    job_workers: int = 1
    #: Jobs remembered (finished ones beyond this are forgotten, oldest first).
    max_jobs: int = 256
    #: Distinct polygon inventories queued or running at once; more → 503 with Retry-After.
    max_pending_jobs: int = 16
    #: Counties queued or being prepared on request (POST /api/prepare); more → 503. 0 turns the route off.
    max_pending_prepare: int = 4
    #: Drawn/uploaded areas kept for their links (``cache_dir/areas``): at most this many, and this many bytes;
    #: the least recently used (posted, or read through its link) are deleted first.
    max_areas: int = 5000
    max_area_bytes: int = 1024**3
    #: Absolute URL the service is reached at (e.g. https://learn.example.org); TileJSON tile URLs start
    #: with it. None: root-relative tile URLs.
    public_url: str | None = None


@dataclass(frozen=True)
class CachedReport:
    """A report and its JSON serialisation (what the inventory endpoint sends)."""

    report: Report
    json: bytes

    @classmethod
    def of(cls, report: Report) -> CachedReport:
        return cls(report, report.to_json(indent=None).encode())


def _finite(value: Any) -> Any:
    """NaN (pandas' missing float) → None, so JSON stays valid."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _options_key(options: InventoryOptions) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(options.as_dict().items()))


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog: Catalog = load_catalog(settings.catalog_path)
        #: The data version: sha256 of the catalog file (part of job ids and of the summary cache folder).
        self.data_version = sha256_file(self.catalog.path or settings.catalog_path)
        self.reports: LruCache[tuple[Any, ...], CachedReport] = LruCache(settings.report_cache_size)
        self.tiles: TileRenderer | ProcessTileRenderer = (
            ProcessTileRenderer(settings.catalog_path, settings.tile_workers, settings.tile_cache_size)
            if settings.tile_workers > 0
            else TileRenderer(settings.tile_cache_size)
        )
        self.jobs: JobManager[Report] = JobManager(
            settings.job_workers, settings.max_jobs, settings.max_pending_jobs
        )
        self.preparer = CountyPreparer(self, max_pending=settings.max_pending_prepare)
        self.pathway_bases = PathwayBases()
        self.areas = AreaStore(settings.cache_dir / "areas", settings.max_areas, settings.max_area_bytes)
        self._regions: dict[str, Region] = {}
        self._display: dict[str, tuple[gpd.GeoDataFrame, str]] = {}
        self._bounds: dict[str, tuple[float, float, float, float]] = {}
        self._summaries: dict[tuple[str, int, int], list[BoundaryTotals]] = {}
        self._summary_locks: dict[str, threading.Lock] = {}
        self._flight: SingleFlight[tuple[Any, ...], CachedReport] = SingleFlight()
        self._lock = threading.Lock()

    def reload_catalog(self) -> None:
        """Read the catalog file again after a region was added to it (:mod:`api.prepare`). The data
        version stays: the regions already served did not change, so their cached summaries hold."""
        with self._lock:
            old, self.catalog = self.catalog, load_catalog(self.settings.catalog_path)
            for name in [n for n in self._regions if old.regions.get(n) != self.catalog.regions.get(n)]:
                del self._regions[name]  # re-prepared with other years: open it again
                self._display.pop(name, None)
                self._bounds.pop(name, None)

    def close(self) -> None:
        self.preparer.close()
        self.jobs.close()
        self.tiles.close()

    # ---- regions ------------------------------------------------------------------------------------
    def region(self, name: str) -> Region:
        """An opened region (CatalogError → 404 when the catalog has no such region)."""
        with self._lock:
            reg = self._regions.get(name)
            if reg is None:
                reg = self._regions[name] = Region(self.catalog, name)
            return reg

    def region_names(self) -> list[str]:
        return list(self.catalog.regions)

    def bounds_4326(self, region: Region) -> tuple[float, float, float, float]:
        """The region's grid extent as west, south, east, north in degrees (densified, so it encloses it)."""
        if region.name not in self._bounds:
            g = region.grid
            w, s, e, n = rasterio.warp.transform_bounds(g.crs, "EPSG:4326", *g.bounds, densify_pts=21)
            self._bounds[region.name] = (float(w), float(s), float(e), float(n))
        return self._bounds[region.name]

    def display_boundaries(self, region: Region) -> tuple[gpd.GeoDataFrame, str]:
        """Boundaries for the map: simplified to one pixel, in EPSG:4326; the frame and its GeoJSON text."""
        if region.name not in self._display:
            frame = region.boundaries.frame
            tolerance = abs(region.grid.transform.a)  # one pixel: finer detail is not in the data anyway
            cols = [c for c in ("id", "name", "kind") if c in frame.columns]
            simple = gpd.GeoDataFrame(
                frame[cols],
                geometry=frame.geometry.simplify(tolerance, preserve_topology=True),
                crs=frame.crs,
            ).to_crs(4326)
            self._display[region.name] = (simple, simple.to_json(drop_id=True))
        return self._display[region.name]

    # ---- reports of the region's boundaries ---------------------------------------------------------
    def batch_dir(self, region: str) -> Path:
        """Where :func:`learn.pipeline.batch.run_batch` writes this region's reports for this data and software."""
        version = hashlib.sha256(f"{self.data_version} {__version__}".encode()).hexdigest()[:16]
        return self.settings.cache_dir / region / version

    def report(
        self, region: Region, boundary_id: str, start: int, end: int, options: InventoryOptions
    ) -> CachedReport:
        """The report of a region boundary: from memory, from a summary's batch JSON, or computed."""
        key = (region.name, boundary_id, start, end, _options_key(options))
        hit = self.reports.get(key)
        if hit is not None:
            return hit

        def compute() -> CachedReport:
            report = self._from_batch(region, boundary_id, start, end, options)
            if report is None:
                report = region.inventory(boundary_id, (start, end), options)
            cached = CachedReport.of(report)
            self.reports.put(key, cached)
            return cached

        return self._flight.run(key, compute)

    def _from_batch(
        self, region: Region, boundary_id: str, start: int, end: int, options: InventoryOptions
    ) -> Report | None:
        path = self.batch_dir(region.name) / f"{start}_{end}" / report_file_name(boundary_id)
        try:
            report = Report.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError):
            return None
        same = (
            report.boundary.id == boundary_id
            and (report.period.start, report.period.end) == (start, end)
            and report.provenance.get("options") == options.as_dict()
        )
        return report if same else None

    def summary(self, region: Region, start: int, end: int) -> list[BoundaryTotals]:
        """Totals of every boundary: one raster pass of :func:`learn.pipeline.batch.run_batch`, reused from disk."""
        key = (region.name, start, end)
        if key in self._summaries:
            return self._summaries[key]
        with self._lock:
            lock = self._summary_locks.setdefault(region.name, threading.Lock())
        with lock:  # one batch per region at a time: they share the output folder and the CPU
            if key not in self._summaries:
                # Only the reports (reused by _from_batch): the map's summary files are built per request.
                result = run_batch(region, [(start, end)], self.batch_dir(region.name), formats=())
                frame = region.boundaries.frame
                kinds = dict(zip(frame["id"], frame["kind"], strict=True)) if "kind" in frame else {}
                rows = totals_frame(result.reports).to_dict(orient="records")
                self._summaries[key] = [
                    BoundaryTotals(
                        id=row["boundary_id"],
                        name=row["boundary_name"],
                        kind=kinds.get(row["boundary_id"]),
                        **{
                            k: _finite(row[k])
                            for k in BoundaryTotals.model_fields
                            if k in row and k not in ("kind", "not_estimated")
                        },
                        not_estimated=report.totals.not_estimated,
                    )
                    for row, report in zip(rows, result.reports, strict=True)
                ]
        return self._summaries[key]

    # ---- custom polygons ----------------------------------------------------------------------------
    def polygon_key(
        self, region: Region, boundary: Boundary, start: int, end: int, options: InventoryOptions
    ) -> str:
        """sha256 of what determines the report: the normalized geometry (WKB, grid CRS), the label the
        client gave it (id and name: they are in the report), region, period, options and data version."""
        h = hashlib.sha256(shapely.to_wkb(shapely.normalize(boundary.geometry)))
        label = (boundary.id, boundary.name)
        h.update(repr((label, region.name, start, end, _options_key(options), self.data_version)).encode())
        return h.hexdigest()

    def polygon_report(
        self, region: Region, boundary: Boundary, start: int, end: int, options: InventoryOptions
    ) -> CachedReport:
        """The report of a small custom polygon, computed now (cached by :meth:`polygon_key`)."""
        key = ("polygon", self.polygon_key(region, boundary, start, end, options))
        hit = self.reports.get(key)
        if hit is not None:
            return hit

        def compute() -> CachedReport:
            cached = CachedReport.of(region.inventory(boundary, (start, end), options))
            self.reports.put(key, cached)
            return cached

        return self._flight.run(key, compute)

    def submit_polygon(
        self, region: Region, boundary: Boundary, start: int, end: int, options: InventoryOptions
    ) -> Job[Report]:
        """A new background job for a large custom polygon (sharing the run of an identical request)."""
        key = self.polygon_key(region, boundary, start, end, options)

        def compute(progress: Progress) -> Report:
            report = region.inventory(boundary, (start, end), options, progress=progress)
            self.reports.put(("polygon", key), CachedReport.of(report))  # the area's link reads it at once
            return report

        return self.jobs.submit(key, compute)

    def area_report(
        self, region: Region, area: StoredArea, start: int, end: int, options: InventoryOptions
    ) -> CachedReport:
        """The report of a stored area: the same computation (and cache entry) as the POST that stored it."""
        return self.polygon_report(region, area.boundary(region.grid.crs), start, end, options)
