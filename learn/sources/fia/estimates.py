"""FIA net growth of live-tree carbon per hectare of forest land, with pyfia's estimators.

For one state's current growth–removal–mortality (GRM) evaluation (the most recent EVALID of type
``EXPGROW``, found by pyfia's ``FIA.find_evalid``), two pyfia estimates per group:

* ``pyfia.growth(measure="biomass", tree_type="al", land_type="forest")`` (per plot, without pyfia's own
  variance step: :mod:`learn.sources.fia.plots`): the average annual net
  growth (EVALIDator's begin/end rule: survivors' growth + ingrowth + growth of removed trees to
  their midpoint − mortality) of all live trees ≥ 1 inch d.b.h./d.r.c. on forest land, total over
  the state in dry short tons/yr, with its sampling error. The database's ``DRYBIO_AG`` holds
  above- plus below-ground biomass (:mod:`learn.sources.fia.database`), so this is EVALIDator's
  attributes 311 + 317 ("average annual net growth of aboveground / belowground biomass of trees
  (at least 1 inch d.b.h./d.r.c.), in dry short tons, on forest land") estimated as one sum;
* ``pyfia.area(land_type="forest")``: the forest land area of the group (acres) and the number of
  plots with forest land in it.

Both are estimated per plot (``grp_by`` includes ``PLT_CN``), so the rate is the ratio of means
Ŷ / X̂ (as pyfia's own ``carbon_flux`` divides its totals by ``area()``'s forest area) and its
standard error the ratio-of-means SE of B&P 2005 (:mod:`learn.sources.fia.variance`), as EVALIDator
reports per-acre values — not the total's SE over an area taken as known. Trees whose begin biomass
neither TREE_GRM_BEGIN nor their previous TREE record gives are refused (:mod:`learn.sources.fia.begin`).
Units are converted in :func:`rate_t_c_per_ha_yr` (docs/factors.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from learn.sources.fia.begin import BeginCount, count_begin
from learn.sources.fia.download import FiaDownloadError
from learn.sources.fia.plots import area_per_plot, growth_per_plot
from learn.sources.fia.variance import RatioParts, ratio_parts

#: Exact conversion constants (definitions): 1 short ton = 2000 lb = 907.18474 kg; 1 acre = 4046.8564224 m².
SHORT_TON_T = 0.90718474
ACRE_HA = 0.40468564224
#: Grouping columns the estimation database adds to COND (learn.sources.fia.database).
TYPE_GROUP_COLUMN = "LEARN_TYPGRPCD"
AGE_CLASS_COLUMN = "LEARN_AGE_CLASS"


def carbon_fraction() -> float:
    """Carbon share of dry biomass: pyfia's ``CARBON_FRACTION`` (0.47; IPCC 2006 Vol. 4 Table 4.3's
    default, the WRI flux model's ``biomass_to_c``)."""
    from pyfia.estimation.constants import CARBON_FRACTION

    return float(CARBON_FRACTION)


def rate_t_c_per_ha_yr(short_tons_biomass_per_acre_yr: float, carbon_fraction: float) -> float:
    """Dry short tons of biomass per acre per year → t C per ha per year."""
    return short_tons_biomass_per_acre_yr * SHORT_TON_T / ACRE_HA * carbon_fraction


class NoGrowthEvaluation(FiaDownloadError):
    """The state's tables hold no growth (EXPGROW) evaluation."""


class MissingBeginBiomass(FiaDownloadError):
    """Remeasured trees of the evaluation have no begin biomass (no BEGIN row, no previous TREE record)."""


@dataclass(frozen=True)
class Totals:
    """One group's ratio estimate: net growth Ŷ (dry short tons/yr), forest area X̂ (acres), their
    variances and covariance (:class:`RatioParts`), the plots with forest land, EVALIDs and states."""

    parts: RatioParts
    evalids: tuple[int, ...]
    states: tuple[str, ...]

    @property
    def plots(self) -> int:
        return self.parts.plots

    @property
    def growth_short_tons_yr(self) -> float:
        return self.parts.y

    @property
    def area_acres(self) -> float:
        return self.parts.x

    def rate(self, carbon_fraction: float) -> tuple[float, float]:
        """(net growth, its ratio-of-means SE) in t C/ha/yr; positive = the forest gains carbon."""
        per_acre, se_per_acre = self.parts.ratio()
        return rate_t_c_per_ha_yr(per_acre, carbon_fraction), rate_t_c_per_ha_yr(se_per_acre, carbon_fraction)

    def pooled(self, other: Totals) -> Totals:
        """Two independent samples (two states' inventories): totals, variances, covariances add."""
        return Totals(self.parts + other.parts, self.evalids + other.evalids, self.states + other.states)


@dataclass(frozen=True)
class StateEstimates:
    """A state's estimates by (type group, age class) and by age class (all type groups)."""

    state: str
    statecd: int
    evalid: int
    end_invyr: int | None
    by_group_age: dict[tuple[int, int], Totals]
    by_age: dict[int, Totals]
    begin: BeginCount | None = None


