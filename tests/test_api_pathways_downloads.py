"""``POST /api/regions/{region}/pathways.{csv,xlsx,json}``: the pathway of a request body as a file (the web
map's Plan downloads), the same numbers as ``POST …/pathways``; its error answers are JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.app import create_app

BOUNDARY = "9900500"  # Fernhollow, a small demo place
BODY: dict[str, Any] = {
    "boundary": BOUNDARY,
    "to": 2040,
    "scenarios": [
        {
            "name": "Plan",
            "measures": [
                {"avoid_forest_conversion": {"share": 0.5, "from": 2025}},
                {"reforest": {"ha_per_yr": 2, "from": 2025, "to": 2034}},
                {"canopy_goal": {"percent": 30, "by": 2035}},
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        app = create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("cache"), webmap_dir=None)
        with TestClient(app) as c:
            yield c


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    r = client.post("/api/regions/demo/pathways", json=BODY)
    assert r.status_code == 200, r.text[:300]
    return dict(r.json())


def filename(r: Any) -> str:
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    return str(disposition.split("filename=")[1].strip('"'))


def test_csv_is_one_row_per_scenario_and_year_with_the_json_numbers(client, document) -> None:
    r = client.post("/api/regions/demo/pathways.csv", json=BODY)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/csv")
    start, end = document["baseline_period"]
    assert filename(r) == f"learn_9900500_Fernhollow_pathways_{start}_{end}_to2040.csv"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    years = list(range(end + 1, 2041))
    assert [(row["scenario"], int(row["year"])) for row in rows] == [
        (s, y) for s in ("Business as usual", "Plan") for y in years
    ]
    assert {row["boundary_id"] for row in rows} == {BOUNDARY}
    for row in rows:
        s = next(s for s in document["scenarios"] if s["name"] == row["scenario"])
        want = next(w for w in s["series"] if w["year"] == int(row["year"]))
        for key in ("forest_ha", "net_t_co2e_per_yr", "net_p05_t_co2e_per_yr", "net_p95_t_co2e_per_yr"):
            assert float(row[key]) == pytest.approx(want[key], rel=1e-9, abs=1e-6), key
        planted = want["trees_planted"]
        assert (row["trees_planted"] == "") == (planted is None)


def test_xlsx_holds_the_table_milestones_and_measures(client, document) -> None:
    r = client.post("/api/regions/demo/pathways.xlsx", json=BODY)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert filename(r).endswith("_to2040.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["Pathways", "Milestones", "Measures", "Baseline rates", "Notes"]
    table = list(book["Pathways"].iter_rows(values_only=True))
    n_years = len(document["scenarios"][0]["series"])
    assert len(table) == 1 + 2 * n_years
    head = table[0]
    net = head.index("net_t_co2e_per_yr")
    assert [row[net] for row in table[1:]] == pytest.approx(
        [w["net_t_co2e_per_yr"] for s in document["scenarios"] for w in s["series"]]
    )
    measures = list(book["Measures"].iter_rows(values_only=True))
    assert [m[1] for m in measures[1:]] == ["avoid_forest_conversion", "reforest", "canopy_goal"]


def test_json_download_is_the_document(client, document) -> None:
    r = client.post("/api/regions/demo/pathways.json", json=BODY)
    assert r.status_code == 200
    assert filename(r).endswith(".json")
    assert r.json() == document


def test_printable_report_has_the_pathway_section(client, document) -> None:
    """HTML and PDF: the baseline period's report, then the pathway (sentence, chart, milestones)."""
    year = "2040"
    scenario = document["scenarios"][1]
    start, end = document["baseline_period"]
    r = client.post("/api/regions/demo/pathways.html", json=BODY)
    assert r.status_code == 200, r.text[:300]
    assert filename(r) == f"learn_9900500_Fernhollow_pathways_{start}_{end}_to2040.html"
    html = r.text
    assert f"forest and tree GHG inventory {start}–{end}" in html  # the baseline period's report
    assert 'id="pathway"' in html and "Pathway to 2040: business as usual and with measures" in html
    v, lo, hi = (
        scenario[k][year]
        for k in ("reduction_vs_bau_t_co2e", "reduction_vs_bau_p05_t_co2e", "reduction_vs_bau_p95_t_co2e")
    )
    about = lambda x: f"{float(f'{x:.3g}'):,.0f}"  # noqa: E731
    assert (
        f"By 2040 these measures avoid about {about(v)} t CO2e (90 %: {about(lo)} to {about(hi)}) compared with "
        "business as usual." in html
    )
    assert (
        "Measures: avoid 50 % of forest loss from 2025; reforest 2.0 ha per year from 2025 to 2034; tree canopy goal 30 %"
        in html
    )
    assert f"about {about(scenario['trees_to_plant'])} trees" in html
    assert html.count("data:image/png;base64,") >= 2  # the inventory's chart and the pathway's
    assert f"{scenario['reduction_vs_bau_t_co2e']['2030']:,.0f}" in html  # the milestones table
    r = client.post("/api/regions/demo/pathways.pdf?paper=a4", json=BODY)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    assert filename(r).endswith("_to2040_a4.pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages).split())
    assert "Pathway to 2040" in text and f"about {about(v)} t CO2e" in text
    assert "'paper'" in detail(client.post("/api/regions/demo/pathways.pdf?paper=tabloid", json=BODY), 422)


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


@pytest.mark.parametrize("ext", ["csv", "xlsx", "pdf"])
def test_download_errors_are_json(client, ext: str) -> None:
    url = f"/api/regions/demo/pathways.{ext}"
    assert "2100" in detail(client.post(url, json={**BODY, "to": 2200}), 422)
    assert "baseline's end year" in detail(client.post(url, json={**BODY, "to": 2000}), 422)
    bad = {
        **BODY,
        "scenarios": [{"name": "x", "measures": [{"reforest": {"ha_per_yr": 5, "from": 2030, "to": 2026}}]}],
    }
    assert "before 'from'" in detail(client.post(url, json=bad), 422)
    assert "unknown measure 'plant'" in detail(
        client.post(url, json={**BODY, "scenarios": [{"name": "x", "measures": [{"plant": {}}]}]}), 422
    )
    assert "'to'" in detail(client.post(url, json={**BODY, "to": "soon"}), 422)
    assert "unknown boundary 'nope'" in detail(client.post(url, json={**BODY, "boundary": "nope"}), 404)
    detail(client.post("/api/regions/nowhere/pathways." + ext, json=BODY), 404)
    assert client.get(url).status_code == 405


def test_unknown_download_format_is_404_json(client) -> None:
    assert "unknown download format '.png'" in detail(
        client.post("/api/regions/demo/pathways.png", json=BODY), 404
    )
