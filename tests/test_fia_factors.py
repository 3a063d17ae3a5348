"""``learn factors fia`` end to end: a real HTTP server on 127.0.0.1 serves a tiny made-up FIA database
under the DataMart's URL paths (``/fia/datamart/CSV/<ST>_<TABLE>.zip``, :mod:`fia_fixture`); the tables
are downloaded, pyfia estimates from them, and every rate of the factor table is checked against a
hand computation from the fixture's rows (one stratum, equal expansion factors, adjustment factors 1).
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, TOF_DEFAULT, RegionFactory, run_cli, write_tif
from fia_fixture import EXPNS_ACRES, PLOTS, FixturePlot, tree_contribution_lb_per_acre_yr, write_datamart
from range_server import RangeServer, free_port, serve_directory

import learn
from learn.accounting.factors import load_forest_factors
from learn.errors import FactorTableError, OutputError
from learn.sources.fia.download import FiaDownloadError, download_file, download_state_tables, state_fips
from learn.sources.fia.estimates import ACRE_HA, SHORT_TON_T, rate_t_c_per_ha_yr
from learn.sources.fia.factors import derive_fia_factors, derive_fia_factors_for_states

CSV_PATH = "/fia/datamart/CSV/"
STATES = {"ZZ": 99, "YY": 98}  # made-up states (FIPS 99, 98)
C_FRACTION = 0.47
GROUP_OF = {801: 800, 802: 800, 805: 800, 503: 500, 520: 500, 103: 100}
#: State YY: the same plots with every biomass doubled (so its rates are twice ZZ's).
PLOTS_YY = tuple(
    replace(p, trees=tuple((c, t, 2 * b, 2 * m, 2 * e) for c, t, b, m, e in p.trees)) for p in PLOTS
)


#: State XL: plot P03's dead tree is ten times larger, so its 21–100 yr forest loses carbon on net.
PLOTS_LOSS = tuple(
    replace(
        p,
        trees=tuple(
            (c, t, 10 * b, m, e) if c == "MORTALITY1" else (c, t, b, m, e) for c, t, b, m, e in p.trees
        ),
    )
    for p in PLOTS
)


def age_class(age: int) -> int:
    return 1 if age <= 20 else (2 if age <= 100 else 3)


def plot_lb_per_acre_yr(p: FixturePlot) -> float:
    return sum(tree_contribution_lb_per_acre_yr(*t) for t in p.trees)


def hand_rate(plots: list[FixturePlot]) -> float:
    """t C/ha/yr: mean over the group's plots of lb/acre/yr → short tons (÷ 2000) → t/ha × 0.47."""
    lb_per_acre = sum(plot_lb_per_acre_yr(p) for p in plots) / len(plots)
    return lb_per_acre / 2000 * 0.90718474 / 0.40468564224 * C_FRACTION


def hand_se(group: list[FixturePlot], all_plots: tuple[FixturePlot, ...]) -> float:
    """Ratio-of-means SE (t C/ha/yr) of the rate, one stratum (W = 1, A = n·EXPNS): with y_i the plot's
    growth (short tons/acre/yr) and x_i its forest share (1 in the group, else 0),
    Var(R) = A²/n · (s²_y + R²s²_x − 2R·s_xy) / X², X = n_g·EXPNS (B&P 2005; docs/factors.md §2)."""
    n = len(all_plots)
    y = [plot_lb_per_acre_yr(p) / 2000 if p in group else 0.0 for p in all_plots]
    x = [1.0 if p in group else 0.0 for p in all_plots]
    r = sum(y) / sum(x)
    my, mx = sum(y) / n, sum(x) / n
    s_yy = sum((a - my) ** 2 for a in y) / (n - 1)
    s_xx = sum((b - mx) ** 2 for b in x) / (n - 1)
    s_xy = sum((a - my) * (b - mx) for a, b in zip(y, x, strict=True)) / (n - 1)
    area, forest = n * EXPNS_ACRES, len(group) * EXPNS_ACRES
    var = area**2 / n * (s_yy + r * r * s_xx - 2 * r * s_xy) / forest**2
    return math.sqrt(var) * 0.90718474 / 0.40468564224 * C_FRACTION


def in_group(plots: tuple[FixturePlot, ...], tg: int | None, age: int) -> list[FixturePlot]:
    return [
        p
        for p in plots
        if p.fortypcd is not None
        and p.stdage is not None
        and (tg is None or GROUP_OF[p.fortypcd] == tg)
        and age_class(p.stdage) == age
    ]


