"""Factor values that would make numbers silently wrong: non-finite, absurdly large, duplicated TOF keys
(refused at load), and negative disturbance EFs (kept, named in warnings, never counted as gross emissions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FOREST_HEADER, forest_table

import learn
from learn.accounting.factors import load_forest_factors, load_tof_factors
from learn.errors import FactorTableError

K = 44 / 12
PX = 0.09
TOF_HEADER = "level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\n"


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "-1e400", "Infinity"])
def test_a_non_finite_forest_factor_is_refused_naming_file_code_and_column(tmp_path: Path, value: str):
    p = tmp_path / "forest.csv"
    p.write_text(FOREST_HEADER + f"7,NE,g,0-20,0,-1,-1,30,5,40,t\n8,NE,g,0-20,0,-1,-1,{value},5,40,t\n")
    with pytest.raises(FactorTableError) as err:
        load_forest_factors(p)
    message = str(err.value)
    assert str(p) in message and "ForestAgeTypeRegion 8" in message and "'Fire Emissions Factor'" in message
    assert "non-finite" in message and "line 3" in message


def test_a_missing_forest_factor_names_its_code(tmp_path: Path):
    p = tmp_path / "forest.csv"
    p.write_text(FOREST_HEADER + "7,NE,g,0-20,0,-1,nan,30,5,40,t\n")
    with pytest.raises(
        FactorTableError, match=r"Forests Remaining Forest Removal Factor.*ForestAgeTypeRegion 7"
    ):
        load_forest_factors(p)


def test_a_factor_too_large_for_any_carbon_stock_is_refused(tmp_path: Path):
    p = tmp_path / "forest.csv"
    p.write_text(forest_table((7, -1, -1, 3e7, 5, 40)))
    with pytest.raises(FactorTableError, match=r"larger than 10,000 .*ForestAgeTypeRegion 7"):
        load_forest_factors(p)


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf"])
def test_a_non_finite_tof_factor_is_refused_naming_the_row(tmp_path: Path, value: str):
    p = tmp_path / "tof.csv"
    p.write_text(TOF_HEADER + f"default,,56.1,-3.88,d\nstate,ZZ,{value},-1,z\n")
    with pytest.raises(
        FactorTableError, match=r"'ef_t_c_per_ha' has non-finite values .* on line 3 \(state,ZZ\)"
    ):
        load_tof_factors(p)


@pytest.mark.parametrize(
    "rows,named",
    [
        ("state,ZZ,10,-1,a\nstate,ZZ,90,-9,b\n", ["line 3 (state,'ZZ')", "line 4 (state,'ZZ')"]),
        ("place,Alder,10,-1,a\nplace,alder ,90,-9,b\n", ["line 3 (place,'Alder')", "line 4 (place,'alder')"]),
        ("state,zz,10,-1,a\nplace,Beech,1,-1,c\nstate, ZZ,90,-9,b\n", ["line 3 (state,'zz')", "line 5"]),
    ],
)
def test_duplicate_tof_keys_are_refused_naming_the_rows(tmp_path: Path, rows: str, named: list[str]):
    p = tmp_path / "tof.csv"
    p.write_text(TOF_HEADER + "default,,56.1,-3.88,d\n" + rows)
    with pytest.raises(FactorTableError, match="same level and name") as err:
        load_tof_factors(p)
    assert all(n in str(err.value) for n in named)


def test_a_state_and_a_place_of_the_same_name_are_not_duplicates(tmp_path: Path):
    p = tmp_path / "tof.csv"
    p.write_text(TOF_HEADER + "default,,56.1,-3.88,d\nstate,WA,10,-1,a\nplace,WA,90,-9,b\n")
    assert len(load_tof_factors(p).table) == 3


def test_negative_insect_emissions_are_named_and_counted_as_removals(make_region):
    lc = [[41, 41, 41]]
    cat = make_region(
        {2011: lc, 2019: lc},
        codes=[[7, 8, 8]],
        disturbance={(2011, 2019): [[5, 5, 10]]},
        # Code 7: insect EF −2 (negative, as LEARN publishes some); code 8: insect +1, fire +30.
        forest_rows=forest_table((7, -1.5, -1.0, 30, -2, 40), (8, -1.5, -1.0, 30, 1, 40)),
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    r = {(x.category, x.type): x for x in rep.inventory}
    insect = r[("Forest Remaining Forest", "Insect/Disease")]
    fire = r[("Forest Remaining Forest", "Fire")]
    assert insect.emissions_t_co2e_per_yr == pytest.approx(PX * (-2 + 1) * K / 8)  # kept, negative
    assert insect.factors["negative_factor_codes"] == {"Insect Emissions Factor": [7]}
    assert "negative_factor_codes" not in fire.factors
    assert any(
        "Insect/Disease used negative emission factors (Insect Emissions Factor for codes [7])" in w
        for w in rep.warnings
    )
    assert any("Insect/Disease: its emissions are negative" in w for w in rep.warnings)
    t = rep.totals
    # Kept in gross emissions, which it lowers (additive over boundaries, as LEARN), and named in a warning.
    assert t.gross_emissions_t_co2e_per_yr == pytest.approx(
        fire.emissions_t_co2e_per_yr + insect.emissions_t_co2e_per_yr
    )
    assert t.gross_emissions_t_co2e_per_yr < fire.emissions_t_co2e_per_yr
    assert any("kept in gross emissions, which they lower" in w for w in rep.warnings)
    body = [x for x in rep.inventory if x.category != "Total"]
    assert t.net_t_co2e_per_yr == pytest.approx(sum(x.net_t_co2e_per_yr or 0 for x in body))
    total = r[("Total", "Total")]
    assert (total.emissions_t_co2e_per_yr, total.removals_t_co2e_per_yr) == (
        t.gross_emissions_t_co2e_per_yr,
        t.gross_removals_t_co2e_per_yr,
    )


def test_a_negative_severity_ef_is_named_even_when_the_row_stays_positive(make_region):
    lc = [[41, 41]]
    table = (
        FOREST_HEADER.replace(
            ",source", ",Harvest_EF_0_25,Harvest_EF_25_50,Harvest_EF_50_75,Harvest_EF_75_100,source"
        )
        + "7,NE,g,20-100,0,-1,-1,30,5,40,-2,10,20,50,test\n"
    )
    cat = make_region(
        {2011: lc, 2019: lc}, codes=[[7, 7]], disturbance={(2011, 2019): [[1, 4]]}, forest_rows=table
    )
    rep = learn.open_region("t", cat).inventory("A", (2011, 2019))
    harvest = next(x for x in rep.inventory if x.type == "Harvest/Other")
    assert harvest.emissions_t_co2e_per_yr == pytest.approx(PX * (-2 + 50) * K / 8)
    assert harvest.factors["negative_factor_codes"] == {"Harvest_EF_0_25": [7]}
    assert any(
        "Harvest/Other used negative emission factors (Harvest_EF_0_25 for codes [7])" in w
        for w in rep.warnings
    )
    assert rep.totals.gross_emissions_t_co2e_per_yr == pytest.approx(harvest.emissions_t_co2e_per_yr)
