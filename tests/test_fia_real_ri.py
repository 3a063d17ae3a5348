"""FIA rates on real tables (issue 22, "Done means"): Rhode Island's FIADB tables (rFIA's ``fiaRI`` subset,
tests/data/fia_ri/SOURCE.md), served on 127.0.0.1 under the DataMart's URL paths, through ``learn factors fia``
(``derive_fia_factors``: download, database, pyfia estimates, ratio SE, fallback levels; and the CLI), against an independent
estimator written from Bechtold & Patterson (2005) and EVALIDator's rules (:mod:`fia_independent`). Three copies:

* ``published``: TREE_GRM_BEGIN as published (43 of the 2,868 trees needing a begin value on the GRM
  evaluation's plots): the project supplies the others from the previous TREE records;
* ``complete``: TREE_GRM_BEGIN completed (every missing row written from the previous TREE record);
* ``no_previous``: as published, and TREE without the previous records: refused, naming state and counts.

Tolerances: rates and SEs to 1e-6 relative; an SE that is mathematically 0 (a one-plot group) is rounding
noise of ~1e-7 in both estimators, hence also 1e-6 t C/ha/yr absolute.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli
from fia_independent import Estimate, estimates, read_table
from range_server import RangeServer, serve_directory

from learn.sources.fia.download import FIA_TABLES, FiaDownloadError
from learn.sources.fia.estimates import MissingBeginBiomass, StateEstimates
from learn.sources.fia.factors import derive_fia_factors

DATA = Path(__file__).parent / "data" / "fia_ri"
EVALID = 441803  # RHODE ISLAND 2018: 2007-2012 to 2012-2018: AREA CHANGE, GROWTH, REMOVALS, MORTALITY
STATES = {"RI": 44}
CASES = ("published", "complete", "no_previous")
NEEDS_BEGIN = ("SURVIVOR", "CUT1", "DIVERSION1", "MORTALITY1")


def as_text(folder: Path, table: str) -> pd.DataFrame:
    with zipfile.ZipFile(folder / f"RI_{table}.zip") as zf:
        return pd.read_csv(zf.open(f"RI_{table}.csv"), dtype=str, keep_default_na=False)


def write_zip(folder: Path, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    with zipfile.ZipFile(folder / f"RI_{table}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"RI_{table}.csv", buf.getvalue())


def needing_begin(folder: Path) -> pd.DataFrame:
    """The GRM trees needing a begin value, with their previous TREE CN (as text)."""
    grm = as_text(folder, "TREE_GRM_COMPONENT")
    tree = as_text(folder, "TREE")[["CN", "PREV_TRE_CN"]].rename(columns={"PREV_TRE_CN": "PREV_CN"})
    need = grm[grm["MICR_COMPONENT_AL_FOREST"].isin(NEEDS_BEGIN)]
    return need.merge(tree, left_on="TRE_CN", right_on="CN")


def complete_begin(folder: Path) -> None:
    """Write the missing TREE_GRM_BEGIN rows from each tree's previous TREE record (EVALIDator's rule)."""
    begin, tree = as_text(folder, "TREE_GRM_BEGIN"), as_text(folder, "TREE")
    need = needing_begin(folder)
    missing = need[~need["TRE_CN"].isin(begin["TRE_CN"])]
    prev = missing[["TRE_CN", "PREV_CN", "PLT_CN", "STATECD"]].merge(
        tree[["CN", "SPCD", "STATUSCD", "DIA", "DRYBIO_AG", "DRYBIO_BG"]], left_on="PREV_CN", right_on="CN"
    )
    rows = prev.rename(columns={"PREV_CN": "PREV_TRE_CN"}).drop(columns="CN")
    write_zip(folder, "TREE_GRM_BEGIN", pd.concat([begin, rows], ignore_index=True).fillna(""))


def drop_previous_trees(folder: Path) -> None:
    """TREE without the previous records of the GRM trees (as a clipped copy or mirror would serve it)."""
    tree = as_text(folder, "TREE")
    write_zip(folder, "TREE", tree[~tree["CN"].isin(set(needing_begin(folder)["PREV_CN"]))])


@pytest.fixture(scope="module")
def datamart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    root = tmp_path_factory.mktemp("datamart")
    for case in CASES:
        folder = root / case / "CSV"
        shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("*.md"))
    complete_begin(root / "complete" / "CSV")
    drop_previous_trees(root / "no_previous" / "CSV")
    with serve_directory(root) as srv:
        yield srv


@pytest.fixture(scope="module")
def independent() -> tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]]:
    return estimates(DATA, "RI", EVALID)


@pytest.fixture(scope="module")
def runs(datamart: RangeServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, StateEstimates]:
    """The project's state estimates of the published and completed copies (one pyfia run each)."""
    out: dict[str, StateEstimates] = {}
    for case in ("published", "complete"):
        memo: dict[str, StateEstimates] = {}
        derive(datamart, tmp_path_factory.mktemp(case), case, memo=memo, min_plots=2)
        out[case] = memo["RI"]
    return out


