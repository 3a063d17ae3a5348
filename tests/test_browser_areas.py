"""Your own area has a link (audit D17): after an upload or a drawing the address carries ``?area=<id>``, that link
opens the same area and report in another browser (a new context: no localStorage), and its downloads are the
server's (XLSX, GeoJSON, …), titled with the feature's name. Same server, browser and page fixtures as
``test_browser``."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    REGION,
    TIMEOUT_MS,
    VIEWPORT,
    boundaries,
    browser,
    get,
    net_card,
    open_map,
    page,
    place,
    server,
    wait_report,
)

AREA_URL = re.compile(r"[?&]area=[A-Za-z0-9_-]{22}(&|$)")


def area_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["area"][0]


def download(page: Any, fmt: str, dest: Path) -> Path:
    with page.expect_download() as dl:
        page.locator(f'#report .downloads a[data-format="{fmt}"]').click()
    path = dest / dl.value.suggested_filename
    dl.value.save_as(path)
    return path


def test_uploaded_area_link_opens_in_another_browser_with_server_downloads(
    browser, page, server, boundaries, place, tmp_path
):
    feature = next(f for f in boundaries if f["properties"]["id"] == place)
    path = tmp_path / "small_inside.geojson"
    path.write_text(json.dumps({**feature, "properties": {"name": "My test area"}}))
    open_map(page)
    page.set_input_files("#upload-input", str(path))
    wait_report(page, "custom", timeout=60_000)
    page.wait_for_url(AREA_URL)
    area = area_of(page.url)
    expect(page.locator("#report")).to_have_attribute("data-area", area)
    assert (
        page.locator(".report-title").text_content() == "My test area"
    )  # the feature's name, not the file's
    meta = page.locator("#report .meta").text_content()
    assert "ID" not in meta and "upload" not in meta, meta
    net_text, net = net_card(page)
    assert page.locator("#report .copy-link").get_attribute("data-href") == page.url

    # the link in a new context: no localStorage, nothing of the first page
    other = browser.new_context(viewport=VIEWPORT, accept_downloads=True, base_url=server)
    other.set_default_timeout(TIMEOUT_MS)
    try:
        pg = other.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(page.url)
        pg.wait_for_selector("body[data-ready=true]")
        wait_report(pg, "custom", timeout=60_000, area=area)
        assert pg.evaluate("localStorage.length") == 0
        assert pg.locator(".report-title").text_content() == "My test area"
        assert net_card(pg) == (net_text, net)
        assert pg.locator(".leaflet-custom-pane path").count() >= 1  # its outline, from the server
        assert AREA_URL.search(pg.url) and area_of(pg.url) == area

        xlsx = download(pg, "xlsx", tmp_path)
        assert xlsx.name.startswith("learn_My_test_area_") and xlsx.read_bytes()[:2] == b"PK"
        sheets = openpyxl.load_workbook(xlsx).sheetnames
        assert sheets[0] == "About" and len(sheets) > 3
        geojson = download(pg, "geojson", tmp_path)
        frame = gpd.read_file(geojson)
        assert frame.iloc[0]["name"] == "My test area" and frame.iloc[0]["area_id"] == area
        assert frame.iloc[0]["net_t_co2e_per_yr"] == net
        csv_text = download(pg, "csv", tmp_path).read_text()
        assert csv_text.startswith("Boundary,upload,My test area") and "Table 3." in csv_text

        with other.expect_page() as popup:
            pg.locator('#report .downloads a[data-format="print"]').click()
        printable = popup.value
        printable.wait_for_selector("body[data-ready=true]")
        printable.wait_for_selector("#report[data-state=ready]")
        assert f"area={area}" in printable.url
        assert printable.locator(".report-title").text_content() == "My test area"
        assert printable.locator(".card-net .card-value").text_content().strip() == net_text
        assert "ID" not in printable.locator("#report .meta").text_content()
        assert not errors, errors
    finally:
        other.close()


def test_drawn_area_is_a_history_entry_with_its_link(page, server):
    open_map(page)
    before = page.url
    page.locator(".leaflet-pm-icon-polygon").click()
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6
    corners = [(cx - 50, cy - 40), (cx + 50, cy - 40), (cx + 50, cy + 40), (cx - 50, cy + 40)]
    for x, y in [*corners, corners[0]]:
        page.mouse.click(x, y)
    wait_report(page, "custom", timeout=60_000)
    page.wait_for_url(AREA_URL)
    area = area_of(page.url)
    assert page.locator(".report-title").text_content() == "Drawn area"
    assert "ID" not in page.locator("#report .meta").text_content()
    _, net = net_card(page)
    stored = get(server, f"/api/regions/{REGION}/areas/{area}")
    assert stored["properties"]["name"] == "Drawn area"
    start, end = get(server, f"/api/regions/{REGION}")["default_period"]
    report = get(server, f"/api/regions/{REGION}/areas/{area}/inventory", start=start, end=end)
    assert report["totals"]["net_t_co2e_per_yr"] == net
    page.go_back()
    page.wait_for_url(before)
    page.wait_for_selector("#report .placeholder")
    assert page.locator(".leaflet-custom-pane path").count() == 0
    page.go_forward()
    wait_report(page, "custom", timeout=60_000, area=area)
    assert net_card(page)[1] == net


def test_geopackage_upload_is_outlined_named_and_has_a_geojson_download(
    page, server, place, tmp_path, demo_catalog
):
    shapes = gpd.read_file(demo_catalog.parent / "data" / "demo" / "boundaries.gpkg")
    town = shapes[place == shapes.GEOID]
    path = tmp_path / "upload_of_a_town.gpkg"
    town.to_file(path)
    open_map(page)
    page.set_input_files("#upload-input", str(path))
    wait_report(page, "custom", timeout=60_000)
    page.wait_for_url(AREA_URL)
    name = str(town.iloc[0]["NAME"])
    assert page.locator(".report-title").text_content() == name  # its NAME, not "upload_of_a_town.gpkg"
    expect(page.locator(".leaflet-custom-pane path")).to_have_count(1)  # outlined, as the server read it
    geojson = download(page, "geojson", tmp_path)
    assert geojson.name.startswith(f"learn_{name.replace(' ', '_')}_")
    assert gpd.read_file(geojson).iloc[0]["name"] == name
