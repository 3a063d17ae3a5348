"""What a pathway starts from: one boundary's baseline inventory reduced to annual area rates (ha/yr) and the
per-hectare fluxes its factors give (docs/pathways.md "Method").

Everything here comes from the boundary's own baseline report and the same stratum table (one raster pass):
conversion stock loss per converted hectare, disturbance emissions per disturbed hectare and the trees-outside-
forest factors are the report's rows divided by their areas; the removal factors of forest remaining forest and
of new forest are kept per forest-table row (hectares × row), so a Monte Carlo can draw the rows as the
inventory does (:mod:`learn.accounting.uncertainty`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

import learn.landuse as lu
from learn.accounting.factors import FOREST_SE_COLUMNS, ForestFactorTable
from learn.accounting.terms import (
    C_TO_CO2,
    CANOPY_KEPT,
    CANOPY_LOSS,
    FIRE,
    FOREST_CHANGE,
    FOREST_CHANGE_TYPES,
    FOREST_REMAINING,
    HARVEST,
    INSECT,
    REFORESTATION,
    TREES_OUTSIDE,
    UNDISTURBED,
)
from learn.report.models import InventoryRow, Report

F64 = npt.NDArray[np.float64]
#: NLCD classes where no tree can be planted (open water, perennial ice/snow) **[assumption]**.
NOT_PLANTABLE: Final = (11, 12)
FRF_RATE = "removal_factor_forest_remaining_tc_ha_yr"
NF2F_RATE = "removal_factor_nonforest_to_forest_tc_ha_yr"
#: Disturbance rows carried forward, in report order.
DISTURBANCES: Final = (FIRE, INSECT, HARVEST)


@dataclass(frozen=True)
class RemovalMix:
    """Forest-table rows with their hectares and rates: the boundary's area-weighted removal factor, drawable.

    ``rate``/``se``: t C/ha/yr (negative = removal) per row; ``hectares``: the weights."""

    codes: list[int]
    hectares: F64
    rate: F64
    se: F64

    @property
    def total_ha(self) -> float:
        return float(self.hectares.sum())

    def weighted(self, deviates: F64) -> F64:
        """Area-weighted rate (t C/ha/yr) per draw; ``deviates``: draws × rows standard normals (0 = the point)."""
        if self.total_ha <= 0:
            return np.zeros(deviates.shape[0])
        drawn = self.rate[None, :] + deviates * self.se[None, :]
        return np.asarray(drawn @ self.hectares / self.total_ha, np.float64)


@dataclass(frozen=True)
class Flux:
    """One carried-forward flux: ``ha_per_yr`` as observed and its t CO2e per hectare (None: not estimated)."""

    name: str
    ha_per_yr: float
    t_co2e_per_ha: float | None


@dataclass(frozen=True)
class PathwayBasis:
    """One boundary's baseline, ready to project (areas in ha, rates in ha/yr, fluxes in t CO2e)."""

    boundary_id: str
    boundary_name: str
    start: int
    end: int
    forest_ha: float  # forest at the end year (every forest class)
    forest_remaining_ha: float  # forest remaining forest of the period (incl. disturbed), change matrix
    #: Share of forest remaining forest the inventory could estimate (forest codes and factor rows): removals
    #: of that forest are projected on this share only, as the inventory counts them.
    removal_share: float
    baseline_reforested_ha: float  # non-forest → forest of the period, change matrix
    land_ha: float  # forest + non-forest with a category at the end year
    plantable_nonforest_ha: float  # non-forest land at the end year that is not water or ice
    conversions: list[Flux]  # forest → each non-forest category: stock loss per converted ha
    reforestation_ha_per_yr: float
    disturbances: list[Flux]  # fire, insect, harvest: emissions per disturbed ha
    frf_mix: RemovalMix | None  # undisturbed forest remaining forest (None: no factor table)
    young_mix: RemovalMix | None  # new forest, first 20 years: nonforest → forest rate
    mature_mix: RemovalMix | None  # new forest after 20 years: the type group's next age class
    canopy_ha: float | None  # tree canopy on non-forest land at the end canopy year
    canopy_loss_ha_per_yr: float | None
    canopy_gain_ha_per_yr: float | None
    tof_ef_t_co2e_per_ha: float | None
    tof_rf_t_co2e_per_ha_yr: float | None  # negative
    not_estimated: list[str] = field(default_factory=list)  # baseline rows without a number
    notes: list[str] = field(default_factory=list)
    factor_table_sha256: str | None = None

    @property
    def years(self) -> int:
        return self.end - self.start


