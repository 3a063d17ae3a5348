"""The forest factor table derived from FIA (``learn factors fia``), in LEARN's lookup layout.

One row per forest code of docs/method.md §1.6 (state FIPS × 100000 + TYPGRPCD × 10 + age class)
for every forest type group with forest land in the state's FIA sample, × the three age classes:

* ``Forests Remaining Forest Removal Factor`` = −(net growth of live-tree carbon, above + below
  ground, t C/ha/yr) of the type group × age class (:mod:`learn.sources.fia_estimates`);
* ``Nonforest to Forest Removal Factor`` = the same type group's youngest class (0–20 yr) rate, the
  rule of the WRI flux model, which gives new forest (Hansen gain pixels) the young-forest rate
  (``wri/carbon-budget`` ``removals/US_removal_rates.py`` @ 89baddc).

A rate falls back, level by level, when its group has fewer than ``min_plots`` plots with forest
land, or shows no net gain (net growth ≤ 0: a removal factor must be ≤ 0):
``type_group`` (state × type group × age class) → ``state_age_class`` (all type groups of that age
class in the state) → ``region_age_class`` (the state pooled with the ``--region-state`` states).
A code with no usable level is left out (its pixels are then named as "no factor row", never 0).
Each row keeps the SE, the plot count, the level used and why, the EVALID(s), pyfia's version and
the date. The disturbance emission factor columns are absent: FIA growth gives none (docs/factors.md).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from learn.sources.fia_database import build_database
from learn.sources.fia_download import (
    DATAMART_CSV_URL,
    DATAMART_POLICY,
    FiaDownloadError,
    OnProgress,
    download_state_tables,
)
from learn.sources.fia_estimates import StateEstimates, Totals, carbon_fraction, estimate_state
from learn.sources.forest_derive import STATE_FACTOR, TYPE_GROUP_FACTOR
from learn.sources.http import HttpPolicy
from learn.sources.zip_check import ZipLimits
from learn.util import atomic_path, output_error

LEVELS = ("type_group", "state_age_class", "region_age_class")
AGE_LABELS = {1: "0-20", 2: "20-100", 3: "100+"}
#: A rate from fewer plots with forest land than this falls back to the next level ([tool] choice).
DEFAULT_MIN_PLOTS = 10
#: The table's columns, in order (LEARN's lookup columns first; docs/factors.md §4).
COLUMNS = (
    "ForestAgeTypeRegion",
    "Region",
    "UpperGroup",
    "Age",
    "TYPGRPCD",
    "age_class_code",
    "Nonforest to Forest Removal Factor",
    "Forests Remaining Forest Removal Factor",
    "removal_factor_nonforest_to_forest_se_tc_ha_yr",
    "removal_factor_forest_remaining_se_tc_ha_yr",
    "plots_nonforest_to_forest",
    "plots_forest_remaining",
    "fallback_nonforest_to_forest",
    "fallback_forest_remaining",
    "fallback_reason",
    "evalid",
    "fia_end_invyr",
    "pyfia_version",
    "derived_on",
    "source",
)


@dataclass(frozen=True)
class Pick:
    """The level a rate came from: t C/ha/yr (net growth, > 0) and its SE, plots, EVALIDs, skipped levels."""

    level: str
    rate_tc_ha_yr: float
    se_tc_ha_yr: float
    plots: int
    evalids: tuple[int, ...]
    skipped: tuple[str, ...]


def _pick(candidates: list[tuple[str, Totals | None]], min_plots: int, cf: float) -> Pick | None:
    skipped: list[str] = []
    for level, totals in candidates:
        if totals is None:
            skipped.append(f"{level}: no plots")
            continue
        rate, se = totals.rate(cf)
        if totals.plots < min_plots:
            skipped.append(f"{level}: {totals.plots} plots < {min_plots}")
        elif not rate > 0:
            skipped.append(f"{level}: net growth {rate:.4g} t C/ha/yr ≤ 0")
        else:
            return Pick(level, rate, se, totals.plots, totals.evalids, tuple(skipped))
    return None


def _pooled_age(states: list[StateEstimates], age: int) -> Totals | None:
    parts = [s.by_age[age] for s in states if age in s.by_age]
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.pooled(p)
    return out


@dataclass(frozen=True)
class FactorTable:
    """The derived table and the codes left out (with why)."""

    frame: pd.DataFrame
    left_out: dict[int, str]


def forest_code(statecd: int, typgrpcd: int, age: int) -> int:
    return statecd * STATE_FACTOR + typgrpcd * TYPE_GROUP_FACTOR + age


def derive_table(
    state: StateEstimates,
    region: list[StateEstimates] | None = None,
    *,
    min_plots: int = DEFAULT_MIN_PLOTS,
    carbon_fraction: float,
    pyfia_version: str,
    derived_on: dt.date,
    type_group_names: dict[int, str],
    extra_type_groups: Iterable[int] = (),
) -> FactorTable:
    """The factor rows of ``state`` (``region``: the other states pooled at the region level), for its type
    groups and ``extra_type_groups`` (e.g. those a region's map shows that the state's plots lack: their
    rows fall back to the state's age class)."""
    pool = [state, *(region or [])] if region else []

    def chain(tg: int, age: int) -> Pick | None:
        candidates: list[tuple[str, Totals | None]] = [
            ("type_group", state.by_group_age.get((tg, age))),
            ("state_age_class", state.by_age.get(age)),
        ]
        if pool:
            candidates.append(("region_age_class", _pooled_age(pool, age)))
        return _pick(candidates, min_plots, carbon_fraction)

    rows: list[dict[str, object]] = []
    left_out: dict[int, str] = {}
    for tg in sorted({tg for tg, _ in state.by_group_age} | {int(g) for g in extra_type_groups}):
        young = chain(tg, 1)
        for age in (1, 2, 3):
            code = forest_code(state.statecd, tg, age)
            frf = young if age == 1 else chain(tg, age)
            if frf is None or young is None:
                which = "forest remaining forest" if frf is None else "non-forest to forest (age class 1)"
                left_out[code] = f"no level has ≥ {min_plots} plots and a net gain for the {which} rate"
                continue
            rows.append(_row(state, tg, age, code, frf, young, pyfia_version, derived_on, type_group_names))
    return FactorTable(pd.DataFrame(rows, columns=list(COLUMNS)), left_out)


def _row(
    state: StateEstimates,
    tg: int,
    age: int,
    code: int,
    frf: Pick,
    young: Pick,
    pyfia_version: str,
    derived_on: dt.date,
    names: dict[int, str],
) -> dict[str, object]:
    reasons = [f"forest remaining forest: {'; '.join(frf.skipped)}"] if frf.skipped else []
    if young.skipped and age != 1:
        reasons.append(f"non-forest to forest: {'; '.join(young.skipped)}")
    evalids = sorted(set(frf.evalids) | set(young.evalids))
    return {
        "ForestAgeTypeRegion": code,
        "Region": state.state,
        "UpperGroup": names.get(tg, f"TYPGRPCD {tg}"),
        "Age": AGE_LABELS[age],
        "TYPGRPCD": tg,
        "age_class_code": age,
        "Nonforest to Forest Removal Factor": -young.rate_tc_ha_yr,
        "Forests Remaining Forest Removal Factor": -frf.rate_tc_ha_yr,
        "removal_factor_nonforest_to_forest_se_tc_ha_yr": young.se_tc_ha_yr,
        "removal_factor_forest_remaining_se_tc_ha_yr": frf.se_tc_ha_yr,
        "plots_nonforest_to_forest": young.plots,
        "plots_forest_remaining": frf.plots,
        "fallback_nonforest_to_forest": young.level,
        "fallback_forest_remaining": frf.level,
        "fallback_reason": " | ".join(reasons),
        "evalid": ";".join(str(e) for e in evalids),
        "fia_end_invyr": state.end_invyr,
        "pyfia_version": pyfia_version,
        "derived_on": derived_on.isoformat(),
        "source": (
            f"FIA-derived by this tool (learn factors fia): -(average annual net growth of live-tree "
            f"above+below-ground biomass, trees >= 1 in., on forest land) x carbon fraction, per ha of "
            f"forest land; pyfia {pyfia_version} growth()/area() on FIA DataMart {state.state} EVALID "
            f"{';'.join(str(e) for e in evalids)}; levels {frf.level} (FRF), {young.level} (NF->F = age "
            "class 1, WRI flux model rule); docs/factors.md"
        ),
    }


@dataclass(frozen=True)
class FiaFactorResult:
    """What ``learn factors fia`` did: the table written, the states and EVALIDs used, codes left out."""

    out: Path
    rows: int
    state: str
    evalid: int
    region_states: tuple[str, ...]
    downloaded: tuple[str, ...]
    left_out: dict[int, str]


def derive_fia_factors(
    state: str,
    out: Path,
    *,
    cache_dir: Path | None = None,
    base_url: str = DATAMART_CSV_URL,
    region_states: tuple[str, ...] = (),
    min_plots: int = DEFAULT_MIN_PLOTS,
    states: dict[str, int] | None = None,
    on_progress: OnProgress | None = None,
    today: dt.date | None = None,
    extra_type_groups: Iterable[int] = (),
    policy: HttpPolicy = DATAMART_POLICY,
    limits: ZipLimits | None = None,
) -> FiaFactorResult:
    """Download (or reuse) the FIA tables of ``state`` (and ``region_states``), estimate, write ``out``."""
    import pyfia
    from pyfia.constants.forest_types import FOREST_TYPE_GROUP_NAMES

    codes = [c.strip().upper() for c in (state, *region_states)]
    if len(set(codes)) < len(codes):
        raise FiaDownloadError(
            f"a state is named twice ({', '.join(codes)}): it would count twice in the region level",
            hint="give each --region-state once and not the --state itself",
        )
    estimates: list[StateEstimates] = []
    downloaded: list[str] = []
    for code in codes:
        zip_limits = limits or ZipLimits.from_env()  # policy: HTTP deadline; limits: extracted sizes
        tables = download_state_tables(code, cache_dir, base_url=base_url, states=states,
                                       on_progress=on_progress, policy=policy, limits=zip_limits)  # fmt: skip
        downloaded += [f"{tables.state}_{t}" for t in tables.downloaded]
        db = build_database(tables, zip_limits)
        estimates.append(estimate_state(db, tables.state, tables.statecd))
    table = derive_table(
        estimates[0],
        estimates[1:],
        min_plots=min_plots,
        carbon_fraction=carbon_fraction(),
        pyfia_version=pyfia.__version__,
        derived_on=today or dt.date.today(),
        type_group_names=dict(FOREST_TYPE_GROUP_NAMES),
        extra_type_groups=extra_type_groups,
    )
    if table.frame.empty:
        raise FiaDownloadError(
            f"no forest factor row could be derived for {estimates[0].state}: "
            + "; ".join(f"{c}: {why}" for c, why in list(table.left_out.items())[:5]),
            hint="lower --min-plots, or pool neighbouring states with --region-state",
        )
    try:
        with atomic_path(out) as tmp:
            table.frame.to_csv(tmp, index=False, float_format="%.10g")
    except OSError as err:
        raise output_error(out, err) from None
    return FiaFactorResult(
        out=out,
        rows=len(table.frame),
        state=estimates[0].state,
        evalid=estimates[0].evalid,
        region_states=tuple(e.state for e in estimates[1:]),
        downloaded=tuple(downloaded),
        left_out=table.left_out,
    )


def derive_fia_factors_for_states(
    states_wanted: tuple[str, ...], out: Path, **kw: Any
) -> list[FiaFactorResult]:
    """One table for a boundary spanning several states (e.g. from ``census.states_overlapping``): each
    state's rows, the other states pooled as its region level (codes are state-prefixed, so rows never
    collide). ``kw``: as :func:`derive_fia_factors` (``cache_dir``, ``base_url``, ``min_plots``, …)."""
    wanted = tuple(dict.fromkeys(s.strip().upper() for s in states_wanted))
    if not wanted:
        raise FiaDownloadError("no state given for the FIA factor table", hint="name at least one state")
    results: list[FiaFactorResult] = []
    frames: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="learn-fia-") as tmp:
        for st in wanted:
            part = Path(tmp) / f"{st}.csv"
            others = tuple(s for s in wanted if s != st)
            results.append(derive_fia_factors(st, part, region_states=others, **kw))
            frames.append(pd.read_csv(part, dtype={"evalid": str}))
    try:
        with atomic_path(out) as tmp_out:
            pd.concat(frames, ignore_index=True).to_csv(tmp_out, index=False, float_format="%.10g")
    except OSError as err:
        raise output_error(out, err) from None
    return [replace(r, out=out) for r in results]
