"""The HTTP API (FastAPI TestClient) on the SYNTHETIC demo region: every route and its error answers."""

from __future__ import annotations

import io
import json
import multiprocessing
import re
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import morecantile
import numpy as np
import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient

import learn
from api.app import WEBMAP_DIR, create_app
from api.tile_workers import ProcessTileRenderer
from learn.landuse import NLCD_COLORS
from learn.options import InventoryOptions

PERIOD = "start=2011&end=2019"
INVENTORY = "/api/regions/demo/inventory"
TILE = morecantile.tms.get("WebMercatorQuad").tile(-75.2, 42.67, 11)  # inside the demo region


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The summary cache, and LEARN_CACHE_DIR (rasterized zones) in a temporary folder, not the home."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        yield tmp_path_factory.mktemp("api_cache")


@pytest.fixture(scope="module")
def client(demo_catalog: Path, cache_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_catalog, cache_dir=cache_dir)) as c:
        yield c


@pytest.fixture(scope="module")
def demo(demo_catalog: Path) -> learn.Region:
    return learn.open_region("demo", demo_catalog)


@pytest.fixture(scope="module")
def shapes(demo_catalog: Path) -> gpd.GeoDataFrame:
    """The demo boundaries in EPSG:4326, as a client would have them."""
    return gpd.read_file(demo_catalog.parent / "data" / "demo" / "boundaries.gpkg").to_crs(4326)


def feature(shapes: gpd.GeoDataFrame, geoid: str) -> dict[str, Any]:
    return json.loads(shapes[geoid == shapes.GEOID].to_json())["features"][0]


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


def png_rgba(data: bytes) -> np.ndarray:
    """Decode a PNG with GDAL (independent of our encoder): 4×H×W RGBA."""
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(data) as mem, mem.open() as ds:
            bands = ds.read()
            if ds.count == 1:  # palette PNG: expand through the colour table (alpha from tRNS)
                cmap = ds.colormap(1)
                lut = np.zeros((256, 4), np.uint8)
                for k, v in cmap.items():
                    lut[k] = v
                return np.moveaxis(lut[bands[0]], -1, 0)
            return bands


# ---- service, regions, boundaries ------------------------------------------------------------------------
def test_health_regions_region_and_openapi(client: TestClient) -> None:
    assert client.get("/api/health").json() == {
        "status": "ok",
        "version": learn.__version__,
        "tile_workers": 0,
        "tile_workers_ready": True,
        "tile_worker_restarts": 0,
    }
    regions = client.get("/api/regions").json()
    assert [r["name"] for r in regions] == ["demo"]
    assert regions[0]["synthetic"] is True and regions[0]["default_period"] == [2011, 2019]
    assert set(regions[0]) == {"name", "title", "description", "synthetic", "years", "default_period"}
    d = client.get("/api/regions/demo").json()
    assert d["years"][0] == 2001 and d["canopy_years"] == [2011, 2013, 2016, 2019, 2021]
    assert [2011, 2013] in d["disturbance_periods"] and d["boundaries_count"] == 13
    assert {"land_cover", "tree_canopy", "disturbance"} <= set(d["layers"])
    w, s, e, n = d["bounds"]
    assert -76 < w < e < -74 and 42 < s < n < 43.2
    layers = {t["id"]: t for t in d["tile_layers"]}
    assert set(layers) == {"land_cover", "forest_change", "disturbance", "tree_canopy", "canopy_change"}
    assert {t["kind"] for t in layers.values()} == {"year", "period"}
    colors = {e["value"]: e["color"] for e in layers["land_cover"]["legend"]}
    assert (
        colors[41] == "#68ab5f" and colors[11] == "#466b9f" and colors[95] == "#6c9fb8" and len(colors) == 16
    )
    assert all(e["label"] for t in layers.values() for e in t["legend"])
    assert "Alder" not in detail(client.get("/api/regions/nowhere"), 404)
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/regions/{region}/inventory",
        "/api/jobs/{job_id}",
        "/tiles/{region}/{layer}/{z}/{x}/{y}.png",
    } <= set(paths)
    assert "requestBody" in paths["/api/regions/{region}/inventory"]["post"]


