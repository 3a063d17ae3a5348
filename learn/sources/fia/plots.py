"""pyfia's growth and area estimates per plot, without pyfia's own variance step.

The ratio-of-means SE (:mod:`learn.sources.fia.variance`) needs each plot's value, so the estimates run
with ``PLT_CN`` among the groups. pyfia's public ``growth()`` and ``area()`` then compute a sampling
error for every (group, plot) — one pass over all plots per group, minutes for a large state — that
is not used. These helpers build the same estimators with the same configuration as pyfia 1.7's
``growth()`` and ``area()`` (``estimation/estimators/growth.py``, ``area.py``) and skip only that
step; the totals are pyfia's (tested against the public functions in ``tests/test_fia_begin_regions.py``).
"""

from __future__ import annotations

from typing import Any

import polars as pl


def _without_variance(estimator: type, se_columns: tuple[str, ...]) -> type:
    class WithoutVariance(estimator):
        def calculate_variance(self, agg_result: Any) -> pl.DataFrame:
            results: pl.DataFrame = agg_result.results
            return results.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in se_columns])

    return WithoutVariance


def growth_per_plot(db: Any, grp_by: list[str]) -> pl.DataFrame:
    """``pyfia.growth(db, grp_by=grp_by, land_type="forest", tree_type="al", measure="biomass")``
    without its sampling errors."""
    from pyfia.estimation.estimators.growth import GrowthEstimator

    config = {
        "grp_by": list(grp_by),
        "by_species": False,
        "by_size_class": False,
        "size_class_type": "standard",
        "land_type": "forest",
        "tree_type": "al",
        "measure": "biomass",
        "tree_domain": None,
        "area_domain": None,
        "totals": True,
        "variance": False,
        "most_recent": False,
        "include_cv": False,
    }
    cls = _without_variance(GrowthEstimator, ("GROWTH_ACRE_SE", "GROWTH_TOTAL_SE"))
    out: pl.DataFrame = cls(db, config).estimate()
    return out


def area_per_plot(db: Any, grp_by: list[str]) -> pl.DataFrame:
    """``pyfia.area(db, grp_by=grp_by, land_type="forest")`` without its sampling errors."""
    from pyfia.estimation.estimators.area import AreaEstimator

    config = {
        "grp_by": list(grp_by),
        "land_type": "forest",
        "area_domain": None,
        "plot_domain": None,
        "most_recent": False,
        "eval_type": None,
        "variance": False,
        "totals": True,
    }
    cls = _without_variance(AreaEstimator, ("AREA_SE",))
    out: pl.DataFrame = cls(db, config).estimate()
    return out
