"""The disturbance rows of forest remaining forest: fire, insect/disease and harvest/other (by severity),
for every zone at once (docs/method.md §3.3, §3.5).

With emission factors (t C/ha per event, by forest code) from the region's forest table when it has them;
otherwise fire and harvest from the carbon on the disturbed pixels (:mod:`learn.accounting.stock_emissions`,
this tool's estimate), and insect/disease not estimated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import learn.landuse as lu
from learn.accounting.factors import HARVEST_SEVERITY_COLUMNS
from learn.accounting.forest_strata import (
    CSV_COLUMN_NAME,
    DIST_FIRE,
    DIST_FIRE_NOT_MAPPED,
    DIST_HARVEST,
    DIST_INSECT,
    DIST_NONE,
    SINGLE_HARVEST_EF_NOTE,
    ForestStrata,
    factor_info,
    forest_ok,
)
from learn.accounting.stock_emissions import METHOD, load_stock_rules
from learn.accounting.terms import (
    C_TO_CO2,
    FIRE,
    FOREST_REMAINING,
    HARVEST,
    HARVEST_SEVERITY_POINTS,
    INSECT,
    AccountingInputs,
)
from learn.accounting.zone_table import F64, BoolArray, RowSums, ZoneWarnings
from learn.report.models import HarvestSeverityRow


def disturbance_masks(s: ForestStrata, inp: AccountingInputs, warnings: ZoneWarnings) -> dict[str, BoolArray]:
    """Forest remaining forest split by disturbance: fire, insect, harvest, undisturbed."""
    frf = (s.t.is_transition(lu.FOREST_REMAINING_FOREST) & s.counted) | s.moved
    none = np.zeros(len(s.t), bool)
    fire = frf & (s.dist == DIST_FIRE) if inp.has_disturbance else none
    insect = frf & (s.dist == DIST_INSECT) if inp.has_disturbance else none
    harvest = frf & np.isin(s.dist, DIST_HARVEST) if inp.has_disturbance else none
    if inp.has_disturbance:
        odd = frf & ~np.isin(s.dist, [DIST_NONE, DIST_INSECT, DIST_FIRE, DIST_FIRE_NOT_MAPPED, *DIST_HARVEST])
        odd_ha, odd_codes = s.area(odd), s.t.values_by_zone(odd, s.dist)
        warnings.where(
            s.t.count_by_zone(odd) > 0,
            lambda z: (
                f"{odd_ha[z]:.2f} ha of forest carry disturbance codes {odd_codes[z]} that are not "
                "0/1–4/5/10; they were treated as undisturbed"
            ),
        )
    return {
        "fire": fire,
        "insect": insect,
        "harvest": harvest,
        "undisturbed": frf & ~(fire | insect | harvest),
        # Undisturbed as LEARN counts it (no fire), but fire was not estimated there (MTBS did not map it).
        "fire_not_mapped": frf & (s.dist == DIST_FIRE_NOT_MAPPED) if inp.has_disturbance else none,
    }


def _negative_warning(type_: str, found: dict[str, list[int]], warnings: list[str]) -> dict[str, Any]:
    """Say which codes entered a disturbance row with a negative EF; the row's ``factors`` entry."""
    found = {CSV_COLUMN_NAME.get(col, col): c for col, c in found.items() if c}
    if not found:
        return {}
    listed = "; ".join(f"{col} for codes {c[:20]}" for col, c in found.items())
    warnings.append(
        f"{FOREST_REMAINING} — {type_} used negative emission factors ({listed}): LEARN publishes some "
        "insect and low-severity harvest EFs as negative by design (the disturbed forest gains carbon over "
        "the period); they are kept and lower this row's emissions (docs/method.md §3.3)"
    )
    return {"negative_factor_codes": found}


def _disturbance_row(
    s: ForestStrata,
    inp: AccountingInputs,
    type_: str,
    parts: list[tuple[BoolArray, str]],
    shown_column: str,
    warnings: ZoneWarnings,
) -> RowSums:
    """One disturbance row: Σ over ``parts`` (strata, EF column) of area × EF, per zone; the negative
    EFs used are named in a warning and in the row's ``factors`` of the zones that used them."""
    info = {**factor_info(s), "column": shown_column}
    sel_all = np.logical_or.reduce([sel for sel, _ in parts])
    area = s.area(sel_all) if inp.has_disturbance else None  # known without a factor
    if not (forest_ok(s, inp) and inp.has_disturbance and all(s.has_factor(c) for _, c in parts)):
        return RowSums(FOREST_REMAINING, type_, area, None, None, info)
    e = s.factor_sum(*parts[0])
    for sel, column in parts[1:]:
        e = e + s.factor_sum(sel, column)
    negative = [s.negative_codes(sel, column) for sel, column in parts]
    extra: dict[int, dict[str, Any]] = {}
    for z in range(s.t.n_zones):
        if any(n[z] for n in negative):
            found = {column: n[z] for (_, column), n in zip(parts, negative, strict=True)}
            extra[z] = _negative_warning(type_, found, warnings.by_zone[z])
    return RowSums(
        FOREST_REMAINING, type_, area, e * C_TO_CO2 / inp.years, None, info, lambda z: extra.get(z, {})
    )


