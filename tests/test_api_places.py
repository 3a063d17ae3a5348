"""Any US place (city, town, CDP) from the API: ``GET /api/places`` lists a state's places from its TIGER/Line
place file, ``POST /api/prepare`` with a place GEOID fetches and computes it like a county.

The "public sources" are the local range-request server of :mod:`test_fetch`: the real Northampton NLCD tiled around
its true place and a TIGER-like ``tl_<year>_25_place.zip`` (:mod:`tiger_fixture`: the real Northampton outline and
two fixture villages), reached through a copy of the shipped catalog whose hosts point at 127.0.0.1. The server
counts the requests per path, so "read once, then from the cache" is checked on the wire.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from range_server import free_port, serve_directory
from test_api_prepare import _wait
from test_fetch import NOHO, OUTLINE, TIGER_YEAR, _catalog_copy, server  # noqa: F401
from tiger_fixture import NORTHAMPTON, place_frame

from api.app import create_app
from learn.sources.catalog import load_catalog
from learn.sources.census.places import places_of_state

PLACE_ZIP = f"/places/geo/tiger/TIGER{TIGER_YEAR}/PLACE/tl_{TIGER_YEAR}_25_place.zip"


def _zip_requests(server) -> int:  # noqa: F811
    with server[0].traffic.lock:
        return server[0].traffic.requests[PLACE_ZIP]


@pytest.fixture
def catalog(server, tmp_path: Path) -> Path:  # noqa: F811
    return _catalog_copy(tmp_path / "project", f"{server[0].url}/places")


@pytest.fixture
def client(catalog: Path, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(catalog, cache_dir=tmp_path / "cache", webmap_dir=None)) as c:
        yield c


def test_a_states_places_are_read_once_then_served_from_the_cache(
    server,  # noqa: F811
    catalog: Path,
    client: TestClient,
    tmp_path: Path,
) -> None:
    before = _zip_requests(server)
    r = client.get("/api/places", params={"state": "MA"})
    assert r.status_code == 200, r.text
    places = r.json()
    assert [p["name"] for p in places] == [
        "Florence CDP",
        "Leeds CDP",
        "Northampton city",
    ]  # NAMELSAD, by name
    noho = places[2]
    assert noho["geoid"] == NORTHAMPTON and noho["state"] == "MA" and noho["region"] is None
    assert noho["land_km2"] == pytest.approx(92.59, abs=0.01)  # the fixture's ALAND: the outline's 92.59 km²
    assert places[0]["land_km2"] == pytest.approx(2.25)  # a 1.5 km square
    read = _zip_requests(server) - before
    assert read > 0  # read from the TIGER source

    assert client.get("/api/places", params={"state": "25"}).json() == places  # FIPS code, same state
    again = TestClient(create_app(catalog, cache_dir=tmp_path / "cache", webmap_dir=None))
    with again:  # another server process's view: only the cache folder is shared
        assert again.get("/api/places", params={"state": "ma"}).json() == places
    assert _zip_requests(server) - before == read  # no request after the first read
    cached = list((tmp_path / "cache" / "places").glob(f"tl_{TIGER_YEAR}_25_place.*.json"))
    assert len(cached) == 1

    fresh = TestClient(create_app(catalog, cache_dir=tmp_path / "other_cache", webmap_dir=None))
    with fresh:  # without the cache folder the source is read again (the count above can tell)
        assert fresh.get("/api/places", params={"state": "MA"}).json() == places
    assert _zip_requests(server) - before == 2 * read


def test_a_bad_state_is_refused_naming_it(client: TestClient) -> None:
    r = client.get("/api/places", params={"state": "ZZ"})
    assert r.status_code == 404 and "no U.S. state has the code 'ZZ'" in r.json()["detail"]
    r = client.get("/api/places", params={"state": "AK"})
    assert r.status_code == 404 and "AK lies outside the conterminous US" in r.json()["detail"]
    r = client.get("/api/places", params={"state": "Massachusetts"})
    assert r.status_code == 422 and "query parameter 'state'" in r.json()["detail"]
    r = client.get("/api/places")
    assert r.status_code == 422 and "state" in r.json()["detail"]
    r = client.get("/api/places", params={"state": "25", "href": "http://x/y.zip"})
    assert r.status_code == 200  # an extra parameter is ignored: the server decides the URL


def test_an_unreachable_place_source_says_which_and_that_counties_still_work(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    cat = _catalog_copy(tmp_path / "project", f"http://127.0.0.1:{port}")
    with TestClient(create_app(cat, cache_dir=tmp_path / "cache", webmap_dir=None)) as client:
        r = client.get("/api/places", params={"state": "MA"})
        assert r.status_code == 502, r.text
        detail = r.json()["detail"]
        assert "cannot read the TIGER places of MA (tiger_places)" in detail
        assert f"127.0.0.1:{port}/geo/tiger/TIGER{TIGER_YEAR}/PLACE/tl_{TIGER_YEAR}_25_place.zip" in detail
        assert "the county list (GET /api/counties) works offline" in detail
        failure = r.json()[
            "failure"
        ]  # in plain words for the map (issue 26), the technical text as the detail
        assert failure["reason"] == "no_internet" and "no internet connection" in failure["message"]
        assert f"127.0.0.1:{port}" in failure["detail"] and "/api/" not in failure["detail"]
        assert client.get("/api/counties").status_code == 200
        r = client.post("/api/prepare", json={"place": NORTHAMPTON, "start": 2011, "end": 2019})
        assert r.status_code == 502 and "cannot read the TIGER places of MA" in r.json()["detail"]
        assert r.json()["failure"]["reason"] == "no_internet"
    assert not (tmp_path / "cache" / "places").exists() or not any((tmp_path / "cache" / "places").iterdir())


def test_a_planner_prepares_her_city_and_it_opens_like_any_region(
    client: TestClient, catalog: Path, tmp_path: Path
) -> None:
    assert client.get("/api/prepare").json()["places"] is True
    r = client.post("/api/prepare", json={"place": NORTHAMPTON, "start": 2011, "end": 2019})
    assert r.status_code == 202, r.text
    first = r.json()
    assert (
        first["label"] == "Northampton city, MA" and first["place"] == NORTHAMPTON and first["county"] is None
    )
    done = _wait(client, first["job_id"])
    assert done["status"] == "done", done
    assert done["region"] == f"place_{NORTHAMPTON}" and done["progress"] == 1.0
    # Step by step: the job keeps each finished step with its last text, whatever a poll saw.
    finished = [h for h in done["history"] if re.fullmatch(r"(land_cover|tree_canopy) \d{4}: 100 %", h)]
    assert {"land_cover 2011: 100 %", "land_cover 2019: 100 %", "tree_canopy 2011: 100 %"} <= set(finished), (
        done
    )
    assert done["history"][0] == "starting" and len(set(done["history"])) == len(done["history"])

    regions = {r["name"]: r for r in client.get("/api/regions").json()}
    assert regions[f"place_{NORTHAMPTON}"]["years"] == [2011, 2013, 2016, 2019]
    assert regions[f"place_{NORTHAMPTON}"]["title"] == "Northampton city, MA"  # its TIGER NAMELSAD
    assert f"TIGER/Line {TIGER_YEAR} places" in regions[f"place_{NORTHAMPTON}"]["description"]
    summary = client.get(f"/api/regions/place_{NORTHAMPTON}/summary", params={"start": 2011, "end": 2019})
    assert summary.status_code == 200
    (row,) = summary.json()["boundaries"]
    # one name everywhere (issue 26): the boundary's as the picker and the region list name it
    assert row["id"] == NORTHAMPTON and row["name"] == "Northampton city, MA"
    assert row["area_ha"] == pytest.approx(102_881 * 0.09, rel=1e-3)  # the outline's pixels (SOURCE.md)
    report = client.get(
        f"/api/regions/place_{NORTHAMPTON}/inventory",
        params={"boundary": NORTHAMPTON, "start": 2011, "end": 2019},
    ).json()
    assert report["totals"]["net_t_co2e_per_yr"] == pytest.approx(row["net_t_co2e_per_yr"])
    assert report["boundary"]["name"] == "Northampton city, MA"
    (feature,) = client.get(f"/api/regions/place_{NORTHAMPTON}/boundaries").json()["features"]
    assert feature["properties"]["name"] == "Northampton city, MA"
    listed = {p["geoid"]: p for p in client.get("/api/places", params={"state": "MA"}).json()}
    assert listed[NORTHAMPTON]["region"] == f"place_{NORTHAMPTON}" and listed["2599901"]["region"] is None

    again = client.post("/api/prepare", json={"place": NORTHAMPTON, "start": 2011, "end": 2019})
    assert again.status_code == 200 and again.json()["job_id"] is None and again.json()["status"] == "done"
    # A server started later titles the region from its boundary file: the same name (its LABEL column)
    with TestClient(create_app(catalog, cache_dir=tmp_path / "cache2", webmap_dir=None)) as later:
        titles = {r["name"]: r["title"] for r in later.get("/api/regions").json()}
    assert titles[f"place_{NORTHAMPTON}"] == "Northampton city, MA"


def test_bad_place_requests_are_refused_before_any_work(client: TestClient) -> None:
    r = client.post("/api/prepare", json={"place": "2599999", "start": 2011, "end": 2019})
    assert r.status_code == 404
    assert f"'2599999' is not a place of MA in the TIGER/Line {TIGER_YEAR} places" in r.json()["detail"]
    r = client.post("/api/prepare", json={"place": "9912345", "start": 2011, "end": 2019})
    assert r.status_code == 404 and "no U.S. state has the code '99'" in r.json()["detail"]
    r = client.post("/api/prepare", json={"place": "0212345", "start": 2011, "end": 2019})  # Alaska
    assert r.status_code == 404 and "outside the conterminous US" in r.json()["detail"]
    r = client.post("/api/prepare", json={"place": "254633", "start": 2011, "end": 2019})
    assert r.status_code == 422 and "place" in r.json()["detail"]
    r = client.post(
        "/api/prepare", json={"county": "25015", "place": NORTHAMPTON, "start": 2011, "end": 2019}
    )
    assert r.status_code == 422 and "exactly one of" in r.json()["detail"]
    r = client.post("/api/prepare", json={"start": 2011, "end": 2019})
    assert r.status_code == 422 and "exactly one of" in r.json()["detail"]
    r = client.post("/api/prepare", json={"place": NORTHAMPTON, "start": 2019, "end": 2011})
    assert r.status_code == 422 and "before the end year" in r.json()["detail"]


def test_only_the_attribute_table_of_a_large_place_file_travels(tmp_path: Path) -> None:
    """A state-sized place file (the fixture's outline moved about 400 times: a few MB of deflated geometry): the
    list reads the .dbf through range requests, not the whole zip."""
    import shapely

    base = place_frame(OUTLINE)
    n = 400
    big = gpd.GeoDataFrame(base.loc[[0] * n].reset_index(drop=True), crs=base.crs)
    big["GEOID"] = [f"25{i:05d}" for i in range(n)]
    big["NAMELSAD"] = [f"Town {i:03d} town" for i in range(n)]
    big["geometry"] = [
        shapely.affinity.translate(g, 0.001 * i, 0.0007 * i) for i, g in enumerate(big.geometry)
    ]
    site = tmp_path / "www" / f"geo/tiger/TIGER{TIGER_YEAR}/PLACE"
    shp = tmp_path / "shp"
    site.mkdir(parents=True)
    shp.mkdir()
    big.to_file(shp / f"tl_{TIGER_YEAR}_25_place.shp", engine="pyogrio")
    zipped = site / f"tl_{TIGER_YEAR}_25_place.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as zf:  # deflated, as TIGER's are
        for f in sorted(shp.iterdir()):
            zf.write(f, f.name)
    with serve_directory(tmp_path / "www") as srv:
        cat = load_catalog(_catalog_copy(tmp_path / "project", srv.url))
        listed = places_of_state("MA", cat, cache_dir=tmp_path / "cache")
        sent = sum(srv.traffic.snapshot().values())
    assert [p.name for p in listed.places[:2]] == ["Town 000 town", "Town 001 town"] and len(
        listed.places
    ) == n
    assert zipped.stat().st_size > 2_000_000
    assert sent < 0.1 * zipped.stat().st_size, (sent, zipped.stat().st_size)
