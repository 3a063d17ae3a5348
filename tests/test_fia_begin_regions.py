"""FIA factors (issue 22, items 6–8): begin biomass never taken as 0, the region levels that give a small
state rows, and the ratio-of-means SE, each against a hand computation (made-up DataMart fixtures,
:mod:`fia_fixture`, served on 127.0.0.1 under the DataMart's URL paths)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fia_fixture import PLOTS, FixturePlot, tables, tree_contribution_lb_per_acre_yr, write_datamart
from range_server import RangeServer, serve_directory

from learn.sources.fia.download import FiaDownloadError, StateTables, download_state_tables
from learn.sources.fia.estimates import estimate_state
from learn.sources.fia.factors import derive_fia_factors
from learn.sources.fia.variance import RatioParts, ratio_parts

CSV_PATH = "/fia/datamart/CSV/"
STATES = {"ZZ": 99, "YY": 98, "ZF": 92, "RB": 93, "RC": 94, "YB": 91, "TS": 90}
TO_T_C_HA = 0.90718474 / 0.40468564224 * 0.47  # short tons/acre → t C/ha (docs/factors.md §3)
MISSING = frozenset({"P02T0", "P03T1"})  # a survivor (begin 400 lb) and a dead tree (begin 200 lb)
#: YY: five copies of the fixture's plots (50 plots), every biomass doubled — a neighbour with more plots.
PLOTS_YY = tuple(
    replace(
        p, name=f"P{k}{p.name[1:]}", trees=tuple((c, t, 2 * b, 2 * m, 2 * e) for c, t, b, m, e in p.trees)
    )
    for k in range(1, 6)
    for p in PLOTS
)
#: ZF: one type group (maple/beech/birch), two plots in each age class: every row from its own group.
PLOTS_FULL = tuple(
    replace(p, name=f"P{i + 1:02d}", fortypcd=801, stdage=age)
    for i, (p, age) in enumerate(zip(PLOTS[:6], (15, 15, 60, 60, 120, 120), strict=True))
)


def lb(p: FixturePlot) -> float:
    return sum(tree_contribution_lb_per_acre_yr(*t) for t in p.trees)


def hand_rate(plots: list[FixturePlot]) -> float:
    """t C/ha/yr: one stratum, equal EXPNS, so the ratio of means = mean over the group's plots."""
    return sum(lb(p) for p in plots) / len(plots) / 2000 * TO_T_C_HA


def members(
    plots: tuple[FixturePlot, ...], fortypcds: tuple[int, ...] | None, ages: range
) -> list[FixturePlot]:
    return [
        p
        for p in plots
        if p.fortypcd is not None and (fortypcds is None or p.fortypcd in fortypcds) and p.stdage in ages
    ]


@pytest.fixture(scope="module")
def datamart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    root = tmp_path_factory.mktemp("datamart")
    csv_dir = root / CSV_PATH.strip("/")
    write_datamart(csv_dir, "ZZ", 99)
    write_datamart(csv_dir, "YY", 98, plots=PLOTS_YY)
    write_datamart(csv_dir, "ZF", 92, plots=PLOTS_FULL)
    write_datamart(csv_dir, "RB", 93, begin_missing=MISSING, previous_trees=True)
    write_datamart(csv_dir, "RC", 94, begin_missing=MISSING)
    write_datamart(csv_dir, "TS", 90, two_strata=True)
    with serve_directory(root) as srv:
        yield srv


def derive(srv: RangeServer, tmp_path: Path, state: str, **kw: object) -> tuple[pd.DataFrame, object]:
    out = tmp_path / f"{state}.csv"
    result = derive_fia_factors(
        state,
        out,
        cache_dir=tmp_path / "cache",
        base_url=srv.url + CSV_PATH,
        states=STATES,
        **kw,  # type: ignore[arg-type]
    )
    return pd.read_csv(out).set_index("ForestAgeTypeRegion"), result