def derive(srv: RangeServer, tmp: Path, case: str, **kw: object) -> pd.DataFrame:
    out = tmp / f"{case}.csv"
    derive_fia_factors(
        "RI", out, cache_dir=tmp / "cache", base_url=f"{srv.url}/{case}/CSV/", states=STATES,
        region_states=(), **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return pd.read_csv(out).set_index("ForestAgeTypeRegion")


def close(mine: tuple[float, float], plots: int, ref: Estimate) -> bool:
    rate, se = mine
    return (
        plots == ref.plots
        and rate == pytest.approx(ref.rate, rel=1e-6)
        and se == pytest.approx(ref.se, rel=1e-6, abs=1e-6)
    )


def test_the_real_tables_are_small_and_as_source_md_says() -> None:
    sizes = {p.name: p.stat().st_size for p in DATA.glob("*.zip")}
    assert set(sizes) == {f"RI_{t}.zip" for t in FIA_TABLES}
    assert max(sizes.values()) < 1_000_000 and sum(sizes.values()) < 1_500_000
    rows = {
        t: len(read_table(DATA, "RI", t)) for t in ("PLOT", "TREE", "TREE_GRM_COMPONENT", "TREE_GRM_BEGIN")
    }
    assert rows == {"PLOT": 520, "TREE": 7649, "TREE_GRM_COMPONENT": 3374, "TREE_GRM_BEGIN": 43}
    need = needing_begin(DATA)
    in_begin = need["TRE_CN"].isin(as_text(DATA, "TREE_GRM_BEGIN")["TRE_CN"])
    assert len(need) == 2868 and in_begin.sum() == 43
    # Every other one has its previous TREE record (2 of the 43 have none: FIADB's BEGIN row is their only one).
    has_previous = need["PREV_CN"].isin(as_text(DATA, "TREE")["CN"])
    assert (in_begin | has_previous).all() and (~has_previous).sum() == 2


@pytest.mark.parametrize("case", ["published", "complete"])
def test_every_group_equals_the_independent_estimator(
    runs: dict[str, StateEstimates], independent: tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]],
    case: str,
) -> None:  # fmt: skip
    by_group, by_age = independent
    est = runs[case]
    assert est.evalid == EVALID and est.end_invyr == 2018
    assert set(est.by_group_age) == set(by_group) and set(est.by_age) == set(by_age) == {1, 2, 3}
    cf = 0.47
    wrong = [k for k, v in est.by_group_age.items() if not close(v.rate(cf), v.plots, by_group[k])]
    wrong += [k for k, v in est.by_age.items() if not close(v.rate(cf), v.plots, by_age[k])]
    assert not wrong
    # The figures docs/factors.md records ("Checked on real tables").
    oak = by_group[(500, 2)]
    assert (oak.plots, round(oak.rate, 4), round(oak.se, 4)) == (67, 0.9352, 0.2522)
    assert [by_age[a].plots for a in (1, 2, 3)] == [3, 110, 4]


def test_begin_biomass_supplied_from_the_previous_tree_never_zero(runs: dict[str, StateEstimates]) -> None:
    published, complete = runs["published"], runs["complete"]
    assert (published.begin.needing, published.begin.from_begin_table) == (2868, 43)  # type: ignore[union-attr]
    assert published.begin.from_previous_tree == 2825 and published.begin.missing == 0  # type: ignore[union-attr]
    assert complete.begin.from_begin_table == 2868 and complete.begin.missing == 0  # type: ignore[union-attr]
    # Begin taken as 0 (pyfia 1.7 after clip_by_evalid) would make oak/hickory 21-100 y grow 18 t C/ha/yr.
    zero, _ = estimates(DATA, "RI", EVALID, previous_tree=False)
    assert zero[(500, 2)].rate == pytest.approx(18.05, abs=0.01)
    for case in (published, complete):
        rate, _ = case.by_group_age[(500, 2)].rate(0.47)
        assert rate == pytest.approx(0.9352, abs=1e-4)


