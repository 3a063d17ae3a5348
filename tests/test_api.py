"""The HTTP API (FastAPI TestClient) on the SYNTHETIC demo region: every route and its errors."""

from __future__ import annotations

import io
import json
import time

import geopandas as gpd
import morecantile
import openpyxl
import pytest
from fastapi.testclient import TestClient

import learn
from api.app import create_app

PERIOD = "start=2011&end=2019"


@pytest.fixture(scope="module")
def client(demo_catalog, tmp_path_factory):
    app = create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("api_cache"), sync_limit_ha=20_000)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def demo_boundaries(demo_catalog):
    return gpd.read_file(demo_catalog.parent / "data" / "demo" / "boundaries.gpkg").to_crs(4326)


def test_health_regions_and_region(client):
    assert client.get("/api/health").json() == {"status": "ok", "version": learn.__version__}
    regions = client.get("/api/regions").json()
    assert regions[0]["name"] == "demo" and regions[0]["synthetic"] is True
    d = client.get("/api/regions/demo").json()
    assert d["years"][0] == 2001 and d["default_period"] == [2011, 2019] and d["boundaries_count"] == 13
    assert len(d["bounds"]) == 4 and -180 < d["bounds"][0] < d["bounds"][2] < 0
    assert {t["id"] for t in d["tile_layers"]} == {
        "land_cover",
        "forest_change",
        "disturbance",
        "tree_canopy",
        "canopy_change",
    }
    assert all(t["legend"] for t in d["tile_layers"])
    assert client.get("/api/regions/nowhere").status_code == 404
    assert "/api/regions/{region}/inventory" in client.get("/openapi.json").json()["paths"]


def test_boundaries_geojson_and_search(client):
    fc = client.get("/api/regions/demo/boundaries").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 13
    assert {"id", "name", "kind"} <= set(fc["features"][0]["properties"])
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert -76 < lon < -74 and 42 < lat < 43.1  # EPSG:4326
    hits = client.get("/api/regions/demo/boundaries?q=county").json()["features"]
    assert {f["properties"]["kind"] for f in hits} == {"county"} and len(hits) == 3
    assert [
        f["properties"]["id"] for f in client.get("/api/regions/demo/boundaries?q=9900100").json()["features"]
    ] == ["9900100"]


def test_inventory_equals_library_and_cli_document(client, demo_catalog):
    got = client.get(f"/api/regions/demo/inventory?boundary=99003&{PERIOD}").json()
    want = json.loads(learn.open_region("demo", demo_catalog).inventory("99003", (2011, 2019)).to_json())
    assert got == want
    again = client.get(f"/api/regions/demo/inventory?boundary=99003&{PERIOD}").json()
    assert again == got


def test_inventory_errors(client):
    r = client.get(f"/api/regions/demo/inventory?boundary=nope&{PERIOD}")
    assert r.status_code == 404 and "unknown boundary 'nope'" in r.json()["detail"]
    r = client.get("/api/regions/demo/inventory?boundary=99001&start=2012&end=2019")
    assert r.status_code == 422 and "2011" in r.json()["detail"]
    r = client.get("/api/regions/demo/inventory?boundary=99001&start=2019&end=2011")
    assert r.status_code == 422 and "before" in r.json()["detail"]
    assert client.get("/api/regions/demo/inventory?boundary=99001&start=abc").status_code == 422
    assert client.get(f"/api/regions/demo/inventory.pdf?boundary=99001&{PERIOD}").status_code == 404


def test_downloads_parse_back(client):
    csv = client.get(f"/api/regions/demo/inventory.csv?boundary=9900200&{PERIOD}")
    assert csv.status_code == 200 and "Table 3. GHG inventory" in csv.text
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = client.get(f"/api/regions/demo/inventory.xlsx?boundary=9900200&{PERIOD}")
    assert "GHG inventory" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames
    gj = client.get(f"/api/regions/demo/inventory.geojson?boundary=9900200&{PERIOD}").json()
    report = client.get(f"/api/regions/demo/inventory?boundary=9900200&{PERIOD}").json()
    assert gj["features"][0]["properties"]["net_t_co2e_per_yr"] == report["totals"]["net_t_co2e_per_yr"]
    assert (
        json.loads(client.get(f"/api/regions/demo/inventory.json?boundary=9900200&{PERIOD}").text) == report
    )


def test_summary_matches_reports(client):
    s = client.get(f"/api/regions/demo/summary?{PERIOD}").json()
    assert (s["start"], s["end"]) == (2011, 2019) and len(s["boundaries"]) == 13
    row = next(b for b in s["boundaries"] if b["id"] == "9900400")
    report = client.get(f"/api/regions/demo/inventory?boundary=9900400&{PERIOD}").json()
    assert row["net_t_co2e_per_yr"] == pytest.approx(report["totals"]["net_t_co2e_per_yr"], rel=1e-12)
    assert row["net_t_co2e_per_ha_yr"] == pytest.approx(row["net_t_co2e_per_yr"] / row["area_ha"])


