"""The pathway section of the HTML/PDF report in words (learn.report.pathway_section): the sentence with its
interval, partial and not-estimated pathways (never a 0 for what was not estimated), the measures and trees."""

from __future__ import annotations

from typing import Any

from learn.report.pathway_section import about, measures_text, milestone_rows, sentence, trees_text


def doc(
    reduction: float, lo: float, hi: float, *, measures: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    bau = {
        "name": "Business as usual",
        "measures": [],
        "series": [],
        "cumulative_net_t_co2e": {"2030": -10.0},
        "warnings": [],
    }
    scenario = {
        "name": "Plan",
        "measures": measures
        if measures is not None
        else [{"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}}],
        "series": [],
        "cumulative_net_t_co2e": {"2030": -10.0 - reduction},
        "reduction_vs_bau_t_co2e": {"2030": reduction},
        "reduction_vs_bau_p05_t_co2e": {"2030": lo},
        "reduction_vs_bau_p95_t_co2e": {"2030": hi},
        "trees_to_plant": None,
        "warnings": [],
    }
    return {
        "end_year": 2030,
        "baseline_period": [2019, 2021],
        "scenarios": [bau, scenario],
        "complete": True,
        "not_estimated": [],
        "warnings": [],
        **extra,
    }


def test_about_keeps_three_significant_digits() -> None:
    assert [about(v) for v in (2_170_037.4, 1_986_221.8, 949.6, 0.4, -12_345.0)] == [
        "2,170,000",
        "1,990,000",
        "950",
        "0",
        "-12,300",
    ]


def test_sentence_avoid_add_partial_and_not_estimated() -> None:
    assert sentence(doc(2_170_037.4, 1_986_221.8, 2_356_428.1)) == (
        "By 2030 these measures avoid about 2,170,000 t CO2e (90 %: 1,990,000 to 2,360,000) compared with "
        "business as usual."
    )
    assert sentence(doc(-500.0, -700.0, -300.0)) == (
        "By 2030 these measures add about 500 t CO2e (90 %: 300 to 700) compared with business as usual."
    )
    partial = doc(
        1000.0,
        900.0,
        1100.0,
        complete=False,
        not_estimated=["Forest Change — To Grassland", "Forest Change — To Settlement"],
    )
    assert sentence(partial).endswith(
        "This is a partial figure: the baseline inventory could not estimate Forest Change: To Grassland and "
        "Forest Change: To Settlement, so every year of both pathways leaves them out."
    )
    nothing = doc(0.0, 0.0, 0.0, complete=False, not_estimated=["Forest Change — To Grassland"])
    assert sentence(nothing) == (
        "By 2030 the effect of these measures is not estimated: the baseline inventory could not estimate "
        "Forest Change: To Grassland."
    )
    assert " 0 t" not in sentence(nothing)
    assert "change nothing" in sentence(doc(0.0, 0.0, 0.0))
    assert (
        sentence(doc(0.0, 0.0, 0.0, measures=[])) == "No measures: the pathway to 2030 is business as usual."
    )


def test_measures_trees_and_milestones_in_words() -> None:
    measures = [
        {"avoid_forest_conversion": {"share": 0.5, "from": 2025}},
        {"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}},
        {"canopy_goal": {"percent": 40, "by": 2040, "crown_area_m2": 55.74}},
        {"protect_canopy": {"share": 0.25}},
    ]
    assert measures_text(measures) == (
        "Measures: avoid 50 % of forest loss from 2025; reforest 10.0 ha per year from 2025 to 2034; tree canopy "
        "goal 40 % of non-forest land by 2040; protect 25 % of tree canopy loss from the start."
    )
    d = doc(10.0, 5.0, 15.0, measures=measures)
    assert trees_text(d) == "Trees to plant: not estimated (no tree canopy layer)."
    d["scenarios"][1]["trees_to_plant"] = 914_237.0
    assert "about 914,000 trees" in str(trees_text(d)) and "55.7 m²" in str(trees_text(d))
    assert trees_text(doc(10.0, 5.0, 15.0)) is None
    headers, rows = milestone_rows(doc(1234.4, 1000.0, 1500.0))
    assert headers == [
        "Years",
        "Business as usual (t CO2e)",
        "Plan (t CO2e)",
        "Avoided (t CO2e)",
        "Avoided, 90 %",
    ]
    assert rows == [["2022–2030", "-10", "-1,244", "1,234", "1,000 to 1,500"]]


def test_a_partial_pathway_whose_measures_change_nothing_estimated_has_no_zero() -> None:
    nothing = doc(0.0, 0.0, 0.0, complete=False, not_estimated=["Forest Change — To Grassland"])
    _, rows = milestone_rows(nothing)
    assert rows == [["2022–2030", "-10", "-10", "not estimated", "not estimated"]]
