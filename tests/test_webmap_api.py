"""What the web map needs from the API (browser audit 2026-12-01): tiles transparent off the data in every layer
(D2, D19), downloads named alike with readable numbers (D23), the API docs page without a CDN (D21), the method
page the map links to."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import morecantile
import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_api import png_rgba

from api.app import create_app
from learn.report.palettes import CANOPY_CHANGE_OFFSET, CANOPY_CHANGE_PALETTE, canopy_change_index

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
PERIOD = "start=2011&end=2019"


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        with TestClient(create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("api_cache"))) as c:
            yield c


def alpha(client: TestClient, layer: str, tile: morecantile.Tile, query: str) -> np.ndarray:
    r = client.get(f"/tiles/demo/{layer}/{tile.z}/{tile.x}/{tile.y}.png?{query}")
    assert r.status_code == 200, (layer, r.text[:200])
    return png_rgba(r.content)[3]


@pytest.mark.parametrize("zoom", [9, 10])
def test_no_data_is_transparent_in_every_layer_at_the_regions_edge(client: TestClient, zoom: int) -> None:
    """D2: tiles over the region's corner are partly outside the data; no layer paints a pixel there (canopy
    change drew its no-data as "−100 points", opaque red)."""
    info = client.get("/api/regions/demo").json()
    west, south, east, north = info["bounds"]
    layers = [
        ("forest_change", PERIOD),
        ("disturbance", "start=2001&end=2019"),
        ("tree_canopy", "year=2016"),
        ("canopy_change", PERIOD),
        ("canopy_change", "start=2001&end=2004"),
    ]
    edge = 0
    for tile in WEB_MERCATOR.tiles(west, south, east, north, [zoom]):
        data = alpha(client, "land_cover", tile, "year=2019") > 0  # every valid land-cover pixel is opaque
        outside = ~data
        if outside.sum() < 1_000 or data.sum() < 1_000:
            continue  # not on the edge
        edge += 1
        for layer, query in layers:
            painted = alpha(client, layer, tile, query) > 0
            assert int((painted & outside).sum()) == 0, (layer, query, tile)
    assert edge >= 2, "tiles straddling the region's edge"


def test_canopy_change_index_keeps_no_data_and_no_change_transparent() -> None:
    change = np.array([[-100, -1, 0, 1, 100]], np.int16)
    valid = np.array([[True, True, True, True, False]])
    index = canopy_change_index(change, valid)
    assert index.tolist() == [
        [CANOPY_CHANGE_OFFSET - 100, CANOPY_CHANGE_OFFSET - 1, 0, CANOPY_CHANGE_OFFSET + 1, 0]
    ]
    rgba = CANOPY_CHANGE_PALETTE[index]
    assert rgba[0, 0].tolist() == [215, 25, 28, 255]  # −100 points: full red
    assert rgba[0, 2, 3] == 0 and rgba[0, 4, 3] == 0  # no change, no data: transparent
    assert 0 < rgba[0, 1, 3] < 64 and 0 < rgba[0, 3, 3] < 64  # ±1 point: faint (D19)


def test_canopy_change_legend_is_an_intensity_scale(client: TestClient) -> None:
    """D19: more than "loss"/"gain": several intensities each way and "no change"."""
    layers = {t["id"]: t for t in client.get("/api/regions/demo").json()["tile_layers"]}
    legend = layers["canopy_change"]["legend"]
    values = [e["value"] for e in legend]
    assert values == sorted(values) and min(values) < -3 and max(values) > 3 and 0 in values
    assert len({e["color"] for e in legend}) == len(legend)


def test_download_names_agree_and_name_the_jurisdiction(client: TestClient) -> None:
    """D23: every download of one report is named learn_<id>_<name>_<start>_<end>.<ext>."""
    names = {}
    for ext in ("csv", "xlsx", "json", "geojson", "html"):
        r = client.get(f"/api/regions/demo/inventory.{ext}?boundary=99001&{PERIOD}")
        assert r.status_code == 200, ext
        names[ext] = re.fullmatch(r'attachment; filename="(.+)"', r.headers["content-disposition"]).group(1)
    assert names == {ext: f"learn_99001_Alder_County_2011_2019.{ext}" for ext in names}


def test_csv_numbers_have_no_float_noise(client: TestClient) -> None:
    """D23: 14.309999999999999 is written 14.31; the numbers keep 15 significant digits."""
    text = client.get(f"/api/regions/demo/inventory.csv?boundary=99001&{PERIOD}").text
    report = client.get(f"/api/regions/demo/inventory?boundary=99001&{PERIOD}").json()
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    numbers = [c for c in cells if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", c)]
    assert numbers and all(len(c.replace("-", "").replace(".", "").split("e")[0]) <= 16 for c in numbers)
    net = report["totals"]["net_t_co2e_per_yr"]
    assert any(float(c) == pytest.approx(net, rel=1e-14) for c in numbers)


def test_api_docs_page_loads_its_script_from_this_server(client: TestClient) -> None:
    """D21: /docs (Swagger UI) works offline: every script and stylesheet it names is served here."""
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets and not [a for a in assets if re.match(r"(https?:)?//", a)], assets
    for asset in assets:
        if asset.startswith("data:"):
            continue
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 1_000, asset


def test_method_page_is_served(client: TestClient) -> None:
    """The map's "how this is computed" link: docs/method.md, as text."""
    r = client.get("/method")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("# The inventory method")