def test_boundaries_geojson_simplified_and_search(client: TestClient, shapes: gpd.GeoDataFrame) -> None:
    r = client.get("/api/regions/demo/boundaries")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 13
    props = fc["features"][0]["properties"]
    assert set(props) == {"id", "name", "kind"}
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert -76 < lon < -74 and 42 < lat < 43.2  # EPSG:4326
    # simplified for display by about one pixel (30 m) at most
    served = gpd.GeoDataFrame.from_features(fc["features"], crs=4326).to_crs(5070).set_index("id")
    for geoid, geom in zip(shapes.GEOID, shapes.to_crs(5070).geometry, strict=True):
        assert shapely.get_num_coordinates(served.geometry[geoid]) <= shapely.get_num_coordinates(geom)
        assert served.geometry[geoid].hausdorff_distance(geom) <= 31

    def ids(q: str) -> list[str]:
        return [
            f["properties"]["id"]
            for f in client.get(f"/api/regions/demo/boundaries?q={q}").json()["features"]
        ]

    assert sorted(ids("COUNTY")) == ["99001", "99003", "99005"]  # case-insensitive part of the name
    assert ids("mill") == ["9900200", "9900900"]
    assert ids("9900100") == ["9900100"] and len(ids("99001")) == 2  # id prefix: 99001 and 9900100
    assert ids("no such place") == []
    detail(client.get("/api/regions/nowhere/boundaries"), 404)


