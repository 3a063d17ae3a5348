"""A boundary's baseline for a pathway from a region: one raster pass gives the report and, from the same
stratum table, what the report does not hold — hectares per forest-table row of the two removal rows and the
tree canopy on non-forest land in both canopy years (:mod:`learn.analyses.pathways.basis`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import learn.landuse as lu
from learn.accounting.disturbance import disturbance_masks
from learn.accounting.forest_strata import ForestStrata
from learn.accounting.terms import AccountingInputs
from learn.accounting.zone_table import ZoneTable, ZoneWarnings
from learn.analyses.pathways.basis import PathwayBasis, basis_from_report, removal_mixes
from learn.options import InventoryOptions
from learn.pipeline.region_report import accounting_inputs
from learn.report.models import Report

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.raster.engine import Progress
    from learn.sources.boundaries import Boundary


def strata_extras(
    strata: pd.DataFrame, inp: AccountingInputs
) -> tuple[tuple[np.ndarray, np.ndarray] | None, tuple[float, float] | None]:
    """(undisturbed ha, reforestation ha) per forest-table row, and canopy ha on non-forest → non-forest land
    in the two canopy years, of a one-boundary stratum table (None where the region lacks the layer/table)."""
    t = ZoneTable.prepare(strata)
    s = ForestStrata.of(t, inp)
    hectares = None
    if s.table is not None and inp.has_forest_codes:
        masks = disturbance_masks(s, inp, ZoneWarnings(1))
        reforest = t.is_transition(lu.NONFOREST_TO_FOREST) & s.counted
        n = len(s.table.table)

        def by_row(mask: np.ndarray) -> np.ndarray:
            sel = mask & (s.position >= 0)
            return np.bincount(s.position[sel], weights=(s.pixels * s.px)[sel], minlength=n).astype(
                np.float64
            )

        hectares = (by_row(masks["undisturbed"]), by_row(reforest))
    canopy = None
    if inp.canopy_unit is not None:
        nn = t.valid & t.is_transition(lu.NONFOREST_TO_NONFOREST)
        scale = inp.canopy_unit * inp.pixel_area_ha
        canopy = (
            float(t.by_zone(nn, t.col("canopy1_sum"))[0] * scale),
            float(t.by_zone(nn, t.col("canopy2_sum"))[0] * scale),
        )
    return hectares, canopy


def baseline_of(
    region: Region,
    boundary: str | Boundary | os.PathLike[str],
    period: tuple[int, int],
    options: InventoryOptions | None = None,
    progress: Progress | None = None,
) -> tuple[Report, PathwayBasis]:
    """The baseline report of ``boundary`` in ``period`` and its pathway basis, from one raster pass."""
    options = options or InventoryOptions()
    start, end = period
    layers = region.period_layers(start, end)
    b = region.boundary(boundary)
    _ = region.forest_factors, region.tof_factors  # a bad factor table fails before rasters are read
    strata = region.strata(b, layers, options, progress)
    report = region.report_from_strata(b, layers, strata, options)
    inp = accounting_inputs(region, layers, options, None)
    hectares, canopy = strata_extras(strata, inp)
    table = region.forest_factors if hectares is not None else None
    empty = np.zeros(0)
    mixes = removal_mixes(table, *(hectares or (empty, empty)))
    return report, basis_from_report(report, mixes, canopy, layers.canopy_years)
