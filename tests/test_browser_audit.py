"""The web map's fixes for the browser audit of 2026-12-01 (``webmap_ux_2026-12-01.md``), one test
per defect (D-numbers), in the real headless browser of ``test_browser`` (same server, browser and page fixtures:
a page fails its test on any console or page error, e.g. a tile answered 422)."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM_ARGS,
    REGION,
    TIMEOUT_MS,
    boundaries,
    browser,
    get,
    net_card,
    open_map,
    page,
    place,
    select,
    server,
    wait_report,
)

# Delays answers of fetch() calls whose URL matches window.__delay.pattern by window.__delay.ms, in the page: a
# slow computation stands in for a big real county (the demo answers in 0.1 s).
DELAY_FETCH = """
  const realFetch = window.fetch.bind(window);
  window.__delay = null;
  window.fetch = async (url, options) => {
    const d = window.__delay;
    const response = await realFetch(url, options);
    if (d && new RegExp(d.pattern).test(String(url))) await new Promise((r) => setTimeout(r, d.ms));
    return response;
  };
"""


def open_layers(page: Any) -> None:
    details = page.locator(".layer-control details")
    if details.get_attribute("open") is None:
        page.locator(".layer-control summary").click()


def delay(page: Any, pattern: str, ms: int) -> None:
    page.evaluate("([p, ms]) => { window.__delay = { pattern: p, ms }; }", [pattern, ms])


def upload(page: Any, tmp_path: Path, filename: str, geometry: dict[str, Any], **props: Any) -> None:
    path = tmp_path / filename
    path.write_text(json.dumps({"type": "Feature", "properties": props, "geometry": geometry}))
    page.set_input_files("#upload-input", str(path))


def search(page: Any, text: str) -> None:
    """Select a jurisdiction through the search box (a county's middle may be covered by a town)."""
    page.fill("#search-input", text)
    page.press("#search-input", "Enter")
    wait_report(page, text)


def square(lon: float, lat: float, d: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_d1_period_change_with_every_layer_on_asks_integer_zoom_tiles(page, server):
    """D1: at a fractional map zoom, changing both years with every layer on requests tiles at an integer zoom,
    and no request fails (the page fixture also fails on the console error of a failed tile)."""
    failed: list[str] = []
    tiles: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url and ".png" in r.url else None)
    # tiles of the old period still loading are cancelled by the redraw (net::ERR_ABORTED): not a failure
    page.on(
        "requestfailed",
        lambda r: None if "ABORTED" in (r.failure or "") else failed.append(f"{r.failure} {r.url}"),
    )
    open_map(page)
    page.evaluate("learnMap.setZoom(10.25, { animate: false })")
    open_layers(page)
    for box in page.locator(".layer-entry:not([data-layer=osm]) input[type=checkbox]").all():
        box.check()
    page.select_option("#end-select", "2013")
    page.select_option("#start-select", "2004")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("learnMap.getZoom()") == 10.25
    period_tiles = [u for u in tiles if "start=2004" in u and "end=2013" in u]
    assert period_tiles, "the period layers were redrawn"
    zooms = {u.split("/tiles/")[1].split("/")[2] for u in tiles}
    assert all(re.fullmatch(r"\d+", z) for z in zooms), zooms
    assert not failed, failed[:5]


def test_d3_rejected_area_leaves_no_old_numbers_and_no_polygon(page, server, boundaries, place, tmp_path):
    """D3: after a good upload, a polygon outside the data is rejected: the panel says so (no cards of the
    previous area), the rejected polygon is not left on the map, and the map does not fly to it."""
    feature = next(f for f in boundaries if f["properties"]["id"] == place)
    open_map(page)
    upload(page, tmp_path, "inside.geojson", feature["geometry"], name="Inside")
    wait_report(page, "custom", timeout=60_000)
    center = page.evaluate("learnMap.getCenter()")
    upload(page, tmp_path, "kansas.geojson", square(-98.5, 38.5, 0.1))
    page.wait_for_selector("#report[data-state=error]", timeout=60_000)
    assert page.locator("#report .card").count() == 0
    expect(page.locator("#report")).to_contain_text("No report for kansas.geojson")
    assert page.locator(".leaflet-custom-pane path").count() == 0
    after = page.evaluate("learnMap.getCenter()")
    assert abs(after["lng"] - center["lng"]) < 1 and abs(after["lat"] - center["lat"]) < 1
    page.errors[:] = [e for e in page.errors if "Failed to load resource" not in e]  # the 400 itself


def test_d4_panel_shows_computing_and_disables_stale_downloads(page, boundaries):
    """D4: while B computes, the panel says so, names B, dims A's numbers and A's downloads cannot be used."""
    page.add_init_script(DELAY_FETCH)
    counties = [f["properties"] for f in boundaries if f["properties"].get("kind") == "county"]
    a, b = counties[0], counties[1]
    open_map(page)
    search(page, a["id"])
    delay(page, f"inventory.*boundary={b['id']}", 2500)
    page.fill("#search-input", b["id"])
    page.press("#search-input", "Enter")
    loading = page.locator("#report[data-state=loading]")
    expect(loading).to_be_visible()
    expect(page.locator("#report .computing-note")).to_contain_text(f"Computing {b['name']}")
    links = page.locator("#report .downloads a")
    assert links.count() > 0
    for link in links.all():
        assert link.get_attribute("href") is None and link.get_attribute("aria-disabled") == "true"
    wait_report(page, b["id"])
    assert page.locator("#report .computing-note").count() == 0
    assert page.locator('#report .downloads a[data-format="csv"]').get_attribute("href")
    expect(page.locator(".report-title")).to_have_text(b["name"])


def test_d11_d12_periods_agree_in_controls_legend_and_data(page, server, place):
    """D11: years that would give an empty period are disabled, an invalid choice reverts the controls, Esc
    closes the message. D12: while a new period's summary computes, the legend shows the new years and no
    colours, tooltips say "computing"."""
    page.add_init_script(DELAY_FETCH)
    open_map(page)
    select(page, place)
    start, end = page.locator("#start-select").input_value(), page.locator("#end-select").input_value()
    disabled_end = page.eval_on_selector_all(
        "#end-select option", "os => os.filter(o => o.disabled).map(o => o.value)"
    )
    assert disabled_end and all(int(y) <= int(start) for y in disabled_end)
    page.eval_on_selector(
        "#end-select",
        "(s, y) => { s.value = y; s.dispatchEvent(new Event('change')); }",
        page.locator("#end-select option").first.get_attribute("value"),
    )
    expect(page.locator("#alert")).to_be_visible()
    assert page.locator("#end-select").input_value() == end  # the controls show the period still shown
    page.keyboard.press("Escape")
    expect(page.locator("#alert")).to_be_hidden()

    delay(page, "/summary", 2500)
    page.select_option("#start-select", "2006")
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text(f"Net flux 2006–{end}")
    expect(legend).to_contain_text("computing")
    assert page.locator(".map-legend .swatch").count() == 0
    wait_report(page, place, start=2006)
    expect(legend).not_to_contain_text("computing", timeout=60_000)
    assert page.locator(".map-legend .swatch").count() > 0


def test_d10_per_hectare_changes_the_panel_figures(page, server, place):
    open_map(page)
    select(page, place)
    _, net = net_card(page)
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=2011, end=2019)
    page.get_by_label("per hectare").check()
    expect(page.locator(".card-net .card-unit")).to_contain_text("ha/yr")
    _, net_ha = net_card(page)
    assert net_ha == pytest.approx(net / report["boundary"]["area_ha"], rel=1e-12)
    expect(page.locator("table.inventory caption")).to_contain_text("ha/yr")
    page.get_by_label("per hectare").uncheck()
    assert net_card(page)[1] == net