#: The EF columns a disturbance type needs from the forest table.
_EF_COLUMNS = {
    FIRE: ["emission_factor_fire_tc_ha"],
    INSECT: ["emission_factor_insect_tc_ha"],
    HARVEST: ["emission_factor_harvest_tc_ha"],
}


def _table_method(s: ForestStrata, inp: AccountingInputs, type_: str) -> bool:
    """Whether ``type_``'s emissions come from the forest table's EFs (it gives them for every code)."""
    columns = (
        list(HARVEST_SEVERITY_COLUMNS) if type_ == HARVEST and _severity_table(s) else _EF_COLUMNS[type_]
    )
    return forest_ok(s, inp) and inp.has_disturbance and all(s.has_factor(c) for c in columns)


def _severity_table(s: ForestStrata) -> bool:
    return (
        s.table is not None
        and s.table.has_severity
        and all(s.has_factor(c) for c in HARVEST_SEVERITY_COLUMNS)
    )


def _stock_method(s: ForestStrata, inp: AccountingInputs, type_: str) -> bool:
    """Whether ``type_``'s emissions are this tool's stock-based estimate (fire, harvest; carbon pools needed)."""
    return (
        type_ in (FIRE, HARVEST)
        and inp.has_disturbance
        and inp.has_carbon
        and not _table_method(s, inp, type_)
    )


def _stock_info(type_: str) -> dict[str, Any]:
    rules = load_stock_rules()
    return {
        "method": METHOD,
        "estimate": "this tool's (not a LEARN factor)",
        "pool": "carbon_live",
        "rules_table": "learn/factors/disturbance_stock_rules.csv",
        "sha256": rules.sha256,
        "rules": rules.sources("fire" if type_ == FIRE else "harvest"),
    }


def _stock_row(
    s: ForestStrata,
    inp: AccountingInputs,
    type_: str,
    parts: list[tuple[BoolArray, float]],
    warnings: ZoneWarnings,
) -> RowSums:
    """Σ over ``parts`` (strata, t CO2 per t C of carbon_live) of the carbon_live on them, per zone, per year."""
    live = s.t.col("carbon_live_sum")
    e = sum(
        (s.t.by_zone(sel, live) * s.px * k for sel, k in parts[1:]),
        s.t.by_zone(parts[0][0], live) * s.px * parts[0][1],
    )
    sel_all = np.logical_or.reduce([sel for sel, _ in parts])
    missing = s.t.by_zone(sel_all, s.t.col("carbon_missing_pixels")) * s.px
    warnings.where(
        missing > 0,
        lambda z: (
            f"{missing[z]:.2f} ha of {type_.lower()} forest have no carbon stock data; their emissions count as 0"
        ),
    )
    return RowSums(FOREST_REMAINING, type_, s.area(sel_all), e / inp.years, None, _stock_info(type_))


