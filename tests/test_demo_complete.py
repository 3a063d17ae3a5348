"""The demo is complete: every boundary × period has a total with nothing left out and a 90 % interval.

The demo's synthetic factor table has a row for every forest code the generator draws and standard errors
(SYNTHETIC, like its factors) for both removal factors, so no demo total is partial and each one carries the
Monte Carlo interval of docs/method.md §5.1 — in the report and in the batch's tables.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import learn
from learn.accounting.uncertainty import has_standard_errors
from learn.demo import PERIODS

FRF = "Forest Remaining Forest"


@pytest.fixture(scope="module")
def run(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> learn.pipeline.batch.BatchRun:
    out = tmp_path_factory.mktemp("complete")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(out / "cache"))
        region = learn.open_region("demo", demo_catalog)
        assert has_standard_errors(region.forest_factors)
        return region.batch([*PERIODS, (2011, 2019)], out=out / "b")


def forest_ha(rep: learn.Report) -> float:
    """Hectares the removal factors act on: Undisturbed forest remaining forest and Reforestation."""
    rows = {(r.category, r.type): r.area_ha or 0.0 for r in rep.inventory}
    return rows[(FRF, "Undisturbed")] + rows[("Forest Change", "Reforestation (Non-Forest to Forest)")]


def test_every_demo_boundary_and_period_is_complete_with_its_interval(
    demo_catalog: Path, run: learn.pipeline.batch.BatchRun
) -> None:
    ids = learn.open_region("demo", demo_catalog).boundaries.ids()
    assert len(run.reports) == len(ids) * (len(PERIODS) + 1)
    without_forest = []
    for rep in run.reports:
        t, where = rep.totals, (rep.boundary.id, rep.period.start, rep.period.end)
        assert t.complete and t.not_estimated == [] and t.forest_area_left_out_ha == 0, where
        assert not any("factor row" in w for w in rep.warnings), where
        assert t.net_p05_t_co2e_per_yr is not None and t.net_p95_t_co2e_per_yr is not None, where
        if forest_ha(rep) > 0:
            assert t.net_p05_t_co2e_per_yr < t.net_t_co2e_per_yr < t.net_p95_t_co2e_per_yr, where
        else:  # nothing the varied factors act on: the interval is the net itself
            assert t.net_p05_t_co2e_per_yr == t.net_t_co2e_per_yr == t.net_p95_t_co2e_per_yr, where
            without_forest.append(where)
    # The one exception: the town of Willowmere has no forest before 2008 (its trees are outside forests).
    assert without_forest == [("9900800", 2001, 2004), ("9900800", 2004, 2006), ("9900800", 2006, 2008)]


def test_the_batch_tables_carry_every_interval(run: learn.pipeline.batch.BatchRun) -> None:
    assert run.out is not None
    frame = run.geoframe
    assert frame["totals_complete"].all() and (frame["not_estimated"].fillna("") == "").all()
    assert (frame["net_p05_t_co2e_per_yr"] <= frame["net_t_co2e_per_yr"]).all()
    assert (frame["net_t_co2e_per_yr"] <= frame["net_p95_t_co2e_per_yr"]).all()
    assert (frame["net_p05_t_co2e_per_yr"] < frame["net_p95_t_co2e_per_yr"]).sum() == len(frame) - 3
    for start, end in [*PERIODS, (2011, 2019)]:
        on_disk = gpd.read_parquet(run.out / f"boundaries_{start}_{end}.parquet")
        assert on_disk["net_p05_t_co2e_per_yr"].notna().all() and len(on_disk) == len(frame) / (
            len(PERIODS) + 1
        )
    assert pd.read_csv(run.out / "inventory.csv")["net_t_co2e_per_yr"].notna().any()