def test_d22_url_with_wrong_years_says_so_and_back_stays_in_the_app(page, server, boundaries):
    ids = [f["properties"]["id"] for f in boundaries[:2]]
    page.goto(f"/?region={REGION}&boundary={ids[0]}&start=2012&end=2019")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#alert-text")).to_contain_text("2012–2019")
    expect(page.locator("#alert-text")).to_contain_text("instead")
    wait_report(page, ids[0])
    page.locator("#alert-close").click()
    search(page, ids[1])
    page.go_back()  # to the previous jurisdiction, in the app
    wait_report(page, ids[0])
    assert page.url.startswith(server) and f"boundary={ids[0]}" in page.url
    name = boundaries[1]["properties"]["name"]
    page.goto(f"/?region={REGION}&boundary={urllib.parse.quote(name)}")  # a name works as well as the GEOID
    page.wait_for_selector("body[data-ready=true]")
    wait_report(page, ids[1])


def test_d23_link_names_are_the_servers_names(page, place):
    open_map(page)
    select(page, place)
    for fmt in ("csv", "json"):
        link = page.locator(f'#report .downloads a[data-format="{fmt}"]')
        with page.expect_download() as dl:
            link.click()
        assert dl.value.suggested_filename == link.get_attribute("download")
        assert re.fullmatch(rf"learn_{place}_[A-Za-z_.-]+_2011_2019\.{fmt}", link.get_attribute("download"))


