"""The baselines of pathways, cached like reports: one raster pass per (region, boundary or polygon, period,
options); the other periods' reports the area-rate variability needs come from the report cache."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.cache import LruCache, SingleFlight
from learn.analyses.pathways.baseline import baseline_of
from learn.analyses.pathways.basis import PathwayBasis
from learn.options import InventoryOptions
from learn.report.models import Report

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.sources.boundaries import Boundary

Key = tuple[Any, ...]


class PathwayBases:
    def __init__(self, size: int = 256) -> None:
        self.cache: LruCache[Key, tuple[Report, PathwayBasis]] = LruCache(size)
        self._flight: SingleFlight[Key, tuple[Report, PathwayBasis]] = SingleFlight()

    def get(
        self,
        key: Key,
        region: Region,
        boundary: str | Boundary,
        period: tuple[int, int],
        options: InventoryOptions,
    ) -> tuple[Report, PathwayBasis]:
        hit = self.cache.get(key)
        if hit is not None:
            return hit

        def compute() -> tuple[Report, PathwayBasis]:
            value = baseline_of(region, boundary, period, options)
            self.cache.put(key, value)
            return value

        return self._flight.run(key, compute)
