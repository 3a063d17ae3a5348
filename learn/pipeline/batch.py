"""Every boundary of a region (or of a boundary file) for one or more periods, in one raster pass each.

Outputs in ``DIR``:

* ``START_END/<id>-<hash>.json`` — the report of each boundary (the same document as ``learn inventory``),
  named by :func:`learn.pipeline.batch_reuse.report_file_name`; ``START_END/keys.jsonl`` the inputs key of each
  (one line per report, :mod:`learn.pipeline.batch_reuse`);
* the tables asked for (``formats``, default all six; :mod:`learn.pipeline.batch_tables`):
  ``inventory.csv`` and ``inventory.parquet`` — one tidy table of every report row;
  ``inventory.xlsx`` — that table and the totals per boundary, formatted for Excel (units in headers);
  ``boundaries.gpkg`` (one layer per period, ``totals_START_END``) and ``boundaries_START_END.parquet``
  (GeoParquet, one file per period) — one row per boundary (EPSG:4326): totals, the net's 90 % interval,
  the IPCC categories' nets (and ``totals_complete`` / ``not_estimated``: whether rows were left out);
  ``boundaries.geojson`` — one feature per boundary and period with its totals;
* ``per_boundary/<id>_<name>_<start>_<end>.<ext>`` — with ``per_boundary`` (``csv``, ``xlsx``, ``pdf``, …):
  each report in the single-boundary formats of ``learn inventory`` (:mod:`learn.pipeline.batch_files`);
* ``manifest.json`` — what was asked, what is done, each report's file, the inputs of each period, the
  tables written, the per-boundary files, and ``files``: every file of the batch (relative paths).

Resumable: reports are written atomically as they finish; a restart reuses the reports computed from the
same inputs (:mod:`learn.pipeline.batch_reuse`) and recomputes the rest — missing ones and those whose inputs changed.
The output folder is checked for writing before any raster work; a folder or disk fault is an
:class:`learn.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from learn.options import InventoryOptions
from learn.pipeline.batch_files import KEYS as PER_BOUNDARY_KEYS
from learn.pipeline.batch_files import check_per_boundary, remove_stale, write_per_boundary
from learn.pipeline.batch_reuse import KEYS_LOG, ReportFiles, inputs_keys, period_inputs, report_file_name
from learn.pipeline.batch_reuse import safe_name as safe_name  # api/ imports it from here
from learn.pipeline.batch_tables import TABLE_FORMATS, BatchFrames, check_formats, write_tables

# Re-exported: api/ and tests import them from here.
from learn.pipeline.batch_tables import geojson_text as geojson_text
from learn.pipeline.batch_tables import totals_frame as totals_frame
from learn.pipeline.batch_tables import totals_geoframe as totals_geoframe
from learn.pipeline.batch_tables import writing as _writing
from learn.raster.engine import grid_windows, reduce
from learn.raster.zones import GeometryZones, ZoneSource, build_raster_zones
from learn.report.models import Report
from learn.sources.boundaries import Boundary, BoundarySet, load_boundary_set
from learn.util import cache_root, check_writable_folder, gc_paused, write_text_atomic

if TYPE_CHECKING:
    from learn.pipeline.region_view import RegionView as Region
    from learn.raster.worker import RasterProcess

Progress = Callable[[str, int, int], None]


@dataclass
class BatchResult:
    reports: list[Report] = field(default_factory=list)
    computed: int = 0
    reused: int = 0
    #: Of ``computed``: reports found on disk but computed from other inputs (catalog, layers, factors, ...).
    inputs_changed: int = 0
    #: Per-boundary files (``per_boundary``) written by this run; the others were current and kept.
    per_boundary_written: int = 0
    #: Wall seconds per stage over all periods: zones, raster_pass, accounting, report_json, tables
    #: (what ``benchmarks/batch.py`` reports; not part of any output).
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: The frames the tables were written from (each built once, kept for :class:`BatchRun`).
    frames: BatchFrames | None = None

    @contextlib.contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.perf_counter() - t0


def cache_dir() -> Path:
    """Where rasterized zone sets are cached: ``zones/`` of :func:`learn.util.cache_root` (default
    ``~/.cache/learn-navigator/zones``). Zones cached by earlier versions in ``~/.cache/learn/zones`` are
    moved there once (:func:`_move_legacy_zones`)."""
    zones = cache_root() / "zones"
    if not os.environ.get("LEARN_CACHE_DIR"):
        _move_legacy_zones(zones)
    return zones


def _move_legacy_zones(zones: Path) -> None:
    """Move ``~/.cache/learn/zones`` (where earlier versions cached zones) to ``zones`` when
    that does not exist yet, and remove ``~/.cache/learn`` if nothing else is left in it. On failure the
    old folder stays and the zones are rasterized again when needed (it is only a cache)."""
    legacy = Path.home() / ".cache" / "learn" / "zones"
    if zones.exists() or not legacy.is_dir():
        return
    try:
        zones.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(legacy, zones)
        legacy.parent.rmdir()
    except OSError:
        pass


def zone_source(region: Region, boundaries: BoundarySet, options: InventoryOptions) -> ZoneSource:
    geoms, ids = list(boundaries.frame.geometry), boundaries.ids()
    if options.pixel_rule == "exact":
        return GeometryZones(geoms, ids, "exact")
    return build_raster_zones(
        geoms,
        ids,
        region.grid,
        boundary_file=boundaries.path,
        id_field=boundaries.id_field,
        cache_dir=cache_dir(),
    )


def run_batch(
    region: Region,
    periods: Sequence[tuple[int, int]],
    out_dir: str | Path,
    options: InventoryOptions = InventoryOptions(),
    *,
    boundaries: BoundarySet | None = None,
    client: Any = None,
    progress: Progress | None = None,
    formats: Iterable[str] | str | None = TABLE_FORMATS,
    per_boundary: Iterable[str] | str | None = None,
    paper: str = "letter",
    raster: RasterProcess | None = None,
) -> BatchResult:
    """Compute (or reuse) the report of every boundary for every period and write the outputs.

    ``formats``: the tables to write (:data:`learn.pipeline.batch_tables.TABLE_FORMATS`, a list or a
    comma-separated string; None: all); the reports and the manifest are always written.
    ``per_boundary``: formats of one file per boundary and period
    (:data:`learn.pipeline.batch_files.PER_BOUNDARY_FORMATS`; None: none), PDFs on ``paper`` (letter | a4).
    ``raster``: a :class:`learn.raster.worker.RasterProcess` to run the raster passes in (the same tables; not
    with a dask ``client``)."""
    tables = check_formats(formats)  # a bad name fails before any work
    deliverables = check_per_boundary(per_boundary)
    if "pdf" in deliverables:
        from learn.report.pdf import check_paper

        paper = check_paper(paper)
    out = Path(out_dir)
    bset = boundaries or region.boundaries
    ids = bset.ids()
    for start, end in periods:
        region.check_period(start, end)
    _ = region.forest_factors, region.tof_factors  # a bad factor table fails before any work
    for start, end in periods:  # before the raster passes, not after them
        check_writable_folder(out / f"{start}_{end}")
    result = BatchResult()
    # Report files are written on a thread from the first report until the manifest (overlapping the tables).
    with ReportWriter() as writer:
        manifest: dict[str, Any] = {
            "region": region.name,
            "catalog": str(region.catalog.path),
            "boundaries": str(bset.path),
            "options": options.as_dict(),
            "periods": {},
        }
        for start, end in periods:
            files = ReportFiles(out / f"{start}_{end}")
            layers = region.period_layers(start, end)
            inputs = period_inputs(region, layers, options)
            keys = inputs_keys(inputs, bset)
            reports: dict[str, Report | None] = {}
            with gc_paused():  # reading back up to every report of the period
                stored = files.stored_keys()
                for bid in ids:
                    status, reports[bid] = files.reusable(bid, keys[bid], stored)
                    result.reused += status == "reused"
                    result.inputs_changed += status == "inputs_changed"
            todo = [bid for bid, r in reports.items() if r is None]
            if todo:
                sub = bset.frame[bset.frame["id"].isin(todo)]
                with result.timing("zones"):
                    zones = zone_source(region, bset, options)
                job = region.reduction_job(layers, zones)
                region.check_layers(job)
                window = region.grid.window_for_bounds(tuple(shapely.total_bounds(sub.geometry.to_numpy())))
                windows = grid_windows(region.grid, window, options.block_size) if window is not None else []
                with result.timing("raster_pass"):
                    pass_progress = _labelled(progress, f"{start}–{end} raster pass")
                    if raster is not None and client is None:
                        strata = raster.reduce(job, windows, workers=options.workers, progress=pass_progress)
                    else:
                        strata = reduce(
                            job, windows, workers=options.workers, client=client, progress=pass_progress
                        )
                index = {bid: k for k, bid in enumerate(zones.ids)}
                with result.timing("accounting"), gc_paused():
                    todo_boundaries: list[Boundary] = bset.get_many(todo)
                    computed = region.reports_from_strata(
                        todo_boundaries, layers, strata, options, [index[bid] for bid in todo]
                    )
                with gc_paused(), result.timing("report_json"):  # thousands of JSON documents and paths
                    for k, (bid, report) in enumerate(zip(todo, computed, strict=True), start=1):
                        writer.write(files, bid, keys[bid], report.to_json())
                        reports[bid] = report
                        result.computed += 1
                        if progress:
                            progress(f"{start}–{end} reports", k, len(todo))
            result.reports.extend(r for r in reports.values() if r is not None)
            manifest["periods"][f"{start}_{end}"] = {
                "done": ids,
                "reports": {bid: report_file_name(bid) for bid in ids},
                "inputs": inputs,
            }
            if deliverables:
                with result.timing("per_boundary"):
                    done = {bid: r for bid, r in reports.items() if r is not None}
                    listed, written = write_per_boundary(
                        region,
                        bset,
                        done,
                        keys,
                        (start, end),
                        out,
                        deliverables,
                        paper=paper,
                        progress=progress,
                    )
                result.per_boundary_written += written
                manifest["periods"][f"{start}_{end}"]["per_boundary"] = listed
        per_boundary_files = {
            path
            for p in manifest["periods"].values()
            for files in p.get("per_boundary", {}).values()
            for path in files.values()
        }
        remove_stale(out, periods, per_boundary_files)
        if deliverables:
            manifest["per_boundary"] = {
                "formats": list(deliverables),
                "paper": paper if "pdf" in deliverables else None,
            }
        with result.timing("tables"), gc_paused():
            result.frames = BatchFrames(result.reports, bset)
            manifest["tables"] = write_tables(result.reports, bset, out, tables, frames=result.frames)
        with result.timing("report_json"):  # the last report files
            writer.finish()
        for start, end in periods:
            compact_keys(ReportFiles(out / f"{start}_{end}"))
    manifest["files"] = _every_file(manifest)
    with _writing(out / "manifest.json"):
        write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=2))
    return result


class ReportWriter:
    """Writes each report and then its line in the period's key log (vouching for it by its sha256) on one
    thread, in the order given, while the caller goes on (serialising the next reports, writing the tables): a
    kill in between leaves a report without a line, which the next run recomputes, but the file system's time
    overlaps the rest. One new file per report (the report), not two: creating files is the largest cost of a
    batch on a busy disk. The first failure stops the writing; it is raised by the next :meth:`write` or by
    :meth:`finish`, which waits for every file."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learn-reports")
        self._error: BaseException | None = None
        self._logs: dict[Path, int] = {}  # key log → its file descriptor (append-only)

    def write(self, files: ReportFiles, boundary_id: str, inputs_key: str, text: str) -> None:
        if self._error is not None:
            raise self._error
        self._pool.submit(self._write, files, boundary_id, inputs_key, text)

    def _write(self, files: ReportFiles, boundary_id: str, inputs_key: str, text: str) -> None:
        if self._error is not None:
            return
        try:
            with _writing(files.report(boundary_id)):
                write_text_atomic(files.report(boundary_id), text)
            log = files.keys_log
            with _writing(log):
                fd = self._logs.get(log)
                if fd is None:
                    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                    fd = self._logs[log] = os.open(log, flags, 0o666)
                    if _ends_mid_line(log):  # a line cut by a kill: the next one starts on a line of its own
                        os.write(fd, b"\n")
                os.write(
                    fd, files.key_line(boundary_id, inputs_key, text).encode("utf-8")
                )  # one line, one write
        except BaseException as err:  # handed to the caller's thread
            self._error = err

    def _close(self) -> None:
        self._pool.shutdown(wait=True)
        for fd in self._logs.values():
            os.close(fd)
        self._logs.clear()

    def finish(self) -> None:
        """Wait for every file; raise the first failure."""
        self._close()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()  # on a failure elsewhere too: no thread is left writing


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def compact_keys(files: ReportFiles) -> None:
    """Rewrite a period's key log with one line per boundary (its last) when reruns appended more."""
    try:
        lines = files.keys_log.read_text(encoding="utf-8").count("\n")
    except (OSError, UnicodeDecodeError):
        return
    stored = files.stored_keys()
    if lines == len(stored):
        return
    text = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in stored.values())
    with _writing(files.keys_log):
        write_text_atomic(files.keys_log, text)


