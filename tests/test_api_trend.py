"""``GET /api/regions/{region}/trend``: net flux by IPCC category in each of the region's periods, equal to
each period's report; its error answers; the bound on the number of periods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOF_DEFAULT, forest_table
from fastapi.testclient import TestClient

import learn
from api.app import create_app
from learn.analyses.trend import boundary_trend
from learn.report.trend import MAX_TREND_PERIODS, adjacent_periods

DEMO_PERIODS = [
    (2001, 2004),
    (2004, 2006),
    (2006, 2008),
    (2008, 2011),
    (2011, 2013),
    (2013, 2016),
    (2016, 2019),
    (2019, 2021),
]


def app_client(catalog: Path, cache: Path) -> TestClient:
    return TestClient(create_app(catalog, cache_dir=cache, webmap_dir=None))


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        with app_client(demo_catalog, tmp_path_factory.mktemp("cache")) as c:
            yield c


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


def check_equals_reports(client: TestClient, region: str, trend: dict[str, Any], query: str = "") -> None:
    """Every number of the trend is the same period's report's, exactly."""
    rows = iter(trend["rows"])
    for p in trend["periods"]:
        rep = client.get(
            f"/api/regions/{region}/inventory?boundary={trend['boundary_id']}&start={p['start']}&end={p['end']}{query}"
        ).json()
        t = rep["totals"]
        assert p["years"] == rep["period"]["years"] and p["area_ha"] == rep["boundary"]["area_ha"]
        for key in ("gross_emissions_t_co2e_per_yr", "gross_removals_t_co2e_per_yr", "net_t_co2e_per_yr"):
            assert p[key] == t[key], key
        assert p["net_p05_t_co2e_per_yr"] == t.get("net_p05_t_co2e_per_yr")
        assert p["net_p95_t_co2e_per_yr"] == t.get("net_p95_t_co2e_per_yr")
        assert (p["complete"], p["not_estimated"]) == (t["complete"], t["not_estimated"])
        for s in [s for s in rep["ipcc_summary"] if s["category"] != "Total"]:
            row = next(rows)
            assert (row["start"], row["end"], row["category"]) == (p["start"], p["end"], s["category"])
            assert row["net_t_co2e_per_yr"] == s["net_t_co2e_per_yr"]
            assert row["net_p05_t_co2e_per_yr"] == s["net_p05_t_co2e_per_yr"]
            assert row["net_p95_t_co2e_per_yr"] == s["net_p95_t_co2e_per_yr"]
    assert next(rows, None) is None


def test_trend_equals_each_periods_report(client: TestClient) -> None:
    r = client.get("/api/regions/demo/trend?boundary=99001")
    assert r.status_code == 200, r.text
    trend = r.json()
    assert [(p["start"], p["end"]) for p in trend["periods"]] == DEMO_PERIODS
    assert trend["periods_left_out"] == [] and trend["synthetic"] is True
    assert (trend["boundary_id"], trend["boundary_name"]) == ("99001", "Alder County")
    assert trend["categories"] == [
        "Forest remaining forest",
        "Forest to non-forest",
        "Non-forest to forest",
        "Trees outside forests",
    ]
    assert len(trend["rows"]) == len(DEMO_PERIODS) * 4
    assert "adjacent" in trend["periods_rule"] and "negative = net removal" in trend["units"]
    check_equals_reports(client, "demo", trend)
    # The categories add up to each period's net (the IPCC summary's own property).
    for p in trend["periods"]:
        parts = [x["net_t_co2e_per_yr"] for x in trend["rows"] if x["start"] == p["start"]]
        assert sum(parts) == pytest.approx(p["net_t_co2e_per_yr"], rel=1e-12)


def test_trend_with_options_equals_the_reports_with_them(client: TestClient, demo_catalog: Path) -> None:
    q = "&exact_coverage=true"
    trend = client.get(f"/api/regions/demo/trend?boundary=9900500{q}").json()
    check_equals_reports(client, "demo", trend, q)
    plain = client.get("/api/regions/demo/trend?boundary=9900500").json()
    assert plain["periods"] != trend["periods"]  # the option changes the numbers (edge pixels weighted)
    lib = boundary_trend(learn.open_region("demo", demo_catalog), "9900500")
    assert lib.model_dump(mode="json") == plain


def test_trend_errors(client: TestClient) -> None:
    assert "unknown boundary 'nope'" in detail(client.get("/api/regions/demo/trend?boundary=nope"), 404)
    assert "'boundary'" in detail(client.get("/api/regions/demo/trend"), 422)
    detail(client.get("/api/regions/nowhere/trend?boundary=99001"), 404)
    assert "'exact_coverage'" in detail(
        client.get("/api/regions/demo/trend?boundary=99001&exact_coverage=maybe"), 422
    )
    assert client.post("/api/regions/demo/trend?boundary=99001").status_code == 405


def test_trend_holds_the_latest_periods_and_names_the_others(make_region, tmp_path: Path) -> None:
    years = list(range(2001, 2001 + MAX_TREND_PERIODS + 3))  # 14 periods: the 2 oldest are left out
    lc = {y: [[41, 41 if y % 2 else 21]] for y in years}
    cat = make_region(
        lc, codes=[[7, 7]], forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)), tof_rows=TOF_DEFAULT
    )
    with app_client(cat, tmp_path / "cache") as c:
        trend = c.get("/api/regions/t/trend?boundary=A").json()
        periods = adjacent_periods(years)
        assert [(p["start"], p["end"]) for p in trend["periods"]] == periods[2:]
        assert [tuple(p) for p in trend["periods_left_out"]] == periods[:2]
        check_equals_reports(c, "t", trend)
        # The forest pixel that flips between forest and settlement each year: emissions, then reforestation.
        nets = {p["start"]: p["net_t_co2e_per_yr"] for p in trend["periods"]}
        assert len(set(nets.values())) == 2


def test_a_region_with_one_year_has_no_trend(make_region, tmp_path: Path) -> None:
    cat = make_region({2011: [[41, 41]]})
    with app_client(cat, tmp_path / "cache") as c:
        assert "one land-cover year" in detail(c.get("/api/regions/t/trend?boundary=A"), 422)


SE_HEADER = (
    "ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,"
    "Forests Remaining Forest Removal Factor,removal_factor_nonforest_to_forest_se_tc_ha_yr,"
    "removal_factor_forest_remaining_se_tc_ha_yr,source\n"
)


def test_the_trend_carries_the_reports_90_percent_intervals(make_region, tmp_path: Path) -> None:
    # Removal factors with standard errors (as learn fetch's FIA table has): every report has an interval.
    table = SE_HEADER + "7,Northeast,Test group,20-100,0,-2.0,-1.0,0.3,0.4,test\n"
    lc = {2011: [[41, 41, 82]], 2016: [[41, 41, 41]], 2019: [[41, 41, 41]]}
    cat = make_region(lc, codes=[[7, 7, 7]], forest_rows=table)
    with app_client(cat, tmp_path / "cache") as c:
        trend = c.get("/api/regions/t/trend?boundary=A").json()
        assert [(p["start"], p["end"]) for p in trend["periods"]] == [(2011, 2016), (2016, 2019)]
        for p in trend["periods"]:
            assert p["net_p05_t_co2e_per_yr"] < p["net_t_co2e_per_yr"] < p["net_p95_t_co2e_per_yr"]
        frf = [r for r in trend["rows"] if r["category"] == "Forest remaining forest"]
        assert all(r["net_p05_t_co2e_per_yr"] is not None for r in frf)
        check_equals_reports(c, "t", trend)