# ---- inventory by boundary ------------------------------------------------------------------------------
def test_inventory_equals_the_library_report(client: TestClient, demo: learn.Region) -> None:
    got = client.get(f"{INVENTORY}?boundary=99003&{PERIOD}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    want = json.loads(demo.inventory("99003", (2011, 2019)).to_json())
    assert got.json() == want
    assert client.get(f"{INVENTORY}?boundary=99003&{PERIOD}").content == got.content  # cached, identical
    # default period, and options that change the result (recorded in the provenance)
    assert client.get(f"{INVENTORY}?boundary=99003").json() == want
    opts = client.get(
        f"{INVENTORY}?boundary=9900500&{PERIOD}&exact_coverage=true&recategorize_burned_grassland=true"
    )
    lib = demo.inventory(
        "9900500", (2011, 2019), InventoryOptions(pixel_rule="exact", recategorize_burned_grassland=True)
    )
    assert opts.json() == json.loads(lib.to_json())
    assert opts.json()["provenance"]["options"] == {
        "pixel_rule": "exact",
        "recategorize_burned_grassland": True,
    }


def test_inventory_errors(client: TestClient) -> None:
    assert "unknown boundary 'nope'" in detail(client.get(f"{INVENTORY}?boundary=nope&{PERIOD}"), 404)
    assert "2011" in detail(client.get(f"{INVENTORY}?boundary=99001&start=2012&end=2019"), 422)
    assert "before" in detail(client.get(f"{INVENTORY}?boundary=99001&start=2019&end=2011"), 422)
    assert "'start'" in detail(client.get(f"{INVENTORY}?boundary=99001&start=abc"), 422)
    assert "'boundary'" in detail(client.get(f"{INVENTORY}?{PERIOD}"), 422)
    detail(client.get(f"/api/regions/nowhere/inventory?boundary=99001&{PERIOD}"), 404)
    assert ".csv" in detail(client.get(f"/api/regions/demo/inventory.docx?boundary=99001&{PERIOD}"), 404)
    detail(client.get(f"/api/regions/demo/inventory.csv?boundary=nope&{PERIOD}"), 404)


def test_downloads_parse_back(client: TestClient, shapes: gpd.GeoDataFrame) -> None:
    q = f"boundary=9900200&{PERIOD}"
    report = client.get(f"{INVENTORY}?{q}").json()
    csv = client.get(f"/api/regions/demo/inventory.csv?{q}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Table 3. GHG inventory" in csv.text and "Table 1." in csv.text
    assert (
        csv.headers["content-disposition"] == 'attachment; filename="learn_9900200_Millbrook_2011_2019.csv"'
    )
    xlsx = client.get(f"/api/regions/demo/inventory.xlsx?{q}")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert {"GHG inventory", "IPCC summary", "Change matrix (ha)", "Provenance"} <= set(book.sheetnames)
    assert "attachment" in xlsx.headers["content-disposition"]
    gj = client.get(f"/api/regions/demo/inventory.geojson?{q}")
    assert "attachment" in gj.headers["content-disposition"]
    frame = gpd.read_file(io.BytesIO(gj.content))
    assert frame.crs.to_epsg() == 4326 and len(frame) == 1
    assert frame["net_t_co2e_per_yr"][0] == report["totals"]["net_t_co2e_per_yr"]
    assert frame["area_ha"][0] == report["boundary"]["area_ha"]
    assert bool(frame["totals_complete"][0]) is report["totals"]["complete"] is True
    assert (frame["not_estimated"][0] or "") == ""
    assert (
        frame.geometry[0].symmetric_difference(shapes[shapes.GEOID == "9900200"].geometry.iloc[0]).area < 1e-9
    )
    js = client.get(f"/api/regions/demo/inventory.json?{q}")
    assert json.loads(js.text) == report and "attachment" in js.headers["content-disposition"]


def test_summary_is_one_batch_and_reused(
    demo_catalog: Path, client: TestClient, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = time.perf_counter()
    s = client.get(f"/api/regions/demo/summary?{PERIOD}").json()
    first = time.perf_counter() - t0
    assert (s["start"], s["end"]) == (2011, 2019) and len(s["boundaries"]) == 13
    row = next(b for b in s["boundaries"] if b["id"] == "9900400")
    assert set(row) == {
        "id",
        "name",
        "kind",
        "area_ha",
        "gross_emissions_t_co2e_per_yr",
        "gross_removals_t_co2e_per_yr",
        "net_t_co2e_per_yr",
        "net_t_co2e_per_ha_yr",
        "totals_complete",
        "not_estimated",
    }
    assert row["kind"] == "place" and row["name"] == "Larkvale"
    report = client.get(f"{INVENTORY}?boundary=9900400&{PERIOD}").json()
    assert row["net_t_co2e_per_yr"] == pytest.approx(report["totals"]["net_t_co2e_per_yr"], rel=1e-12)
    assert row["net_t_co2e_per_ha_yr"] == pytest.approx(row["net_t_co2e_per_yr"] / row["area_ha"])
    assert (
        (row["totals_complete"], row["not_estimated"])
        == (
            report["totals"]["complete"],
            report["totals"]["not_estimated"],
        )
        == (True, [])
    )
    jsons = list(cache_dir.glob("demo/*/2011_2019/*.json"))
    assert len(jsons) == 13  # one batch, on disk under the cache folder
    t0 = time.perf_counter()
    assert client.get(f"/api/regions/demo/summary?{PERIOD}").json() == s
    assert time.perf_counter() - t0 < max(first / 2, 0.05)
    # A new app on the same cache folder reuses the batch: no raster work for the summary or the reports.
    monkeypatch.setattr(
        "learn.pipeline.region.Region.strata", lambda *a, **k: pytest.fail("raster pass not reused")
    )
    with TestClient(create_app(demo_catalog, cache_dir=cache_dir)) as again:
        assert again.get(f"/api/regions/demo/summary?{PERIOD}").json() == s
        assert again.get(f"{INVENTORY}?boundary=9900400&{PERIOD}").json() == report
    detail(client.get("/api/regions/demo/summary?start=2011&end=2012"), 422)


# ---- custom polygons and jobs ---------------------------------------------------------------------------
def test_post_small_polygon_is_answered_directly(client: TestClient, shapes: gpd.GeoDataFrame) -> None:
    get = client.get(f"{INVENTORY}?boundary=9900200&{PERIOD}").json()
    for body in (
        feature(shapes, "9900200"),
        feature(shapes, "9900200")["geometry"],
        json.loads(shapes[shapes.GEOID == "9900200"].to_json()),
    ):
        r = client.post(f"{INVENTORY}?{PERIOD}", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["boundary"]["area_ha"] == pytest.approx(get["boundary"]["area_ha"], rel=0.005)
        assert r.json()["totals"]["net_t_co2e_per_yr"] == pytest.approx(
            get["totals"]["net_t_co2e_per_yr"], rel=0.02
        )
    assert (
        client.post(f"{INVENTORY}?{PERIOD}", json=feature(shapes, "9900200")).json()["boundary"]["name"]
        == "Millbrook"
    )
    # the same polygon in EPSG:5070, said so by a (legacy) crs member
    albers = json.loads(shapes[shapes.GEOID == "9900200"].to_crs(5070).geometry.to_json())["features"][0][
        "geometry"
    ]
    albers["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5070"}}
    r = client.post(f"{INVENTORY}?{PERIOD}", json=albers)
    assert r.json()["boundary"]["area_ha"] == pytest.approx(get["boundary"]["area_ha"], rel=0.005)


def test_post_county_geometry_within_half_a_percent(
    demo_catalog: Path, cache_dir: Path, shapes: gpd.GeoDataFrame
) -> None:
    with TestClient(create_app(demo_catalog, cache_dir=cache_dir, sync_limit_ha=1e6, webmap_dir=None)) as c:
        r = c.post(f"{INVENTORY}?{PERIOD}", json=feature(shapes, "99003"))
        assert r.status_code == 200
        get = c.get(f"{INVENTORY}?boundary=99003&{PERIOD}").json()
    got = r.json()
    assert got["boundary"]["area_ha"] == pytest.approx(get["boundary"]["area_ha"], rel=0.005)
    for a, b in zip(got["inventory"], get["inventory"], strict=True):
        if b["area_ha"] and b["area_ha"] > 100:
            assert a["area_ha"] == pytest.approx(b["area_ha"], rel=0.005), a["category"]


def test_post_large_polygon_is_a_job(client: TestClient, shapes: gpd.GeoDataFrame) -> None:
    county = feature(shapes, "99001")  # ~95,000 ha > the 50,000 ha default
    r = client.post(f"{INVENTORY}?{PERIOD}", json=county)
    assert r.status_code == 202 and r.headers["retry-after"] == "1"
    job_id = r.json()["job_id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", job_id) and r.headers["location"] == f"/api/jobs/{job_id}"
    again = client.post(f"{INVENTORY}?{PERIOD}", json=county).json()["job_id"]
    assert again != job_id  # each request its own unguessable id (the run itself is shared)
    service = client.app.state.service  # type: ignore[attr-defined]
    assert service.jobs.get(again).run is service.jobs.get(job_id).run
    other = client.post(f"{INVENTORY}?start=2016&end=2019", json=county).json()["job_id"]
    assert service.jobs.get(other).run is not service.jobs.get(job_id).run
    deadline = time.monotonic() + 30
    while True:
        res = client.get(f"/api/jobs/{job_id}")
        job = res.json()
        assert 0 <= job["progress"] <= 1
        if job["status"] in ("done", "error") or time.monotonic() > deadline:
            break
        assert res.headers["retry-after"] == "1" and job["result"] is None
        time.sleep(0.1)
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None, job
    assert "retry-after" not in res.headers
    get = client.get(f"{INVENTORY}?boundary=99001&{PERIOD}").json()
    assert job["result"]["boundary"]["area_ha"] == pytest.approx(get["boundary"]["area_ha"], rel=0.005)
    assert job["result"]["totals"]["net_t_co2e_per_yr"] == pytest.approx(
        get["totals"]["net_t_co2e_per_yr"], rel=0.02
    )
    assert "unknown job" in detail(client.get("/api/jobs/feedbeef"), 404)


def test_post_uploads(client: TestClient, shapes: gpd.GeoDataFrame, tmp_path: Path) -> None:
    place = shapes[shapes.GEOID == "9900700"]
    want = client.get(f"{INVENTORY}?boundary=9900700&{PERIOD}").json()["boundary"]["area_ha"]
    place.to_file(tmp_path / "pinegate.gpkg")
    place.to_file(tmp_path / "pinegate.shp")
    shp = io.BytesIO()
    with zipfile.ZipFile(shp, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj"):
            zf.write(tmp_path / f"pinegate.{ext}", f"pinegate.{ext}")
    uploads = {
        "pinegate.gpkg": (tmp_path / "pinegate.gpkg").read_bytes(),
        "pinegate.zip": shp.getvalue(),
        "pinegate.geojson": place.to_json().encode(),
    }
    for name, data in uploads.items():
        r = client.post(f"{INVENTORY}?{PERIOD}", files={"file": (name, data)})
        assert r.status_code == 200, (name, r.text)
        assert r.json()["boundary"]["area_ha"] == pytest.approx(want, rel=0.005), name
    assert (
        client.post(f"{INVENTORY}?{PERIOD}", files={"file": ("x.gpkg", uploads["pinegate.gpkg"])}).json()[
            "boundary"
        ]["name"]
        == "Pinegate"
    )


def test_post_errors(demo_catalog: Path, client: TestClient, shapes: gpd.GeoDataFrame) -> None:
    url = f"{INVENTORY}?{PERIOD}"
    bad_json = [
        ({"type": "Point", "coordinates": [-75.2, 42.6]}, 422, "not a polygon"),
        ({"type": "LineString", "coordinates": [[-75.2, 42.6], [-75.1, 42.6]]}, 422, "not a polygon"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, 400, "outside"),
        ({"type": "Feature"}, 422, "cannot be read"),
        ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "x"}}, 422, "cannot be read"),
        ({"type": "FeatureCollection", "features": []}, 422, "no geometry"),
        ({"type": "Topology"}, 422, "unknown GeoJSON type"),
        ([1, 2], 422, "not a GeoJSON object"),
        (
            {**feature(shapes, "9900200"), "crs": {"type": "name", "properties": {"name": "/etc/passwd"}}},
            422,
            "crs",
        ),
        (
            {**feature(shapes, "9900200"), "crs": {"type": "name", "properties": {"name": "EPSG:999999"}}},
            422,
            "CRS",
        ),
    ]
    for body, status, text in bad_json:
        assert text in detail(client.post(url, json=body), status), body
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-75.2, 42.6], [-75.1, 42.7], [-75.1, 42.6], [-75.2, 42.7], [-75.2, 42.6]]],
    }
    assert client.post(url, json=bowtie).status_code == 200  # self-intersection: repaired, with a warning
    assert "not valid JSON" in detail(
        client.post(url, content=b"{", headers={"content-type": "application/json"}), 422
    )
    assert "more than 100,000" in detail(
        client.post(
            url,
            json={
                "type": "Polygon",
                "coordinates": [[[-75.2 + i * 1e-7, 42.6] for i in range(100_500)] + [[-75.2, 42.6]]],
            },
        ),
        413,
    )
    assert "larger than 5 MB" in detail(
        client.post(url, content=b" " * (5 * 2**20 + 1), headers={"content-type": "application/json"}), 413
    )
    assert "larger than" in detail(
        client.post(url, files={"file": ("big.geojson", b" " * (5 * 2**20 + 1))}), 413
    )
    assert "unsupported file type" in detail(client.post(url, files={"file": ("x.txt", b"hello")}), 422)
    assert "not a GeoPackage" in detail(
        client.post(url, files={"file": ("x.gpkg", b"<OGRVRTDataSource/>")}), 422
    )
    assert "not a zip" in detail(client.post(url, files={"file": ("x.zip", b"PK no zip")}), 422)
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    assert "no .shp" in detail(client.post(url, files={"file": ("x.zip", empty_zip.getvalue())}), 422)
    assert "'file'" in detail(client.post(url, files={"other": ("x.geojson", b"{}")}), 422)
    assert "2011" in detail(
        client.post(f"{INVENTORY}?start=2012&end=2019", json=feature(shapes, "9900200")), 422
    )
    detail(client.post(f"/api/regions/nowhere/inventory?{PERIOD}", json=feature(shapes, "9900200")), 404)
    # a lower vertex limit is a setting of the app
    with TestClient(create_app(demo_catalog, max_vertices=50, webmap_dir=None)) as small:
        assert "more than 50" in detail(small.post(url, json=feature(shapes, "9900200")), 413)