def _every_file(manifest: dict[str, Any]) -> list[str]:
    """Every file the batch consists of (relative to its folder): reports, their keys, per-boundary files,
    tables and ``manifest.json`` itself."""
    files = ["manifest.json"]
    for period, entry in manifest["periods"].items():
        files += [f"{period}/{name}" for name in entry["reports"].values()]
        files.append(f"{period}/{KEYS_LOG}")
        for by_format in entry.get("per_boundary", {}).values():
            for path in by_format.values():
                folder, name = path.rsplit("/", 1)
                files += [path, f"{folder}/{PER_BOUNDARY_KEYS}/{name}.json"]
    for names in manifest["tables"].values():
        files += [names] if isinstance(names, str) else names
    return sorted(dict.fromkeys(files))


def _labelled(progress: Progress | None, label: str) -> Callable[[int, int], None] | None:
    return (lambda i, n: progress(label, i, n)) if progress else None


@dataclass
class BatchRun:
    """What :meth:`learn.pipeline.region.Region.batch` returns: the reports and two frames built from them.

    ``frame``: one tidy row per inventory row (:func:`learn.report.frames.tidy_frame`; ha, t CO2e/yr).
    ``geoframe``: boundaries in EPSG:4326 with their totals per period (:func:`totals_geoframe`).
    ``out``: the output folder (None when the batch ran in a temporary folder). ``inputs_changed``: of the
    reports computed, those found in ``out`` but computed from other inputs.
    """

    reports: list[Report]
    frame: pd.DataFrame
    geoframe: gpd.GeoDataFrame
    computed: int
    reused: int
    out: Path | None = None
    inputs_changed: int = 0

    @classmethod
    def from_result(cls, result: BatchResult, bset: BoundarySet, out: Path | None) -> BatchRun:
        frames = result.frames or BatchFrames(result.reports, bset)  # the tables' frames, not built again
        return cls(
            reports=result.reports,
            frame=frames.tidy,
            geoframe=frames.boundaries,
            computed=result.computed,
            reused=result.reused,
            out=out,
            inputs_changed=result.inputs_changed,
        )


def load_boundaries_file(path: Path, region: Region, *, id_field: str, name_field: str) -> BoundarySet:
    """A boundary file for ``learn batch --boundaries FILE``."""
    return load_boundary_set(path, id_field=id_field, name_field=name_field, crs=region.grid.crs)
