"""The HTTP API under hostile or odd client input: every answer is a clean 4xx JSON, never a 500.

Cases come from the reliability audit of 2026-12-01 (F6, F7, F14–F17), rebuilt here on the SYNTHETIC demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

URL = "/api/regions/demo/inventory?start=2011&end=2019"
SQUARE = [[-75.22, 42.64], [-75.2, 42.64], [-75.2, 42.66], [-75.22, 42.66], [-75.22, 42.64]]


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        app = create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("api_cache"), webmap_dir=None)
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


def post_raw(client: TestClient, body: str | bytes) -> Any:
    return client.post(URL, content=body, headers={"content-type": "application/json"})


def polygon(ring: list[list[float]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring or SQUARE]},
        **extra,
    }


# ---- F6: 11 kinds of input that answered 500 -----------------------------------------------------------
NESTED_GC = '{"type":"GeometryCollection","geometries":[' * 3000 + "]}" * 3000
BAD_BODIES: list[tuple[str, str, str]] = [
    ("nested arrays", "[" * 100_000 + "]" * 100_000, "levels deep"),
    ("nested objects", '{"a":' * 50_000 + "1" + "}" * 50_000, "levels deep"),
    (
        "nested coordinates",
        '{"type":"Polygon","coordinates":' + "[" * 20_000 + "]" * 20_000 + "}",
        "levels deep",
    ),
    ("nested GeometryCollections", NESTED_GC, "levels deep"),
    (
        "nested GeometryCollections (40)",
        '{"type":"GeometryCollection","geometries":[' * 40 + "]}" * 40,
        "levels deep",
    ),
    (
        "Infinity vertex",
        '{"type":"Polygon","coordinates":[[[-75.22,42.64],[Infinity,42.64],[-75.2,42.66],[-75.22,42.66],[-75.22,42.64]]]}',
        "Infinity",
    ),
    (
        "NaN middle vertex",
        '{"type":"Polygon","coordinates":[[[-75.22,42.64],[-75.2,42.64],[NaN,42.66],[-75.22,42.66],[-75.22,42.64]]]}',
        "NaN",
    ),
    (
        "-Infinity middle vertex",
        '{"type":"Polygon","coordinates":[[[-75.22,42.64],[-75.2,42.64],[-75.2,-Infinity],[-75.22,42.66],[-75.22,42.64]]]}',
        "Infinity",
    ),
    ("crs properties a string", json.dumps(polygon(crs={"type": "name", "properties": "EPSG:4326"})), "crs"),
    ("crs properties a list", json.dumps(polygon(crs={"type": "name", "properties": ["EPSG:4326"]})), "crs"),
    ("crs properties null", json.dumps(polygon(crs={"type": "name", "properties": None})), "crs"),
    ("Feature properties a string", json.dumps({**polygon(), "properties": "Alice"}), "properties"),
    ("Feature properties a list", json.dumps({**polygon(), "properties": ["Alice"]}), "properties"),
    (
        "FeatureCollection feature properties a number",
        json.dumps({"type": "FeatureCollection", "features": [{**polygon(), "properties": 3}]}),
        "properties",
    ),
]


@pytest.mark.parametrize(
    ("body", "text"), [(b, t) for _, b, t in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
def test_malformed_geojson_is_a_422_not_a_500(client: TestClient, body: str, text: str) -> None:
    assert text in detail(post_raw(client, body), 422)


def test_non_finite_vertex_in_an_upload_is_a_422(client: TestClient) -> None:
    body = '{"type":"Polygon","coordinates":[[[-75.22,42.64],[NaN,42.64],[-75.2,42.66],[-75.22,42.64]]]}'
    assert "NaN" in detail(client.post(URL, files={"file": ("x.geojson", body.encode())}), 422)


def test_properties_null_and_ordinary_nesting_still_work(client: TestClient) -> None:
    assert client.post(URL, json={**polygon(), "properties": None}).status_code == 200
    collection = {"type": "FeatureCollection", "features": [polygon(), polygon()]}
    assert client.post(URL, json=collection).status_code == 200