def test_post_polygon_small_is_direct_and_large_is_a_job(client, demo_boundaries):
    place = json.loads(demo_boundaries[demo_boundaries.GEOID == "9900200"].to_json())
    r = client.post(f"/api/regions/demo/inventory?{PERIOD}", json=place)
    assert r.status_code == 200
    get = client.get(f"/api/regions/demo/inventory?boundary=9900200&{PERIOD}").json()
    assert r.json()["boundary"]["area_ha"] == pytest.approx(get["boundary"]["area_ha"], rel=0.005)
    county = json.loads(demo_boundaries[demo_boundaries.GEOID == "99001"].to_json())["features"][0]
    r = client.post(f"/api/regions/demo/inventory?{PERIOD}", json=county)
    assert r.status_code == 202 and r.headers["retry-after"] == "1"
    job_id = r.json()["job_id"]
    assert client.post(f"/api/regions/demo/inventory?{PERIOD}", json=county).json()["job_id"] == job_id
    for _ in range(120):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "error"):
            break
        time.sleep(0.25)
    assert job["status"] == "done" and job["progress"] == 1.0
    get = client.get(f"/api/regions/demo/inventory?boundary=99001&{PERIOD}").json()
    assert job["result"]["totals"]["net_t_co2e_per_yr"] == pytest.approx(
        get["totals"]["net_t_co2e_per_yr"], rel=0.005
    )
    assert client.get("/api/jobs/feedbeef").status_code == 404


def test_post_upload_and_bad_polygons(client, demo_boundaries, tmp_path):
    f = tmp_path / "mine.gpkg"
    demo_boundaries[demo_boundaries.GEOID == "9900700"].to_file(f)
    r = client.post(f"/api/regions/demo/inventory?{PERIOD}", files={"file": ("mine.gpkg", f.read_bytes())})
    assert r.status_code == 200 and r.json()["boundary"]["area_ha"] > 0
    bad = [
        ({"type": "Point", "coordinates": [-75.2, 42.6]}, 422, "not a polygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, 400, "outside"),
        ({"type": "Feature"}, 422, "cannot be read"),
        ([1, 2], 422, "not a GeoJSON object"),
    ]
    for body, status, text in bad:
        r = client.post(f"/api/regions/demo/inventory?{PERIOD}", json=body)
        assert r.status_code == status and text in r.json()["detail"], (body, r.json())
    r = client.post(
        f"/api/regions/demo/inventory?{PERIOD}", content=b"{", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    big = {
        "type": "Polygon",
        "coordinates": [[[-75.2 + i * 1e-7, 42.6] for i in range(120_000)] + [[-75.2, 42.6]]],
    }
    assert client.post(f"/api/regions/demo/inventory?{PERIOD}", json=big).status_code == 413
    r = client.post(f"/api/regions/demo/inventory?{PERIOD}", files={"file": ("x.txt", b"hello")})
    assert r.status_code == 422 and "unsupported file type" in r.json()["detail"]


def test_tiles(client):
    t = morecantile.tms.get("WebMercatorQuad").tile(-75.2, 42.67, 11)
    for layer, q in [
        ("land_cover", "year=2019"),
        ("forest_change", PERIOD),
        ("disturbance", PERIOD),
        ("tree_canopy", "year=2019"),
        ("canopy_change", PERIOD),
    ]:
        r = client.get(f"/tiles/demo/{layer}/{t.z}/{t.x}/{t.y}.png?{q}")
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n", layer
        assert r.content[16:24] == (256).to_bytes(4, "big") * 2  # IHDR width, height
    from rasterio.io import MemoryFile

    png = client.get(f"/tiles/demo/land_cover/{t.z}/{t.x}/{t.y}.png?year=2019").content
    with MemoryFile(png) as mem, mem.open() as ds:
        img = ds.read()
    assert img.shape == (4, 256, 256) and (img[3] > 0).mean() > 0.9  # over the region: opaque
    far = client.get("/tiles/demo/land_cover/11/0/0.png?year=2019")
    assert far.status_code == 200 and far.content[:4] == b"\x89PNG"
    assert client.get(f"/tiles/demo/nope/{t.z}/{t.x}/{t.y}.png").status_code == 404
    assert client.get(f"/tiles/demo/land_cover/{t.z}/{t.x}/{t.y}.png?year=2012").status_code == 422
    tj = client.get("/tiles/demo/forest_change/tilejson.json?start=2011&end=2019").json()
    assert tj["tiles"][0].endswith("/tiles/demo/forest_change/{z}/{x}/{y}.png?start=2011&end=2019")


def test_web_map_is_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower()
