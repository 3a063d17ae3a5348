"""``GET /api/regions/{region}/summary.csv|.xlsx``: the all-jurisdictions table as files, equal to the summary."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app

PERIOD = {"start": 2011, "end": 2019}


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("cache"), webmap_dir=None)
    with TestClient(app) as c:
        yield c


def test_summary_csv_equals_the_summary(client: TestClient) -> None:
    summary = client.get("/api/regions/demo/summary", params=PERIOD).json()["boundaries"]
    r = client.get("/api/regions/demo/summary.csv", params=PERIOD)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="learn_demo_all_jurisdictions_2011_2019.csv"' in r.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(r.text), dtype={"boundary_id": str})
    assert list(frame["boundary_id"]) == [b["id"] for b in summary]
    for row, b in zip(frame.itertuples(), summary, strict=True):
        assert row.net_t_co2e_per_yr == pytest.approx(b["net_t_co2e_per_yr"], rel=1e-14)
        assert row.boundary_name == b["name"]


def test_summary_xlsx_has_about_and_the_jurisdictions(client: TestClient) -> None:
    r = client.get("/api/regions/demo/summary.xlsx", params=PERIOD)
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["About", "All jurisdictions"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert "SYNTHETIC" in str(about.get("WARNING")) and about["Period"] == "2011–2019"
    rows = list(book["All jurisdictions"].iter_rows(values_only=True))
    n = len(client.get("/api/regions/demo/summary", params=PERIOD).json()["boundaries"])
    assert len(rows) == n + 1 and "net (t CO2e/yr)" in [str(h) for h in rows[0]]


def test_summary_files_refuse_bad_periods_as_json(client: TestClient) -> None:
    r = client.get("/api/regions/demo/summary.csv", params={"start": 2019, "end": 2011})
    assert r.status_code == 422 and "detail" in r.json()
    assert client.get("/api/regions/nowhere/summary.xlsx", params=PERIOD).status_code == 404
