"""Factor-table loading and TOF factor selection; catalog validation messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from learn.accounting.factors import load_forest_factors, load_tof_factors
from learn.accounting.tof_selection import select_tof_factors
from learn.errors import CatalogError, FactorTableError
from learn.sources.catalog import load_catalog

REPO = Path(__file__).resolve().parents[1]
TOF = (
    "level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\n"
    "default,,56.1,-3.88,d\nplace,Montgomery,103,-3.53,m\nstate,MN,44,-1.69,mn\nstate,MD,70,-2.5,md\n"
)


@pytest.fixture
def tof(tmp_path: Path):
    p = tmp_path / "tof.csv"
    p.write_text(TOF)
    return load_tof_factors(p)


def test_tof_selection_place_then_state_then_default(tof):
    s = select_tof_factors(tof, place_name="Montgomery County", states_by_overlap=["MD", "VA"])
    assert (s.ef_t_c_per_ha, s.rf_t_c_per_ha_yr) == (103, -2.5)  # EF of the place, RF of the state
    assert s.ef_row["source"] == "m" and s.rf_row["source"] == "md"
    s = select_tof_factors(tof, place_name="Saint Paul", states_by_overlap=["MN"])
    assert (s.ef_t_c_per_ha, s.rf_t_c_per_ha_yr) == (44, -1.69)
    s = select_tof_factors(tof, place_name="Nowhere", states_by_overlap=["ZZ"])
    assert (s.ef_t_c_per_ha, s.rf_t_c_per_ha_yr) == (56.1, -3.88)
    assert s.ef_row["level"] == "default"


@pytest.mark.parametrize(
    "text,message",
    [
        ("level,name,ef_t_c_per_ha,source\ndefault,,1,x\n", "lacks column(s) ['rf_t_c_per_ha_yr']"),
        ("level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ncity,,1,-1,x\n", "unknown level(s) ['city']"),
        ("level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ndefault,,1,2,x\n", "rf_t_c_per_ha_yr ≤ 0"),
        ("level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\nstate,MN,1,-1,x\n", "exactly one 'default' row"),
    ],
)
def test_bad_tof_tables(tmp_path: Path, text: str, message: str):
    p = tmp_path / "t.csv"
    p.write_text(text)
    with pytest.raises(
        FactorTableError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        load_tof_factors(p)


def test_packaged_tables_load_and_cite_sources():
    forest = load_forest_factors(REPO / "learn" / "factors" / "demo_forest_factors_SYNTHETIC.csv")
    assert forest.has_severity
    assert forest.table["source"].str.contains("SYNTHETIC").all()
    assert (forest.table["removal_factor_forest_remaining_tc_ha_yr"] < 0).all()
    tof = load_tof_factors(REPO / "learn" / "factors" / "tof_factors_learn_defaults.csv")
    default = tof.table[tof.table["level"] == "default"].iloc[0]
    assert (default["ef_t_c_per_ha"], default["rf_t_c_per_ha_yr"]) == (56.1, -3.88)
    assert tof.table["source"].str.len().gt(20).all()


def test_forest_table_rejects_positive_removal_factor_and_duplicates(tmp_path: Path):
    from conftest import forest_table

    p = tmp_path / "f.csv"
    p.write_text(forest_table((7, 1.5, -1.0, 30, 5, 40)))
    with pytest.raises(FactorTableError, match="must be ≤ 0"):
        load_forest_factors(p)
    p.write_text(forest_table((7, -1.5, -1.0, 30, 5, 40), (7, -1.5, -1.0, 30, 5, 40)))
    with pytest.raises(FactorTableError, match="codes repeated"):
        load_forest_factors(p)


def test_repo_catalog_is_valid_and_describes_public_sources():
    cat = load_catalog(REPO / "data_catalog.yaml")
    for key in (
        "nlcd_land_cover",
        "nlcd_tree_canopy",
        "mtbs_burn_severity",
        "insect_disease_survey",
        "bigmap_carbon",
        "fia_forest_type_group",
        "fia_datamart",
        "tiger_counties",
        "tiger_places",
    ):
        ds = cat.datasets[key]
        assert ds.license and ds.citation and ds.href
    demo = cat.region("demo")
    assert demo.synthetic and "SYNTHETIC" in demo.description
    assert cat.resolve(demo.boundaries.path) == REPO / "data" / "demo" / "boundaries.gpkg"


def test_catalog_errors_name_the_yaml_path(tmp_path: Path):
    doc = yaml.safe_load((REPO / "data_catalog.yaml").read_text())
    doc["regions"]["demo"]["layers"]["disturbance"]["periods"] = [[2019, 2011]]
    doc["regions"]["demo"]["layers"]["tree_cover"] = {"path": "x.tif"}
    del doc["datasets"]["nlcd_land_cover"]["license"]
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(CatalogError) as e:
        load_catalog(p)
    text = str(e.value)
    assert "datasets.nlcd_land_cover.license" in text
    assert "regions.demo" in text and "unknown layer(s) ['tree_cover']" in text
    with pytest.raises(CatalogError, match="catalog file not found"):
        load_catalog(tmp_path / "missing.yaml")


def test_catalog_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    p = tmp_path / "c.yaml"
    p.write_text("regions: {}\n")
    monkeypatch.setenv("LEARN_CATALOG", str(p))
    assert load_catalog().path == p.resolve()