# ---- tiles ----------------------------------------------------------------------------------------------
def test_tiles_render_every_layer(client: TestClient) -> None:
    legend = {t["id"]: t for t in client.get("/api/regions/demo").json()["tile_layers"]}
    for layer, q in [
        ("land_cover", "year=2019"),
        ("land_cover", ""),
        ("forest_change", PERIOD),
        ("disturbance", "start=2001&end=2019"),
        ("tree_canopy", "year=2016"),
        ("canopy_change", PERIOD),
    ]:
        r = client.get(f"/tiles/demo/{layer}/{TILE.z}/{TILE.x}/{TILE.y}.png?{q}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", layer
        assert r.content[:8] == b"\x89PNG\r\n\x1a\n" and r.content[16:24] == (256).to_bytes(4, "big") * 2
        rgba = png_rgba(r.content)
        assert rgba.shape == (4, 256, 256) and rgba[3].any(), layer  # something drawn over the region
        if legend[layer]["kind"] == "period" and layer != "canopy_change":  # only legend colours are used
            allowed = {
                tuple(int(e["color"][i : i + 2], 16) for i in (1, 3, 5)) for e in legend[layer]["legend"]
            }
            drawn = {tuple(int(v) for v in px) for px in rgba[:3, rgba[3] > 0].T}
            assert drawn <= allowed, layer
    rgba = png_rgba(client.get(f"/tiles/demo/land_cover/{TILE.z}/{TILE.x}/{TILE.y}.png?year=2019").content)
    assert (rgba[3] > 0).mean() > 0.9  # land cover over the region: opaque, in NLCD colours
    nlcd = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in NLCD_COLORS.values()}
    assert {tuple(int(v) for v in px) for px in rgba[:3, rgba[3] > 0].T} <= nlcd


