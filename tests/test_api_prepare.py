"""Any US county from the API: ``POST /api/prepare`` fetches a county's public layers in the background.

The "public sources" are the local range-request server of :mod:`test_fetch` (the real Northampton NLCD tiled
around its true place, so all of Hampshire County, MA, 25015, lies inside it), reached through a copy of the
shipped catalog whose hosts point at 127.0.0.1. The app is the real one (TestClient), its fetch the real
``learn fetch``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_fetch import NOHO, _catalog_copy, server  # noqa: F401

from api.app import create_app
from learn.sources.census.tiger import conus_counties


@pytest.fixture
def client(server, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    cat = _catalog_copy(tmp_path / "project", f"{server[0].url}/prepare")
    app = create_app(cat, cache_dir=tmp_path / "cache", webmap_dir=None)
    with TestClient(app) as c:
        yield c


def _wait(client: TestClient, job_id: str, timeout_s: float = 300) -> dict:
    steps = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/api/prepare/{job_id}").json()
        steps.append(status["step"])
        if status["status"] in ("done", "error"):
            status["steps"] = steps
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {steps[-5:]}")


def test_a_planner_prepares_her_county_and_the_next_visitor_gets_it_at_once(client: TestClient) -> None:
    counties = client.get("/api/counties").json()
    assert len(counties) == len(conus_counties()) > 3000
    hampshire = next(c for c in counties if c["geoid"] == "25015")
    assert hampshire == {"geoid": "25015", "name": "Hampshire County", "state": "MA", "region": None}

    r = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2019})
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["label"] == "Hampshire County, MA" and first["status"] in ("queued", "running")
    done = _wait(client, first["job_id"])
    assert done["status"] == "done", done
    assert done["region"] == "county_25015" and done["progress"] == 1.0
    # Step-by-step progress: a layer being read, with its share done (which steps a 0.2 s poll sees varies).
    # Step by step: the job keeps each finished step with its last text, whatever a poll saw.
    finished = [h for h in done["history"] if re.fullmatch(r"(land_cover|tree_canopy) \d{4}: 100 %", h)]
    assert {"land_cover 2011: 100 %", "land_cover 2019: 100 %", "tree_canopy 2011: 100 %"} <= set(finished), (
        done
    )
    assert done["history"][0] == "starting" and len(set(done["history"])) == len(done["history"])

    regions = {r["name"]: r for r in client.get("/api/regions").json()}
    assert regions["county_25015"]["years"] == [2011, 2013, 2016, 2019]  # LEARN's inventory years between
    assert regions["county_25015"]["title"] == "Hampshire County, MA"  # what the map's region select shows
    assert regions["demo"]["title"] == "demo"
    summary = client.get("/api/regions/county_25015/summary", params={"start": 2011, "end": 2019})
    assert summary.status_code == 200 and len(summary.json()["boundaries"]) == 1
    # one name everywhere (issue 26 item 3): the region list's, the boundary's, the report's and the files'
    assert summary.json()["boundaries"][0]["name"] == "Hampshire County, MA"
    (feature,) = client.get("/api/regions/county_25015/boundaries").json()["features"]
    assert feature["properties"] == {**feature["properties"], "id": "25015", "name": "Hampshire County, MA"}
    period = {"boundary": "25015", "start": 2011, "end": 2019}
    report = client.get("/api/regions/county_25015/inventory", params=period).json()
    assert report["boundary"]["name"] == "Hampshire County, MA"
    csv = client.get("/api/regions/county_25015/inventory.csv", params=period)
    assert "learn_25015_Hampshire_County_MA_2011_2019" in csv.headers["content-disposition"]
    listed = next(c for c in client.get("/api/counties").json() if c["geoid"] == "25015")
    assert listed["region"] == "county_25015"

    again = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2019})
    assert again.status_code == 200 and again.json()["job_id"] is None and again.json()["status"] == "done"


def test_bad_requests_are_refused_before_any_work(client: TestClient) -> None:
    r = client.post("/api/prepare", json={"county": "99999", "start": 2011, "end": 2019})
    assert r.status_code == 404 and "not a county of the conterminous US" in r.json()["detail"]
    r = client.post("/api/prepare", json={"county": "02020", "start": 2011, "end": 2019})  # Anchorage, AK
    assert r.status_code == 404
    r = client.post("/api/prepare", json={"county": "25015", "start": 2019, "end": 2011})
    assert r.status_code == 422 and "before the end year" in r.json()["detail"]
    r = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2099})
    assert r.status_code == 422 and "no land cover for 2099" in r.json()["detail"]
    r = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2019, "href": "http://x"})
    assert r.status_code == 422  # a client names a county and years, never a URL or a path
    r = client.get("/api/prepare/nope")
    assert r.status_code == 404 and "POST /api/prepare again" in r.json()["detail"]


def test_an_unreachable_source_is_a_clear_job_error(tmp_path: Path) -> None:
    cat = _catalog_copy(tmp_path / "project", "http://127.0.0.1:9")  # nothing listens on port 9
    with TestClient(create_app(cat, cache_dir=tmp_path / "cache", webmap_dir=None)) as client:
        r = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2019})
        assert r.status_code == 202
        done = _wait(client, r.json()["job_id"], timeout_s=120)
    assert done["status"] == "error" and "cannot read annual_nlcd_land_cover 2011" in done["error"]
    assert "127.0.0.1:9" in done["error"]
    # in plain words too (issue 26), the technical text kept as the detail
    assert done["failure"]["reason"] == "no_internet", done
    assert "no internet connection" in done["failure"]["message"]
    assert done["failure"]["detail"] == done["error"]


def test_a_server_started_with_no_prepare_queue_prepares_nothing(tmp_path: Path) -> None:
    """``learn serve --prepare-queue 0``: the map's box is hidden (enabled false) and a POST is refused."""
    cat = _catalog_copy(tmp_path / "project", "http://127.0.0.1:9")
    app = create_app(cat, cache_dir=tmp_path / "cache", webmap_dir=None, max_pending_prepare=0)
    with TestClient(app) as client:
        assert client.get("/api/prepare").json()["enabled"] is False
        r = client.post("/api/prepare", json={"county": "25015", "start": 2011, "end": 2019})
    assert r.status_code == 404 and "does not prepare counties" in r.json()["detail"]