def disturbance_rows(
    s: ForestStrata, inp: AccountingInputs, masks: dict[str, BoolArray], warnings: ZoneWarnings
) -> list[RowSums]:
    """Fire, Insect/Disease and Harvest/Other: from the table's EFs (by severity code when it has severity
    EFs), else fire and harvest from the carbon on the pixels (this tool's estimate), else not estimated."""
    fire, insect, harvest = masks["fire"], masks["insect"], masks["harvest"]
    rules = load_stock_rules()
    rows = []
    gaps = {t: inp.disturbance_not_estimated.get(k) for t, k in ((FIRE, "fire"), (INSECT, "insect"))}
    for type_, sel in ((FIRE, fire), (INSECT, insect)):
        column = _EF_COLUMNS[type_][0]
        if inp.has_disturbance and gaps[type_]:
            # The layer's 0 for this type means "the source cannot say": no area, no number (IPCC "NE").
            rows.append(RowSums(FOREST_REMAINING, type_, None, None, None, {"not_estimated": gaps[type_]}))
            warnings.every(f"{type_} emissions not estimated: {gaps[type_]}")
        elif _stock_method(s, inp, type_):
            rows.append(_stock_row(s, inp, type_, [(sel, rules.fire_t_co2_per_t_c_live)], warnings))
        else:
            rows.append(_disturbance_row(s, inp, type_, [(sel, column)], column, warnings))
    if _stock_method(s, inp, HARVEST):
        parts = [(harvest & (s.dist == k), rules.harvest_t_co2_per_t_c_live(k)) for k in DIST_HARVEST]
        rows.append(_stock_row(s, inp, HARVEST, parts, warnings))
    elif _severity_table(s) and forest_ok(s, inp) and inp.has_disturbance:
        parts_ef = [
            (harvest & (s.dist == code), col)
            for col, code in zip(HARVEST_SEVERITY_COLUMNS, DIST_HARVEST, strict=True)
        ]
        rows.append(
            _disturbance_row(s, inp, HARVEST, parts_ef, "Harvest_EF_<severity> for codes 1–4", warnings)
        )
    else:
        parts_ef = [(harvest, "emission_factor_harvest_tc_ha")]
        rows.append(_disturbance_row(s, inp, HARVEST, parts_ef, "emission_factor_harvest_tc_ha", warnings))
    stock = [t for t in (FIRE, HARVEST) if _stock_method(s, inp, t)]
    if stock:
        warnings.every(
            f"{' and '.join(stock)} emissions are this tool's stock-based estimate, not LEARN factors: the carbon "
            "on the disturbed pixels × the rules of learn/factors/disturbance_stock_rules.csv (docs/method.md §3.5)"
        )
    unestimated = [
        t
        for t in (FIRE, HARVEST)
        if inp.has_disturbance and not (_stock_method(s, inp, t) or _table_method(s, inp, t) or gaps.get(t))
    ]
    if unestimated:
        warnings.every(
            f"{' and '.join(unestimated)} emissions not computed: the forest factor table gives no emission "
            "factor and the region has no carbon pool layers to estimate them from"
        )
    if inp.has_disturbance and not _table_method(s, inp, INSECT) and not gaps[INSECT]:
        warnings.every(
            "Insect/Disease emissions not estimated: the forest factor table gives no insect emission factor, "
            "and no cited stock-based rule exists for insect and disease mortality"
        )
    return rows


def harvest_severity_rows(
    s: ForestStrata, inp: AccountingInputs, harvest: BoolArray
) -> list[list[HarvestSeverityRow]]:
    """Each zone's Harvest/Other by severity class 1–4, with that row's factor rule (and nullness)."""
    severity_table = _severity_table(s)
    stock = _stock_method(s, inp, HARVEST)
    with_factors = forest_ok(s, inp) and inp.has_disturbance
    rules = load_stock_rules()
    classes = []
    for code in DIST_HARVEST:
        column = HARVEST_SEVERITY_COLUMNS[code - 1] if severity_table else "emission_factor_harvest_tc_ha"
        shown = CSV_COLUMN_NAME.get(column, column)
        sel = harvest & (s.dist == code)
        area = s.area(sel) if inp.has_disturbance else None
        negative = None
        emissions: F64 | None
        if stock:
            info: dict[str, Any] = {
                **_stock_info(HARVEST),
                "share_of_live_carbon": rules.value("harvest", f"live_carbon_share_{code}"),
            }
            live = s.t.by_zone(sel, s.t.col("carbon_live_sum")) * s.px
            emissions = live * rules.harvest_t_co2_per_t_c_live(code) / inp.years
        else:
            info = {**factor_info(s), "column": shown}
            if not severity_table:
                info["note"] = SINGLE_HARVEST_EF_NOTE
            has_ef = with_factors and s.has_factor(column)
            emissions = s.factor_sum(sel, column) * C_TO_CO2 / inp.years if has_ef else None
            negative = s.negative_codes(sel, column) if has_ef else None  # named in Harvest/Other's warning
        classes.append((code, shown, info, area, emissions, negative))
    out = []
    for z in range(s.t.n_zones):
        zone_rows = []
        for code, shown, info, area, emissions, negative in classes:
            factors = (
                {**info, "negative_factor_codes": {shown: negative[z]}} if negative and negative[z] else info
            )
            zone_rows.append(
                HarvestSeverityRow(
                    severity=code,
                    canopy_loss_points=HARVEST_SEVERITY_POINTS[code],
                    area_ha=None if area is None else float(area[z]),
                    emissions_t_co2e_per_yr=None if emissions is None else float(emissions[z]),
                    factors=factors,
                )
            )
        out.append(zone_rows)
    return out