def _row(report: Report, category: str, type_: str) -> InventoryRow | None:
    return next((r for r in report.inventory if r.category == category and r.type == type_), None)


def _per_ha(row: InventoryRow | None, years: int) -> float | None:
    """t CO2e per hectare of a row charged over the period: annual emissions × years ÷ area (None: no number)."""
    if row is None or row.emissions_t_co2e_per_yr is None:
        return None
    if not row.area_ha:
        return 0.0
    return row.emissions_t_co2e_per_yr * years / row.area_ha


def _rate(row: InventoryRow | None, years: int) -> float:
    return (row.area_ha or 0.0) / years if row is not None else 0.0


def matrix_area(report: Report, forest_start: bool, forest_end: bool) -> float:
    """Hectares of the change matrix from forest/non-forest (with a category) to forest/non-forest."""
    m = report.change_matrix
    cats = [lu.category_of(c) for c in m.classes]
    total = 0.0
    for i, a in enumerate(cats):
        for j, b in enumerate(cats):
            if (
                a is not None
                and b is not None
                and (a == lu.FORESTLAND) == forest_start
                and (b == lu.FORESTLAND) == forest_end
            ):
                total += m.hectares[i][j]
    return total


def class_area(report: Report, classes: set[int] | None = None, forest: bool | None = None) -> float:
    """End-year hectares of the change matrix's columns (``forest``: True forest, False non-forest with a category)."""
    m = report.change_matrix
    total = 0.0
    for j, c in enumerate(m.classes):
        cat = lu.category_of(c)
        if cat is None or (classes is not None and c not in classes):
            continue
        if forest is not None and (cat == lu.FORESTLAND) != forest:
            continue
        total += sum(row[j] for row in m.hectares)
    return total


def basis_from_report(
    report: Report,
    mixes: tuple[RemovalMix | None, RemovalMix | None, RemovalMix | None],
    canopy: tuple[float, float] | None,
    canopy_years: tuple[int, int] | None,
) -> PathwayBasis:
    """The basis of one boundary from its baseline report, its removal mixes (:func:`removal_mixes`) and the
    canopy on non-forest → non-forest land in the two canopy years (ha; None without canopy)."""
    years = report.period.years
    notes: list[str] = []
    conversions = []
    for type_ in FOREST_CHANGE_TYPES.values():
        row = _row(report, FOREST_CHANGE, type_)
        conversions.append(Flux(f"{FOREST_CHANGE} — {type_}", _rate(row, years), _per_ha(row, years)))
    disturbances = []
    for type_ in DISTURBANCES:
        row = _row(report, FOREST_REMAINING, type_)
        disturbances.append(Flux(f"{FOREST_REMAINING} — {type_}", _rate(row, years), _per_ha(row, years)))
    loss_row, kept_row = _row(report, TREES_OUTSIDE, CANOPY_LOSS), _row(report, TREES_OUTSIDE, CANOPY_KEPT)
    canopy_ha = gain = loss = ef = rf = None
    if loss_row is not None and loss_row.area_ha is not None:
        loss = loss_row.area_ha / years  # canopy loss of the row, already scaled to the inventory years
        ef = _per_ha(loss_row, years)
        if kept_row is not None and kept_row.removals_t_co2e_per_yr is not None:
            factor = kept_row.factors.get("rf_t_c_per_ha_yr")
            rf = None if factor is None else float(factor) * C_TO_CO2
    if canopy is not None and canopy_years is not None and loss is not None:
        c1, c2 = canopy
        gain = max(0.0, (c2 - c1) / (canopy_years[1] - canopy_years[0]) + loss)
        canopy_ha = c2
    counted_frf = sum(
        (r.area_ha or 0.0)
        for t in (UNDISTURBED, *DISTURBANCES)
        if (r := _row(report, FOREST_REMAINING, t)) is not None and r.net_t_co2e_per_yr is not None
    )
    frf_ha = matrix_area(report, forest_start=True, forest_end=True)
    frf_mix, young_mix, mature_mix = mixes
    if frf_mix is None:
        notes.append("no forest factor table or forest codes: forest removals not estimated")
    sha = report.totals.uncertainty.get("factor_table_sha256") if report.totals.uncertainty else None
    return PathwayBasis(
        boundary_id=report.boundary.id,
        boundary_name=report.boundary.name,
        start=report.period.start,
        end=report.period.end,
        forest_ha=class_area(report, forest=True),
        forest_remaining_ha=frf_ha,
        removal_share=min(1.0, counted_frf / frf_ha) if frf_ha > 0 else 1.0,
        baseline_reforested_ha=matrix_area(report, forest_start=False, forest_end=True),
        land_ha=class_area(report),
        plantable_nonforest_ha=class_area(report, forest=False)
        - class_area(report, set(NOT_PLANTABLE), forest=False),
        conversions=conversions,
        reforestation_ha_per_yr=_rate(_row(report, FOREST_CHANGE, REFORESTATION), years),
        disturbances=disturbances,
        frf_mix=frf_mix,
        young_mix=young_mix,
        mature_mix=mature_mix,
        canopy_ha=canopy_ha,
        canopy_loss_ha_per_yr=loss,
        canopy_gain_ha_per_yr=gain,
        tof_ef_t_co2e_per_ha=ef,
        tof_rf_t_co2e_per_ha_yr=rf,
        not_estimated=list(report.totals.not_estimated),
        notes=notes,
        factor_table_sha256=sha,
    )


