"""The report of one boundary put together from its accounting: the warnings, the boundary, the provenance.

:func:`assemble_report` (the end of :meth:`learn.pipeline.region.Region.report_from_strata`) adds to the accounting
stage's warnings those about the data (synthetic data, a repaired geometry, a boundary with no pixel or partly
off the data) and builds the :class:`learn.report.models.Report`. :func:`provenance_record` (behind
:meth:`learn.pipeline.region.Region.provenance`) says what computed a report: software version, catalog, region, grid,
every layer file used, the factor tables (label → sha256), the trees-outside-forest rows, the method and the
options.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from learn.report.models import BoundaryInfo, Period, Report
from learn.sources.boundaries import REPAIR_TOLERANCE

if TYPE_CHECKING:
    from learn.accounting.factors import TofSelection
    from learn.accounting.inventory import Accounting
    from learn.accounting.terms import AccountingInputs
    from learn.options import InventoryOptions
    from learn.pipeline.region_view import PeriodLayers
    from learn.pipeline.region_view import RegionView as Region
    from learn.sources.boundaries import Boundary


@dataclass(frozen=True)
class BoundaryFacts:
    """What a report says about its boundary's polygon: its area (ha, EPSG:5070) and the share of it on
    the region's grid (computed for many boundaries at once by :func:`boundary_facts`)."""

    polygon_area_ha: float
    inside_share: float


def boundary_facts(region: Region, boundaries: Sequence[Boundary]) -> list[BoundaryFacts]:
    """:class:`BoundaryFacts` of every boundary, with one reprojection and one intersection over them all."""
    import geopandas as gpd

    from learn.sources.boundaries import EQUAL_AREA_CRS

    out: list[BoundaryFacts] = []
    by_crs: dict[int, list[int]] = {}  # boundaries of one set share one CRS object
    for i, b in enumerate(boundaries):
        by_crs.setdefault(id(b.crs), []).append(i)
    areas = np.zeros(len(boundaries))
    for idx in by_crs.values():
        crs = boundaries[idx[0]].crs
        geoms = gpd.GeoSeries([boundaries[i].geometry for i in idx], crs=crs).to_crs(EQUAL_AREA_CRS)
        areas[idx] = geoms.area.to_numpy() / 10_000.0
    geoms = np.array([b.geometry for b in boundaries], dtype=object)
    box = shapely.box(*region.grid.bounds)
    shapely.prepare(box)
    # Most boundaries lie inside the grid: a prepared containment test, not an intersection of
    # every (densified) polygon with the box (1.2 s for 3,300 boundaries).
    inside = np.ones(len(geoms))
    partial = ~shapely.contains(box, geoms)  # a boundary may touch the grid's edge from inside
    if partial.any():
        cut = geoms[partial]
        inside[partial] = shapely.area(shapely.intersection(cut, box)) / np.maximum(shapely.area(cut), 1e-9)
    for area, share in zip(areas.tolist(), inside.tolist(), strict=True):
        out.append(BoundaryFacts(polygon_area_ha=float(area), inside_share=float(share)))
    return out


def accounting_inputs(
    region: Region, layers: PeriodLayers, options: InventoryOptions, tof: TofSelection | None
) -> AccountingInputs:
    """What the accounting needs besides the stratum table, for ``region`` in the period of ``layers``."""
    from learn.accounting.terms import AccountingInputs

    canopy_spec = region.spec.layers.get("tree_canopy")
    return AccountingInputs(
        disturbance_not_estimated=disturbance_gaps(region, layers.disturbance_periods),
        start=layers.start,
        end=layers.end,
        pixel_area_ha=region.grid.pixel_area_ha,
        forest_factors=region.forest_factors,
        tof=tof,
        canopy_unit=(0.01 if canopy_spec and canopy_spec.units == "percent" else 1.0)
        if layers.canopy
        else None,
        canopy_years=layers.canopy_years,
        has_carbon=layers.carbon is not None,
        has_disturbance=bool(layers.disturbance),
        has_forest_codes=layers.forest_age_type_region is not None,
        recategorize_burned_grassland=options.recategorize_burned_grassland,
    )


def disturbance_gaps(region: Region, periods: Sequence[tuple[int, int]]) -> dict[str, str]:
    """The disturbance types the region's layer cannot say in ``periods`` (catalog ``not_estimated``) → why."""
    spec = region.spec.layers.get("disturbance")
    gaps: dict[str, list[str]] = {}
    for gap in (spec.not_estimated or []) if spec else []:
        if tuple(gap.period) in {tuple(p) for p in periods}:
            gaps.setdefault(gap.term, []).append(f"{gap.period[0]}-{gap.period[1]}: {gap.reason}")
    return {term: "; ".join(reasons) for term, reasons in gaps.items()}