def test_ratio_of_means_se_two_strata_by_hand() -> None:
    """One estimation unit, A = 1000 acres, n = 5 plots; stratum 1: W = 0.6, plots (y, x) = (2, 1), (4, 1),
    (0, 0); stratum 2: W = 0.4, plots (1, 0.5), (3, 1) (y per acre, x = forest share). EXPNS = A·W/n_h =
    200 in both. Ŷ = 200·6 + 200·4 = 2000; X̂ = 200·2 + 200·1.5 = 700; R = 20/7.
    Stratum 1: s²_y = (0 + 4 + 4)/2 = 4, s²_x = (1/9 + 1/9 + 4/9)/2 = 1/3, s_xy = (0 + 2/3 + 4/3)/2 = 1.
    Stratum 2: s²_y = 2, s²_x = 0.125, s_xy = 0.5. Weights W_h + (1 − W_h)/n: 0.68 and 0.52; A²/n = 200000.
    Var(Ŷ) = 200000·(0.68·4 + 0.52·2) = 752000; Var(X̂) = 200000·(0.68/3 + 0.52·0.125) = 175000/3;
    Cov = 200000·(0.68 + 0.52·0.5) = 188000.
    Var(R) = (752000 + (400/49)(175000/3) − (40/7)·188000) / 700² = (22624000/147) / 490000 = 22624/72030,
    SE(R) = 0.56044…; the total's SE over the area taken as known would be √752000 / 700 = 1.2388."""
    design = pd.DataFrame(
        {
            "PLT_CN": ["a", "b", "c", "d", "e"],
            "UNIT": ["U"] * 5,
            "STRATUM": [1, 1, 1, 2, 2],
            "EXPNS": [200.0] * 5,
            "W_H": [0.6, 0.6, 0.6, 0.4, 0.4],
            "AREA_USED": [1000.0] * 5,
        }
    )
    y = pd.Series({"a": 2.0, "b": 4.0, "d": 1.0, "e": 3.0})  # c: not in the group (0)
    x = pd.Series({"a": 1.0, "b": 1.0, "d": 0.5, "e": 1.0})
    parts = ratio_parts(design, y, x)
    assert (parts.y, parts.x, parts.plots) == (pytest.approx(2000), pytest.approx(700), 4)
    assert parts.var_y == pytest.approx(752000) and parts.var_x == pytest.approx(175000 / 3)
    assert parts.cov_xy == pytest.approx(188000)
    r, se = parts.ratio()
    assert r == pytest.approx(20 / 7, rel=1e-12) and se == pytest.approx(math.sqrt(22624 / 72030), rel=1e-12)
    assert se == pytest.approx(0.56044, abs=1e-5) and math.sqrt(752000) / 700 == pytest.approx(
        1.2388, abs=1e-4
    )
    # Two independent samples (states) pool by adding totals, variances and covariances.
    both = parts + parts
    assert both.ratio()[0] == pytest.approx(r) and both.ratio()[1] == pytest.approx(se / math.sqrt(2))
    assert RatioParts(0, 0, 0, 0, 0, 0).ratio()[0] != RatioParts(0, 0, 0, 0, 0, 0).ratio()[0]  # NaN


def test_missing_begin_rows_come_from_the_previous_tree_record(datamart: RangeServer, tmp_path: Path) -> None:
    """RB = ZZ's plots, but TREE_GRM_BEGIN lacks 2 of its 11 trees needing a begin value; the unclipped
    TREE table holds their previous records: every rate equals ZZ's (complete BEGIN)."""
    complete, _ = derive(datamart, tmp_path, "ZZ", min_plots=2, region_states=())
    table, _ = derive(datamart, tmp_path, "RB", min_plots=2, region_states=())
    assert len(table) == len(complete) == 9
    for code, row in complete.iterrows():
        other = table.loc[93 * 100000 + int(code) % 100000]
        for col in ("Forests Remaining Forest Removal Factor", "removal_factor_forest_remaining_se_tc_ha_yr"):
            assert other[col] == pytest.approx(row[col], rel=1e-12), (code, col)
    # Maple/beech/birch 21–100 yr (P02, P03, P10): (6·100 + 6·120 − 6·200 + 6·80)·1.25/5 lb over 3 plots.
    assert table.loc[9308002, "Forests Remaining Forest Removal Factor"] == pytest.approx(
        -hand_rate(members(PLOTS, (801, 802, 805), range(21, 101))), rel=1e-12
    )
    tables_rb = download_state_tables(
        "RB", tmp_path / "cache", base_url=datamart.url + CSV_PATH, states=STATES
    )
    from learn.sources.fia.database import database_path

    begin = estimate_state(database_path(tables_rb), "RB", 93).begin
    assert begin is not None and (begin.needing, begin.from_begin_table, begin.from_previous_tree) == (
        11,
        9,
        2,
    )


