"""The forest factor table derived from FIA (``learn factors fia``), in LEARN's lookup layout.

One row per forest code of docs/method.md §1.6 (state FIPS × 100000 + TYPGRPCD × 10 + age class)
for every forest type group with forest land in the state's FIA sample, × the three age classes:

* ``Forests Remaining Forest Removal Factor`` = −(net growth of live-tree carbon, above + below
  ground, t C/ha/yr) of the type group × age class (:mod:`learn.sources.fia.estimates`);
* ``Nonforest to Forest Removal Factor`` = the same type group's youngest class (0–20 yr) rate, the
  rule of the WRI flux model, which gives new forest (Hansen gain pixels) the young-forest rate
  (``wri/carbon-budget`` ``removals/US_removal_rates.py`` @ 89baddc).

A rate falls back, level by level, when its group has fewer than ``min_plots`` plots with forest
land (never fewer than 2: one plot has no sampling error), or shows no net gain (net growth ≤ 0: a
removal factor must be ≤ 0): ``type_group`` (state × type group × age class) → ``region_type_group``
(the same type group × age class, the state pooled with the other states of its FIA region,
:mod:`learn.sources.fia.regions`) → ``state_age_class`` (all type groups of that age class in the
state) → ``region_age_class`` (the age class over the region). The region's states are downloaded only
when a row needs them. A code with no usable level is left out (its pixels are then named as "no factor
row", never 0). Each row keeps the ratio-of-means SE, the plot count, the level used and why, the
states and EVALID(s), pyfia's version and the date. The disturbance emission factor columns are absent:
FIA growth gives none (docs/factors.md).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from learn.sources.fia.database import build_database
from learn.sources.fia.download import (
    DATAMART_CSV_URL,
    DATAMART_POLICY,
    FiaDownloadError,
    OnProgress,
    download_state_tables,
)
from learn.sources.fia.estimates import (
    MissingBeginBiomass,
    NoGrowthEvaluation,
    StateEstimates,
    Totals,
    carbon_fraction,
    estimate_state,
)
from learn.sources.fia.regions import region_of
from learn.sources.forest_derive import STATE_FACTOR, TYPE_GROUP_FACTOR
from learn.sources.http import HttpPolicy
from learn.sources.zip_check import ZipLimits
from learn.util import atomic_path, output_error

LEVELS = ("type_group", "region_type_group", "state_age_class", "region_age_class")
AGE_LABELS = {1: "0-20", 2: "20-100", 3: "100+"}
#: A rate from fewer plots with forest land than this falls back to the next level ([tool] choice).
DEFAULT_MIN_PLOTS = 10
#: Whatever ``min_plots`` says, a level needs 2 plots: a ratio from one plot has no sampling error ([tool]).
MIN_PLOTS_FOR_SE = 2
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
    "fia_region",
    "states_nonforest_to_forest",
    "states_forest_remaining",
    "evalid",
    "fia_end_invyr",
    "pyfia_version",
    "derived_on",
    "source",
)


@dataclass(frozen=True)
class Pick:
    """The level a rate came from: t C/ha/yr (net growth, > 0), its SE, plots, states, EVALIDs, skipped levels."""

    level: str
    rate_tc_ha_yr: float
    se_tc_ha_yr: float
    plots: int
    states: tuple[str, ...]
    evalids: tuple[int, ...]
    skipped: tuple[str, ...]


def _pick(candidates: list[tuple[str, Totals | None]], min_plots: int, cf: float) -> Pick | None:
    need = max(min_plots, MIN_PLOTS_FOR_SE)
    skipped: list[str] = []
    for level, totals in candidates:
        if totals is None:
            skipped.append(f"{level}: no plots")
            continue
        rate, se = totals.rate(cf)
        if totals.plots < need:
            skipped.append(f"{level}: {totals.plots} plots < {need}")
        elif not rate > 0:
            skipped.append(f"{level}: net growth {rate:.4g} t C/ha/yr ≤ 0")
        else:
            return Pick(level, rate, se, totals.plots, totals.states, totals.evalids, tuple(skipped))
    return None


def _pooled(parts: list[Totals | None]) -> Totals | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    out = present[0]
    for p in present[1:]:
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
    region_name: str = "",
) -> FactorTable:
    """The factor rows of ``state`` (``region``: the other states of its region, pooled at the region
    levels), for its type groups and ``extra_type_groups`` (e.g. those a region's map shows that the
    state's plots lack: their rows come from the region's type group or the state's age class)."""
    pool = [state, *region] if region else []

    def chain(tg: int, age: int) -> Pick | None:
        candidates: list[tuple[str, Totals | None]] = [("type_group", state.by_group_age.get((tg, age)))]
        if pool:
            candidates.append(("region_type_group", _pooled([s.by_group_age.get((tg, age)) for s in pool])))
        candidates.append(("state_age_class", state.by_age.get(age)))
        if pool:
            candidates.append(("region_age_class", _pooled([s.by_age.get(age) for s in pool])))
        return _pick(candidates, min_plots, carbon_fraction)

    rows: list[dict[str, object]] = []
    left_out: dict[int, str] = {}
    need = max(min_plots, MIN_PLOTS_FOR_SE)
    for tg in sorted({tg for tg, _ in state.by_group_age} | {int(g) for g in extra_type_groups}):
        young = chain(tg, 1)
        for age in (1, 2, 3):
            code = forest_code(state.statecd, tg, age)
            frf = young if age == 1 else chain(tg, age)
            if frf is None or young is None:
                which = "forest remaining forest" if frf is None else "non-forest to forest (age class 1)"
                left_out[code] = f"no level has ≥ {need} plots and a net gain for the {which} rate"
                continue
            rows.append(
                _row(
                    state, tg, age, code, frf, young, pyfia_version, derived_on, type_group_names, region_name
                )
            )
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
    region_name: str,
) -> dict[str, object]:
    reasons = [f"forest remaining forest: {'; '.join(frf.skipped)}"] if frf.skipped else []
    if young.skipped and age != 1:
        reasons.append(f"non-forest to forest: {'; '.join(young.skipped)}")
    evalids = sorted(set(frf.evalids) | set(young.evalids))
    evalid_text = ";".join(str(e) for e in evalids)
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
        "fia_region": region_name,
        "states_nonforest_to_forest": ";".join(young.states),
        "states_forest_remaining": ";".join(frf.states),
        "evalid": evalid_text,
        "fia_end_invyr": state.end_invyr,
        "pyfia_version": pyfia_version,
        "derived_on": derived_on.isoformat(),
        "source": (
            f"FIA-derived by this tool (learn factors fia): -(average annual net growth of live-tree "
            f"above+below-ground biomass, trees >= 1 in., on forest land) / forest land area (ratio of "
            f"means, B&P 2005 SE) x carbon fraction, per ha; pyfia {pyfia_version} growth()/area() on FIA "
            f"DataMart {';'.join(sorted(set(frf.states) | set(young.states)))} EVALID {evalid_text}; levels "
            f"{frf.level} (FRF), {young.level} (NF->F = age class 1, WRI flux model rule); docs/factors.md"
        ),
    }


