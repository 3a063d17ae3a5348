"""A region: its layers, boundaries and factor tables, and the inventory computed on them.

This is the Python API researchers use (``docs/python_api.md``)::

    import learn
    region = learn.open_region("demo")                 # default catalog ($LEARN_CATALOG)
    report = region.inventory("99001", (2011, 2019))   # a learn.report.models.Report
    report.inventory_frame()                           # pandas; fluxes in t CO2e/yr, areas in ha
    report.change_matrix_da()                          # xarray, ha, dims class_start × class_end
    run = region.batch([(2001, 2011), (2011, 2019)])   # every boundary; run.frame, run.geoframe
    lc = region.layer("land_cover", year=2019, boundary="99001")   # rioxarray DataArray

Both stages run here (:meth:`Region.strata`, :meth:`Region.report_from_strata`); a report's warnings and
provenance are put together in :mod:`learn.pipeline.region_report`, the layers read for notebooks and maps in
:mod:`learn.pipeline.region_layers`.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from learn.accounting.factors import (
    ForestFactorTable,
    TofFactorTable,
    TofSelection,
    load_forest_factors,
    load_tof_factors,
)
from learn.accounting.inventory import account, account_zones
from learn.errors import BoundaryError, PeriodError, RasterError
from learn.layers import CARBON_LAYERS, choose_canopy_years
from learn.options import InventoryOptions
from learn.pipeline.region_layers import read_layer
from learn.pipeline.region_report import (
    accounting_inputs,
    assemble_report,
    assemble_reports,
    path_for_reports,
    provenance_record,
    tof_selections,
)
from learn.pipeline.region_view import PeriodLayers as PeriodLayers  # importable from here too
from learn.raster.engine import ReductionJob, grid_windows, open_job_layers, reduce
from learn.raster.grid import Grid, grid_of, open_raster
from learn.raster.zones import GeometryZones, ZoneSource
from learn.report.models import Report
from learn.sources.boundaries import Boundary, BoundarySet, boundary_from_file, load_boundary_set
from learn.sources.catalog import Catalog, RegionSpec, load_catalog
from learn.sources.census.legacy_names import legacy_county_names
from learn.sources.domains import check_forest_codes

if TYPE_CHECKING:
    import xarray as xr

    from learn.pipeline.batch import BatchRun

Progress = Callable[[int, int], None]


class Region:
    """One region of a catalog (see ``data_catalog.yaml``)."""

    def __init__(self, catalog: Catalog, name: str) -> None:
        self.catalog = catalog
        self.name = name
        self.spec: RegionSpec = catalog.region(name)

    # ---- what the region holds -------------------------------------------------------------
    @property
    def land_cover_years(self) -> list[int]:
        return list(self.spec.layers["land_cover"].years or [])

    @property
    def canopy_years(self) -> list[int]:
        spec = self.spec.layers.get("tree_canopy")
        return list(spec.years or []) if spec else []

    @property
    def disturbance_periods(self) -> list[tuple[int, int]]:
        spec = self.spec.layers.get("disturbance")
        return [tuple(p) for p in spec.periods or []] if spec else []  # type: ignore[misc]

    @property
    def default_period(self) -> tuple[int, int]:
        if self.spec.default_period:
            return tuple(self.spec.default_period)  # type: ignore[return-value]
        years = self.land_cover_years
        return (years[-2], years[-1]) if len(years) >= 2 else (years[0], years[0])

    def layer_path(self, layer: str, **fmt: int) -> Path:
        """Resolved path of a layer file ({year} / {start} / {end} filled in)."""
        return self.catalog.resolve(self.spec.layers[layer].path.format(**fmt))

    @cached_property
    def grid(self) -> Grid:
        with open_raster(self.layer_path("land_cover", year=self.land_cover_years[0]), "land cover") as ds:
            return grid_of(ds)

    @cached_property
    def boundaries(self) -> BoundarySet:
        b = self.spec.boundaries
        path = self.catalog.resolve(b.path)
        boundaries = load_boundary_set(
            path,
            id_field=b.id_field,
            name_field=b.name_field,
            crs=self.grid.crs,
            layer=b.layer,
            state_field=b.state_field,
            kind_field=b.kind_field,
        )
        # a county fetched before its file had display names: "Hampshire County, MA" all the same (issue 26)
        labels = legacy_county_names(path, b.name_field)
        if labels:
            names = boundaries.frame["id"].map(labels)
            boundaries.frame["name"] = names.where(names.notna(), boundaries.frame["name"])
        return boundaries

    @cached_property
    def forest_factors(self) -> ForestFactorTable | None:
        p = self.spec.factors.forest
        return load_forest_factors(self.catalog.resolve(p), self._shown(p)) if p else None

    @cached_property
    def tof_factors(self) -> TofFactorTable | None:
        p = self.spec.factors.trees_outside_forest
        return load_tof_factors(self.catalog.resolve(p), self._shown(p)) if p else None

    def _shown(self, catalog_path: str) -> str:
        """How reports name a file of the catalog (relative to its folder, no server paths)."""
        return path_for_reports(self.catalog.resolve(catalog_path), self.catalog.base_dir)

    def with_factors(
        self, *, forest: ForestFactorTable | None = None, tof: TofFactorTable | None = None
    ) -> Region:
        """The same region (catalog, grid, boundaries) computing with other factor tables.

        E.g. ``region.with_factors(forest=region.forest_factors.scaled(column, 1.1))``; tables left as
        None stay the region's own. Reports name the tables used (``provenance.factor_tables``).
        """
        other = copy.copy(self)
        other.__dict__ = dict(self.__dict__)  # shares the cached grid and boundaries
        if forest is not None:
            other.__dict__["forest_factors"] = forest
        if tof is not None:
            other.__dict__["tof_factors"] = tof
        return other

    def boundaries_frame(self, crs: Any = "EPSG:4326") -> gpd.GeoDataFrame:
        """The region's boundaries (``id``, ``name``, ``state``, ``kind``, geometry) in ``crs``
        (default EPSG:4326, for web maps; ``None`` keeps the grid's CRS)."""
        frame = self.boundaries.frame.drop(columns=["_repaired"], errors="ignore")
        return frame.to_crs(crs) if crs is not None else frame.copy()

    # ---- periods ----------------------------------------------------------------------------
    def check_period(self, start: int, end: int) -> None:
        years = self.land_cover_years
        if start >= end:
            raise PeriodError(
                f"start year {start} must be before end year {end}",
                hint=f"e.g. --years {years[0]} {years[-1]}",
            )
        missing = [y for y in (start, end) if y not in years]
        if missing:
            raise PeriodError(
                f"region '{self.name}' has no land cover for {missing}", hint=f"available years: {years}"
            )

    def period_layers(self, start: int, end: int) -> PeriodLayers:
        """Resolve the files for one period: land cover, canopy years, disturbance periods inside it."""
        self.check_period(start, end)
        canopy_years = choose_canopy_years(self.canopy_years, start, end)
        periods = [p for p in self.disturbance_periods if start <= p[0] and p[1] <= end]
        layers = self.spec.layers
        return PeriodLayers(
            start=start,
            end=end,
            land_cover=(self.layer_path("land_cover", year=start), self.layer_path("land_cover", year=end)),
            canopy_years=canopy_years,
            canopy=(
                self.layer_path("tree_canopy", year=canopy_years[0]),
                self.layer_path("tree_canopy", year=canopy_years[1]),
            )
            if canopy_years
            else None,
            disturbance_periods=periods,
            disturbance=[self.layer_path("disturbance", start=a, end=b) for a, b in periods],
            forest_age_type_region=self.layer_path("forest_age_type_region")
            if "forest_age_type_region" in layers
            else None,
            carbon={k: self.layer_path(k) for k in CARBON_LAYERS}
            if all(k in layers for k in CARBON_LAYERS)
            else None,
        )

    # ---- boundaries -------------------------------------------------------------------------
    def boundary(self, boundary: str | Boundary | os.PathLike[str]) -> Boundary:
        """A boundary by id (or exact name), a ready :class:`Boundary`, or a polygon file path."""
        if isinstance(boundary, Boundary):
            return boundary
        if isinstance(boundary, os.PathLike):
            return boundary_from_file(Path(boundary), self.grid.crs)
        return self.boundaries.get(str(boundary))

    def states_for(self, b: Boundary) -> list[str]:
        return b.states or ([self.spec.state] if self.spec.state else [])

    # ---- the two stages ---------------------------------------------------------------------
    def reduction_job(self, layers: PeriodLayers, zones: ZoneSource) -> ReductionJob:
        """The raster-stage job for one period and a set of zones (plain paths; pickles for dask)."""
        canopy_spec = self.spec.layers.get("tree_canopy")
        carbon = tuple(str(layers.carbon[k]) for k in CARBON_LAYERS) if layers.carbon else None
        return ReductionJob(
            land_cover=(str(layers.land_cover[0]), str(layers.land_cover[1])),
            zones=zones,
            forest_age_type_region=str(layers.forest_age_type_region)
            if layers.forest_age_type_region
            else None,
            disturbance=tuple(str(p) for p in layers.disturbance),
            carbon=carbon,  # type: ignore[arg-type]
            canopy=(str(layers.canopy[0]), str(layers.canopy[1])) if layers.canopy else None,
            canopy_max=100.0 if canopy_spec is not None and canopy_spec.units == "percent" else 1.0,
        )

    def check_layers(self, job: ReductionJob) -> None:
        """Open every layer of a job once: missing, corrupt or misaligned files fail here, before any work."""
        with open_job_layers(job) as stack:
            if stack.grid != self.grid:
                raise RasterError(
                    "the land cover of the period is not on the grid of the region's first year"
                )
        code = self.spec.layers.get("forest_age_type_region")
        if job.forest_age_type_region and code is not None and code.codes:  # the contract declared: checked
            check_forest_codes(job.forest_age_type_region, f"region '{self.name}'")

    def strata(
        self,
        b: Boundary,
        layers: PeriodLayers,
        options: InventoryOptions = InventoryOptions(),
        progress: Progress | None = None,
    ) -> pd.DataFrame:
        """Raster stage for one boundary: the stratum table (see :mod:`learn.raster.strata`)."""
        grid = self.grid
        window = grid.window_for_bounds(shapely.bounds(b.geometry).tolist())
        if window is None:
            gb = [round(v) for v in grid.bounds]
            raise BoundaryError(
                f"boundary '{b.id}' ({b.name}) lies outside the region's grid",
                hint=f"the region '{self.name}' covers {gb} in {grid.crs}",
            )
        job = self.reduction_job(layers, GeometryZones([b.geometry], [b.id], options.pixel_rule))
        self.check_layers(job)
        return reduce(
            job, grid_windows(grid, window, options.block_size), workers=options.workers, progress=progress
        )

    def inventory(
        self,
        boundary: str | Boundary | os.PathLike[str],
        years: Sequence[int] | None = None,
        options: InventoryOptions = InventoryOptions(),
        progress: Progress | None = None,
    ) -> Report:
        """Compute the report of one boundary for one period (``years`` = (start, end))."""
        start, end = (int(years[0]), int(years[1])) if years else self.default_period
        layers = self.period_layers(start, end)
        b = self.boundary(boundary)
        _ = self.forest_factors, self.tof_factors  # fail on a bad factor table before reading rasters
        strata = self.strata(b, layers, options, progress)
        return self.report_from_strata(b, layers, strata, options)

    def batch(
        self,
        years_or_periods: Sequence[int] | Sequence[Sequence[int]],
        out: str | os.PathLike[str] | None = None,
        boundaries: BoundarySet | None = None,
        options: InventoryOptions = InventoryOptions(),
        formats: Sequence[str] | str | None = None,
        per_boundary: Sequence[str] | str | None = None,
    ) -> BatchRun:
        """Every boundary for one or more periods, one raster pass per period (:func:`learn.pipeline.batch.run_batch`).

        ``years_or_periods``: ``(2011, 2019)`` or ``[(2001, 2011), (2011, 2019)]``. ``out``: where the
        batch outputs go (JSON per report, ``inventory.csv``/``.parquet``, ``boundaries.gpkg``/``.geojson``/
        ``.parquet``, ``manifest.json``); a rerun into the same folder reuses finished reports. With
        ``out=None`` they are computed in a temporary folder that is deleted afterwards. ``boundaries``:
        another boundary set (default: the region's). ``formats``: the tables written in ``out``, from
        ``csv``, ``parquet``, ``xlsx``, ``gpkg``, ``geojson``, ``geoparquet`` (None: all six; the reports
        and ``manifest.json`` are always written). ``per_boundary``: one file per boundary and period in
        ``out/per_boundary/`` (``csv``, ``xlsx``, ``pdf``, …; :mod:`learn.pipeline.batch_files`; needs ``out``).
        Returns a :class:`learn.pipeline.batch.BatchRun` with
        ``.reports``, ``.frame`` (tidy rows, t CO2e/yr and ha) and ``.geoframe`` (EPSG:4326 totals).
        """
        from learn.pipeline.batch import BatchRun, run_batch

        first = years_or_periods[0]
        if isinstance(first, int | np.integer):
            periods = [(int(years_or_periods[0]), int(years_or_periods[1]))]  # type: ignore[arg-type]
        else:
            periods = [(int(p[0]), int(p[1])) for p in years_or_periods]  # type: ignore[index]
        bset = boundaries or self.boundaries
        if out is not None:
            result = run_batch(
                self, periods, Path(out), options, boundaries=bset, formats=formats, per_boundary=per_boundary
            )
            return BatchRun.from_result(result, bset, Path(out))
        if per_boundary:
            raise ValueError("per_boundary files need an output folder: give out=")
        with tempfile.TemporaryDirectory(prefix="learn-batch-") as tmp:
            result = run_batch(self, periods, tmp, options, boundaries=bset, formats=formats)
        return BatchRun.from_result(result, bset, None)

    def layer(
        self,
        name: str,
        year: int | None = None,
        start: int | None = None,
        end: int | None = None,
        boundary: str | Boundary | os.PathLike[str] | None = None,
    ) -> xr.DataArray:
        """One layer as a rioxarray ``DataArray`` (y × x, the grid's CRS), nodata masked as NaN (float32).

        ``name``: a catalog layer (``land_cover`` and ``tree_canopy`` take ``year``, default the end of the
        default period / the latest canopy year; ``disturbance`` takes ``start``/``end`` and combines the
        disturbance periods inside by per-pixel MAX, as the inventory does; ``forest_age_type_region``,
        ``carbon_*`` take nothing) or ``"forest_change"`` (from the land cover of ``start`` and ``end``:
        codes of :data:`learn.report.palettes.FOREST_CHANGE`, 0 = no forest change). ``boundary``: clip to its
        bounding box. ``attrs``: ``units`` (class, percent, t C/ha), ``source``, ``layer``, the year or
        period, ``region``, ``synthetic``. For maps see :func:`learn.mapping.add_layer`.
        """
        return read_layer(self, name, year, start, end, boundary)

    def report_from_strata(
        self,
        b: Boundary,
        layers: PeriodLayers,
        strata: pd.DataFrame,
        options: InventoryOptions,
        *,
        tof: TofSelection | None = None,
    ) -> Report:
        """Accounting stage + provenance for one boundary (:meth:`reports_from_strata` with one zone).

        ``tof``: trees-outside-forest factors to use instead of those :func:`learn.accounting.tof_selection.select_tof_factors` picks
        for the boundary (e.g. another place's row, :meth:`TofFactorTable.row_selection`); the report's
        provenance names the rows used either way.
        """
        tof = tof if tof is not None else tof_selections(self, [b])[0]
        acc = account(strata, accounting_inputs(self, layers, options, tof))
        return assemble_report(self, b, layers, acc, options, tof)

    def reports_from_strata(
        self,
        boundaries: Sequence[Boundary],
        layers: PeriodLayers,
        strata: pd.DataFrame,
        options: InventoryOptions,
        zones: Sequence[int],
    ) -> list[Report]:
        """Accounting stage + provenance for many boundaries at once: ``strata`` holds every zone
        (its ``zone`` column), ``zones[i]`` is the zone of ``boundaries[i]`` (:func:`account_zones`)."""
        tofs = tof_selections(self, boundaries)
        inp = accounting_inputs(self, layers, options, None)
        accounts = account_zones(strata, inp, zones, tofs)
        return assemble_reports(self, boundaries, layers, accounts, options, tofs)

    def provenance(
        self, layers: PeriodLayers, options: InventoryOptions, tof: TofSelection | None
    ) -> dict[str, Any]:
        return provenance_record(self, layers, options, tof)


def open_region(name: str = "demo", catalog: str | os.PathLike[str] | Catalog | None = None) -> Region:
    """Open a region of a catalog (default catalog: ``$LEARN_CATALOG`` or ``./data_catalog.yaml``)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    return Region(cat, name)
