"""Stored areas: a posted polygon gets a link (an unguessable id) that gives back its shape, its report and the
same downloads as a jurisdiction's, in any browser; the store is bounded."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pytest
import shapely
import shapely.geometry
from fastapi.testclient import TestClient

from api.app import create_app
from learn.report.csv_tables import learn_csv
from learn.report.models import Report

PERIOD = "start=2011&end=2019"
POST = f"/api/regions/demo/inventory?{PERIOD}"
AREAS = "/api/regions/demo/areas"
SQUARE = [[-75.22, 42.64], [-75.2, 42.64], [-75.2, 42.66], [-75.22, 42.66], [-75.22, 42.64]]
ID = re.compile(r"[A-Za-z0-9_-]{22}")


def square(dx: float = 0.0, name: str | None = "My test area") -> dict[str, Any]:
    ring = [[x + dx, y] for x, y in SQUARE]
    props = {"name": name} if name else {}
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def make_client(demo_catalog: Path, cache_dir: Path, **kwargs: Any) -> TestClient:
    return TestClient(create_app(demo_catalog, cache_dir=cache_dir, webmap_dir=None, **kwargs))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        yield tmp_path_factory.mktemp("api_cache")


@pytest.fixture(scope="module")
def client(demo_catalog: Path, cache_dir: Path) -> Iterator[TestClient]:
    with make_client(demo_catalog, cache_dir) as c:
        yield c


@pytest.fixture(scope="module")
def posted(client: TestClient) -> tuple[str, dict[str, Any]]:
    """A named square posted once: its area id and the POST's report."""
    r = client.post(POST, json=square())
    assert r.status_code == 200, r.text
    return r.headers["learn-area-id"], r.json()


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    return str(r.json()["detail"])


def test_post_gives_the_area_id_and_its_link(client: TestClient, posted: tuple[str, dict[str, Any]]) -> None:
    area_id, report = posted
    assert ID.fullmatch(area_id)
    r = client.post(POST, json=square())
    assert r.headers["learn-area-id"] == area_id  # the same shape and name: the same link
    assert r.headers["content-location"] == f"{AREAS}/{area_id}/inventory?{PERIOD}"
    assert r.json() == report  # the body is the report, as before
    other = client.post(POST, json=square(name="Another name")).headers["learn-area-id"]
    moved = client.post(POST, json=square(dx=0.01)).headers["learn-area-id"]
    assert len({area_id, other, moved}) == 3


def test_area_shape_is_the_posted_polygon_in_lon_lat(
    client: TestClient, posted: tuple[str, dict[str, Any]]
) -> None:
    area_id, _ = posted
    r = client.get(f"{AREAS}/{area_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    feature = r.json()
    assert feature["properties"] == {"id": area_id, "name": "My test area", "region": "demo"}
    got = shapely.geometry.shape(feature["geometry"])
    want = shapely.geometry.shape(square()["geometry"])
    assert got.symmetric_difference(want).area < 1e-9 * want.area


def test_area_report_equals_the_posts_report(client: TestClient, posted: tuple[str, dict[str, Any]]) -> None:
    area_id, report = posted
    got = client.get(f"{AREAS}/{area_id}/inventory?{PERIOD}")
    assert got.status_code == 200, got.text
    assert got.json() == report
    assert got.json()["boundary"]["name"] == "My test area"
    # another period is computed for the same shape, as the POST of that period would be
    other = client.get(f"{AREAS}/{area_id}/inventory?start=2016&end=2019").json()
    post = client.post("/api/regions/demo/inventory?start=2016&end=2019", json=square()).json()
    assert other == post and other["period"]["start"] == 2016


def test_area_downloads_parse_and_carry_the_name(
    client: TestClient, posted: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    area_id, doc = posted
    report = Report.model_validate(doc)
    url = f"{AREAS}/{area_id}/inventory"

    def get(ext: str) -> Any:
        r = client.get(f"{url}.{ext}?{PERIOD}")
        assert r.status_code == 200, (ext, r.text[:300])
        name = f"learn_My_test_area_2011_2019.{ext}"
        assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
        return r

    assert Report.model_validate_json(get("json").content) == report
    text = get("csv").text
    assert text == learn_csv(report)  # LEARN's 4 tables, as a jurisdiction's CSV
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Boundary", "drawn", "My test area"]
    titles = [row[0].split(".")[0] for row in rows if row and row[0].startswith("Table ")]
    assert titles[:4] == ["Table 1", "Table 2", "Table 3", "Table 4"]
    book = openpyxl.load_workbook(io.BytesIO(get("xlsx").content))
    county = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/api/regions/demo/inventory.xlsx?boundary=99001&{PERIOD}").content)
    )
    assert book.sheetnames == county.sheetnames
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True) if r and r[0]}
    assert any("My test area" in str(v) for v in about.values()), about
    path = tmp_path / "area.geojson"
    path.write_bytes(get("geojson").content)
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326 and len(frame) == 1
    row = frame.iloc[0]
    assert (row["name"], row["area_id"]) == ("My test area", area_id)
    assert row["net_t_co2e_per_yr"] == report.totals.net_t_co2e_per_yr
    assert bool(row["totals_complete"]) is report.totals.complete
    assert "My test area" in get("html").text


