"""Factor sensitivity: linear in each factor, symmetric, tied to the base report's rows, one raster pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import learn
import learn.pipeline.region
from learn.accounting.terms import C_TO_CO2
from learn.analyses.sensitivity import AccountingStage, factor_sensitivity, tof_place_sensitivity
from learn.pipeline.region import Region
from learn.report.models import Report

PERIOD = (2011, 2019)
X = 0.1


@pytest.fixture(scope="module")
def region(demo_catalog: Path) -> Region:
    return learn.open_region("demo", catalog=demo_catalog)


@pytest.fixture(scope="module")
def base(region: Region) -> Report:
    return region.inventory("99001", PERIOD)


@pytest.fixture(scope="module")
def stage(region: Region) -> AccountingStage:
    return AccountingStage.compute(region, "99001", PERIOD)


@pytest.fixture(scope="module")
def table(stage: AccountingStage) -> pd.DataFrame:
    return stage.factor_sensitivity(X).set_index("factor")


def row(report: Report, category: str, type_: str) -> Any:
    return next(r for r in report.inventory if (r.category, r.type) == (category, type_))


def test_no_change_gives_the_base_report(stage: AccountingStage, base: Report) -> None:
    assert stage.report().model_dump() == base.model_dump()
    zero = stage.factor_sensitivity(0.0)
    net = base.totals.net_t_co2e_per_yr
    assert (zero["net_minus_t_co2e_per_yr"] == net).all() and (zero["net_plus_t_co2e_per_yr"] == net).all()
    forest = stage.region.forest_factors
    assert forest is not None
    same = stage.report(forest=forest.scaled("emission_factor_fire_tc_ha", 1.0))
    assert [r.model_dump(exclude={"factors"}) for r in same.inventory] == [
        r.model_dump(exclude={"factors"}) for r in base.inventory
    ]
    assert same.totals.model_dump(exclude={"uncertainty"}) == base.totals.model_dump(exclude={"uncertainty"})
    # ×1.0 is still a derived table: its rows, its interval's provenance and the report's provenance say so
    assert base.totals.uncertainty is not None and same.totals.uncertainty is not None  # the demo has SEs
    scaled = forest.scaled("emission_factor_fire_tc_ha", 1.0)
    assert same.totals.uncertainty["factor_table_sha256"] == scaled.sha256 != forest.sha256
    assert {k: v for k, v in same.totals.uncertainty.items() if k != "factor_table_sha256"} == {
        k: v for k, v in base.totals.uncertainty.items() if k != "factor_table_sha256"
    }
    reforest = row(same, "Forest Change", "Reforestation (Non-Forest to Forest)")
    assert reforest.factors["sha256"] != forest.sha256


def test_every_factor_is_listed_once(table: pd.DataFrame, region: Region) -> None:
    forest = region.forest_factors
    assert forest is not None
    expected = {
        *forest.factor_columns(),
        "ef_t_c_per_ha",
        "rf_t_c_per_ha_yr",
        "carbon_live",
        "carbon_dead_litter",
        "carbon_soil",
    }
    assert set(table.index) == expected and len(table) == len(expected)


def test_plus_and_minus_are_symmetric(table: pd.DataFrame, base: Report) -> None:
    scale = abs(base.totals.net_t_co2e_per_yr)
    diff = table["change_plus_t_co2e_per_yr"] + table["change_minus_t_co2e_per_yr"]
    assert (diff.abs() <= 1e-9 * scale).all(), diff


def test_changes_equal_x_times_the_flux_each_factor_produces(table: pd.DataFrame, base: Report) -> None:
    """Computed independently from the base report's rows: the accounting is linear in each factor."""
    change = table["change_plus_t_co2e_per_yr"]
    tof_kept = row(base, "Trees Outside Forest", "Canopy maintained/gained").removals_t_co2e_per_yr
    tof_loss = row(base, "Trees Outside Forest", "Tree canopy loss").emissions_t_co2e_per_yr
    undisturbed = row(base, "Forest Remaining Forest", "Undisturbed").removals_t_co2e_per_yr
    reforest = row(base, "Forest Change", "Reforestation (Non-Forest to Forest)").removals_t_co2e_per_yr
    insect = row(base, "Forest Remaining Forest", "Insect/Disease").emissions_t_co2e_per_yr
    harvest = row(base, "Forest Remaining Forest", "Harvest/Other").emissions_t_co2e_per_yr
    stock_loss = sum(
        r.emissions_t_co2e_per_yr or 0.0
        for r in base.inventory
        if r.category == "Forest Change" and r.type != "Reforestation (Non-Forest to Forest)"
    )
    assert tof_kept < 0 < tof_loss and undisturbed < 0 < harvest and stock_loss > 0  # all terms present
    assert change["rf_t_c_per_ha_yr"] == pytest.approx(X * tof_kept, rel=1e-9)
    assert change["ef_t_c_per_ha"] == pytest.approx(X * tof_loss, rel=1e-9)
    assert change["removal_factor_forest_remaining_tc_ha_yr"] == pytest.approx(X * undisturbed, rel=1e-9)
    assert change["removal_factor_nonforest_to_forest_tc_ha_yr"] == pytest.approx(X * reforest, rel=1e-9)
    assert change["emission_factor_insect_tc_ha"] == pytest.approx(X * insect, rel=1e-9)
    severity = ["Harvest_EF_0_25", "Harvest_EF_25_50", "Harvest_EF_50_75", "Harvest_EF_75_100"]
    assert change[severity].sum() == pytest.approx(X * harvest, rel=1e-9)
    # the table has severity columns, so the single harvest EF is not used: no effect, said as 0
    assert change["emission_factor_harvest_tc_ha"] == 0.0
    pools = change[["carbon_live", "carbon_dead_litter", "carbon_soil"]].sum()
    assert pools == pytest.approx(X * stock_loss, rel=1e-9)
    net = base.totals.net_t_co2e_per_yr
    assert table.loc["rf_t_c_per_ha_yr", "elasticity"] == pytest.approx(tof_kept / net, rel=1e-9)