def test_tiles_rendered_in_worker_processes_equal_in_process_tiles(
    client: TestClient, demo_catalog: Path, cache_dir: Path
) -> None:
    """`learn serve` renders cold tiles in worker processes: the same bytes as on the server's threads,
    the same errors (checked in the server process), and a clean shutdown."""
    urls = [
        f"/tiles/demo/{layer}/{TILE.z}/{TILE.x}/{TILE.y}.png?{q}"
        for layer, q in [("land_cover", "year=2019"), ("forest_change", PERIOD), ("canopy_change", PERIOD)]
    ]
    urls.append("/tiles/demo/land_cover/11/0/0.png?year=2019")  # off the data: transparent
    with TestClient(create_app(demo_catalog, cache_dir=cache_dir, tile_workers=2, webmap_dir=None)) as pooled:
        service = pooled.app.state.service
        assert isinstance(service.tiles, ProcessTileRenderer)
        assert service.tiles.ready.wait(60), "the tile workers did not start"
        health = pooled.get("/api/health").json()
        assert health["tile_workers"] == 2 and health["tile_workers_ready"] is True
        for url in urls:
            assert pooled.get(url).content == client.get(url).content, url
        assert len(service.tiles.pngs) == len(urls)
        assert "does not exist" in detail(pooled.get("/tiles/demo/land_cover/3/9/0.png"), 404)
        workers = {p.pid for p in multiprocessing.active_children()}
        assert len(workers) >= 2
    alive = {p.pid for p in multiprocessing.active_children()}
    assert not workers & alive  # the app's shutdown stopped the workers


