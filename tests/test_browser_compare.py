"""Issue 26 item 7 in the real headless browser of ``test_browser`` (same server, browser and page fixtures: a page
fails its test on any console or page error): comparing two jurisdictions outlines B on the map apart from A
(blue vs black, an "A" / "B" tag on each, a key saying which is which), draws side-by-side bars whose numbers are
each one's own report, keeps the comparison in the address and restores it from a link; at desktop and phone size.
With ``LEARN_DOCS_SCREENSHOT=1`` (``make docs-screenshot``) the desktop view is also ``docs/screenshot-compare.png``.
"""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    REGION,
    REPO,
    boundaries,
    browser,
    get,
    open_map,
    page,
    place,
    server,
    wait_report,
)

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
B_BLUE = "#1f5fbf"

BARS = """c => { const ch = Chart.getChart(c);
  return { labels: ch.data.labels.map(l => [].concat(l).join(' ')), names: ch.data.datasets.map(d => d.label),
           a: ch.data.datasets[0].data, b: ch.data.datasets[1].data }; }"""


def expected_bars(report: dict[str, Any], categories: list[str]) -> list[float | None]:
    """A report's values in the bars' rows: the net of each IPCC category, gross emissions, removals, net."""
    nets = {r["category"]: r["net_t_co2e_per_yr"] for r in report["ipcc_summary"]}
    t = report["totals"]
    return [nets.get(c) for c in categories] + [
        t["gross_emissions_t_co2e_per_yr"],
        t["gross_removals_t_co2e_per_yr"],
        t["net_t_co2e_per_yr"],
    ]


def other_jurisdiction(boundaries: list[dict[str, Any]], a: str) -> dict[str, Any]:
    """B: a town other than A (towns lie on top of the counties: both outlines stay visible)."""
    return next(
        f["properties"]
        for f in boundaries
        if f["properties"]["id"] != a and f["properties"].get("kind") == "place"
    )


def check_compare_view(page: Any, server: str, a: str, b: dict[str, Any], b_period: tuple[int, int]) -> None:
    """The map and the panel show A vs B, with each one's own numbers."""
    start, end = (
        int(page.locator("#start-select").input_value()),
        int(page.locator("#end-select").input_value()),
    )
    result = page.locator(f'#compare-result[data-state=ready][data-compare="{b["id"]}"]')
    result.wait_for()
    a_name = next(x["properties"]["name"] for x in get(server, f"/api/regions/{REGION}/boundaries")["features"]
                  if x["properties"]["id"] == a)  # fmt: skip
    # the map: A black, B blue (another outline than any other jurisdiction's), a tag on each, and the key
    a_path = page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{a}"]')
    b_path = page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{b["id"]}"]')
    assert a_path.get_attribute("stroke") == "#000"
    assert b_path.get_attribute("stroke") == B_BLUE
    others = page.eval_on_selector_all(
        ".leaflet-boundaries-pane path",
        f"ps => ps.filter(p => p.getAttribute('stroke') === '{B_BLUE}').length",
    )
    assert others == 1
    expect(page.locator(".leaflet-tooltip.compare-tag-a")).to_have_count(1)
    expect(page.locator(".leaflet-tooltip.compare-tag-b")).to_have_count(1)
    expect(page.locator(".leaflet-tooltip.compare-tag-b")).to_contain_text(f"B: {b['name']}")
    key = page.locator(".compare-key")
    expect(key.locator(".key-a")).to_contain_text(f"A {a_name} {start}–{end}")
    expect(key.locator(".key-b")).to_contain_text(f"B {b['name']} {b_period[0]}–{b_period[1]}")
    assert key.is_visible()
    # the panel: the bars hold each one's report (A as shown, B as the API answers for B)
    rep_a = get(server, f"/api/regions/{REGION}/inventory", boundary=a, start=start, end=end)
    rep_b = get(
        server, f"/api/regions/{REGION}/inventory", boundary=b["id"], start=b_period[0], end=b_period[1]
    )
    bars = result.locator("canvas").evaluate(BARS)
    cats = [label.removesuffix(" (net)") for label in bars["labels"][:-3]]
    assert bars["labels"][-3:] == ["Gross emissions", "Gross removals", "Net"]
    assert set(cats) == {r["category"] for r in rep_a["ipcc_summary"] if r["category"] != "Total"}
    assert bars["a"] == pytest.approx(expected_bars(rep_a, cats), rel=1e-12)
    assert bars["b"] == pytest.approx(expected_bars(rep_b, cats), rel=1e-12)
    assert bars["names"] == [f"A: {a_name}", f"B: {b['name']}"]
    assert result.locator("canvas").evaluate("c => c.width > 0 && c.height > 0")
    assert b["name"] in result.locator("table.compare").text_content()
    # the comparison is in the address
    q = parse_qs(urlparse(page.url).query)
    assert q["compare"] == [b["id"]]
    assert (q["compare_start"], q["compare_end"]) == ([str(b_period[0])], [str(b_period[1])])