def _needs_region(table: FactorTable) -> bool:
    """True when a row (or a left-out code) did not get both rates from its own type group."""
    frame = table.frame
    own = (frame["fallback_forest_remaining"] == "type_group") & (
        frame["fallback_nonforest_to_forest"] == "type_group"
    )
    return bool(table.left_out) or not bool(own.all())


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
    region_name: str = ""
    notes: tuple[str, ...] = ()


#: State estimates already made in this run (one estimate per state, shared by the states of a boundary).
Memo = dict[str, StateEstimates]


def _estimates(code: str, memo: Memo, downloaded: list[str], **download: Any) -> StateEstimates:
    if code not in memo:
        tables = download_state_tables(code, download.pop("cache_dir"), **download)
        downloaded += [f"{tables.state}_{t}" for t in tables.downloaded]
        db = build_database(tables, download["limits"])
        memo[code] = estimate_state(db, tables.state, tables.statecd)
    return memo[code]


def derive_fia_factors(
    state: str,
    out: Path,
    *,
    cache_dir: Path | None = None,
    base_url: str = DATAMART_CSV_URL,
    region_states: tuple[str, ...] | None = None,
    regions: dict[str, tuple[str, ...]] | None = None,
    min_plots: int = DEFAULT_MIN_PLOTS,
    states: dict[str, int] | None = None,
    on_progress: OnProgress | None = None,
    today: dt.date | None = None,
    extra_type_groups: Iterable[int] = (),
    memo: Memo | None = None,
    policy: HttpPolicy = DATAMART_POLICY,
    limits: ZipLimits | None = None,
) -> FiaFactorResult:
    """Download (or reuse) the FIA tables of ``state``, estimate, write ``out``. The region levels pool
    ``region_states`` when given (``()``: none), else the other states of the state's FIA region
    (``regions``, default :data:`learn.sources.fia.regions.FIA_REGIONS`), downloaded only when a row
    does not get both rates from its own type group."""
    import pyfia
    from pyfia.constants.forest_types import FOREST_TYPE_GROUP_NAMES

    code = state.strip().upper()
    if region_states is None:
        region_name, partners = region_of(code, regions)
    else:
        region_name, partners = "(--region-state)", tuple(c.strip().upper() for c in region_states)
    if code in partners or len(set(partners)) < len(partners):
        raise FiaDownloadError(
            f"a state is named twice ({', '.join((code, *partners))}): it would count twice in the region level",
            hint="give each --region-state once and not the --state itself",
        )
    memo = {} if memo is None else memo
    downloaded: list[str] = []
    zip_limits = limits or ZipLimits.from_env()  # policy: HTTP deadline; limits: extracted sizes
    download = dict(cache_dir=cache_dir, base_url=base_url, states=states, on_progress=on_progress,
                    policy=policy, limits=zip_limits)  # fmt: skip
    own = _estimates(code, memo, downloaded, **download)
    settings = dict(
        min_plots=min_plots,
        carbon_fraction=carbon_fraction(),
        pyfia_version=pyfia.__version__,
        derived_on=today or dt.date.today(),
        type_group_names=dict(FOREST_TYPE_GROUP_NAMES),
        extra_type_groups=tuple(extra_type_groups),
    )
    table = derive_table(own, [], **settings)  # type: ignore[arg-type]
    pooled: list[StateEstimates] = []
    notes: list[str] = []
    if partners and _needs_region(table):
        for other in partners:
            try:
                pooled.append(_estimates(other, memo, downloaded, **download))
            except (NoGrowthEvaluation, MissingBeginBiomass) as err:
                notes.append(f"{other} left out of the region: {err.message}")
            except FiaDownloadError as err:
                raise FiaDownloadError(
                    f"{err.message} (needed for the region levels of {code}, {region_name})",
                    hint=f"{err.hint + '; ' if err.hint else ''}or choose the pooled states with "
                    "--region-state, or none with --no-region",
                ) from None
        table = derive_table(own, pooled, region_name=region_name, **settings)  # type: ignore[arg-type]
    if table.frame.empty:
        raise FiaDownloadError(
            f"no forest factor row could be derived for {own.state}: "
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
        state=own.state,
        evalid=own.evalid,
        region_states=tuple(e.state for e in pooled),
        downloaded=tuple(downloaded),
        left_out=table.left_out,
        region_name=region_name if pooled else "",
        notes=tuple(notes),
    )