def test_tiles_outside_and_errors(client: TestClient) -> None:
    far = client.get("/tiles/demo/land_cover/11/0/0.png?year=2019")
    assert far.status_code == 200 and far.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert far.content[16:24] == (256).to_bytes(4, "big") * 2 and not png_rgba(far.content)[3].any()
    assert "layers" in detail(client.get(f"/tiles/demo/nope/{TILE.z}/{TILE.x}/{TILE.y}.png"), 404)
    assert "2012" in detail(
        client.get(f"/tiles/demo/land_cover/{TILE.z}/{TILE.x}/{TILE.y}.png?year=2012"), 422
    )
    assert "2008" in detail(
        client.get(f"/tiles/demo/tree_canopy/{TILE.z}/{TILE.x}/{TILE.y}.png?year=2008"), 422
    )
    detail(client.get(f"/tiles/demo/forest_change/{TILE.z}/{TILE.x}/{TILE.y}.png?start=2019&end=2011"), 422)
    assert "does not exist" in detail(client.get("/tiles/demo/land_cover/3/8/0.png"), 404)
    detail(client.get("/tiles/demo/land_cover/-1/0/0.png"), 404)
    detail(client.get(f"/tiles/nowhere/land_cover/{TILE.z}/{TILE.x}/{TILE.y}.png"), 404)


