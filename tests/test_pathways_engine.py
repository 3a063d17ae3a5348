"""Pathways engine, hand-computed: one boundary over a few years (docs/pathways.md "Method")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learn.analyses.pathways.basis import Flux, PathwayBasis, RemovalMix, next_age_rows
from learn.analyses.pathways.engine import project
from learn.analyses.pathways.run import make_draws
from learn.analyses.pathways.scenario import (
    AvoidForestConversion,
    CanopyGoal,
    ProtectCanopy,
    Reforest,
    Scenario,
    ScenarioError,
    scenario_of,
)

C = 44.0 / 12.0


def mix(rate: float, se: float = 0.0, ha: float = 1.0) -> RemovalMix:
    return RemovalMix([1], np.array([ha]), np.array([rate]), np.array([se]))


def basis(**over: object) -> PathwayBasis:
    """100 ha; 50 ha forest remaining; 2 ha/yr forest → settlement at 400 t CO2e/ha; 1 ha/yr reforestation;
    1 ha/yr harvest at 30 t CO2e/ha; removal factors −1 (old), −2 (new, 20 years), −1.5 (after) t C/ha/yr;
    10 ha canopy on non-forest land, +1 ha/yr gained, 0.5 ha/yr lost at 200 t CO2e/ha, −14 t CO2e/ha/yr kept."""
    values: dict[str, object] = dict(
        boundary_id="X",
        boundary_name="Hand",
        start=2019,
        end=2021,
        forest_ha=50.0,
        forest_remaining_ha=50.0,
        removal_share=1.0,
        baseline_reforested_ha=0.0,
        land_ha=100.0,
        plantable_nonforest_ha=45.0,
        conversions=[
            Flux("Forest Change — To Settlement", 2.0, 400.0),
            Flux("Forest Change — To Other", 0.0, 0.0),
        ],
        reforestation_ha_per_yr=1.0,
        disturbances=[Flux("Forest Remaining Forest — Harvest/Other", 1.0, 30.0)],
        frf_mix=mix(-1.0),
        young_mix=mix(-2.0),
        mature_mix=mix(-1.5),
        canopy_ha=10.0,
        canopy_loss_ha_per_yr=0.5,
        canopy_gain_ha_per_yr=1.0,
        tof_ef_t_co2e_per_ha=200.0,
        tof_rf_t_co2e_per_ha_yr=-14.0,
    )
    values.update(over)
    return PathwayBasis(**values)  # type: ignore[arg-type]


def run(b: PathwayBasis, measures: list, end: int = 2023, draws: int = 0, sd: dict | None = None):
    return project(b, measures, make_draws(b, sd or {}, draws, 7), end)


def test_two_years_by_hand() -> None:
    s = run(basis(), [])
    assert s.years == [2022, 2023]
    # 2022: 2 ha converted (800), 1 ha harvested (30), 0.5 ha canopy lost (100).
    assert s.emissions[:, 0] == pytest.approx([930.0, 930.0])
    # old forest 48 ha, 2 ha kept from removing (2-year period × 1 ha/yr harvest); 1 ha new forest; canopy 10 → 10.5
    r2022 = (48 - 2) * -1 * C + 1 * -2 * C + (10 + 10.5) / 2 * -14
    r2023 = (46 - 2) * -1 * C + 2 * -2 * C + (10.5 + 11) / 2 * -14
    assert s.removals[:, 0] == pytest.approx([r2022, r2023])
    assert s.forest_ha[:, 0] == pytest.approx([49.0, 48.0])
    assert s.nonforest_ha[:, 0] == pytest.approx([51.0, 52.0])
    assert s.canopy_ha is not None and s.canopy_ha[:, 0] == pytest.approx([10.5, 11.0])


def test_new_forest_removes_at_the_young_rate_for_20_years_then_the_next_age_class() -> None:
    b = basis(conversions=[], disturbances=[], canopy_ha=None, reforestation_ha_per_yr=0.0, frf_mix=mix(0.0))
    s = run(b, [Reforest(ha_per_yr=1.0, **{"from": 2022, "to": 2022})], end=2043)
    by_year = dict(zip(s.years, s.removals[:, 0], strict=True))
    assert by_year[2022] == pytest.approx(-2 * C)
    assert by_year[2041] == pytest.approx(-2 * C)  # its 20th year
    assert by_year[2042] == pytest.approx(-1.5 * C)


def test_measures_by_hand() -> None:
    b = basis()
    avoided = run(b, [AvoidForestConversion(share=0.5)])
    assert avoided.emissions[0, 0] == pytest.approx(930.0 - 400.0)
    assert avoided.forest_ha[:, 0] == pytest.approx([50.0, 50.0])
    protected = run(b, [ProtectCanopy(share=1.0, **{"from": 2023})])
    assert protected.emissions[:, 0] == pytest.approx([930.0, 830.0])
    assert protected.canopy_ha is not None and protected.canopy_ha[:, 0] == pytest.approx([10.5, 11.5])
    planted = run(b, [Reforest(ha_per_yr=3.0, **{"from": 2023})])
    assert planted.forest_ha[:, 0] - run(b, []).forest_ha[:, 0] == pytest.approx([0.0, 3.0])


def test_canopy_goal_reaches_its_percent_linearly_and_counts_trees() -> None:
    b = basis(
        canopy_loss_ha_per_yr=0.0, canopy_gain_ha_per_yr=0.0, conversions=[], reforestation_ha_per_yr=0.0
    )
    s = run(b, [CanopyGoal(percent=30, by=2023, crown_area_m2=50.0)])
    # non-forest 50 ha: 30 % = 15 ha by 2023, from 10 ha: 12.5 in 2022, 15 in 2023
    assert s.canopy_ha is not None and s.canopy_ha[:, 0] == pytest.approx([12.5, 15.0])
    assert s.trees_planted is not None and s.trees_planted[:, 0] == pytest.approx([2.5e4 / 50, 2.5e4 / 50])


def test_conversion_never_takes_more_forest_than_there_is() -> None:
    b = basis(forest_remaining_ha=3.0, forest_ha=3.0, reforestation_ha_per_yr=0.0, disturbances=[])
    s = run(b, [], end=2024)
    assert s.forest_ha[:, 0] == pytest.approx([1.0, 0.0, 0.0])
    assert s.emissions[:, 0] - s.emissions[:, 0] * 0 == pytest.approx([800 + 100, 400 + 100, 0 + 100])


def test_draw_zero_is_the_point_and_an_interval_without_uncertainty_is_the_point() -> None:
    s = run(basis(), [], draws=50)
    assert np.all(s.net == s.net[:, :1])  # no SE, no rate variability: every draw is the point
    varied = run(basis(frf_mix=mix(-1.0, se=0.3)), [], draws=200, sd={"Forest Change — To Settlement": 1.0})
    assert varied.net[:, 0] == pytest.approx(s.net[:, 0])
    assert np.ptp(varied.net[0]) > 0


@settings(max_examples=60, deadline=None)
@given(
    forest=st.floats(0, 90),
    conv=st.floats(0, 20),
    refor=st.floats(0, 20),
    dist=st.floats(0, 10),
    canopy=st.floats(0, 10),
    loss=st.floats(0, 5),
    gain=st.floats(0, 5),
    share=st.floats(0, 1),
    extra=st.floats(0, 30),
    percent=st.floats(0, 100),
)
def test_land_is_conserved_and_areas_stay_in_bounds(
    forest: float,
    conv: float,
    refor: float,
    dist: float,
    canopy: float,
    loss: float,
    gain: float,
    share: float,
    extra: float,
    percent: float,
) -> None:
    b = basis(
        forest_remaining_ha=forest,
        forest_ha=forest,
        conversions=[Flux("Forest Change — To Settlement", conv, 400.0)],
        reforestation_ha_per_yr=refor,
        disturbances=[Flux("Forest Remaining Forest — Harvest/Other", dist, 30.0)],
        canopy_ha=canopy,
        canopy_loss_ha_per_yr=loss,
        canopy_gain_ha_per_yr=gain,
    )
    measures = [
        AvoidForestConversion(share=share),
        Reforest(ha_per_yr=extra),
        CanopyGoal(percent=percent, by=2030),
    ]
    s = run(b, measures, end=2040, draws=5, sd={"Forest Change — To Settlement": 2.0})
    assert np.allclose(s.forest_ha + s.nonforest_ha, 100.0)
    assert (s.forest_ha >= -1e-9).all() and (s.nonforest_ha >= -1e-9).all()
    assert s.canopy_ha is not None
    assert (s.canopy_ha >= -1e-9).all() and (s.canopy_ha <= s.nonforest_ha + 1e-9).all()


def test_next_age_class_of_the_demo_table() -> None:
    from learn.accounting.factors import load_forest_factors

    table = load_forest_factors("learn/factors/demo_forest_factors_SYNTHETIC.csv")
    nxt = next_age_rows(table)
    assert nxt[1101] == 1102 and nxt[1102] == 1103 and 1103 not in nxt


def test_scenarios_are_refused_with_the_measure_and_field_named() -> None:
    with pytest.raises(ScenarioError, match="measure 2: avoid_forest_conversion: share"):
        scenario_of(
            {
                "name": "x",
                "measures": [{"reforest": {"ha_per_yr": 1}}, {"avoid_forest_conversion": {"share": 2}}],
            },
            "s",
        )
    with pytest.raises(ScenarioError, match="unknown measure 'plant'"):
        scenario_of({"name": "x", "measures": [{"plant": {}}]}, "s")
    with pytest.raises(ScenarioError, match="'to' \\(2020\\) is before 'from' \\(2030\\)"):
        scenario_of(
            {"name": "x", "measures": [{"reforest": {"ha_per_yr": 1, "from": 2030, "to": 2020}}]}, "s"
        )
    s = Scenario(name="ok", measures=[{"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}}])
    assert s.entries() == [{"reforest": {"ha_per_yr": 10.0, "from": 2025, "to": 2034}}]
