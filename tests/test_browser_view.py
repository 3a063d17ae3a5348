"""Issue 26 item 3 in the real headless browser of ``test_browser`` (same server, browser and page fixtures: a page
fails its test on any console or page error): the row chart's labels never overlap, negative emissions are a
labelled adjustment, the period selects work in either order, per hectare and the layers are in the address,
and the phone layout keeps the map usable (collapsible legend and layers, the inventory table scrolls sideways).
The PDF names and progress are in ``test_browser.test_pdf_links_download_the_servers_pdf_on_letter_and_a4``."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    REGION,
    TIMEOUT_MS,
    boundaries,
    browser,
    get,
    open_map,
    page,
    place,
    select,
    server,
    wait_report,
)

# Per chart: the rows, the pixels between two rows' centres and the lines of the tallest label.
ROW_CHART = """c => { const ch = Chart.getChart(c); const y = ch.scales.y;
  const n = ch.data.labels.length;
  return { n, ticks: y.ticks.length, spacing: (y.bottom - y.top) / n,
           lines: Math.max(...ch.data.labels.map(l => Array.isArray(l) ? l.length : 1)),
           lineHeight: y.options.ticks.font.lineHeight * y.options.ticks.font.size,
           datasets: ch.data.datasets.map(d => ({ label: d.label, data: d.data })) }; }"""


@pytest.mark.parametrize("width", [1400, 1000, 600, 390])
def test_row_chart_labels_never_overlap(page, place, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_map(page)
    select(page, place)
    chart = page.locator("#report .chart-box canvas").first.evaluate(ROW_CHART)
    assert chart["ticks"] == chart["n"] == 12  # every row labelled, none skipped
    # each row has room for every line of the tallest label (the chart grows with its rows)
    assert chart["spacing"] >= chart["lines"] * chart["lineHeight"], chart
    # and the labels fit the panel: no label's line is cut (at most 16 characters a line, broken at spaces)
    labels = page.locator("#report .chart-box canvas").first.evaluate(
        "c => Chart.getChart(c).data.labels.flat()"
    )
    assert all(len(line) <= 16 or " " not in line for line in labels), labels


def test_negative_emissions_are_a_labelled_adjustment(page, server, place):
    """A report with a negative insect/disease emission (negative insect factors), as the printable page shows a
    stored report: the row is an adjustment under the gross emissions bar and its own bar in the chart, never a
    negative share."""
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=2011, end=2019)
    changed = copy.deepcopy(report)
    insect = next(r for r in changed["inventory"] if r["type"] == "Insect/Disease")
    insect.update(emissions_t_co2e_per_yr=-20.0, net_t_co2e_per_yr=-20.0)
    side = changed["shares"]["gross_emissions"]
    rows = [r for r in side["rows"] if r["type"] != "Insect/Disease"]
    total = sum(r["t_co2e_per_yr"] for r in rows) - 20.0
    rows.append(
        {"category": insect["category"], "type": "Insect/Disease", "t_co2e_per_yr": -20.0, "percent": None}
    )
    for r in rows:
        r["percent"] = 100 * r["t_co2e_per_yr"] / total
    side.update(total_t_co2e_per_yr=total, rows=rows)
    page.goto("/report.html?stored=none")
    page.evaluate("r => localStorage.setItem('learn-report-neg', r)", json.dumps(changed))
    page.goto("/report.html?stored=neg")
    page.wait_for_selector("#report[data-state=ready]")
    emissions = page.locator('#report .share-side[data-side="emissions"]')
    adjustment = emissions.locator(".share-adjustments li")
    expect(adjustment).to_have_count(1)
    expect(adjustment).to_contain_text("Adjustment: Forest Remaining Forest — Insect/Disease")
    expect(adjustment).to_contain_text("-20")
    expect(emissions).to_contain_text("not as a share")
    shares = emissions.locator(".share-list li").evaluate_all("ls => ls.map(l => Number(l.dataset.percent))")
    assert shares and all(p > 0 for p in shares) and sum(shares) == pytest.approx(100.0)
    assert "Insect/Disease" not in emissions.locator(".share-list").text_content()
    chart = page.locator("#report .chart-box canvas").first.evaluate(ROW_CHART)
    by_label = {d["label"]: d["data"] for d in chart["datasets"]}
    i = [r["type"] for r in report["inventory"] if r["category"] != "Total"].index("Insect/Disease")
    assert by_label["Adjustment (negative emissions)"][i] == -20.0
    assert by_label["Emissions"][i] == 0


def test_period_selects_work_in_either_order(page, server, place):
    years = get(server, f"/api/regions/{REGION}")["years"]
    open_map(page)
    select(page, place)
    end = int(page.locator("#end-select").input_value())
    later = next(y for y in years if y >= end and y != years[-1])  # a "from" at or after "to"
    assert page.locator(f'#start-select option[value="{later}"]').get_attribute("disabled") is None
    page.select_option("#start-select", str(later))
    moved = years[years.index(later) + 1]
    wait_report(page, place, start=later, end=moved)  # "to" moved to the next year
    assert page.locator("#end-select").input_value() == str(moved)
    assert page.locator("#alert").is_hidden()
    earlier = years[1]  # a "to" before "from": "from" moves back
    page.select_option("#end-select", str(earlier))
    wait_report(page, place, start=years[0], end=earlier)
    assert page.locator("#start-select").input_value() == str(years[0])
    assert f"start={years[0]}" in page.url and f"end={earlier}" in page.url


def test_per_hectare_and_layers_are_in_the_address(page, browser, server, place):
    open_map(page, f"?region={REGION}&boundary={place}")
    wait_report(page, place)
    page.get_by_label("per hectare").check()
    expect(page).to_have_url(re.compile(r"[?&]perha=1"))
    page.locator(".layer-control summary").click()
    page.get_by_role("checkbox", name="Forest change").check()
    expect(page).to_have_url(re.compile(r"[?&]layers=[^&]*forest_change"))
    link = page.url
    # the link in another browser: the same view
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    other.set_default_timeout(TIMEOUT_MS)
    try:
        pg = other.new_page()
        pg.goto(link)
        pg.wait_for_selector("body[data-ready=true]")
        wait_report(pg, place)
        assert pg.locator("#per-ha").is_checked()
        expect(pg.locator(".card-net .card-unit")).to_contain_text("ha/yr")
        expect(pg.locator(".map-legend")).to_contain_text("t CO₂e/ha/yr")
        box = pg.locator('.layer-entry[data-layer="forest_change:period"] input[type=checkbox]')
        assert box.is_checked()
        assert pg.locator(".tiles-forest_change").count() == 1
    finally:
        other.close()
    page.get_by_label("per hectare").uncheck()
    expect(page).not_to_have_url(re.compile("perha"))


def test_phone_layout_collapsible_legend_and_layers_scrolling_table(browser, server, place):
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
        legend = pg.locator(".map-legend details.legend-details")
        assert legend.get_attribute("open") is None  # closed on a phone: its title only
        assert pg.locator(".layer-control details").get_attribute("open") is None
        map_box = pg.locator("#map").bounding_box()
        small = pg.locator(".map-legend").bounding_box()
        assert small["width"] * small["height"] < 0.05 * map_box["width"] * map_box["height"]
        pg.locator(".map-legend summary").tap()
        expect(pg.locator(".map-legend .legend-list")).to_be_visible()
        pg.locator(".map-legend summary").tap()
        expect(pg.locator(".map-legend .legend-list")).to_be_hidden()
        pg.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{place}"]').tap()
        wait_report(pg, place)
        holder = pg.locator("#report section.scroll-x:has(table.inventory)")
        sizes: Any = holder.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] > sizes[1], sizes  # the table scrolls sideways inside its box ...
        assert pg.evaluate(
            "document.querySelector('#panel').scrollWidth <= document.querySelector('#panel').clientWidth"
        )
        holder.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        net = pg.locator("table.inventory thead th").last
        assert net.text_content() == "Net"
        right = holder.bounding_box()
        cell = net.bounding_box()
        assert cell["x"] + cell["width"] <= right["x"] + right["width"] + 1  # ... to its Net column
        assert not errors, errors
    finally:
        context.close()