def test_tilejson(client: TestClient) -> None:
    tj = client.get("/tiles/demo/forest_change/tilejson.json?start=2011&end=2019").json()
    assert tj["tiles"][0].endswith("/tiles/demo/forest_change/{z}/{x}/{y}.png?start=2011&end=2019")
    assert tj["tilejson"] == "3.0.0" and len(tj["bounds"]) == 4 and tj["legend"]
    assert client.get("/tiles/demo/land_cover/tilejson.json").json()["tiles"][0].endswith("?year=2019")
    detail(client.get("/tiles/demo/nope/tilejson.json"), 404)


# ---- the web map -------------------------------------------------------------------------------------
def test_web_map_is_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower()
    assert client.get("/app.js").status_code == 200
    leaflet = WEBMAP_DIR / "node_modules" / "leaflet" / "dist" / "leaflet.js"
    if leaflet.exists():
        assert client.get("/vendor/leaflet/dist/leaflet.js").status_code == 200
        assert client.get("/node_modules/leaflet/dist/leaflet.js").status_code == 200
    assert client.get("/api/nothing-here").status_code == 404


def test_html_download_is_a_printable_self_contained_report(client: TestClient) -> None:
    from learn.report.html import render_html
    from learn.report.models import Report

    q = f"boundary=9900200&{PERIOD}"
    page = client.get(f"/api/regions/demo/inventory.html?{q}")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        page.headers["content-disposition"] == 'attachment; filename="learn_9900200_Millbrook_2011_2019.html"'
    )
    report = Report.model_validate(client.get(f"{INVENTORY}?{q}").json())
    assert page.text == render_html(report)  # the same page as `learn inventory --format html`
    assert page.text.startswith("<!DOCTYPE html>") and "SYNTHETIC DATA" in page.text
    assert f"{report.boundary.name} ({report.boundary.id})" in page.text
    assert "<script" not in page.text and "https://" not in page.text and "http://" not in page.text
    unknown = detail(client.get(f"/api/regions/demo/inventory.docx?boundary=99001&{PERIOD}"), 404)
    assert ".html" in unknown and ".pdf" in unknown


def test_partial_totals_are_flagged_in_the_summary_and_geojson(
    partial_region_catalog: Path, tmp_path: Path
) -> None:
    """A region without carbon pool layers: the boundary with forest loss has a partial total."""
    cat = partial_region_catalog
    with TestClient(create_app(cat, cache_dir=tmp_path / "cache")) as c:
        rows = {b["id"]: b for b in c.get("/api/regions/t/summary?start=2011&end=2019").json()["boundaries"]}
        assert (rows["A"]["totals_complete"], rows["A"]["not_estimated"]) == (
            False,
            ["Forest Change — To Settlement"],
        )
        assert (rows["B"]["totals_complete"], rows["B"]["not_estimated"]) == (True, [])
        report = c.get("/api/regions/t/inventory?boundary=A&start=2011&end=2019").json()
        assert report["totals"]["complete"] is False
        assert report["totals"]["not_estimated"] == ["Forest Change — To Settlement"]
        gj = c.get("/api/regions/t/inventory.geojson?boundary=A&start=2011&end=2019").json()
        props = gj["features"][0]["properties"]
        assert props["totals_complete"] is False and props["not_estimated"] == "Forest Change — To Settlement"
        assert "complete" not in props