@pytest.fixture(scope="module")
def datamart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    root = tmp_path_factory.mktemp("datamart")
    csv_dir = root / CSV_PATH.strip("/")
    write_datamart(csv_dir, "ZZ", 99)
    write_datamart(csv_dir, "YY", 98, plots=PLOTS_YY)
    write_datamart(csv_dir, "RI", 44)  # the CLI knows real states only: made-up rows under a real code
    write_datamart(csv_dir, "WW", 97, skip=("POP_STRATUM",))
    write_datamart(csv_dir, "XL", 96, plots=PLOTS_LOSS)
    write_datamart(csv_dir, "VV", 95)
    with zipfile.ZipFile(csv_dir / "VV_TREE.zip", "w") as zf:  # a TREE table without DRYBIO_BG
        zf.writestr("VV_TREE.csv", "CN,PLT_CN,CONDID,DRYBIO_AG\nT1,P01,1,5.0\n")
    with serve_directory(root) as srv:
        yield srv


def derive(srv: RangeServer, tmp_path: Path, **kw: object) -> tuple[pd.DataFrame, object]:
    out = tmp_path / "zz_forest.csv"
    result = derive_fia_factors(
        "ZZ",
        out,
        cache_dir=tmp_path / "cache",
        base_url=srv.url + CSV_PATH,
        states=STATES,
        **kw,  # type: ignore[arg-type]
    )
    return pd.read_csv(out).set_index("ForestAgeTypeRegion"), result


def test_units_short_tons_per_acre_to_t_c_per_ha() -> None:
    assert math.isclose(SHORT_TON_T, 2000 * 0.45359237 / 1000, rel_tol=1e-15)  # 1 lb = 0.45359237 kg (exact)
    assert math.isclose(ACRE_HA, 4046.8564224 / 10_000, rel_tol=1e-15)  # international acre, m² (exact)
    # 1 short ton of biomass per acre = 2.2417 t/ha; × 0.47 = 1.0536 t C/ha
    assert rate_t_c_per_ha_yr(1.0, 1.0) == pytest.approx(2.241702, rel=1e-6)
    assert rate_t_c_per_ha_yr(1.0, C_FRACTION) == pytest.approx(1.0536, rel=1e-4)
    assert rate_t_c_per_ha_yr(-2.0, C_FRACTION) == pytest.approx(-2 * 1.0536, rel=1e-4)


def test_every_rate_is_the_hand_computed_net_growth(datamart: RangeServer, tmp_path: Path) -> None:
    table, result = derive(datamart, tmp_path, min_plots=1)
    # Type groups with forest land in the fixture: 100, 500, 800, each × the three age classes.
    assert sorted(table.index) == [99 * 100000 + tg * 10 + a for tg in (100, 500, 800) for a in (1, 2, 3)]
    for code, row in table.iterrows():
        tg, age = (int(code) % 100000) // 10, int(code) % 10
        group = in_group(PLOTS, tg, age)
        # A level needs 2 plots even with --min-plots 1: a ratio from one plot has no sampling error.
        level = "type_group" if len(group) >= 2 else "state_age_class"
        plots = group if len(group) >= 2 else in_group(PLOTS, None, age)
        assert row["fallback_forest_remaining"] == level, code
        assert row["Forests Remaining Forest Removal Factor"] == pytest.approx(-hand_rate(plots), rel=1e-9)
        assert row["removal_factor_forest_remaining_se_tc_ha_yr"] == pytest.approx(
            hand_se(plots, PLOTS), rel=1e-6
        )
        assert row["plots_forest_remaining"] == len(plots)
        young = in_group(PLOTS, tg, 1) if len(in_group(PLOTS, tg, 1)) >= 2 else in_group(PLOTS, None, 1)
        assert row["Nonforest to Forest Removal Factor"] == pytest.approx(-hand_rate(young), rel=1e-9)
        assert row["fallback_nonforest_to_forest"] == "state_age_class"  # no type group has 2 young plots
        assert row["states_forest_remaining"] == "ZZ" and row["fia_region"] != row["fia_region"]  # NaN: none
        assert (
            str(row["evalid"]) == "992303"
            and row["fia_end_invyr"] == 2023
            and row["pyfia_version"] == "1.7.0"
        )
        assert row["Region"] == "ZZ" and str(row["derived_on"])[:4].isdigit()
    # Maple/beech/birch 21–100 yr: plots P02, P03 (a tree died), P10, all written out by hand:
    # (6·100 + 6·120 − 6·200 + 6·80) · 1.25 / 5 lb/acre/yr over 3 plots = 50 lb = 0.025 short tons/acre/yr.
    assert table.loc[9908002, "Forests Remaining Forest Removal Factor"] == pytest.approx(
        -0.025 * 0.90718474 / 0.40468564224 * 0.47, rel=1e-9
    )
    assert result.evalid == 992303  # the GRM evaluation, not the current-area one (992301)