def tof_selections(region: Region, boundaries: Sequence[Boundary]) -> list[TofSelection | None]:
    """The trees-outside-forest factors LEARN picks for each boundary (None: the region has no table)."""
    from learn.accounting.tof_selection import TofSelector

    if region.tof_factors is None:
        return [None] * len(boundaries)
    selector = TofSelector(region.tof_factors)
    return [selector.select(place_name=b.name, states_by_overlap=region.states_for(b)) for b in boundaries]


def assemble_reports(
    region: Region,
    boundaries: Sequence[Boundary],
    layers: PeriodLayers,
    accounts: Sequence[Accounting],
    options: InventoryOptions,
    tofs: Sequence[TofSelection | None],
) -> list[Report]:
    """The reports of ``boundaries`` from their accountings: :func:`assemble_report` for each, with the
    parts they share (provenance but the TOF rows, the polygons' areas) computed once."""
    shared = region.provenance(layers, options, None)
    facts = boundary_facts(region, boundaries)
    out = []
    for b, acc, tof, fact in zip(boundaries, accounts, tofs, facts, strict=True):
        provenance = {**shared, "tof_factor_rows": _tof_rows(tof)}
        out.append(assemble_report(region, b, layers, acc, options, tof, provenance=provenance, facts=fact))
    return out


def _tof_rows(tof: TofSelection | None) -> dict[str, Any] | None:
    return {"ef": tof.ef_row, "rf": tof.rf_row} if tof else None


def assemble_report(
    region: Region,
    b: Boundary,
    layers: PeriodLayers,
    acc: Accounting,
    options: InventoryOptions,
    tof: TofSelection | None,
    *,
    provenance: dict[str, Any] | None = None,
    facts: BoundaryFacts | None = None,
) -> Report:
    """The report of boundary ``b`` of ``region`` from its accounting ``acc``, with warnings and provenance
    (``provenance``, ``facts``: already computed, see :func:`assemble_reports`)."""
    warnings = list(acc.warnings)
    if region.spec.synthetic:
        warnings.insert(
            0,
            f"SYNTHETIC DATA: region '{region.name}' is generated demo data, not a real place; "
            "do not use these numbers for reporting",
        )
    canopy_note = canopy_years_warning(region, layers)
    if canopy_note:
        warnings.append(canopy_note)
    if b.repaired:
        warnings.append(
            f"the geometry of boundary '{b.id}' was invalid and was repaired with shapely.make_valid "
            f"(area kept within {100 * REPAIR_TOLERANCE:g} % of the area its rings describe)"
        )
    if acc.area_ha == 0:
        warnings.append(f"boundary '{b.id}' contains no pixel centre of the grid; all values are zero")
    facts = facts or boundary_facts(region, [b])[0]
    if facts.inside_share < 0.999:
        warnings.append(
            f"{100 * (1 - facts.inside_share):.1f} % of boundary '{b.id}' lies outside the region's data and is "
            "not counted"
        )
    return Report(
        boundary=BoundaryInfo(
            id=b.id,
            name=b.name,
            area_ha=acc.area_ha,
            polygon_area_ha=facts.polygon_area_ha,
            nodata_area_ha=acc.nodata_area_ha,
        ),
        period=Period(start=layers.start, end=layers.end, years=layers.end - layers.start),
        inventory=acc.inventory,
        harvest_by_severity=acc.harvest_by_severity,
        tree_canopy_cover=acc.tree_canopy_cover,
        ipcc_summary=acc.ipcc_summary,
        totals=acc.totals,
        change_matrix=acc.change_matrix,
        tree_canopy=acc.tree_canopy,
        warnings=warnings,
        provenance=provenance if provenance is not None else region.provenance(layers, options, tof),
    )


def canopy_years_warning(region: Region, layers: PeriodLayers) -> str | None:
    """Say so when the canopy years used are not the inventory years (docs/method.md §1.2, §4); None if they are."""
    if not layers.canopy or not layers.canopy_years or layers.canopy_years == (layers.start, layers.end):
        return None
    (c1, c2), years = layers.canopy_years, layers.end - layers.start
    absent = [y for y in (layers.start, layers.end) if y not in region.canopy_years]
    why = (
        f"the region has no tree canopy layer for {' or '.join(map(str, absent))}"
        if absent
        else "the canopy years are chosen as docs/method.md §1.2 says"
    )
    return (
        f"Trees outside forests use tree canopy {c1}→{c2} for the {layers.start}–{layers.end} inventory ({why}): "
        f"canopy area is the mean of {c1} and {c2}, and canopy loss {c1}→{c2} is scaled by "
        f"{years}/{c2 - c1} = {years / (c2 - c1):.4g} to the inventory's {years} years"
    )


