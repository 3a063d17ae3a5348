"""The ratio-of-means estimate of a per-area rate and its sampling variance (Bechtold & Patterson 2005).

A removal factor is a ratio R = Ŷ / X̂ of two estimates from the same plots: Y the group's net
growth, X its forest land area. EVALIDator reports such per-acre values as ratio-of-means estimates;
their variance is (B&P 2005, ch. 4 and 7, Scott et al.):

    Var(R) ≈ [Var(Ŷ) + R²·Var(X̂) − 2R·Cov(Ŷ, X̂)] / X̂²

with, in each estimation unit u (area A_u, n_u plots, strata h with weights W_h = P1POINTCNT /
P1PNTCNT_EU and n_h plots), the post-stratified terms

    Var(Ŷ_u)      = A_u²/n_u · [Σ_h W_h s²_yh + (1/n_u) Σ_h (1 − W_h) s²_yh]
    Cov(Ŷ_u, X̂_u) = A_u²/n_u · [Σ_h W_h s_yxh + (1/n_u) Σ_h (1 − W_h) s_yxh]

where s²_yh (s_yxh) is the sample variance (covariance) of the plot values y_i (x_i) per acre over
all n_h plots of the stratum, those outside the group counting 0. Units (and states: independent
samples) add: Ŷ = Σ_u Ŷ_u, Var(Ŷ) = Σ_u Var(Ŷ_u), and so on. The totals are pyfia's: Ŷ_u =
Σ_h EXPNS_h Σ_i y_i. A stratum with one plot has no variance term (s² undefined, taken as 0, as
pyfia and EVALIDator do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Columns of the design frame (one row per plot of the evaluation).
DESIGN_COLUMNS = ("PLT_CN", "UNIT", "STRATUM", "EXPNS", "W_H", "AREA_USED")


@dataclass(frozen=True)
class RatioParts:
    """Sufficient statistics of a ratio estimate: totals, their variances and covariance, plots."""

    y: float
    x: float
    var_y: float
    var_x: float
    cov_xy: float
    plots: int

    def ratio(self) -> tuple[float, float]:
        """(R, SE(R)); NaN when the group has no area."""
        if not self.x > 0:
            return math.nan, math.nan
        r = self.y / self.x
        var = (self.var_y + r * r * self.var_x - 2.0 * r * self.cov_xy) / (self.x * self.x)
        return r, math.sqrt(max(var, 0.0))

    def __add__(self, other: RatioParts) -> RatioParts:
        """Independent samples (two states' inventories): totals, variances and covariances add."""
        return RatioParts(
            self.y + other.y,
            self.x + other.x,
            self.var_y + other.var_y,
            self.var_x + other.var_x,
            self.cov_xy + other.cov_xy,
            self.plots + other.plots,
        )


def ratio_parts(design: pd.DataFrame, y: pd.Series, x: pd.Series) -> RatioParts:
    """``design``: every plot of the evaluation (:data:`DESIGN_COLUMNS`); ``y``, ``x``: the group's plot
    values **per acre** indexed by PLT_CN (plots not listed: 0). Plots = plots with x > 0."""
    d = design.set_index("PLT_CN")
    yv = y.groupby(level=0).sum().reindex(d.index, fill_value=0.0).to_numpy(dtype=float)
    xv = x.groupby(level=0).sum().reindex(d.index, fill_value=0.0).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {"u": d["UNIT"].to_numpy(), "h": d["STRATUM"].to_numpy(), "y": yv, "x": xv,
         "e": d["EXPNS"].to_numpy(dtype=float), "w": d["W_H"].to_numpy(dtype=float),
         "a": d["AREA_USED"].to_numpy(dtype=float)}
    )  # fmt: skip
    total_y = float((frame["e"] * frame["y"]).sum())
    total_x = float((frame["e"] * frame["x"]).sum())
    var_y = var_x = cov = 0.0
    for _, unit in frame.groupby("u", sort=False):
        n_u = len(unit)
        area = float(unit["a"].iloc[0])
        vy = vx = c = 0.0
        for _, s in unit.groupby("h", sort=False):
            n_h = len(s)
            if n_h < 2:
                continue
            w = float(s["w"].iloc[0])
            dy = s["y"].to_numpy() - s["y"].mean()
            dx = s["x"].to_numpy() - s["x"].mean()
            factor = w + (1.0 - w) / n_u
            vy += factor * float(np.dot(dy, dy)) / (n_h - 1)
            vx += factor * float(np.dot(dx, dx)) / (n_h - 1)
            c += factor * float(np.dot(dy, dx)) / (n_h - 1)
        scale = area * area / n_u
        var_y += scale * vy
        var_x += scale * vx
        cov += scale * c
    return RatioParts(total_y, total_x, var_y, var_x, cov, int((xv > 0).sum()))
