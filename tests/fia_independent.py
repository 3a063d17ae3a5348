"""An independent FIA net-growth rate estimator (tests only): plain pandas from the DataMart CSVs, written from
Bechtold & Patterson (2005, GTR SRS-80, ch. 4 and 7), Scott et al. (2005) and the FIADB User Guide's
EVALIDator rules — not from the project's or pyfia's code. It shares no function with ``learn.sources``.

Per plot i of the GRM evaluation (its stratum h in estimation unit u, POP_PLOT_STRATUM_ASSGN):

* y_i (dry short tons/acre/yr) = Σ_trees TPAGROW_UNADJ × ADJ × (end − begin) / REMPER / 2000, for the
  trees of TREE_GRM_COMPONENT with the "all live ≥ 1 in. on forest land" columns (``MICR_*_AL_FOREST``, which
  include microplot saplings); ADJ = ADJ_FACTOR_SUBP / MICR / MACR for SUBPTYP_GRM 1 / 2 / 3 (0: none);
  end = the current TREE record (SURVIVOR, INGROWTH, REVERSION*), TREE_GRM_MIDPT (CUT*, DIVERSION*), 0
  (MORTALITY*); begin (SURVIVOR, CUT1, DIVERSION1, MORTALITY1 only) = TREE_GRM_BEGIN, else the tree's
  previous TREE record (TREE.PREV_TRE_CN); biomass = DRYBIO_AG + DRYBIO_BG (lb). The tree counts in the
  group of its current condition (TREE.PLT_CN, TREE.CONDID);
* x_i (acres of forest per acre of plot) = Σ CONDPROP_UNADJ × (ADJ_FACTOR_MACR if PROP_BASIS = MACR else
  ADJ_FACTOR_SUBP) over its forest conditions (COND_STATUS_CD 1) in the group.

Ŷ = Σ_h EXPNS_h Σ_i y_i, X̂ likewise, R = Ŷ / X̂. Post-stratified variances (Scott et al. 2005, eq. 7):
v(Ŷ_u) = A_u²/n_u · [Σ_h W_h n_h v_h + Σ_h (1 − W_h) (n_h / n_u) v_h] with v_h = s²_h / n_h the variance of
the stratum mean (plots outside the group count 0; v_h = 0 for a one-plot stratum), W_h = P1POINTCNT /
P1PNTCNT_EU, A_u = AREA_USED; the covariance likewise; v(R) = [v(Ŷ) + R² v(X̂) − 2R cov(Ŷ, X̂)] / X̂².
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: short tons/acre → t/ha (definitions) × the carbon fraction the project documents (IPCC 2006, 0.47).
TO_T_C_HA = 0.90718474 / 0.40468564224 * 0.47
#: FIA forest type groups (FIADB User Guide, appendix D): (first FORTYPCD, last FORTYPCD) → TYPGRPCD, for the
#: eastern types; a code outside them raises (the estimator must not guess).
TYPE_GROUPS = {
    (101, 105): 100, (121, 129): 120, (161, 168): 160, (401, 409): 400, (501, 520): 500, (601, 609): 600,
    (701, 709): 700, (801, 809): 800, (901, 905): 900, (961, 962): 960, (999, 999): 999,
}  # fmt: skip
NEEDS_BEGIN = {"SURVIVOR", "CUT1", "DIVERSION1", "MORTALITY1"}


def read_table(folder: Path, state: str, table: str) -> pd.DataFrame:
    with zipfile.ZipFile(folder / f"{state}_{table}.zip") as zf:
        return pd.read_csv(zf.open(f"{state}_{table}.csv"), low_memory=False)


def type_group(fortypcd: float) -> float:
    if np.isnan(fortypcd):
        return np.nan
    for (lo, hi), group in TYPE_GROUPS.items():
        if lo <= fortypcd <= hi:
            return float(group)
    raise ValueError(f"forest type {fortypcd} is in no type group of this estimator")


def age_class(stdage: float) -> float:
    """LEARN's classes (docs/factors.md): 0–20 → 1, 21–100 → 2, over 100 → 3; no age → none."""
    if np.isnan(stdage) or stdage < 0:
        return np.nan
    return 1.0 if stdage <= 20 else (2.0 if stdage <= 100 else 3.0)


