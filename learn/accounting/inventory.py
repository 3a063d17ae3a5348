"""The accounting stage: stratum table → LEARN report rows (IPCC gain–loss), for every zone at once.

Implements ``docs/method.md`` (ICLEI USA / WRI LEARN; Glen, Harris & Birdsey 2024,
doi:10.46830/writn.20.00011; analysis code erin-glen/learn_analysis). Fluxes in t CO2e/yr, emissions
positive, removals negative.

:func:`account_zones` takes the stratum table of all zones and returns each zone's :class:`Accounting`:
every term sums its strata by zone (:mod:`learn.accounting.zone_table`), then each zone's rows, totals
and warnings are put together. :func:`account` is the same for one boundary (one zone). A new term is
one function returning :class:`~learn.accounting.zone_table.RowSums` (one row, every zone), added to
:func:`term_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

import learn.landuse as lu
from learn.accounting.factors import TofSelection
from learn.accounting.forest import ForestRows, forest_rows
from learn.accounting.forest_strata import ForestStrata
from learn.accounting.terms import (
    FIRE,
    FOREST_CHANGE,
    FOREST_REMAINING,
    IPCC_F2NF,
    IPCC_FRF,
    IPCC_NF2F,
    IPCC_TOF,
    IPCC_TOTAL,
    REFORESTATION,
    TOTAL,
    TREES_OUTSIDE,
    AccountingInputs,
    make_row,
)
from learn.accounting.trees_outside_forest import canopy_cover, tof_rows, tree_canopy_summary
from learn.accounting.uncertainty import Interval
from learn.accounting.zone_table import RowSums, ZoneTable, ZoneWarnings
from learn.report.models import (
    CanopyCover,
    CanopyRow,
    ChangeMatrix,
    HarvestSeverityRow,
    InventoryRow,
    SummaryRow,
    Totals,
    not_estimated_rows,
    row_name,
)


@dataclass
class Accounting:
    inventory: list[InventoryRow]
    ipcc_summary: list[SummaryRow]
    totals: Totals
    change_matrix: ChangeMatrix
    tree_canopy: list[CanopyRow]
    warnings: list[str] = field(default_factory=list)
    #: Tree canopy cover of the whole boundary in the two canopy years (None without canopy).
    tree_canopy_cover: CanopyCover | None = None
    area_ha: float = 0.0
    #: Forest Remaining Forest — Harvest/Other by severity class: a breakdown of that row, outside the totals.
    harvest_by_severity: list[HarvestSeverityRow] = field(default_factory=list)
    nodata_area_ha: float = 0.0


def change_matrices(t: ZoneTable, pixel_area_ha: float) -> list[ChangeMatrix]:
    """Area (ha) of each (start class, end class) pair in LEARN's class order (rows = start year), per
    zone; classes outside that order are added (sorted) in the zones that have them."""
    v = t.valid
    lc1, lc2, zone = t.codes("lc1")[v], t.codes("lc2")[v], t.zone[v]
    key = (zone * 256 + lc1) * 256 + lc2
    keys, inverse = np.unique(key, return_inverse=True)
    pixels = np.bincount(inverse, weights=t.col("pixels")[v], minlength=len(keys))
    z_of, a_of, b_of = keys // 65536, keys // 256 % 256, keys % 256
    starts = np.searchsorted(z_of, np.arange(t.n_zones + 1))
    order = lu.LEARN_MATRIX_ORDER
    out = []
    for z in range(t.n_zones):
        lo, hi = starts[z], starts[z + 1]
        a, b, px = a_of[lo:hi].tolist(), b_of[lo:hi].tolist(), pixels[lo:hi].tolist()
        extra = sorted((set(a) | set(b)) - set(order))
        classes = [*order, *(int(c) for c in extra)]
        index = {c: i for i, c in enumerate(classes)}
        m = np.zeros((len(classes), len(classes)))
        for i, j, p in zip(a, b, px, strict=True):
            m[index[i], index[j]] += p * pixel_area_ha
        out.append(
            ChangeMatrix(
                classes=classes,
                hectares=m.tolist(),
                row_totals_ha=m.sum(axis=1).tolist(),
                column_totals_ha=m.sum(axis=0).tolist(),
                total_ha=float(m.sum()),
            )
        )
    return out


def _ipcc_summary(rows: list[InventoryRow]) -> list[SummaryRow]:
    def net(pred: Any) -> float | None:
        vals = [r.net_t_co2e_per_yr for r in rows if pred(r)]
        known = [v for v in vals if v is not None]
        return float(sum(known)) if known else None

    groups = [
        (IPCC_FRF, lambda r: r.category == FOREST_REMAINING),
        (IPCC_F2NF, lambda r: r.category == FOREST_CHANGE and r.type != REFORESTATION),
        (IPCC_NF2F, lambda r: r.category == FOREST_CHANGE and r.type == REFORESTATION),
        (IPCC_TOF, lambda r: r.category == TREES_OUTSIDE),
    ]
    out = [SummaryRow(category=name, net_t_co2e_per_yr=net(pred)) for name, pred in groups]
    out.append(SummaryRow(category=IPCC_TOTAL, net_t_co2e_per_yr=net(lambda r: r.category != TOTAL)))
    return out


#: The forest where fire was not estimated, in ``totals.not_estimated`` and the warnings.
FIRE_NOT_MAPPED_TEXT = (
    "{ha:.2f} ha of forest remaining forest that MTBS did not map (class 6, non-mapping area, or a year of the "
    "period without a mosaic)"
)
#: Appended to a row's name in ``totals.not_estimated`` when only part of its area could be estimated.
PARTLY_ESTIMATED = "(in part: forest without a forest code or factor row left out)"


def gross_totals(rows: list[InventoryRow], warnings: list[str]) -> tuple[float, float]:
    """Gross emissions (Σ of the emissions column) and gross removals (Σ of removals) of the rows (docs/method.md §5).

    A row whose emissions came out negative (negative disturbance EFs, §3.3) keeps that value in its own
    emissions column and lowers gross emissions by it, as in LEARN: so the totals of parts add up to the
    totals of the whole (towns to their county), which a sign rule per boundary would break. A warning names
    the row and the amount, so it is never silent.
    """
    gross_e, gross_r = 0.0, 0.0
    for r in rows:
        e, rm = r.emissions_t_co2e_per_yr, r.removals_t_co2e_per_yr
        gross_r += rm or 0.0
        gross_e += e or 0.0
        if e is not None and e < 0:
            warnings.append(
                f"{r.category} — {r.type}: its emissions are negative ({e:,.2f} t CO2e/yr, from negative "
                "emission factors); they are kept in gross emissions, which they lower (LEARN's convention)"
            )
    return float(gross_e), float(gross_r)


def _input_warnings(inp: AccountingInputs) -> list[str]:
    """What the region lacks (a layer or a factor table), the same for every zone."""
    out = []
    if not inp.has_carbon:
        out.append(
            "Forest Change emissions not computed: the region has no carbon pool layers "
            "(carbon_live, carbon_dead_litter, carbon_soil)"
        )
    # Disturbance emissions may still be estimated from the carbon pools (learn.accounting.disturbance).
    if inp.forest_factors is None:
        out.append(
            "forest removals not computed: the region has no forest factor table (their areas are given)"
        )
    elif not inp.has_forest_codes:
        out.append(
            "forest removals not computed: the region has no forest_age_type_region layer (their areas are given)"
        )
    if not inp.has_disturbance:
        out.append(
            f"disturbance (fire, insect/disease, harvest) not computed: no disturbance raster covers "
            f"a period inside {inp.start}–{inp.end}; all forest remaining forest counted as undisturbed"
        )
    if inp.canopy_unit is None:
        out.append("Trees Outside Forest not computed: the region has no tree canopy layer for this period")
    elif inp.tof is None:
        out.append("Trees Outside Forest not computed: the region has no trees-outside-forest factor table")
    return out


def term_rows(
    t: ZoneTable, inp: AccountingInputs, tof: Sequence[TofSelection | None], warnings: ZoneWarnings
) -> tuple[list[RowSums], ForestRows]:
    """Every inventory row (but the total) of every zone, in report order, and the forest rows' extras."""
    forest = forest_rows(ForestStrata.of(t, inp), inp, warnings)
    return [*forest.rows, *tof_rows(t, inp, tof)], forest


