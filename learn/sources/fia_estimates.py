"""FIA net growth of live-tree carbon per hectare of forest land, with pyfia's estimators.

For one state's current growth–removal–mortality (GRM) evaluation (the most recent EVALID of type
``EXPGROW``, found by pyfia's ``FIA.find_evalid``), two pyfia estimates per group:

* ``pyfia.growth(measure="biomass", tree_type="al", land_type="forest")``: the average annual net
  growth (EVALIDator's begin/end rule: survivors' growth + ingrowth + growth of removed trees to
  their midpoint − mortality) of all live trees ≥ 1 inch d.b.h./d.r.c. on forest land, total over
  the state in dry short tons/yr, with its sampling error. The database's ``DRYBIO_AG`` holds
  above- plus below-ground biomass (:mod:`learn.sources.fia_database`), so this is EVALIDator's
  attributes 311 + 317 ("average annual net growth of aboveground / belowground biomass of trees
  (at least 1 inch d.b.h./d.r.c.), in dry short tons, on forest land") estimated as one sum;
* ``pyfia.area(land_type="forest")``: the forest land area of the group (acres) and the number of
  plots with forest land in it.

The rate is total / area, as pyfia's own ``carbon_flux`` divides its totals by ``area()``'s forest
area, and its standard error is the total's SE / area (the area is taken as known, as there).
Units are converted in :func:`rate_t_c_per_ha_yr` (docs/factors.md §3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learn.sources.fia_download import FiaDownloadError

#: Exact conversion constants (definitions): 1 short ton = 2000 lb = 907.18474 kg; 1 acre = 4046.8564224 m².
SHORT_TON_T = 0.90718474
ACRE_HA = 0.40468564224
#: Grouping columns the estimation database adds to COND (learn.sources.fia_database).
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


@dataclass(frozen=True)
class Totals:
    """One group's estimate: net growth total (dry short tons/yr) and its SE, forest area, plots."""

    growth_short_tons_yr: float
    growth_se_short_tons_yr: float
    area_acres: float
    plots: int
    evalids: tuple[int, ...]

    def rate(self, carbon_fraction: float) -> tuple[float, float]:
        """(net growth, its SE) in t C/ha/yr; positive = the forest gains carbon."""
        if self.area_acres <= 0:
            return math.nan, math.nan
        per_acre = self.growth_short_tons_yr / self.area_acres
        se_per_acre = self.growth_se_short_tons_yr / self.area_acres
        return rate_t_c_per_ha_yr(per_acre, carbon_fraction), rate_t_c_per_ha_yr(se_per_acre, carbon_fraction)

    def pooled(self, other: Totals) -> Totals:
        """Two independent samples (two states' inventories): totals add, and so do variances."""
        return Totals(
            self.growth_short_tons_yr + other.growth_short_tons_yr,
            math.hypot(self.growth_se_short_tons_yr, other.growth_se_short_tons_yr),
            self.area_acres + other.area_acres,
            self.plots + other.plots,
            self.evalids + other.evalids,
        )


@dataclass(frozen=True)
class StateEstimates:
    """A state's estimates by (type group, age class) and by age class (all type groups)."""

    state: str
    statecd: int
    evalid: int
    end_invyr: int | None
    by_group_age: dict[tuple[int, int], Totals]
    by_age: dict[int, Totals]


def _grouped(growth: Any, area: Any, keys: list[str], evalid: int) -> dict[tuple[int, ...], Totals]:
    """Join pyfia's growth and area results on the group keys (groups with a null key are left out)."""
    grown = {
        tuple(int(r[k]) for k in keys): (float(r["GROWTH_TOTAL"] or 0.0), float(r["GROWTH_TOTAL_SE"] or 0.0))
        for r in growth.iter_rows(named=True)
        if all(r[k] is not None for k in keys)
    }
    out: dict[tuple[int, ...], Totals] = {}
    for r in area.iter_rows(named=True):
        if any(r[k] is None for k in keys):
            continue
        key = tuple(int(r[k]) for k in keys)
        total, se = grown.get(key, (0.0, 0.0))  # forest land without growth trees grows 0
        out[key] = Totals(total, se, float(r["AREA"]), int(r["N_PLOTS"]), (evalid,))
    return out


def estimate_state(db_path: Path, state: str, statecd: int) -> StateEstimates:
    """Run pyfia's growth and area estimators on the state's current GRM evaluation."""
    import duckdb
    import polars as pl
    import pyfia
    from pyfia.core.exceptions import PyFIAError

    try:
        with pyfia.FIA(db_path) as db:
            evalids = db.find_evalid(most_recent=True, state=statecd, eval_type="GROW")
            if not evalids:
                raise FiaDownloadError(
                    f"the FIA tables of {state} hold no growth (EXPGROW) evaluation",
                    hint="the state's POP_EVAL / POP_EVAL_TYP tables list no GRM evaluation: "
                    "FIA has not remeasured it yet; use another state (--region-state) for its factors",
                )
            evalid = int(evalids[-1])
            db.clip_by_evalid(evalid)
            end = db.query(f"SELECT max(END_INVYR) AS Y FROM POP_EVAL WHERE EVALID = {evalid}")["Y"][0]
            results: dict[str, dict[tuple[int, ...], Totals]] = {}
            for name, keys in (
                ("group_age", [TYPE_GROUP_COLUMN, AGE_CLASS_COLUMN]),
                ("age", [AGE_CLASS_COLUMN]),
            ):
                growth = pyfia.growth(
                    db, grp_by=keys, land_type="forest", tree_type="al", measure="biomass", totals=True
                )
                area = pyfia.area(db, grp_by=keys, land_type="forest", variance=False)
                results[name] = _grouped(growth, area, keys, evalid)
    except (PyFIAError, pl.exceptions.PolarsError, duckdb.Error, KeyError, ValueError) as err:
        raise FiaDownloadError(
            f"pyfia cannot estimate from the FIA tables of {state}: {err}",
            hint="a table may be incomplete: delete the state's cache folder and run again",
        ) from None
    return StateEstimates(
        state=state,
        statecd=statecd,
        evalid=evalid,
        end_invyr=int(end) if end is not None else None,
        by_group_age={(k[0], k[1]): v for k, v in results["group_age"].items()},
        by_age={k[0]: v for k, v in results["age"].items()},
    )
