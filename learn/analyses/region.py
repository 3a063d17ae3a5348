"""The region the Python API hands out (``learn.open_region``): :class:`learn.pipeline.region.Region` with the
analyses built on its reports as methods — the orchestrator below never imports the analyses above it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from learn.options import InventoryOptions
from learn.pipeline.region import Region as PipelineRegion
from learn.sources.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    from learn.analyses.pathways.model import Pathways
    from learn.analyses.pathways.scenario import Scenario
    from learn.report.trend import Trend


class Region(PipelineRegion):
    def pathways(
        self,
        boundary: str | os.PathLike[str] | Any,
        baseline: Sequence[int] | None = None,
        to: int = 2050,
        scenarios: Sequence[Scenario | dict[str, Any] | str | os.PathLike[str]] = (),
        options: InventoryOptions | None = None,
        **kwargs: Any,
    ) -> Pathways:
        """Business as usual and ``scenarios`` of ``boundary`` from its ``baseline`` period (default: the latest)
        to ``to``, with the 90 % interval (:func:`learn.analyses.pathways.boundary_pathways`; docs/pathways.md).

        ``scenarios``: :class:`~learn.analyses.pathways.Scenario` objects, ``{"name", "measures"}`` mappings or
        paths of scenario YAML files. The result's ``.frame()`` is one row per scenario and year."""
        from learn.analyses.pathways import boundary_pathways, load_scenario

        loaded = [load_scenario(s) if isinstance(s, str | os.PathLike) else s for s in scenarios]
        return boundary_pathways(self, boundary, baseline, to, loaded, options, **kwargs)

    def trend(self, boundary: str, options: InventoryOptions | None = None) -> Trend:
        """Net flux of ``boundary`` by IPCC category in each of the region's periods (:func:`learn.trend.boundary_trend`)."""
        from learn.analyses.trend import boundary_trend

        return boundary_trend(self, boundary, options)


def open_region(name: str = "demo", catalog: str | os.PathLike[str] | Catalog | None = None) -> Region:
    """Open a region of a catalog (default catalog: ``$LEARN_CATALOG`` or ``./data_catalog.yaml``)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    return Region(cat, name)