def zone_totals(
    strata: ZoneTable, inp: AccountingInputs, tof: Sequence[TofSelection | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Gross emissions and gross removals (t CO2e/yr) of every zone of ``strata``, as the reports' totals
    (:func:`gross_totals`: the same additions in the same order), without building any report: the cheap path
    for re-running the accounting many times under other factors (Monte Carlo, sensitivity)."""
    tofs = list(tof) if tof is not None else [inp.tof] * strata.n_zones
    rows, _ = term_rows(strata, inp, tofs, ZoneWarnings(strata.n_zones))
    gross_e, gross_r = np.zeros(strata.n_zones), np.zeros(strata.n_zones)
    for r in rows:
        if r.removals is not None:
            gross_r = gross_r + r.removals
        if r.emissions is not None:
            gross_e = gross_e + r.emissions
    return gross_e, gross_r


def _value(a: np.ndarray | None, z: int) -> float | None:
    return None if a is None else float(a[z])


def account_zones(
    strata: pd.DataFrame | ZoneTable,
    inp: AccountingInputs,
    zones: Sequence[int] | None = None,
    tof: Sequence[TofSelection | None] | None = None,
) -> list[Accounting]:
    """Turn the stratum table of many zones into each zone's report tables, in the order of ``zones``.

    ``strata``: a stratum table with a ``zone`` column (or a :class:`ZoneTable` already prepared for
    ``zones``, to account the same strata again under other factors); ``zones``: the zone values to
    account (a zone without strata gets an empty accounting); ``tof``: each zone's trees-outside-forest
    factors (default ``inp.tof`` for every zone).
    """
    if inp.end <= inp.start:
        raise ValueError("end year must be after start year")
    t = strata if isinstance(strata, ZoneTable) else ZoneTable.prepare(strata, zones)
    n = t.n_zones
    tofs = list(tof) if tof is not None else [inp.tof] * n
    if len(tofs) != n:
        raise ValueError(f"{len(tofs)} trees-outside-forest selections for {n} zones")
    if tof is not None:  # the input warnings say "no TOF table" only when no zone has factors
        inp = replace(inp, tof=next((s for s in tofs if s is not None), None))
    px = inp.pixel_area_ha
    area_ha = t.by_zone(np.ones(len(t), bool), t.col("pixels")) * px
    nodata_ha = t.by_zone(~t.valid, t.col("pixels")) * px
    warnings = ZoneWarnings(n)
    warnings.where(
        nodata_ha > 0,
        lambda z: (
            f"{nodata_ha[z]:.2f} ha inside the boundary have no valid land-cover class in {inp.start} or "
            f"{inp.end} (NLCD background/nodata) and are not counted in any row"
        ),
    )
    rows, forest = term_rows(t, inp, tofs, warnings)
    matrices = t.cached(("change_matrices", px), lambda: change_matrices(t, px))  # no factor in them
    canopy = tree_canopy_summary(t, inp)
    cover = canopy_cover(t, inp)
    shared_warnings = _input_warnings(inp)
    out = []
    for z in range(n):
        inventory = [
            make_row(
                r.category,
                r.type,
                _value(r.area_ha, z),
                _value(r.emissions, z),
                _value(r.removals, z),
                r.factors_of(z),
            )
            for r in rows
        ]
        zone_warnings = warnings.by_zone[z]
        unmapped = forest.fire_not_mapped_ha[z] if forest.fire_not_mapped_ha else 0.0
        totals = _totals(inventory, zone_warnings, shared_warnings, forest.left_out_ha[z], unmapped)
        summary = _ipcc_summary(inventory)
        if forest.interval is not None:
            totals, summary = _with_interval(totals, summary, forest.interval, z)
        out.append(
            Accounting(
                inventory=inventory,
                ipcc_summary=summary,
                totals=totals,
                change_matrix=matrices[z],
                tree_canopy=canopy[z],
                tree_canopy_cover=cover[z],
                warnings=zone_warnings,
                area_ha=float(area_ha[z]),
                nodata_area_ha=float(nodata_ha[z]),
                harvest_by_severity=forest.harvest_by_severity[z],
            )
        )
    return out


def _with_interval(
    totals: Totals, summary: list[SummaryRow], iv: Interval, z: int
) -> tuple[Totals, list[SummaryRow]]:
    """Zone ``z``'s totals and IPCC summary with their 90 % interval: point + the percentiles of the change
    the factor draws make to the rows in them (:mod:`learn.accounting.uncertainty`)."""
    both = (float(iv.both[0][z]), float(iv.both[1][z]))
    totals = totals.model_copy(
        update={
            "net_p05_t_co2e_per_yr": totals.net_t_co2e_per_yr + both[0],
            "net_p95_t_co2e_per_yr": totals.net_t_co2e_per_yr + both[1],
            "gross_removals_p05_t_co2e_per_yr": totals.gross_removals_t_co2e_per_yr + both[0],
            "gross_removals_p95_t_co2e_per_yr": totals.gross_removals_t_co2e_per_yr + both[1],
            "uncertainty": iv.method,
        }
    )
    varied = {IPCC_FRF: iv.undisturbed, IPCC_NF2F: iv.reforestation, IPCC_TOTAL: iv.both}
    out = []
    for row in summary:
        lo_hi = varied.get(row.category)
        d = (float(lo_hi[0][z]), float(lo_hi[1][z])) if lo_hi is not None else (0.0, 0.0)
        net = row.net_t_co2e_per_yr
        out.append(
            row.model_copy(
                update={
                    "net_p05_t_co2e_per_yr": None if net is None else net + d[0],
                    "net_p95_t_co2e_per_yr": None if net is None else net + d[1],
                }
            )
        )
    return totals, out


def _totals(
    rows: list[InventoryRow],
    warnings: list[str],
    shared_warnings: list[str],
    left_out: dict[str, float],
    fire_not_mapped_ha: float = 0.0,
) -> Totals:
    """One zone's totals; appends the Total row to ``rows`` and the totals' warnings to ``warnings``."""
    gross_e, gross_r = gross_totals(rows, warnings)
    rows.append(make_row(TOTAL, TOTAL, None, gross_e, gross_r))
    warnings.extend(shared_warnings)
    missing = not_estimated_rows(rows)
    if missing:
        warnings.append(
            f"the totals are partial: {len(missing)} inventory row(s) could not be estimated and are left out "
            f"of gross emissions, gross removals and net ({'; '.join(missing)})"
        )
    left_out_ha = float(sum(left_out.values()))
    if left_out:
        # Forest without a code or factor row is in no row: the totals cover only part of the forest.
        partly = [f"{FOREST_CHANGE if t == REFORESTATION else FOREST_REMAINING} — {t}" for t in left_out]
        # In report order; a row not estimated at all keeps its plain name.
        missing = [
            name if name in missing else f"{name} {PARTLY_ESTIMATED}"
            for name in (row_name(r) for r in rows)
            if name in missing or name in partly
        ]
        warnings.append(
            f"the totals are partial: {left_out_ha:.2f} ha of forest without a forest age-type-region code or "
            f"factor row are left out of the forest rows ({'; '.join(partly)})"
        )
    fire_row = f"{FOREST_REMAINING} — {FIRE}"
    if fire_not_mapped_ha > 0 and fire_row not in missing:
        missing.append(f"{fire_row} (in part: {FIRE_NOT_MAPPED_TEXT.format(ha=fire_not_mapped_ha)})")
        warnings.append(
            f"fire not estimated on {FIRE_NOT_MAPPED_TEXT.format(ha=fire_not_mapped_ha)}: they are counted as "
            "undisturbed forest (LEARN counts them as no fire), so the Fire row may miss their emissions"
        )
    return Totals(
        gross_emissions_t_co2e_per_yr=gross_e,
        gross_removals_t_co2e_per_yr=gross_r,
        net_t_co2e_per_yr=gross_e + gross_r,
        complete=not missing,
        not_estimated=missing,
        forest_area_left_out_ha=left_out_ha,
    )


def account(strata: pd.DataFrame, inp: AccountingInputs) -> Accounting:
    """Turn the stratum table of one boundary into the report's tables (:func:`account_zones`, one zone)."""
    return account_zones(strata, inp)[0]