def _biomass(frame: pd.DataFrame) -> pd.Series:
    both_missing = frame["DRYBIO_AG"].isna() & frame["DRYBIO_BG"].isna()
    return (frame["DRYBIO_AG"].fillna(0) + frame["DRYBIO_BG"].fillna(0)).mask(both_missing)


@dataclass(frozen=True)
class Estimate:
    rate: float  # t C/ha/yr
    se: float  # t C/ha/yr
    plots: int  # plots with forest land in the group


def plot_values(folder: Path, state: str, evalid: int, *, previous_tree: bool = True) -> pd.DataFrame:
    """Per plot and group (TYPGRPCD, AGE): y (short tons/acre/yr) and x (forest share). ``previous_tree``:
    a missing TREE_GRM_BEGIN value comes from the previous TREE record (else it is taken as 0)."""
    assign = read_table(folder, state, "POP_PLOT_STRATUM_ASSGN").query("EVALID == @evalid")
    strata = read_table(folder, state, "POP_STRATUM").set_index("CN")
    plot_adj = strata.loc[assign["STRATUM_CN"].to_numpy()].set_index(assign["PLT_CN"].to_numpy())
    cond = read_table(folder, state, "COND")
    cond = cond[cond["PLT_CN"].isin(assign["PLT_CN"])].copy()
    cond["TYPGRPCD"] = cond["FORTYPCD"].map(type_group)
    cond["AGE"] = cond["STDAGE"].map(age_class)
    # Forest area per condition.
    forest = cond[cond["COND_STATUS_CD"] == 1].copy()
    adj = plot_adj.loc[forest["PLT_CN"].to_numpy()]
    macro = (forest["PROP_BASIS"] == "MACR").to_numpy()
    forest["x"] = forest["CONDPROP_UNADJ"].to_numpy() * np.where(
        macro, adj["ADJ_FACTOR_MACR"].to_numpy(), adj["ADJ_FACTOR_SUBP"].to_numpy()
    )
    # Net growth per tree.
    grm = read_table(folder, state, "TREE_GRM_COMPONENT")
    grm = grm[grm["PLT_CN"].isin(assign["PLT_CN"])]
    tree = read_table(folder, state, "TREE")
    tree["BIO"] = _biomass(tree)
    t = grm.merge(
        tree[["CN", "CONDID", "PREV_TRE_CN", "BIO"]], left_on="TRE_CN", right_on="CN", suffixes=("", "_T")
    )
    t = t.merge(tree[["CN", "BIO"]].rename(columns={"CN": "PREV_CN", "BIO": "BIO_PREV"}),
                left_on="PREV_TRE_CN_T", right_on="PREV_CN", how="left")  # fmt: skip
    midpt = read_table(folder, state, "TREE_GRM_MIDPT")
    t = t.merge(
        pd.DataFrame({"TRE_CN": midpt["TRE_CN"], "BIO_MID": _biomass(midpt)}), on="TRE_CN", how="left"
    )
    begin = read_table(folder, state, "TREE_GRM_BEGIN")
    t = t.merge(
        pd.DataFrame({"TRE_CN": begin["TRE_CN"], "BIO_BEGIN": _biomass(begin)}), on="TRE_CN", how="left"
    )
    plot = read_table(folder, state, "PLOT").drop_duplicates("CN").set_index("CN")
    remper = plot.loc[t["PLT_CN"].to_numpy(), "REMPER"].to_numpy(dtype=float)
    comp = t["MICR_COMPONENT_AL_FOREST"].fillna("")
    end = np.select(
        [comp.isin(["SURVIVOR", "INGROWTH"]) | comp.str.startswith("REVERSION"),
         comp.str.startswith("CUT") | comp.str.startswith("DIVERSION")],
        [t["BIO"].fillna(0), t["BIO_MID"].fillna(0)], 0.0,
    )  # fmt: skip
    begin_value = t["BIO_BEGIN"].fillna(t["BIO_PREV"].fillna(0) if previous_tree else 0.0)
    start = np.where(comp.isin(NEEDS_BEGIN), begin_value, 0.0)
    adj = plot_adj.loc[t["PLT_CN"].to_numpy()]
    subptyp = t["MICR_SUBPTYP_GRM_AL_FOREST"].fillna(0).to_numpy()
    factor = np.select(
        [subptyp == 1, subptyp == 2, subptyp == 3],
        [adj["ADJ_FACTOR_SUBP"], adj["ADJ_FACTOR_MICR"], adj["ADJ_FACTOR_MACR"]], 0.0,
    )  # fmt: skip
    tpa = t["MICR_TPAGROW_UNADJ_AL_FOREST"].fillna(0).to_numpy()
    t["y"] = tpa * factor * (end - start) / remper / 2000.0
    t = t.merge(cond[["PLT_CN", "CONDID", "TYPGRPCD", "AGE"]], on=["PLT_CN", "CONDID"])
    keys = ["PLT_CN", "TYPGRPCD", "AGE"]
    y = t.dropna(subset=["TYPGRPCD", "AGE"]).groupby(keys)["y"].sum()
    x = forest.dropna(subset=["TYPGRPCD", "AGE"]).groupby(keys)["x"].sum()
    return pd.concat([y, x], axis=1).fillna(0.0).reset_index()