def test_rows_with_too_few_plots_fall_back_to_the_age_class_then_the_region(
    datamart: RangeServer, tmp_path: Path
) -> None:
    table, _ = derive(datamart, tmp_path, min_plots=2)
    # 800 × 21–100 has 3 plots: its own rate; 800 × 0–20 has 1: all type groups 0–20 yr (2 plots).
    assert table.loc[9908002, "fallback_forest_remaining"] == "type_group"
    assert table.loc[9908001, "fallback_forest_remaining"] == "state_age_class"
    assert table.loc[9908001, "Forests Remaining Forest Removal Factor"] == pytest.approx(
        -hand_rate(in_group(PLOTS, None, 1))
    )
    assert "type_group: 1 plots < 2" in table.loc[9908001, "fallback_reason"]
    # A group of 1 plot is never used on its own, even with --min-plots 1 (its ratio SE would be 0).
    table, _ = derive(datamart, tmp_path, min_plots=1)
    assert table.loc[9908001, "fallback_forest_remaining"] == "state_age_class"
    # Region level: ZZ has 2 plots of 0–20 yr (< 3), ZZ + YY pooled have 4; YY's biomass is doubled.
    table, result = derive(datamart, tmp_path, min_plots=3, region_states=("YY",))
    row = table.loc[9901001]
    assert row["fallback_forest_remaining"] == "region_age_class"
    pooled = in_group(PLOTS, None, 1) + in_group(PLOTS_YY, None, 1)
    assert row["Forests Remaining Forest Removal Factor"] == pytest.approx(-hand_rate(pooled), rel=1e-9)
    assert row["plots_forest_remaining"] == 4 and row["evalid"] == "982303;992303"
    assert row["states_forest_remaining"] == "ZZ;YY" and row["fia_region"] == "(--region-state)"
    assert result.region_states == ("YY",)
    # Without the region, no level has 3 plots of 0–20 yr, which every row needs (its NF→F rate).
    with pytest.raises(FiaDownloadError, match="no forest factor row could be derived for ZZ: 9901001"):
        derive(datamart, tmp_path, min_plots=3)