def test_d14_messages_for_people(page, tmp_path):
    """D14: no routes or command-line flags in the page's messages; projected or swapped coordinates named."""
    open_map(page)
    upload(page, tmp_path, "far.geojson", square(-150, -40, 1))
    page.wait_for_selector("#alert:not([hidden])", timeout=60_000)
    text = page.locator("#alert-text").text_content()
    assert "outside" in text and "GET " not in text and "/api/" not in text and "--" not in text
    upload(page, tmp_path, "utm.geojson", square(500_000, 4_700_000, 1_000))
    expect(page.locator("#alert-text")).to_contain_text("projected")
    info = get(page.url.split("/?")[0].rstrip("/"), f"/api/regions/{REGION}")
    west, south, east, north = info["bounds"]
    swapped = square((south + north) / 2, (west + east) / 2, 0.01)  # [lat, lon]
    upload(page, tmp_path, "swapped.geojson", swapped)
    expect(page.locator("#alert-text")).to_contain_text("swapped")
    page.errors[:] = [e for e in page.errors if "Failed to load resource" not in e]


def test_d9_search_tolerates_typos_and_lists_matches(page, boundaries):
    open_map(page)
    names = {f["properties"]["name"]: f["properties"]["id"] for f in boundaries}
    target = max((n for n in names if "County" not in n), key=len)
    typo = target[:3] + target[4:]  # a letter dropped: "Oxbow Fals" for "Oxbow Falls" in the audit
    page.fill("#search-input", typo)
    page.press("#search-input", "Enter")
    results = page.locator("#search-results")
    expect(results).to_be_visible()
    results.get_by_role("button", name=target).click()
    wait_report(page, names[target])
    counties = [n for n in names if "County" in n]
    page.fill("#search-input", "county")
    page.press("#search-input", "Enter")
    expect(results).to_be_visible()
    expect(results.get_by_role("button")).to_have_count(len(counties))
    wait_report(page, names[target])  # nothing picked silently


def test_d7_d24_keyboard_focus_and_screen_reader_names(page, boundaries):
    open_map(page)
    county = next(f["properties"] for f in boundaries if f["properties"].get("kind") == "county")
    page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{county["id"]}"]').focus()
    page.keyboard.press("Enter")
    wait_report(page, county["id"])
    expect(page.locator(".report-title")).to_be_focused()
    tabs = 0
    while not page.evaluate("document.activeElement.closest('.downloads') !== null"):
        tabs += 1
        assert tabs <= 4, "a download within 4 Tabs of the report's title (36 before)"
        page.keyboard.press("Tab")
    assert page.locator("#report").get_attribute("aria-live") is None
    expect(page.locator("#report-status")).to_contain_text(county["name"])
    assert page.locator("#report-status").get_attribute("aria-live") == "polite"
    for label in ("Draw a polygon", "Draw a rectangle"):
        expect(page.get_by_role("button", name=label)).to_have_count(1)


def test_d6_mobile_layout(browser, server, place):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=server,
    )
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_map(pg)
        open_layers(pg)
        panel = pg.locator(".layer-control").bounding_box()
        map_box = pg.locator("#map").bounding_box()
        assert panel["y"] + panel["height"] <= map_box["y"] + map_box["height"]
        assert pg.locator(".map-legend").is_hidden()  # it would overlap the open list
        pg.locator(".layer-control summary").click()
        expect(pg.locator(".map-legend")).to_be_visible()
        pg.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{place}"]').tap()
        wait_report(pg, place)
        expect(pg.locator(".report-title")).to_be_in_viewport()
        assert pg.evaluate(
            "document.querySelector('#panel').scrollWidth <= document.querySelector('#panel').clientWidth"
        )
        assert not errors, errors
    finally:
        context.close()