def design(folder: Path, state: str, evalid: int) -> pd.DataFrame:
    """Every plot of the evaluation: unit, stratum, EXPNS, W_h, A_u."""
    assign = read_table(folder, state, "POP_PLOT_STRATUM_ASSGN").query("EVALID == @evalid")
    strata = read_table(folder, state, "POP_STRATUM")
    units = read_table(folder, state, "POP_ESTN_UNIT")
    d = assign[["PLT_CN", "STRATUM_CN"]].merge(strata, left_on="STRATUM_CN", right_on="CN")
    d = d.merge(
        units[["CN", "AREA_USED", "P1PNTCNT_EU"]], left_on="ESTN_UNIT_CN", right_on="CN", suffixes=("", "_U")
    )
    d["W"] = d["P1POINTCNT"] / d["P1PNTCNT_EU"]
    return d[["PLT_CN", "ESTN_UNIT_CN", "STRATUM_CN", "EXPNS", "W", "AREA_USED"]]


def ratio_estimate(plan: pd.DataFrame, values: pd.DataFrame) -> Estimate:
    """R = Ŷ/X̂ and its SE for one group's plot values (``PLT_CN``, ``y``, ``x``), in t C/ha/yr."""
    per_plot = values.groupby("PLT_CN")[["y", "x"]].sum()
    d = plan.join(per_plot, on="PLT_CN").fillna({"y": 0.0, "x": 0.0})
    total_y, total_x = (d["EXPNS"] * d["y"]).sum(), (d["EXPNS"] * d["x"]).sum()
    r = total_y / total_x
    v_y = v_x = c_xy = 0.0
    for _, unit in d.groupby("ESTN_UNIT_CN"):
        n_u, a_u = len(unit), unit["AREA_USED"].iloc[0]
        terms = np.zeros(3)
        for _, s in unit.groupby("STRATUM_CN"):
            n_h, w_h = len(s), s["W"].iloc[0]
            if n_h < 2:
                continue
            cov = np.cov(s["y"], s["x"], ddof=1) / n_h  # variances and covariance of the stratum means
            weight = w_h * n_h + (1 - w_h) * n_h / n_u
            terms += weight * np.array([cov[0, 0], cov[1, 1], cov[0, 1]])
        v_y, v_x, c_xy = np.array([v_y, v_x, c_xy]) + a_u**2 / n_u * terms
    var_r = (v_y + r * r * v_x - 2 * r * c_xy) / total_x**2
    return Estimate(
        r * TO_T_C_HA, float(np.sqrt(max(var_r, 0.0))) * TO_T_C_HA, int((per_plot["x"] > 0).sum())
    )


def estimates(
    folder: Path, state: str, evalid: int, *, previous_tree: bool = True
) -> tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]]:
    """Every (type group, age class) and every age class with forest land in the evaluation."""
    plan = design(folder, state, evalid)
    values = plot_values(folder, state, evalid, previous_tree=previous_tree)
    by_group = {
        (int(g), int(a)): ratio_estimate(plan, v)
        for (g, a), v in values.groupby(["TYPGRPCD", "AGE"])
        if (v["x"] > 0).any()
    }
    by_age = {int(a): ratio_estimate(plan, v) for a, v in values.groupby("AGE") if (v["x"] > 0).any()}
    return by_group, by_age