@pytest.mark.parametrize("size", SIZES)
def test_compare_two_jurisdictions_on_the_map_and_in_bars(browser, server, boundaries, place, size):
    context = browser.new_context(viewport=SIZES[size], base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, f"?region={REGION}&boundary={place}")
    wait_report(page, place)
    b = other_jurisdiction(boundaries, place)
    years = get(server, f"/api/regions/{REGION}")["years"]
    page.locator("#compare summary").click()
    page.select_option("#compare-boundary", b["id"])
    page.select_option("#compare-start", str(years[0]))
    page.select_option("#compare-end", str(years[-1]))
    page.click("#compare-go")
    check_compare_view(page, server, place, b, (years[0], years[-1]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#compare").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"browser_compare_{size}.png"), full_page=size == "phone")
    if os.environ.get("LEARN_DOCS_SCREENSHOT") and size == "desktop":  # `make docs-screenshot`: the README's
        page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.leaflet-tile')].every(i => i.complete)"
        )
        page.screenshot(path=str(REPO / "docs" / "screenshot-compare.png"))
    # A's period changes: B stays B (its own period), the bars follow A
    page.select_option("#start-select", str(years[0]))
    wait_report(page, place, start=years[0])
    check_compare_view(page, server, place, b, (years[0], years[-1]))
    # cleared: B's outline, tags and key leave the map, the bars the panel, the comparison the address
    page.click(".compare-clear")
    expect(page.locator("#compare-result canvas")).to_have_count(0)
    expect(page.locator(".compare-key")).to_have_count(0)
    expect(page.locator(".leaflet-tooltip.compare-tag-b")).to_have_count(0)
    b_path = page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{b["id"]}"]')
    assert b_path.get_attribute("stroke") == "#333"
    assert "compare" not in parse_qs(urlparse(page.url).query)
    # Back: the comparison returns from the address
    page.go_back()
    check_compare_view(page, server, place, b, (years[0], years[-1]))
    context.close()
    assert not errors, errors


@pytest.mark.parametrize("size", SIZES)
def test_a_shared_link_opens_the_comparison(browser, server, boundaries, place, size):
    b = other_jurisdiction(boundaries, place)
    years = get(server, f"/api/regions/{REGION}")["years"]
    start, end = years[0], years[-1]
    context = browser.new_context(viewport=SIZES[size], base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    link = f"?region={REGION}&boundary={place}&compare={b['id']}&compare_start={years[1]}&compare_end={end}"
    open_map(page, f"{link}&start={start}&end={end}")
    wait_report(page, place)
    check_compare_view(page, server, place, b, (years[1], end))
    # the form says what B is
    assert page.locator("#compare").get_attribute("open") is not None
    assert page.locator("#compare-boundary").input_value() == b["id"]
    assert page.locator("#compare-start").input_value() == str(years[1])
    context.close()
    assert not errors, errors


def test_a_link_with_an_unknown_b_says_so(page, place):
    page.goto(f"/?region={REGION}&boundary={place}&compare=nosuch")
    page.wait_for_selector("body[data-ready=true]")
    wait_report(page, place)
    expect(page.locator("#alert-text")).to_contain_text("comparison")
    expect(page.locator(".compare-key")).to_have_count(0)


def test_your_own_area_against_a_jurisdiction(page, server, boundaries, place, tmp_path):
    """A = an uploaded area (its purple outline, tagged "A"), B = a jurisdiction: B's bars are B's report."""
    feature = next(f for f in boundaries if f["properties"]["id"] == place)
    feature = {**feature, "properties": {"name": "My study area"}}
    path = tmp_path / "my_area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    open_map(page)
    page.set_input_files("#upload-input", str(path))
    wait_report(page, "custom", timeout=60_000)
    b = other_jurisdiction(boundaries, place)
    start, end = get(server, f"/api/regions/{REGION}")["default_period"]
    page.locator("#compare summary").click()
    page.select_option("#compare-boundary", b["id"])
    page.click("#compare-go")
    result = page.locator(f'#compare-result[data-state=ready][data-compare="{b["id"]}"]')
    result.wait_for()
    expect(page.locator(".compare-key .key-a")).to_contain_text(f"A My study area {start}–{end}")
    expect(page.locator(".leaflet-tooltip.compare-tag-a")).to_contain_text("A: My study area")
    expect(page.locator(".leaflet-tooltip.compare-tag-b")).to_contain_text(f"B: {b['name']}")
    bars = result.locator("canvas").evaluate(BARS)
    cats = [label.removesuffix(" (net)") for label in bars["labels"][:-3]]
    rep_b = get(server, f"/api/regions/{REGION}/inventory", boundary=b["id"], start=start, end=end)
    assert bars["b"] == pytest.approx(expected_bars(rep_b, cats), rel=1e-12)
    area = parse_qs(urlparse(page.url).query)
    assert area["compare"] == [b["id"]] and "area" in area  # the stored area and B: one link
