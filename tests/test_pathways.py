"""Pathways on the demo region and tiny regions: the issue's "done means", the CLI, the API = the CLI."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli
from fastapi.testclient import TestClient

import learn
from api.app import create_app
from learn.analyses.pathways import BAU_NAME, Pathways

PLAN = {
    "name": "Protect and plant",
    "measures": [
        {"avoid_forest_conversion": {"share": 0.5, "from": 2025}},
        {"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}},
        {"canopy_goal": {"percent": 40, "by": 2040}},
        {"protect_canopy": {"share": 0.5, "from": 2025}},
    ],
}
NOTHING = {"name": "No measures", "measures": []}
REFOREST = {"name": "Reforest", "measures": [{"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}}]}
AVOID_ALL = {"name": "Avoid all", "measures": [{"avoid_forest_conversion": {"share": 1}}]}


@pytest.fixture(scope="module")
def demo_pathways(demo_catalog: Path) -> Pathways:
    region = learn.open_region("demo", demo_catalog)
    return region.pathways("99001", to=2050, scenarios=[PLAN, NOTHING, REFOREST, AVOID_ALL])


def test_bau_first_and_no_measures_equals_bau(demo_pathways: Pathways) -> None:
    names = [s.name for s in demo_pathways.scenarios]
    assert names == [BAU_NAME, "Protect and plant", "No measures", "Reforest", "Avoid all"]
    assert demo_pathways.baseline_period == [2019, 2021]
    bau, none = demo_pathways.scenario(BAU_NAME), demo_pathways.scenario("No measures")
    assert [r.model_dump() for r in none.series] == [r.model_dump() for r in bau.series]
    assert none.reduction_vs_bau_t_co2e == {"2030": 0.0, "2050": 0.0}
    assert [r.year for r in bau.series] == list(range(2022, 2051))


def test_areas_are_conserved_and_measures_do_what_they_say(demo_pathways: Pathways) -> None:
    land = demo_pathways.baseline["land_ha"]
    for s in demo_pathways.scenarios:
        for r in s.series:
            assert r.forest_ha + r.nonforest_ha == pytest.approx(land, rel=1e-12)
            assert (
                r.nonforest_tree_canopy_ha is not None and 0 <= r.nonforest_tree_canopy_ha <= r.nonforest_ha
            )
    bau = {r.year: r.forest_ha for r in demo_pathways.scenario(BAU_NAME).series}
    refo = {r.year: r.forest_ha for r in demo_pathways.scenario("Reforest").series}
    assert refo[2024] - bau[2024] == pytest.approx(0.0, abs=1e-6)
    assert refo[2034] - bau[2034] == pytest.approx(100.0, abs=1e-6)
    assert refo[2050] - bau[2050] == pytest.approx(100.0, abs=1e-6)
    kept = [r.forest_ha for r in demo_pathways.scenario("Avoid all").series]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(kept))
    assert bau[2050] < bau[2022]  # the demo county loses forest as observed


def test_net_is_the_sum_and_lies_in_its_interval(demo_pathways: Pathways) -> None:
    for s in demo_pathways.scenarios:
        for r in s.series:
            assert r.net_t_co2e_per_yr == r.gross_emissions_t_co2e_per_yr + r.gross_removals_t_co2e_per_yr
            assert r.gross_removals_t_co2e_per_yr < 0 < r.gross_emissions_t_co2e_per_yr
            assert r.net_p05_t_co2e_per_yr < r.net_t_co2e_per_yr < r.net_p95_t_co2e_per_yr
        for y, c in s.cumulative_net_t_co2e.items():
            assert s.cumulative_net_p05_t_co2e[y] <= c <= s.cumulative_net_p95_t_co2e[y]
            first = s.series[0].year
            assert c == pytest.approx(sum(r.net_t_co2e_per_yr for r in s.series if first <= r.year <= int(y)))
    plan, bau = demo_pathways.scenario("Protect and plant"), demo_pathways.scenario(BAU_NAME)
    red = plan.reduction_vs_bau_t_co2e["2050"]
    assert red == pytest.approx(bau.cumulative_net_t_co2e["2050"] - plan.cumulative_net_t_co2e["2050"])
    assert 0 < plan.reduction_vs_bau_p05_t_co2e["2050"] < red < plan.reduction_vs_bau_p95_t_co2e["2050"]
    assert plan.trees_to_plant is not None and plan.trees_to_plant > 0


def test_first_year_of_bau_is_close_to_the_baseline_inventory(
    demo_catalog: Path, demo_pathways: Pathways
) -> None:
    report = learn.open_region("demo", demo_catalog).inventory("99001", (2019, 2021))
    first = demo_pathways.scenario(BAU_NAME).series[0]
    assert first.gross_emissions_t_co2e_per_yr == pytest.approx(report.totals.gross_emissions_t_co2e_per_yr)
    assert first.gross_removals_t_co2e_per_yr == pytest.approx(
        report.totals.gross_removals_t_co2e_per_yr, rel=0.01
    )
    assert any(w.startswith("SYNTHETIC") for w in demo_pathways.warnings)


def test_reproducible_and_frame(demo_catalog: Path, demo_pathways: Pathways) -> None:
    again = learn.open_region("demo", demo_catalog).pathways(
        "99001", scenarios=[PLAN, NOTHING, REFOREST, AVOID_ALL]
    )
    assert again.model_dump() == demo_pathways.model_dump()
    frame = demo_pathways.frame()
    assert len(frame) == 5 * 29 and list(frame.columns[:3]) == ["scenario", "year", "forest_ha"]


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("c"), webmap_dir=None)) as c:
        yield c


def test_api_equals_cli(
    client: TestClient,
    demo_catalog: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "plan.yaml").write_text(json.dumps(PLAN))
    code, out, err = run_cli(
        [
            "pathways",
            "-r",
            "demo",
            "-b",
            "99003",
            "--baseline",
            "2016",
            "2019",
            "--to",
            "2030",
            "--scenario",
            str(tmp_path / "plan.yaml"),
            "--catalog",
            str(demo_catalog),
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "Protect and plant: by 2030 avoids" in err
    body = {"boundary": "99003", "baseline": [2016, 2019], "to": 2030, "scenarios": [PLAN]}
    r = client.post("/api/regions/demo/pathways", json=body)
    assert r.status_code == 200
    assert r.json() == json.loads(out)


def test_api_errors_are_4xx_json(client: TestClient) -> None:
    cases = [
        ({"boundary": "nope"}, 404, "unknown boundary"),
        ({"boundary": "99001", "to": 2021}, 422, "must end after"),
        ({"boundary": "99001", "baseline": [2019, 2020]}, 422, "no land cover for [2020]"),
        (
            {"boundary": "99001", "scenarios": [{"name": "x", "measures": [{"plant": {}}]}]},
            422,
            "unknown measure",
        ),
        ({"boundary": "99001", "scenarios": [{"name": BAU_NAME}]}, 422, "must be unique"),
        ({}, 400, 'exactly one of "boundary" or "area"'),
        ({"boundary": "99001", "color": 1}, 422, None),
    ]
    for body, status, text in cases:
        r = client.post("/api/regions/demo/pathways", json=body)
        assert r.status_code == status, (body, r.text)
        if text:
            assert text in r.json()["detail"]


def test_api_for_a_stored_area(client: TestClient, demo_catalog: Path) -> None:
    import geopandas as gpd

    frame = learn.open_region("demo", demo_catalog).boundaries_frame()
    geom = frame[frame["id"] == "9900100"].geometry.iloc[0]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": json.loads(gpd.GeoSeries([geom]).to_json())["features"][0]["geometry"],
    }
    posted = client.post("/api/regions/demo/inventory", json=feature, params={"start": 2019, "end": 2021})
    area = posted.headers["Learn-Area-Id"]
    r = client.post("/api/regions/demo/pathways", json={"area": area, "to": 2030, "scenarios": [REFOREST]})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["boundary"]["id"] == "drawn"
    refo, bau = doc["scenarios"][1]["series"], doc["scenarios"][0]["series"]
    assert refo[-1]["forest_ha"] - bau[-1]["forest_ha"] == pytest.approx(60.0)  # 2025…2030


def test_cli_formats_and_refusals(
    demo_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["pathways", "-r", "demo", "-b", "9900200", "--to", "2030", "--catalog", str(demo_catalog)]
    code, _, err = run_cli([*base, "--format", "csv", "-o", str(tmp_path / "p.csv")], monkeypatch, capsys)
    assert code == 0, err
    csv = pd.read_csv(tmp_path / "p.csv")
    assert len(csv) == 9 and set(csv["scenario"]) == {BAU_NAME}
    code, _, err = run_cli([*base, "--format", "xlsx", "-o", str(tmp_path / "p.xlsx")], monkeypatch, capsys)
    assert code == 0 and "Pathways" in pd.ExcelFile(tmp_path / "p.xlsx").sheet_names
    (tmp_path / "plan.yaml").write_text(json.dumps(PLAN))
    plan = ["--scenario", str(tmp_path / "plan.yaml")]
    code, _, err = run_cli(
        [*base, *plan, "--format", "html", "-o", str(tmp_path / "p.html")], monkeypatch, capsys
    )
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert code == 0 and "these measures avoid about" in html and "Protect and plant" in html
    code, _, err = run_cli(
        [*base, *plan, "--format", "pdf", "--paper", "a4", "-o", str(tmp_path / "p.pdf")], monkeypatch, capsys
    )
    assert code == 0 and (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    (tmp_path / "bad.yaml").write_text("name: x\nmeasures:\n  - reforest: {ha_per_yr: -1}\n")
    for extra, text in [
        (["--scenario", str(tmp_path / "bad.yaml")], "ha_per_yr"),
        (["--scenario", str(tmp_path / "missing.yaml")], "not found"),
        (["--format", "csv"], "needs --out"),
        (["--format", "docx", "-o", "x"], "unknown format"),
        (["--paper", "a4"], "--paper applies to --format pdf only"),
    ]:
        code, out, err = run_cli([*base, *extra], monkeypatch, capsys)
        assert code == 2 and text in err and "Traceback" not in err and out == ""


def test_not_estimated_rows_carry_into_the_pathway(partial_region_catalog: Path) -> None:
    """Region "t" has no carbon pools: forest → settlement has no stock loss, so no year's total is complete."""
    p = learn.open_region("t", partial_region_catalog).pathways("A", to=2025)
    assert not p.complete and p.not_estimated == ["Forest Change — To Settlement"]
    assert any("leaves out rows" in w for w in p.warnings)
    rates = {r["name"]: r for r in p.baseline["rates"]}
    assert rates["Forest Change — To Settlement"]["t_co2e_per_ha"] is None