def chain(
    independent: tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]], tg: int, age: int, need: int
) -> tuple[str, Estimate] | None:
    """The fallback rule of docs/factors.md §4 without a region: the type group, then the state's age class."""
    by_group, by_age = independent
    for level, ref in (("type_group", by_group.get((tg, age))), ("state_age_class", by_age.get(age))):
        if ref is not None and ref.plots >= need and ref.rate > 0:
            return level, ref
    return None


@pytest.mark.parametrize("min_plots", [2, 3])
def test_every_row_of_the_factor_table(
    datamart: RangeServer, tmp_path: Path, min_plots: int,
    runs: dict[str, StateEstimates], independent: tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]],
) -> None:  # fmt: skip
    table = derive(datamart, tmp_path, "published", min_plots=min_plots, memo={"RI": runs["published"]})
    expected = {}
    for tg in sorted({g for g, _ in independent[0]}):
        young = chain(independent, tg, 1, min_plots)
        for age in (1, 2, 3):
            frf = young if age == 1 else chain(independent, tg, age, min_plots)
            if young is not None and frf is not None:
                expected[44 * 100000 + tg * 10 + age] = (young, frf)
    assert set(table.index) == set(expected) and len(expected) >= 20
    for code, ((nf_level, nf), (frf_level, frf)) in expected.items():
        row = table.loc[code]
        assert (row["fallback_nonforest_to_forest"], row["fallback_forest_remaining"]) == (
            nf_level,
            frf_level,
        )
        assert close((-row["Nonforest to Forest Removal Factor"], row["removal_factor_nonforest_to_forest_se_tc_ha_yr"]),
                     row["plots_nonforest_to_forest"], nf), code  # fmt: skip
        assert close((-row["Forests Remaining Forest Removal Factor"], row["removal_factor_forest_remaining_se_tc_ha_yr"]),
                     row["plots_forest_remaining"], frf), code  # fmt: skip
        assert row["evalid"] == EVALID and row["states_forest_remaining"] == "RI"


def test_rhode_island_alone_with_the_default_min_plots_has_no_row(
    datamart: RangeServer, tmp_path: Path, runs: dict[str, StateEstimates]
) -> None:
    """Each row needs its group's 0–20 y rate, and RI has 3 such plots: without its region, no row (said so)."""
    with pytest.raises(FiaDownloadError, match="no forest factor row could be derived for RI"):
        derive(datamart, tmp_path, "published", memo={"RI": runs["published"]})


def test_refused_when_neither_begin_nor_previous_tree(datamart: RangeServer, tmp_path: Path) -> None:
    with pytest.raises(MissingBeginBiomass) as err:
        derive(datamart, tmp_path, "no_previous", min_plots=2)
    assert "RI (EVALID 441803): 2825 of 2868 remeasured trees have no begin biomass" in err.value.message
    assert not (tmp_path / "no_previous.csv").exists()


def test_the_cli_on_real_tables(
    datamart: RangeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    independent: tuple[dict[tuple[int, int], Estimate], dict[int, Estimate]],
) -> None:  # fmt: skip
    """``learn factors fia --state ri`` (the state code pyfia knows) against the local DataMart."""
    out = tmp_path / "ri.csv"
    args = ["factors", "fia", "--state", "ri", "--out", str(out), "--no-region", "--min-plots", "3"]
    url = f"{datamart.url}/published/CSV/"
    code, stdout, stderr = run_cli(
        [*args, "--datamart-url", url, "--cache", str(tmp_path / "a")], monkeypatch, capsys
    )
    assert code == 0 and "wrote" in stdout, stderr
    row = pd.read_csv(out).set_index("ForestAgeTypeRegion").loc[4405002]  # RI × oak/hickory × 21–100 yr
    assert close(
        (-row["Forests Remaining Forest Removal Factor"], row["removal_factor_forest_remaining_se_tc_ha_yr"]),
        row["plots_forest_remaining"], independent[0][(500, 2)],
    )  # fmt: skip
    url = f"{datamart.url}/no_previous/CSV/"
    code, _, stderr = run_cli(
        [*args, "--datamart-url", url, "--cache", str(tmp_path / "b")], monkeypatch, capsys
    )
    assert (
        code == 2
        and "RI (EVALID 441803): 2825 of 2868 remeasured trees" in stderr
        and "Traceback" not in stderr
    )