def _per_plot(frame: Any, value: str, keys: list[str]) -> pd.DataFrame:
    """pyfia's per-plot result (grp_by + PLT_CN) as a pandas frame of keys, PLT_CN and ``value``."""
    cols = [*keys, "PLT_CN", value]
    out = frame.select(cols).to_pandas()
    out = out.dropna(subset=keys)
    for k in keys:
        out[k] = out[k].astype("int64")
    out[value] = out[value].astype(float).fillna(0.0)
    return out


def _design(db_path: Path, evalid: int) -> tuple[pd.DataFrame, BeginCount]:
    """Every plot of the evaluation with its estimation unit and stratum (B&P's design terms), and how
    the evaluation's trees get their begin biomass."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        design = con.execute(
            "SELECT a.PLT_CN, u.CN AS UNIT, s.CN AS STRATUM, s.EXPNS, "
            "s.P1POINTCNT / u.P1PNTCNT_EU AS W_H, u.AREA_USED FROM POP_PLOT_STRATUM_ASSGN a "
            "JOIN POP_STRATUM s ON s.CN = a.STRATUM_CN JOIN POP_ESTN_UNIT u ON u.CN = s.ESTN_UNIT_CN "
            f"WHERE a.EVALID = {int(evalid)}"
        ).df()
        begin = count_begin(con, evalid)
    finally:
        con.close()
    return design, begin


def _grouped(
    growth: pd.DataFrame, area: pd.DataFrame, design: pd.DataFrame, keys: list[str], evalid: int, state: str
) -> dict[tuple[int, ...], Totals]:
    """Per group: y_i = growth / EXPNS and x_i = area / EXPNS per plot, then the ratio's parts."""
    expns = design.set_index("PLT_CN")["EXPNS"].astype(float)
    out: dict[tuple[int, ...], Totals] = {}
    grown = {k: g for k, g in growth.groupby(keys)}
    for key, a in area.groupby(keys):
        k = tuple(int(v) for v in cast("tuple[Any, ...]", key if isinstance(key, tuple) else (key,)))
        g = grown.get(key)
        x = a.set_index("PLT_CN")["AREA"] / expns.reindex(a["PLT_CN"]).to_numpy()
        y = pd.Series(dtype=float) if g is None else g.set_index("PLT_CN")["GROWTH_TOTAL"]
        y = y / expns.reindex(y.index).to_numpy() if len(y) else y  # forest without growth trees grows 0
        out[k] = Totals(ratio_parts(design, y, x), (evalid,), (state,))
    return out


def estimate_state(db_path: Path, state: str, statecd: int) -> StateEstimates:
    """Run pyfia's growth and area estimators per plot on the state's current GRM evaluation."""
    import duckdb
    import polars as pl
    import pyfia
    from pyfia.core.exceptions import PyFIAError

    keys = [TYPE_GROUP_COLUMN, AGE_CLASS_COLUMN]
    try:
        with pyfia.FIA(db_path) as db:
            evalids = db.find_evalid(most_recent=True, state=statecd, eval_type="GROW")
            if not evalids:
                raise NoGrowthEvaluation(
                    f"the FIA tables of {state} hold no growth (EXPGROW) evaluation",
                    hint="the state's POP_EVAL / POP_EVAL_TYP tables list no GRM evaluation: "
                    "FIA has not remeasured it yet; use another state (--region-state) for its factors",
                )
            evalid = int(evalids[-1])
            db.clip_by_evalid(evalid)
            end = db.query(f"SELECT max(END_INVYR) AS Y FROM POP_EVAL WHERE EVALID = {evalid}")["Y"][0]
            by_plot = [*keys, "PLT_CN"]
            growth_pp = _per_plot(growth_per_plot(db, by_plot), "GROWTH_TOTAL", keys)
            area_pp = _per_plot(area_per_plot(db, by_plot), "AREA", keys)
        design, begin = _design(db_path, evalid)
    except (PyFIAError, pl.exceptions.PolarsError, duckdb.Error, KeyError, ValueError) as err:
        raise FiaDownloadError(
            f"pyfia cannot estimate from the FIA tables of {state}: {err}",
            hint="a table may be incomplete: delete the state's cache folder and run again",
        ) from None
    if begin.missing:
        raise MissingBeginBiomass(
            f"{state} (EVALID {evalid}): {begin.missing} of {begin.needing} remeasured trees have no begin "
            "biomass, neither in TREE_GRM_BEGIN nor in their previous TREE record; pyfia would count "
            "each whole tree as one period's growth (begin taken as 0), so no rate is derived",
            hint="the state's TREE table lacks the earlier measurement (a subset or an older copy?): "
            "download the state's full TREE and TREE_GRM_BEGIN tables again (delete its cache folder)",
        )
    by_age = [AGE_CLASS_COLUMN]
    age_growth = growth_pp.groupby([*by_age, "PLT_CN"])["GROWTH_TOTAL"].sum().reset_index()
    age_area = area_pp.groupby([*by_age, "PLT_CN"])["AREA"].sum().reset_index()
    return StateEstimates(
        state=state,
        statecd=statecd,
        evalid=evalid,
        end_invyr=int(end) if end is not None else None,
        by_group_age={
            (k[0], k[1]): v for k, v in _grouped(growth_pp, area_pp, design, keys, evalid, state).items()
        },
        by_age={k[0]: v for k, v in _grouped(age_growth, age_area, design, by_age, evalid, state).items()},
        begin=begin,
    )