def test_hand_computed_region(make_region) -> None:
    """Two pixels: one forest pixel converted to settlement over 2 years, one kept; removals by hand."""
    live = np.array([[100.0, 100.0, 0.0]], np.float32)
    cat = make_region(
        {2019: [[41, 41, 82]], 2021: [[21, 41, 82]]},
        codes=[[7, 7, 0]],
        carbon=(live, np.zeros_like(live), np.zeros_like(live)),
        disturbance={(2019, 2021): [[0, 0, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[("A", "Alpha", pixel_box(0, 0, 1, 3))],
    )
    p = learn.open_region("t", cat).pathways("A", to=2023)
    px = 0.09  # ha
    rates = {r["name"]: r for r in p.baseline["rates"]}
    assert rates["Forest Change — To Settlement"]["ha_per_yr"] == pytest.approx(px / 2)
    assert rates["Forest Change — To Settlement"]["t_co2e_per_ha"] == pytest.approx(100 * 44 / 12)
    bau = p.scenarios[0].series
    # 2022: 0.045 ha of the one forest pixel converted (16.5 t CO2e), the rest removes at 1 t C/ha/yr
    assert bau[0].forest_ha == pytest.approx(px - px / 2)
    assert bau[0].gross_emissions_t_co2e_per_yr == pytest.approx(px / 2 * 100 * 44 / 12)
    assert bau[0].gross_removals_t_co2e_per_yr == pytest.approx(-(px / 2) * 1.0 * 44 / 12)
    assert bau[1].forest_ha == pytest.approx(0.0) and bau[1].gross_removals_t_co2e_per_yr == pytest.approx(
        0.0
    )


def test_progress_names_each_inventory_and_bad_scenarios_fail_first(demo_catalog: Path) -> None:
    from learn.analyses.pathways import ScenarioError, boundary_pathways

    region = learn.open_region("demo", demo_catalog)
    calls: list[tuple[str, int, int]] = []
    boundary_pathways(region, "9900300", to=2025, progress=lambda t, i, n: calls.append((t, i, n)))
    assert calls[0] == ("baseline inventory 2019–2021", 0, 8)
    assert [c[1] for c in calls] == list(range(9)) and calls[-1] == ("projecting", 8, 8)
    assert calls[1][0] == "area rates of 2001–2004"

    def no_raster(*args: object) -> None:
        raise AssertionError("a raster was read")

    calls.clear()
    with pytest.raises(ScenarioError, match="unique"):
        boundary_pathways(region, "9900300", scenarios=[NOTHING, NOTHING], progress=no_raster)  # type: ignore[arg-type]


def test_done_means_on_real_nlcd(tmp_path: Path) -> None:
    """Northampton, MA (real NLCD 2001–2019, canopy 2011/2016, LEARN's default TOF factors): the invariants hold on
    a real place; forest rows are not estimated there (no forest codes or carbon) and the document says so."""
    from conftest import northampton_catalog

    tof = Path(learn.__file__).parent / "factors" / "tof_factors_learn_defaults.csv"  # LEARN's defaults
    p = learn.open_region("noho", northampton_catalog(tmp_path, tof)).pathways(
        "46330", to=2040, scenarios=[NOTHING, REFOREST, AVOID_ALL, PLAN]
    )
    assert p.baseline_period == [2016, 2019] and not p.complete
    assert "Forest Remaining Forest — Undisturbed" in p.not_estimated
    bau = p.scenario(BAU_NAME)
    assert [r.model_dump() for r in p.scenario("No measures").series] == [r.model_dump() for r in bau.series]
    land = p.baseline["land_ha"]
    assert land == pytest.approx(92.59 * 100, rel=0.01)  # SOURCE.md: 102,881 pixels = 92.59 km²
    for s in p.scenarios:
        for r in s.series:
            assert r.forest_ha + r.nonforest_ha == pytest.approx(land, rel=1e-12)
            assert r.net_t_co2e_per_yr == r.gross_emissions_t_co2e_per_yr + r.gross_removals_t_co2e_per_yr
            assert r.net_p05_t_co2e_per_yr <= r.net_t_co2e_per_yr <= r.net_p95_t_co2e_per_yr
    forest = {r.year: r.forest_ha for r in bau.series}
    refo = {r.year: r.forest_ha for r in p.scenario("Reforest").series}
    assert refo[2034] - forest[2034] == pytest.approx(100.0, abs=1e-6)
    kept = [r.forest_ha for r in p.scenario("Avoid all").series]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(kept))
    assert forest[2040] < forest[2020]  # Northampton lost forest 2016–2019 (real NLCD)