def test_growth_from_zero_before_the_fix(
    datamart: RangeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pyfia 1.7 alone gives on RB (no previous-TREE supply): begin biomass 0 for P02T0 and P03T1, so
    P02's survivor adds its whole 500 lb (6·500·1.25/5 = 750 lb/acre/yr instead of 150) and P03's dead tree
    subtracts nothing (0 instead of −300): maple/beech/birch 21–100 yr grows 7× the true rate
    (1050 instead of 150 lb/acre/yr over its 3 plots)."""
    import pyfia

    import learn.sources.fia.database as fia_database
    from learn.sources.fia.begin import SOURCE_COLUMN

    def add_column_only(con: Any) -> None:  # FIADB's rows marked, nothing supplied
        con.execute(f'ALTER TABLE TREE_GRM_BEGIN ADD COLUMN "{SOURCE_COLUMN}" VARCHAR')
        con.execute(
            f"UPDATE TREE_GRM_BEGIN SET {SOURCE_COLUMN} = 'TREE_GRM_BEGIN' WHERE DRYBIO_AG IS NOT NULL"
        )

    monkeypatch.setattr(fia_database, "supply_begin_biomass", add_column_only)
    got = download_state_tables("RB", tmp_path / "c2", base_url=datamart.url + CSV_PATH, states=STATES)
    db_path = fia_database.build_database(StateTables(got.state, got.statecd, got.folder, got.zips, "", ()))
    with pyfia.FIA(db_path) as db:
        db.clip_by_evalid(932303)
        g = pyfia.growth(db, grp_by=["LEARN_TYPGRPCD", "LEARN_AGE_CLASS"], land_type="forest", tree_type="al",
                         measure="biomass", totals=True).to_pandas()  # fmt: skip
    row = g[(g["LEARN_TYPGRPCD"] == 800) & (g["LEARN_AGE_CLASS"] == 2)].iloc[0]
    wrong_lb = (6 * 500 + 6 * 120 - 0 + 6 * 80) * 1.25 / 5  # lb/acre/yr summed over the 3 plots
    assert row["GROWTH_TOTAL"] == pytest.approx(wrong_lb / 2000 * 6000, rel=1e-9)
    right_lb = (6 * 100 + 6 * 120 - 6 * 200 + 6 * 80) * 1.25 / 5
    assert (wrong_lb, right_lb) == (1050, 150)
    # Our estimate on that database refuses instead of using it.
    with pytest.raises(
        FiaDownloadError, match=r"RB \(EVALID 932303\): 2 of 11 remeasured trees have no begin"
    ):
        estimate_state(db_path, "RB", 93)


def test_refused_when_neither_begin_nor_previous_tree(datamart: RangeServer, tmp_path: Path) -> None:
    with pytest.raises(FiaDownloadError, match=r"RC \(EVALID 942303\): 2 of 11 remeasured trees") as err:
        derive(datamart, tmp_path, "RC", min_plots=2, region_states=())
    assert "TREE_GRM_BEGIN" in err.value.message and "previous TREE record" in err.value.message
    assert not (tmp_path / "RC.csv").exists()
    # In a region, such a state is left out of the pool with a note; the others are pooled.
    table, result = derive(datamart, tmp_path, "ZZ", min_plots=3, regions={"R": ("ZZ", "RC", "YY")})
    assert result.region_states == ("YY",) and "RC left out of the region" in result.notes[0]  # type: ignore[attr-defined]
    assert set(table["states_forest_remaining"]) <= {"ZZ", "ZZ;YY"}


def test_a_small_state_gets_rows_from_its_region(datamart: RangeServer, tmp_path: Path) -> None:
    """ZZ (10 plots) with the default --min-plots 10: alone, no row (every row needs its group's 0–20 yr
    rate; ZZ has 2 such plots). Its region (ZZ + YY, YY's 50 plots downloaded because a row needs them)
    gives every row, each saying which states, EVALIDs and plots it rests on."""
    regions = {"Made-up region": ("YY", "ZZ")}
    with pytest.raises(FiaDownloadError, match="no forest factor row could be derived for ZZ"):
        derive(datamart, tmp_path, "ZZ", region_states=())
    table, result = derive(datamart, tmp_path, "ZZ", regions=regions)
    assert result.region_states == ("YY",) and result.region_name == "Made-up region"  # type: ignore[attr-defined]
    assert any(d.startswith("YY_") for d in result.downloaded)  # type: ignore[attr-defined]
    assert sorted(table.index) == [9900000 + tg * 10 + a for tg in (100, 500, 800) for a in (1, 2, 3)]
    mbb = (801, 802, 805)
    # Maple/beech/birch 21–100 yr: ZZ's 3 plots < 10, the region's type group has 3 + 15 = 18.
    row = table.loc[9908002]
    pooled = members(PLOTS, mbb, range(21, 101)) + members(PLOTS_YY, mbb, range(21, 101))
    assert row["fallback_forest_remaining"] == "region_type_group" and row["plots_forest_remaining"] == 18
    assert row["Forests Remaining Forest Removal Factor"] == pytest.approx(-hand_rate(pooled), rel=1e-9)
    assert row["states_forest_remaining"] == "ZZ;YY" and row["fia_region"] == "Made-up region"
    assert row["evalid"] == "982303;992303" and "type_group: 3 plots < 10" in row["fallback_reason"]
    # 0–20 yr maple/beech/birch: 1 + 5 plots in the region's group; all type groups 0–20 yr: 2 + 10.
    young = members(PLOTS, None, range(0, 21)) + members(PLOTS_YY, None, range(0, 21))
    assert (
        row["fallback_nonforest_to_forest"] == "region_age_class" and row["plots_nonforest_to_forest"] == 12
    )
    assert row["Nonforest to Forest Removal Factor"] == pytest.approx(-hand_rate(young), rel=1e-9)
    assert "region_type_group: 6 plots < 10" in row["fallback_reason"]


def test_the_region_is_downloaded_only_when_a_row_needs_it(datamart: RangeServer, tmp_path: Path) -> None:
    """ZF: two plots in each age class of its one type group: with --min-plots 2 every row comes from its
    own group, so its region partner (YB, which the server does not even hold) is never asked for."""
    table, result = derive(datamart, tmp_path, "ZF", min_plots=2, regions={"R": ("ZF", "YB")})
    assert result.region_states == () and not any(d.startswith("YB") for d in result.downloaded)  # type: ignore[attr-defined]
    assert (table["fallback_forest_remaining"] == "type_group").all() and len(table) == 3
    # With a partner needed and not published, the message names it.
    with pytest.raises(FiaDownloadError, match="YB_"):
        derive(datamart, tmp_path, "ZF", min_plots=3, regions={"R": ("ZF", "YB")})


def test_fixture_rows_are_what_the_tests_assume() -> None:
    t = tables(93, begin_missing=MISSING, previous_trees=True)
    begin = {r["TRE_CN"] for r in t["TREE_GRM_BEGIN"]}
    assert not (MISSING & begin) and {"P02T0_T1", "P03T1_T1"} <= {r["CN"] for r in t["TREE"]}


def test_per_plot_estimates_are_pyfias(datamart: RangeServer, tmp_path: Path) -> None:
    """fia_plots builds pyfia's growth and area estimators as pyfia.growth()/area() do, skipping only their
    variance step: the per-plot totals are the public functions' (YY: 50 plots, 2 EVALIDs in its tables)."""
    import pyfia

    from learn.sources.fia.database import build_database
    from learn.sources.fia.plots import area_per_plot, growth_per_plot

    got = download_state_tables("YY", tmp_path / "c3", base_url=datamart.url + CSV_PATH, states=STATES)
    keys = ["LEARN_TYPGRPCD", "LEARN_AGE_CLASS", "PLT_CN"]
    with pyfia.FIA(build_database(got)) as db:
        db.clip_by_evalid(982303)
        pairs = (
            (growth_per_plot(db, keys), pyfia.growth(db, grp_by=keys, tree_type="al", measure="biomass"), "GROWTH_TOTAL"),
            (area_per_plot(db, keys), pyfia.area(db, grp_by=keys), "AREA"),
            (area_per_plot(db, keys), pyfia.area(db, grp_by=keys), "N_PLOTS"),
        )  # fmt: skip
        for fast, public, col in pairs:
            a = fast.select([*keys, col]).sort(keys).to_pandas()
            b = public.select([*keys, col]).sort(keys).to_pandas()
            assert len(a) == len(b) > 0 and (a[keys] == b[keys]).all().all()
            assert a[col].to_numpy() == pytest.approx(b[col].to_numpy(), rel=1e-12), col


def test_two_strata_end_to_end_by_hand(datamart: RangeServer, tmp_path: Path) -> None:
    """TS = ZZ's plots in two strata: P01–P05 (W = 0.6, EXPNS = 60000·0.6/5 = 7200) and P06–P10 (W = 0.4,
    EXPNS 4800); A = 60000 acres, n = 10. Maple/beech/birch 21–100 yr: P02, P03 (stratum 1), P10 (stratum 2),
    y (short tons/acre/yr) = 150, −120, 120 lb ÷ 2000 = 0.075, −0.06, 0.06; x = 1 each.
    Ŷ = 7200·0.015 + 4800·0.06 = 396; X̂ = 7200·2 + 4800 = 19200; R = 0.020625.
    Stratum 1, y = (0, .075, −.06, 0, 0), x = (0, 1, 1, 0, 0): s²_y = 0.00918/4 = 0.002295, s²_x = 0.3,
    s_xy = 0.009/4 = 0.00225. Stratum 2, y = (0, 0, 0, 0, .06), x = (0, 0, 0, 0, 1): s²_y = 0.00072,
    s²_x = 0.2, s_xy = 0.012. Weights W + (1 − W)/10: 0.64, 0.46; A²/n = 3.6e8.
    Var(Ŷ) = 3.6e8·0.0018 = 648000; Var(X̂) = 3.6e8·0.284 = 1.0224e8; Cov = 3.6e8·0.00696 = 2505600.
    Var(R) = (648000 + R²·1.0224e8 − 2R·2505600) / 19200² = 588135.9375 / 368640000; SE = 0.039943 short
    tons/acre/yr (the total's SE over the area: √648000 / 19200 = 0.041926)."""
    table, _ = derive(datamart, tmp_path, "TS", min_plots=2, region_states=())
    row = table.loc[9008002]
    assert row["fallback_forest_remaining"] == "type_group" and row["plots_forest_remaining"] == 3
    assert row["Forests Remaining Forest Removal Factor"] == pytest.approx(-0.020625 * TO_T_C_HA, rel=1e-9)
    se = math.sqrt(588135.9375 / 368640000)
    assert se == pytest.approx(0.039943, abs=1e-6)
    assert row["removal_factor_forest_remaining_se_tc_ha_yr"] == pytest.approx(se * TO_T_C_HA, rel=1e-9)