def derive_fia_factors_for_states(
    states_wanted: tuple[str, ...], out: Path, **kw: Any
) -> list[FiaFactorResult]:
    """One table for a boundary spanning several states (e.g. from ``census.states_overlapping``): each
    state's rows, with its own region levels (codes are state-prefixed, so rows never collide); each
    state is downloaded and estimated once. ``kw``: as :func:`derive_fia_factors` (``cache_dir``,
    ``base_url``, ``min_plots``, ``region_states``: the same explicit pool for every state)."""
    wanted = tuple(dict.fromkeys(s.strip().upper() for s in states_wanted))
    if not wanted:
        raise FiaDownloadError("no state given for the FIA factor table", hint="name at least one state")
    explicit = kw.pop("region_states", None)
    memo: Memo = kw.pop("memo", None) or {}
    results: list[FiaFactorResult] = []
    frames: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="learn-fia-") as tmp:
        for st in wanted:
            part = Path(tmp) / f"{st}.csv"
            pool = None if explicit is None else tuple(s for s in explicit if s.strip().upper() != st)
            results.append(derive_fia_factors(st, part, region_states=pool, memo=memo, **kw))
            frames.append(pd.read_csv(part, dtype={"evalid": str}))
    try:
        with atomic_path(out) as tmp_out:
            pd.concat(frames, ignore_index=True).to_csv(tmp_out, index=False, float_format="%.10g")
    except OSError as err:
        raise output_error(out, err) from None
    return [replace(r, out=out) for r in results]