def test_bad_and_unknown_ids(client: TestClient, posted: tuple[str, dict[str, Any]]) -> None:
    area_id, _ = posted
    unknown = "A" * 22
    assert "unknown area" in detail(client.get(f"{AREAS}/{unknown}"), 404)
    assert "unknown area" in detail(client.get(f"{AREAS}/{unknown}/inventory.csv?{PERIOD}"), 404)
    for bad in ("key", "short", "A" * 23, "..%2F..%2Fkey", "a.b" + "c" * 19):
        r = client.get(f"{AREAS}/{bad}/inventory?{PERIOD}")
        assert r.status_code in (404, 422), (bad, r.status_code)
        assert r.json()["detail"]
    assert "area_id" in detail(client.get(f"{AREAS}/{'a.b' + 'c' * 19}"), 422)
    assert "unknown download format" in detail(client.get(f"{AREAS}/{area_id}/inventory.pdf2"), 404)
    assert "must be before" in detail(client.get(f"{AREAS}/{area_id}/inventory?start=2019&end=2011"), 422)
    assert detail(client.get(f"/api/regions/nowhere/areas/{area_id}"), 404)


def test_ids_are_keyed_not_derivable(
    demo_catalog: Path, tmp_path: Path, posted: tuple[str, dict[str, Any]]
) -> None:
    """Another server (another key) gives the same shape another id; the same server keeps its ids over a
    restart (the key and the areas are on disk)."""
    area_id, report = posted
    with make_client(demo_catalog, tmp_path / "other") as other:
        elsewhere = other.post(POST, json=square()).headers["learn-area-id"]
        assert ID.fullmatch(elsewhere) and elsewhere != area_id
        assert other.get(f"{AREAS}/{area_id}").status_code == 404
    with make_client(demo_catalog, tmp_path / "other") as again:
        assert again.get(f"{AREAS}/{elsewhere}/inventory?{PERIOD}").json() == report
        assert again.post(POST, json=square()).headers["learn-area-id"] == elsewhere
    key = tmp_path / "other" / "areas" / "key"
    assert len(key.read_bytes()) == 32 and key.stat().st_mode & 0o077 == 0


def test_uploads_are_stored_with_the_features_name(
    client: TestClient, demo_catalog: Path, tmp_path: Path
) -> None:
    place = gpd.read_file(demo_catalog.parent / "data" / "demo" / "boundaries.gpkg")
    place = place[place.GEOID == "9900700"].to_crs(4326)
    place.to_file(tmp_path / "pinegate_upload.gpkg")
    uploads = {
        "pinegate_upload.gpkg": (tmp_path / "pinegate_upload.gpkg").read_bytes(),
        "pinegate_upload.geojson": place.to_json().encode(),  # a FeatureCollection of one named feature
    }
    for filename, data in uploads.items():
        r = client.post(POST, files={"file": (filename, data)})
        assert r.status_code == 200, r.text
        assert r.json()["boundary"]["name"] == "Pinegate", filename  # the feature's name, not the file's
        area_id = r.headers["learn-area-id"]
        shape = client.get(f"{AREAS}/{area_id}").json()
        assert shape["properties"]["name"] == "Pinegate"
        got = client.get(f"{AREAS}/{area_id}/inventory.geojson?{PERIOD}")
        assert got.headers["content-disposition"].endswith('filename="learn_Pinegate_2011_2019.geojson"')
        net = json.loads(got.content)["features"][0]["properties"]["net_t_co2e_per_yr"]
        assert net == r.json()["totals"]["net_t_co2e_per_yr"]