def path_for_reports(path: str | Path, catalog_dir: Path) -> str:
    """How reports name a file the catalog points to: relative to the catalog's folder (POSIX), so that
    shared outputs (JSON, XLSX, HTML, the API) carry no server paths; a URL as it is."""
    text = str(path)
    if "://" in text or text.startswith("/vsi"):
        return text
    try:
        return Path(os.path.relpath(os.path.abspath(text), os.path.abspath(catalog_dir))).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return text


def provenance_record(
    region: Region, layers: PeriodLayers, options: InventoryOptions, tof: TofSelection | None
) -> dict[str, Any]:
    """The provenance of a report of ``region`` for one period (``layers``), ``options`` and TOF rows ``tof``."""
    from learn._version import __version__

    def layer_entry(name: str, path: Path, **extra: Any) -> dict[str, Any]:
        spec = region.spec.layers.get(name)
        return {
            "path": path_for_reports(path, region.catalog.base_dir),
            "source": spec.source if spec else None,
            "version": spec.version if spec else None,
            **extra,
        }

    used: dict[str, Any] = {
        "land_cover_start": layer_entry("land_cover", layers.land_cover[0], year=layers.start),
        "land_cover_end": layer_entry("land_cover", layers.land_cover[1], year=layers.end),
    }
    if layers.canopy and layers.canopy_years:
        used["tree_canopy_start"] = layer_entry("tree_canopy", layers.canopy[0], year=layers.canopy_years[0])
        used["tree_canopy_end"] = layer_entry("tree_canopy", layers.canopy[1], year=layers.canopy_years[1])
    if layers.forest_age_type_region:
        used["forest_age_type_region"] = layer_entry("forest_age_type_region", layers.forest_age_type_region)
    for (a, b_), p in zip(layers.disturbance_periods, layers.disturbance, strict=True):
        used[f"disturbance_{a}_{b_}"] = layer_entry("disturbance", p, period=[a, b_], combined_by="max")
    if layers.carbon:
        for k, p in layers.carbon.items():
            used[k] = layer_entry(k, p)
    tables: dict[str, str] = {}
    if region.forest_factors:
        tables[region.forest_factors.label] = region.forest_factors.sha256
    if region.tof_factors:
        tables[region.tof_factors.label] = region.tof_factors.sha256
    return {
        "software_version": __version__,
        "catalog": region.catalog.path.name if region.catalog.path else None,
        "region": region.name,
        "synthetic": region.spec.synthetic,
        "grid": {
            "crs": region.grid.crs.to_string(),
            "transform": list(region.grid.transform)[:6],
            "width": region.grid.width,
            "height": region.grid.height,
            "pixel_area_ha": region.grid.pixel_area_ha,
        },
        "layers": used,
        "factor_tables": tables,
        **({"forest_factors_fia": fia} if (fia := _fia_provenance(region)) else {}),
        "tof_factor_rows": _tof_rows(tof),
        "method": "ICLEI USA / WRI LEARN (IPCC gain-loss): Glen, Harris & Birdsey 2024, WRI Technical Note "
        "doi:10.46830/writn.20.00011; erin-glen/learn_analysis",
        "options": options.as_dict(),
    }


def _fia_provenance(region: Region) -> dict[str, Any] | None:
    """What an FIA-derived forest table was derived from (EVALIDs, pyfia version, date; docs/factors.md):
    None for a table without those columns (LEARN's layout, the demo's)."""
    table = region.forest_factors.table if region.forest_factors else None
    if table is None or "evalid" not in table.columns:
        return None

    def values(col: str) -> list[str]:
        return sorted({str(v) for v in table[col].dropna()}) if col in table.columns else []

    return {
        "derived": "this tool's FIA-derived removal factors (learn factors fia), not LEARN's",
        "evalids": sorted({e for v in values("evalid") for e in v.split(";") if e}),
        "pyfia_version": values("pyfia_version"),
        "derived_on": values("derived_on"),
        "fallback_levels": values("fallback_forest_remaining"),
    }