def test_d18_d20_map_composition_and_controls(page):
    open_map(page)
    assert page.locator(".layer-control details").get_attribute("open") is None  # map not covered at 1280×720
    expect(page.locator(".leaflet-control-scale")).to_be_visible()
    page.evaluate("learnMap.setZoom(5)")
    page.get_by_role("button", name="Zoom to the whole region").click()
    page.wait_for_function("learnMap.getZoom() > 8")
    assert page.evaluate("learnMap.getMaxZoom()") <= 16
    open_layers(page)
    years = page.locator('.layer-entry[data-layer^="land_cover:"] input[type=range]')
    assert years.count() == 2 and years.nth(0).input_value() == years.nth(1).input_value()
    labels = page.locator(".layer-entry .legend:not([hidden]) .legend-label")
    assert labels.count() > 5
    cut = labels.evaluate_all("ls => ls.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)")
    assert not cut  # no legend label cut with an ellipsis


def test_d25_compare_above_the_report_with_percent_change(page, boundaries, place):
    open_map(page)
    select(page, place)
    assert page.locator("#compare").bounding_box()["y"] < page.locator("#report").bounding_box()["y"]
    other = next(f["properties"] for f in boundaries if f["properties"]["id"] != place)
    page.locator("#compare summary").click()
    page.select_option("#compare-boundary", other["id"])
    page.click("#compare-go")
    table = page.locator("#compare-result table.compare")
    expect(table.locator("thead")).to_contain_text("Change")
    net_row = table.locator("tbody tr", has_text="Net (t CO₂e/yr)")
    a, b = (float(net_row.locator("td").nth(i).get_attribute("data-value")) for i in (0, 1))
    pct = float(net_row.locator("td").nth(3).get_attribute("data-value"))
    assert pct == pytest.approx(100 * (b - a) / abs(a), rel=1e-9)


def test_d26_a_message_does_not_move_the_map(page):
    open_map(page)
    before = page.locator("#map").bounding_box()
    page.fill("#search-input", "zzzz qqqq")
    page.press("#search-input", "Enter")
    expect(page.locator("#alert")).to_be_visible()
    assert page.locator("#map").bounding_box() == before


def test_plain_sentence_glossary_and_method_link(page, server, place):
    """Issue 14 item 2: a sentence under the cards with the report's numbers, an ⓘ definition per category, the
    sign convention and a link to the method."""
    open_map(page)
    select(page, place)
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=2011, end=2019)
    t = report["totals"]
    sentence = page.locator("#report .plain-sentence")
    expect(sentence).to_contain_text(
        "From 2011 to 2019, the forests and trees of " + report["boundary"]["name"]
    )
    verb = "removed" if t["net_t_co2e_per_yr"] < 0 else "released"
    expect(sentence).to_contain_text(f"{verb} a net {abs(t['net_t_co2e_per_yr']):,.0f} t CO₂e per year")
    categories = {r["category"] for r in report["inventory"] if r["category"] != "Total"}
    for category in categories:
        button = page.locator(f'table.inventory summary[aria-label="What is {category}?"]')
        assert button.count() == 1, category
        button.click()
        expect(button.locator("xpath=..").locator(".gloss-text")).to_be_visible()
    expect(page.locator("#report .sign-note")).to_contain_text("Emissions are positive and removals negative")
    href = page.locator("#report .sign-note a").get_attribute("href")
    method = urllib.parse.urljoin(page.url, href)
    r = page.context.request.get(method)
    assert r.status == 200 and "# The inventory method" in r.text()


def test_d21_api_docs_page_without_internet(browser, server):
    """D21: /docs renders Swagger UI with no request leaving the server."""
    context = browser.new_context(base_url=server)
    pg = context.new_page()
    foreign: list[str] = []
    pg.route(
        re.compile(r"^https?://(?!127\.0\.0\.1).*"),
        lambda route: (foreign.append(route.request.url), route.abort()),
    )
    try:
        pg.goto("/docs")
        pg.wait_for_selector(".swagger-ui .opblock", timeout=TIMEOUT_MS)
        assert not foreign, foreign
    finally:
        context.close()