def test_perturbed_tables_are_named_in_the_provenance(stage: AccountingStage, base: Report) -> None:
    tof = stage.region.tof_factors
    assert tof is not None
    scaled = tof.scaled("rf_t_c_per_ha_yr", 1.1)
    report = stage.report(tof_table=scaled)
    tables = report.provenance["factor_tables"]
    assert scaled.sha256 != tof.sha256 and tables[scaled.label] == scaled.sha256
    assert str(tof.path) not in tables and "rf_t_c_per_ha_yr × 1.1" in scaled.label
    assert base.provenance["factor_tables"][tof.label] == tof.sha256
    assert report.provenance["tof_factor_rows"]["rf"]["rf_t_c_per_ha_yr"] == pytest.approx(-3.88 * 1.1)
    with pytest.raises(ValueError, match="≥ 0"):
        tof.scaled("rf_t_c_per_ha_yr", -1.0)
    with pytest.raises(ValueError, match="cannot scale"):
        tof.scaled("source", 1.1)


def test_tof_rows_of_other_places_change_net_by_the_factor_difference(
    stage: AccountingStage, base: Report
) -> None:
    places = stage.tof_place_sensitivity()
    tof = stage.region.tof_factors
    assert tof is not None
    assert len(places) == 1 + len(tof.table)
    assert places.iloc[0]["level"] == "selected" and places.iloc[0]["change_t_co2e_per_yr"] == 0.0
    loss = row(base, "Trees Outside Forest", "Tree canopy loss")
    kept = row(base, "Trees Outside Forest", "Canopy maintained/gained")
    ef0, rf0 = loss.factors["ef_t_c_per_ha"], kept.factors["rf_t_c_per_ha_yr"]
    years = base.period.years
    for _, r in places.iloc[1:].iterrows():
        want = (
            kept.area_ha * (r["rf_t_c_per_ha_yr"] - rf0) * C_TO_CO2
            + loss.area_ha * (r["ef_t_c_per_ha"] - ef0) * C_TO_CO2 / years
        )
        assert r["change_t_co2e_per_yr"] == pytest.approx(want, rel=1e-9, abs=1e-6), r["name"]
    assert set(places["name"]) >= {"Montgomery", "Jefferson", "MN"}


def test_the_raster_stage_runs_once(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = learn.pipeline.region.reduce

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(learn.pipeline.region, "reduce", counting)
    sens = factor_sensitivity(region, "99001", PERIOD, relative_change=X)
    assert len(calls) == 1 and len(sens) == 14  # 28 accountings, one raster pass
    places = tof_place_sensitivity(region, "99001", PERIOD)
    assert len(calls) == 2 and len(places) > 1


def test_relative_change_is_checked(stage: AccountingStage) -> None:
    bad: list[Callable[[], Any]] = [
        lambda: stage.factor_sensitivity(1.5),
        lambda: stage.factor_sensitivity(-0.1),
    ]
    for call in bad:
        with pytest.raises(ValueError, match="relative_change"):
            call()
