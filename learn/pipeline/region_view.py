"""What the orchestrator's helpers see of a region: the files of one period (:class:`PeriodLayers`) and the
:class:`RegionView` protocol, which :class:`learn.pipeline.region.Region` satisfies.

``region_report``, ``region_layers``, ``region_map`` and the ``batch*`` modules are handed the region and type it
with this protocol, so they never import ``learn.pipeline.region`` (which imports them): no import circle, not even
a type-only one (``docs/architecture.md``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from learn.accounting.factors import ForestFactorTable, TofFactorTable, TofSelection
    from learn.options import InventoryOptions
    from learn.raster.engine import ReductionJob
    from learn.raster.grid import Grid
    from learn.raster.zones import ZoneSource
    from learn.report.models import Report
    from learn.sources.boundaries import Boundary, BoundarySet
    from learn.sources.catalog import Catalog, RegionSpec


@dataclass(frozen=True)
class PeriodLayers:
    """Which files feed one inventory period (resolved paths, for reading and for provenance)."""

    start: int
    end: int
    land_cover: tuple[Path, Path]
    canopy_years: tuple[int, int] | None
    canopy: tuple[Path, Path] | None
    disturbance_periods: list[tuple[int, int]]
    disturbance: list[Path]
    forest_age_type_region: Path | None
    carbon: dict[str, Path] | None


class RegionView(Protocol):
    """A region as the orchestrator's helpers use it (:class:`learn.pipeline.region.Region` is one)."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> RegionSpec: ...

    @property
    def land_cover_years(self) -> list[int]: ...

    @property
    def canopy_years(self) -> list[int]: ...

    @property
    def disturbance_periods(self) -> list[tuple[int, int]]: ...

    @property
    def default_period(self) -> tuple[int, int]: ...

    @property
    def grid(self) -> Grid: ...

    @property
    def boundaries(self) -> BoundarySet: ...

    @property
    def forest_factors(self) -> ForestFactorTable | None: ...

    @property
    def tof_factors(self) -> TofFactorTable | None: ...

    def layer_path(self, layer: str, **fmt: int) -> Path: ...

    def boundaries_frame(self, crs: Any = "EPSG:4326") -> gpd.GeoDataFrame: ...

    def check_period(self, start: int, end: int) -> None: ...

    def period_layers(self, start: int, end: int) -> PeriodLayers: ...

    def boundary(self, boundary: str | Boundary | os.PathLike[str]) -> Boundary: ...

    def states_for(self, b: Boundary) -> list[str]: ...

    def reduction_job(self, layers: PeriodLayers, zones: ZoneSource) -> ReductionJob: ...

    def check_layers(self, job: ReductionJob) -> None: ...

    def reports_from_strata(
        self,
        boundaries: Sequence[Boundary],
        layers: PeriodLayers,
        strata: pd.DataFrame,
        options: InventoryOptions,
        zones: Sequence[int],
    ) -> list[Report]: ...

    def provenance(
        self, layers: PeriodLayers, options: InventoryOptions, tof: TofSelection | None
    ) -> dict[str, Any]: ...