def test_a_large_polygons_job_gives_the_area_id(demo_catalog: Path, tmp_path: Path) -> None:
    with make_client(demo_catalog, tmp_path, sync_limit_ha=0.0) as c:
        r = c.post(POST, json=square())
        assert r.status_code == 202, r.text
        area_id = r.json()["area_id"]
        assert ID.fullmatch(area_id) and r.headers["learn-area-id"] == area_id
        deadline = time.monotonic() + 60
        while (job := c.get(f"/api/jobs/{r.json()['job_id']}").json())["status"] not in ("done", "error"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert job["status"] == "done", job
        service = c.app.state.service  # type: ignore[attr-defined]
        hits = len(service.reports)
        assert c.get(f"{AREAS}/{area_id}/inventory?{PERIOD}").json() == job["result"]
        assert len(service.reports) == hits  # the job's report was cached: the link did not compute again


def test_the_store_is_bounded_least_recently_posted_first(demo_catalog: Path, tmp_path: Path) -> None:
    with make_client(demo_catalog, tmp_path, max_areas=2) as c:

        def post(dx: float) -> str:
            r = c.post(POST, json=square(dx=dx))
            assert r.status_code == 200, r.text
            return str(r.headers["learn-area-id"])

        a, b = post(0.0), post(0.005)
        time.sleep(0.02)  # file times order the store
        assert post(0.0) == a  # posted again: recent again
        time.sleep(0.02)
        cc = post(0.01)
        assert c.get(f"{AREAS}/{b}").status_code == 404  # the least recently posted went
        assert c.get(f"{AREAS}/{a}").status_code == 200 and c.get(f"{AREAS}/{cc}").status_code == 200
        assert len(list((tmp_path / "areas").glob("*.json"))) == 2
        c.app.state.service.areas.max_bytes = 1  # type: ignore[attr-defined]  # a bound in bytes too
        d = post(0.015)
        assert [p.stem for p in (tmp_path / "areas").glob("*.json")] == [d]  # the new one always stays


def test_a_link_in_daily_use_outlives_max_areas_new_posts(demo_catalog: Path, tmp_path: Path) -> None:
    """R8 of the 2026-12-05 audit: with max_areas=5, a link opened before each of 8 new POSTs answered 404
    after the 5th; reading an area now makes it recent, as posting it again does."""
    with make_client(demo_catalog, tmp_path, max_areas=5) as c:
        link = c.post(POST, json=square(name="Daily")).headers["learn-area-id"]
        news = []
        for i in range(8):
            assert c.get(f"{AREAS}/{link}/inventory?{PERIOD}").status_code == 200, i
            time.sleep(0.02)  # file times order the store
            r = c.post(POST, json=square(dx=0.004 * (i + 1), name=f"New {i}"))
            assert r.status_code == 200, r.text
            news.append(r.headers["learn-area-id"])
        assert c.get(f"{AREAS}/{link}").status_code == 200
        assert c.get(f"{AREAS}/{link}/inventory.csv?{PERIOD}").status_code == 200
        kept = {p.stem for p in (tmp_path / "areas").glob("*.json")}
        assert kept == {link, *news[-4:]}  # the unread ones went, oldest first


def test_a_store_that_cannot_be_written_leaves_the_report_without_a_link(
    demo_catalog: Path, tmp_path: Path
) -> None:
    (tmp_path / "areas").write_text("a file where the folder should be")
    with make_client(demo_catalog, tmp_path) as c:
        r = c.post(POST, json=square())
        assert r.status_code == 200 and r.json()["boundary"]["name"] == "My test area"
        assert "learn-area-id" not in r.headers and "content-location" not in r.headers