def test_one_table_for_several_states(datamart: RangeServer, tmp_path: Path) -> None:
    out = tmp_path / "two.csv"
    base = datamart.url + CSV_PATH
    results = derive_fia_factors_for_states(
        ("ZZ", "yy"), out, cache_dir=tmp_path / "c", base_url=base, states=STATES, min_plots=3,
        regions={"Made-up region": ("YY", "ZZ")},
    )  # fmt: skip
    table = load_forest_factors(out).table
    assert [r.state for r in results] == ["ZZ", "YY"] and all(r.out == out for r in results)
    assert {c // 100000 for c in table.index} == {99, 98}
    # 0–20 yr: 2 plots in each state (< 3), so both use their pooled region (the same rate, 4 plots).
    assert [r.region_states for r in results] == [("YY",), ("ZZ",)]
    zz, yy = table.loc[9908001], table.loc[9808001]
    assert zz["fallback_forest_remaining"] == yy["fallback_forest_remaining"] == "region_age_class"
    pooled = in_group(PLOTS, None, 1) + in_group(PLOTS_YY, None, 1)
    assert zz["removal_factor_forest_remaining_tc_ha_yr"] == pytest.approx(-hand_rate(pooled), rel=1e-9)
    assert yy["removal_factor_forest_remaining_tc_ha_yr"] == pytest.approx(-hand_rate(pooled), rel=1e-9)
    # 21–100 yr maple/beech/birch: 3 plots in each state, their own rates (YY's biomass is doubled).
    assert table.loc[9808002, "removal_factor_forest_remaining_tc_ha_yr"] == pytest.approx(
        2 * table.loc[9908002, "removal_factor_forest_remaining_tc_ha_yr"], rel=1e-9
    )


def test_a_net_loss_is_no_removal_factor(datamart: RangeServer, tmp_path: Path) -> None:
    out = tmp_path / "xl.csv"
    base = datamart.url + CSV_PATH
    result = derive_fia_factors("XL", out, cache_dir=tmp_path, base_url=base, states={"XL": 96}, min_plots=2)
    table = pd.read_csv(out).set_index("ForestAgeTypeRegion")
    # Maple/beech/birch 21–100 yr: (150 + 180 − 3000 + 120) lb/acre/yr < 0, and all 21–100 yr stands
    # (+ P04 120, P08 270) too: no level gives a removal, so the code is left out, never given 0; so is
    # white/red/jack pine 21–100 yr, which has no plots of its own and falls back to that net loss.
    assert sorted(result.left_out) == [9601002, 9608002]
    assert "net gain" in result.left_out[9608002] and 9608002 not in table.index
    assert table.loc[9605002, "fallback_forest_remaining"] == "type_group"  # oak/hickory: P04 + P08 > 0
    assert table.loc[9605002, "Forests Remaining Forest Removal Factor"] == pytest.approx(
        -hand_rate(in_group(PLOTS_LOSS, 500, 2))
    )


def test_the_table_loads_as_a_forest_factor_table(datamart: RangeServer, tmp_path: Path) -> None:
    derive(datamart, tmp_path, min_plots=1)
    factors = load_forest_factors(tmp_path / "zz_forest.csv")
    assert not factors.has_emission_factors
    assert factors.table["emission_factor_fire_tc_ha"].isna().all()
    assert (factors.table["removal_factor_forest_remaining_tc_ha_yr"] < 0).all()
    assert (factors.table["removal_factor_forest_remaining_se_tc_ha_yr"] > 0).all()
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(tmp_path / "zz_forest.csv")
    frame.loc[0, "removal_factor_forest_remaining_se_tc_ha_yr"] = -0.1
    frame.to_csv(bad, index=False)
    with pytest.raises(FactorTableError, match="standard errors must be ≥ 0"):
        load_forest_factors(bad)
    frame.drop(columns=["removal_factor_forest_remaining_se_tc_ha_yr"]).assign(
        **{"Fire Emissions Factor": 1.0}
    ).to_csv(bad, index=False)
    with pytest.raises(FactorTableError, match="Insect Emissions Factor"):  # EF columns: all three or none
        load_forest_factors(bad)


def test_downloads_are_cached_and_resumed(datamart: RangeServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = download_state_tables("ZZ", cache, base_url=datamart.url + CSV_PATH, states=STATES)
    assert len(first.downloaded) == 12 and all(zipfile.is_zipfile(p) for p in first.zips.values())
    before = datamart.traffic.snapshot()
    again = download_state_tables("ZZ", cache, base_url=datamart.url + CSV_PATH, states=STATES)
    assert again.downloaded == () and datamart.traffic.since(before) == {}
    # A download that broke off resumes from the bytes it has (HTTP Range), and the file is whole.
    source = datamart.root / CSV_PATH.strip("/") / "ZZ_TREE.zip"
    whole = source.read_bytes()
    target = tmp_path / "resume" / "ZZ_TREE.zip"
    target.parent.mkdir()
    (target.parent / "ZZ_TREE.zip.part").write_bytes(whole[:100])
    before = datamart.traffic.snapshot()
    download_file(datamart.url + CSV_PATH + "ZZ_TREE.zip", target)
    assert target.read_bytes() == whole and not (target.parent / "ZZ_TREE.zip.part").exists()
    assert datamart.traffic.since(before)[CSV_PATH + "ZZ_TREE.zip"] == len(whole) - 100
    assert datamart.traffic.last_headers[CSV_PATH + "ZZ_TREE.zip"]["range"] == "bytes=100-"


def test_errors_unknown_state_missing_table_server_down(datamart: RangeServer, tmp_path: Path) -> None:
    with pytest.raises(FiaDownloadError, match="unknown state 'QQ'"):
        state_fips("QQ", STATES)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OutputError, match="file"):
        download_state_tables("ZZ", tmp_path / "file", base_url=datamart.url + CSV_PATH, states=STATES)
    with pytest.raises(FiaDownloadError, match=r"no file .*WW_POP_STRATUM\.zip \(HTTP 404\)"):
        download_state_tables("WW", tmp_path, base_url=datamart.url + CSV_PATH, states={"WW": 97})
    assert not (tmp_path / "fia" / "WW" / "WW_POP_STRATUM.zip").exists()
    with pytest.raises(FiaDownloadError, match=r"the FIA tables of VV .* cannot be loaded: .*DRYBIO_BG"):
        derive_fia_factors(
            "VV", tmp_path / "v.csv", cache_dir=tmp_path, base_url=datamart.url + CSV_PATH, states={"VV": 95}
        )
    assert not (tmp_path / "v.csv").exists() and not list((tmp_path / "fia" / "VV").glob("*.duckdb"))
    with pytest.raises(FiaDownloadError, match="a state is named twice"):
        derive_fia_factors("ZZ", tmp_path / "z.csv", region_states=("zz",), states=STATES)
    down = f"http://127.0.0.1:{free_port()}/CSV/"
    with pytest.raises(FiaDownloadError, match="cannot reach the FIA DataMart"):
        download_file(down + "ZZ_PLOT.zip", tmp_path / "x.zip", policy=replace_policy())


def replace_policy() -> object:
    from learn.sources.http import HttpPolicy

    return HttpPolicy(timeout_s=5.0, retries=1, backoff_s=0.01)


def test_cli_writes_the_table_and_says_what_is_wrong(
    datamart: RangeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "factors" / "ri_forest.csv"
    args = [
        "factors",
        "fia",
        "--state",
        "ri",
        "--out",
        str(out),
        "--cache",
        str(tmp_path / "c"),
        "--no-region",
    ]
    # The DataMart's URL comes from the catalog's fia_datamart dataset (a mirror is a catalog change).
    doc = yaml.safe_load((REPO / "data_catalog.yaml").read_text())
    doc["datasets"]["fia_datamart"]["href"] = datamart.url + CSV_PATH
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(doc))
    code, stdout, stderr = run_cli(
        [*args, "--catalog", str(catalog), "--min-plots", "1"], monkeypatch, capsys
    )
    assert code == 0, stderr
    assert "wrote" in stdout and "EVALID 442303" in stderr
    table = load_forest_factors(out).table
    assert 4408002 in table.index  # RI (44) × maple/beech/birch (800) × 21–100 yr
    assert table.loc[4408002, "removal_factor_forest_remaining_tc_ha_yr"] == pytest.approx(
        -hand_rate(in_group(PLOTS, 800, 2))
    )
    code, _, stderr = run_cli(["factors", "fia", "--state", "QQ", "--out", str(out)], monkeypatch, capsys)
    assert code == 2 and "unknown state 'QQ'" in stderr and "MA" in stderr
    down = f"http://127.0.0.1:{free_port()}/CSV/"
    code, _, stderr = run_cli(
        [*args, "--datamart-url", down, "--cache", str(tmp_path / "d")], monkeypatch, capsys
    )
    assert code == 2 and "cannot reach the FIA DataMart" in stderr and "Traceback" not in stderr


def test_an_inventory_uses_the_derived_table(
    datamart: RangeServer, tmp_path: Path, make_region: RegionFactory
) -> None:
    """The derived table as a region's forest table: removals = ha × RF × 44/12; disturbance rows without
    EFs or carbon pools stay "not estimated" (never NaN), with their areas."""
    derive(datamart, tmp_path, min_plots=1)
    lc1 = np.full((3, 3), 41, dtype=np.uint8)
    lc1[0, :] = 81  # 3 pixels of pasture become forest
    codes = np.full((3, 3), 9908002, dtype=np.uint32)
    dist = np.zeros((3, 3), dtype=np.uint8)
    dist[2, 2] = 10  # one burned pixel
    cat = make_region(
        {2011: lc1, 2019: np.full((3, 3), 41, dtype=np.uint8)},
        codes=np.ones((3, 3)),
        disturbance={(2011, 2019): dist},
        forest_rows=(tmp_path / "zz_forest.csv").read_text(),
        tof_rows=TOF_DEFAULT,
    )
    write_tif(cat.parent / "codes.tif", codes)
    report = learn.open_region("t", catalog=cat).inventory("A", (2011, 2019))
    rows = {r.type: r for r in report.inventory}
    table = pd.read_csv(tmp_path / "zz_forest.csv").set_index("ForestAgeTypeRegion")
    px = 0.09
    assert rows["Undisturbed"].area_ha == pytest.approx(5 * px)
    assert rows["Undisturbed"].removals_t_co2e_per_yr == pytest.approx(
        5 * px * table.loc[9908002, "Forests Remaining Forest Removal Factor"] * 44 / 12
    )
    assert rows["Reforestation (Non-Forest to Forest)"].removals_t_co2e_per_yr == pytest.approx(
        3 * px * table.loc[9908002, "Nonforest to Forest Removal Factor"] * 44 / 12
    )
    # No EFs and no carbon pools here: fire (0.09 ha) is not estimated; insect has no area, so it is not missing.
    assert rows["Fire"].net_t_co2e_per_yr is None and rows["Fire"].area_ha == pytest.approx(px)
    assert rows["Insect/Disease"].area_ha == 0.0
    assert "Forest Remaining Forest — Fire" in report.totals.not_estimated
    assert "Forest Remaining Forest — Insect/Disease" not in report.totals.not_estimated
    assert any("gives no emission factor and the region has no carbon pool" in w for w in report.warnings)
    assert math.isfinite(report.totals.net_t_co2e_per_yr or math.nan)