def _age_lower_bound(age: object) -> float:
    """Lower bound (years) of an age-class label ("0-20", "20-100", "100+", 1, 2, 3 …)."""
    m = re.match(r"\s*(\d+(?:\.\d+)?)", str(age))
    return float(m.group(1)) if m else float("inf")


def next_age_rows(table: ForestFactorTable) -> dict[int, int]:
    """Each code → the code of its type group's next age class (same region, group and plantation flag)."""
    df = table.table
    keys = [c for c in ("region", "forest_type_group", "plantation") if c in df.columns]
    if "age_class" not in df.columns or not keys:
        return {}
    out: dict[int, int] = {}
    for _, group in df.groupby(keys, dropna=False, sort=False):
        ordered = sorted(group.index, key=lambda c: _age_lower_bound(group.loc[c, "age_class"]))
        for a, b in itertools.pairwise(ordered):
            out[int(a)] = int(b)
    return out


def removal_mixes(
    table: ForestFactorTable | None, undisturbed_ha: F64, reforestation_ha: F64
) -> tuple[RemovalMix | None, RemovalMix | None, RemovalMix | None]:
    """The three removal mixes of one boundary from its hectares per table row (undisturbed forest remaining
    forest; reforestation). New forest takes the baseline reforestation's mix of rows, or the remaining
    forest's when the baseline has none."""
    if table is None:
        return None, None, None
    df = table.table
    codes = [int(c) for c in df.index]
    se_of = {
        rate: df[FOREST_SE_COLUMNS[rate]].to_numpy(np.float64)
        if FOREST_SE_COLUMNS[rate] in df.columns
        else None
        for rate in (FRF_RATE, NF2F_RATE)
    }

    def mix(rate: str, ha: F64) -> RemovalMix:
        values = df[rate].to_numpy(np.float64)
        se = se_of[rate]
        se = np.zeros(len(df)) if se is None else np.nan_to_num(se)
        return RemovalMix(codes, np.asarray(ha, np.float64), values, se)

    new_ha = reforestation_ha if reforestation_ha.sum() > 0 else undisturbed_ha
    frf = mix(FRF_RATE, undisturbed_ha)
    young = mix(NF2F_RATE, new_ha)
    nxt = next_age_rows(table)
    position = {c: i for i, c in enumerate(codes)}
    mature_ha = np.zeros(len(codes))
    for i, c in enumerate(codes):
        if new_ha[i] > 0:
            mature_ha[position.get(nxt.get(c, c), i)] += new_ha[i]
    return frf, young, mix(FRF_RATE, mature_ha)
