"""A tiny FIA database in the FIA DataMart layout, for a made-up state (tests only; not real data).

``write_datamart(root, state, statecd)`` writes ``<root>/<ST>_<TABLE>.zip`` (one CSV ``<ST>_<TABLE>.csv``
each), the files https://apps.fs.usda.gov/fia/datamart/CSV/ serves per state and table: a handful
of plots (one condition each), their trees with growth–removal–mortality (GRM) components, and the
population tables (one evaluation group: an EXPCURR evaluation and a GRM evaluation, one estimation
unit, one stratum, every adjustment factor 1), so each rate can be computed by hand in the tests:

    net growth (lb/yr) of a tree = TPA × (end − begin) / REMPER, with end and begin by component
    (EVALIDator's rule, as pyfia's growth estimator codes it; MORTALITY1 ends at 0, INGROWTH begins at 0,
    CUT1 ends at its midpoint); a group's rate per acre = Σ over its plots / number of its plots
    (one stratum, EXPNS equal for every plot, CONDPROP_UNADJ 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learn.sources.fia.download import FIA_TABLES

EXPNS_ACRES = 6000.0  # acres per plot (the stratum's expansion factor)
REMPER_YR = 5.0
END_YEAR = 2023
#: The GRM evaluation (EVALID = state code, 2-digit year, type 03) and the current-area one (01).
GRM_EVALID_SUFFIX = 2303
CURR_EVALID_SUFFIX = 2301


@dataclass(frozen=True)
class FixturePlot:
    name: str
    fortypcd: int | None  # None: nonforest condition
    stdage: int | None
    #: Trees: (component, TPA_UNADJ, biomass at begin, midpoint, end) in lb above-ground, the
    #: below-ground biomass is AG × BG_SHARE (so AG + BG = AG × (1 + BG_SHARE)).
    trees: tuple[tuple[str, float, float, float, float], ...] = ()


#: Below-ground dry biomass as a share of above-ground, in every tree of the fixture.
BG_SHARE = 0.25

#: The plots. Forest type codes: 801/802/805 → type group 800 (maple/beech/birch), 503/520 → 500
#: (oak/hickory), 103 → 100 (white/red/jack pine).
PLOTS: tuple[FixturePlot, ...] = (
    FixturePlot("P01", 801, 15, (("SURVIVOR", 6.0, 100.0, 125.0, 150.0), ("INGROWTH", 75.0, 0.0, 5.0, 10.0))),
    FixturePlot("P02", 802, 60, (("SURVIVOR", 6.0, 400.0, 450.0, 500.0),)),
    FixturePlot(
        "P03", 805, 70, (("SURVIVOR", 6.0, 800.0, 860.0, 920.0), ("MORTALITY1", 6.0, 200.0, 210.0, 0.0))
    ),
    FixturePlot("P04", 503, 45, (("SURVIVOR", 6.0, 600.0, 640.0, 680.0),)),
    FixturePlot("P05", 503, 120, (("SURVIVOR", 6.0, 1500.0, 1530.0, 1560.0),)),
    FixturePlot("P06", 103, 10, (("SURVIVOR", 6.0, 50.0, 80.0, 110.0),)),
    FixturePlot("P07", 801, 110, (("SURVIVOR", 6.0, 1200.0, 1225.0, 1250.0),)),
    FixturePlot("P08", 520, 30, (("SURVIVOR", 6.0, 200.0, 240.0, 280.0), ("CUT1", 6.0, 500.0, 520.0, 0.0))),
    FixturePlot("P09", None, None),
    FixturePlot("P10", 801, 40, (("SURVIVOR", 6.0, 300.0, 340.0, 380.0),)),
)

#: Every table the DataMart serves that the fixture holds: the ones the download asks for.
TABLES = FIA_TABLES


def tree_contribution_lb_per_acre_yr(
    component: str, tpa: float, begin: float, mid: float, end: float
) -> float:
    """One tree's annual net growth of (AG + BG) biomass, lb/acre/yr, by EVALIDator's begin/end rule."""
    total = 1.0 + BG_SHARE
    if component in ("SURVIVOR",):
        value = end - begin
    elif component == "INGROWTH":
        value = end
    elif component == "MORTALITY1":
        value = -begin
    elif component == "CUT1":
        value = mid - begin
    else:
        raise ValueError(component)
    return tpa * value * total / REMPER_YR


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def tables(
    statecd: int,
    plots: tuple[FixturePlot, ...] = PLOTS,
    *,
    begin_missing: frozenset[str] = frozenset(),
    previous_trees: bool = False,
    two_strata: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """The fixture's rows, table by table (CN values are strings, as in FIADB). ``begin_missing``: trees
    (CN, e.g. ``"P03T1"``) without a TREE_GRM_BEGIN row; ``previous_trees``: each remeasured tree's
    previous TREE record (CN ``<CN>_T1`` on plot ``<plot>_T1``, its begin biomass), as the unclipped
    DataMart TREE table holds them; ``two_strata``: two strata (W_h 0.6 and 0.4, the first and second half
    of the plots, EXPNS = A·W_h/n_h) instead of one."""
    grm_evalid = statecd * 10000 + GRM_EVALID_SUFFIX
    curr_evalid = statecd * 10000 + CURR_EVALID_SUFFIX
    t: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    t["POP_EVAL_GRP"].append({"CN": "EG1", "EVAL_GRP": statecd * 10000 + 2023, "STATECD": statecd})
    for evalid, cn, typ in ((curr_evalid, "E1", "EXPCURR"), (grm_evalid, "E3", "EXPGROW")):
        t["POP_EVAL"].append(
            {
                "CN": cn,
                "EVAL_GRP_CN": "EG1",
                "EVALID": evalid,
                "EVAL_DESCR": f"MADE-UP STATE {typ}",
                "STATECD": statecd,
                "LOCATION_NM": "Made-up state",
                "START_INVYR": END_YEAR - 4,
                "END_INVYR": END_YEAR,
            }
        )
        types = [typ] if typ == "EXPCURR" else ["EXPGROW", "EXPMORT", "EXPREMV"]
        for i, et in enumerate(types):
            t["POP_EVAL_TYP"].append({"CN": f"{cn}T{i}", "EVAL_GRP_CN": "EG1", "EVAL_CN": cn, "EVAL_TYP": et})
        t["POP_ESTN_UNIT"].append(
            {
                "CN": f"U{cn}",
                "EVAL_CN": cn,
                "EVALID": evalid,
                "ESTN_UNIT": 1,
                "STATECD": statecd,
                "AREALAND_EU": EXPNS_ACRES * len(plots),
                "AREATOT_EU": EXPNS_ACRES * len(plots),
                "AREA_USED": EXPNS_ACRES * len(plots),
                "P1PNTCNT_EU": 100 if two_strata else len(plots),
            }
        )
        # One stratum (W = 1), or two: the first half of the plots P1 share 0.6, the rest 0.4 (P1PNTCNT_EU 100).
        halves = [plots[: len(plots) // 2], plots[len(plots) // 2 :]] if two_strata else [plots]
        p1 = [60, 40] if two_strata else [len(plots)]
        for h, (members, points) in enumerate(zip(halves, p1, strict=True), start=1):
            t["POP_STRATUM"].append(
                {
                    "CN": f"S{cn}{h}",
                    "ESTN_UNIT_CN": f"U{cn}",
                    "EVALID": evalid,
                    "ESTN_UNIT": 1,
                    "STRATUMCD": h,
                    "STATECD": statecd,
                    "P1POINTCNT": points,
                    "P2POINTCNT": len(members),
                    "EXPNS": EXPNS_ACRES * len(plots) * points / sum(p1) / len(members),
                    "ADJ_FACTOR_MACR": 1.0,
                    "ADJ_FACTOR_SUBP": 1.0,
                    "ADJ_FACTOR_MICR": 1.0,
                }
            )
            for p in members:
                t["POP_PLOT_STRATUM_ASSGN"].append(
                    {
                        "CN": f"A{cn}{p.name}",
                        "STRATUM_CN": f"S{cn}{h}",
                        "PLT_CN": p.name,
                        "STATECD": statecd,
                        "INVYR": END_YEAR,
                        "EVALID": evalid,
                        "ESTN_UNIT": 1,
                        "STRATUMCD": h,
                    }
                )
    for p in plots:
        t["PLOT"].append(
            {
                "CN": p.name,
                "STATECD": statecd,
                "INVYR": END_YEAR,
                "PREV_PLT_CN": f"{p.name}_T1",
                "MACRO_BREAKPOINT_DIA": "",
                "REMPER": REMPER_YR,
                "PLOT_STATUS_CD": 1 if p.fortypcd is not None else 2,
                "DESIGNCD": 1,
                "UNITCD": 1,
                "COUNTYCD": 1,
                "PLOT": int(p.name[1:]),
            }
        )
        t["COND"].append(
            {
                "PLT_CN": p.name,
                "CONDID": 1,
                "COND_STATUS_CD": 1 if p.fortypcd is not None else 2,
                "CONDPROP_UNADJ": 1.0,
                "PROP_BASIS": "SUBP",
                "FORTYPCD": p.fortypcd if p.fortypcd is not None else "",
                "STDAGE": p.stdage if p.stdage is not None else "",
                "OWNGRPCD": 40,
                "SITECLCD": 5 if p.fortypcd is not None else "",
                "RESERVCD": 0,
                "ALSTKCD": 3 if p.fortypcd is not None else "",
                "SITECL_METHOD": "",
            }
        )
        for i, (component, tpa, begin, mid, end) in enumerate(p.trees):
            cn = f"{p.name}T{i}"
            dead = component != "SURVIVOR" and component != "INGROWTH"
            t["TREE"].append(
                {
                    "CN": cn,
                    "PLT_CN": p.name,
                    "CONDID": 1,
                    "PREVCOND": 1,
                    "PREV_TRE_CN": f"{cn}_T1" if component != "INGROWTH" else "",
                    "STATUSCD": 2 if component == "MORTALITY1" else (3 if dead else 1),
                    "SPCD": 316,
                    "DIA": 8.0,
                    "TPA_UNADJ": tpa,
                    "DRYBIO_AG": end,
                    "DRYBIO_BG": end * BG_SHARE,
                }
            )
            t["TREE_GRM_COMPONENT"].append(
                {
                    "TRE_CN": cn,
                    "PREV_TRE_CN": f"{cn}_T1",
                    "PLT_CN": p.name,
                    "STATECD": statecd,
                    "DIA_BEGIN": 5.0 if component != "INGROWTH" else "",
                    "DIA_MIDPT": 6.0,
                    "DIA_END": 7.0,
                    "MICR_COMPONENT_AL_FOREST": component,
                    "MICR_SUBPTYP_GRM_AL_FOREST": 1,
                    "MICR_TPAGROW_UNADJ_AL_FOREST": tpa,
                    "SUBP_COMPONENT_AL_FOREST": component,
                    "SUBP_SUBPTYP_GRM_AL_FOREST": 1,
                    "SUBP_TPAGROW_UNADJ_AL_FOREST": tpa,
                }
            )
            if previous_trees and component != "INGROWTH":
                t["TREE"].append(
                    {**t["TREE"][-1], "CN": f"{cn}_T1", "PLT_CN": f"{p.name}_T1", "PREV_TRE_CN": "",
                     "STATUSCD": 1, "DRYBIO_AG": begin, "DRYBIO_BG": begin * BG_SHARE}
                )  # fmt: skip
            for table, value in (("TREE_GRM_MIDPT", mid), ("TREE_GRM_BEGIN", begin)):
                if table == "TREE_GRM_BEGIN" and (component == "INGROWTH" or cn in begin_missing):
                    continue
                t[table].append(
                    {
                        "TRE_CN": cn,
                        "PREV_TRE_CN": f"{cn}_T1",
                        "PLT_CN": p.name,
                        "STATECD": statecd,
                        "SPCD": 316,
                        "STATUSCD": 1,
                        "DIA": 6.0,
                        "DRYBIO_BOLE": value * 0.6,
                        "DRYBIO_BRANCH": value * 0.4,
                        "DRYBIO_AG": value,
                        "DRYBIO_BG": value * BG_SHARE,
                    }
                )
    return t


def write_datamart(
    root: Path,
    state: str,
    statecd: int,
    *,
    skip: tuple[str, ...] = (),
    plots: tuple[FixturePlot, ...] = PLOTS,
    **options: Any,
) -> Path:
    """Write the fixture as ``<root>/<ST>_<TABLE>.zip`` files (``skip``: tables left out; ``options``: as
    :func:`tables`); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in tables(statecd, plots, **options).items():
        if name in skip:
            continue
        member = f"{state}_{name}.csv"
        with zipfile.ZipFile(root / f"{state}_{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(member, _csv(rows))
    return root
