"""No zero where nothing was estimated (issue 26 item 8), in headless Chromium against ``learn serve``.

A region with land cover only (as a first `learn fetch` without forest sources can leave one): no carbon pools,
factor tables, canopy or disturbance, so no inventory row can be computed. The map's sentence, cards, table,
all-jurisdictions table and shading say "not estimated" (grey), never 0, and the legend has no "−0" classes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import RegionFactory, pixel_box
from playwright.sync_api import expect
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, get, serving

GREY = "#bdbdbd"


@pytest.fixture
def land_cover_only(make_region: RegionFactory, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """`learn serve` on region "t" (land cover 2011 and 2019 only, two boundaries) and a page on its map."""
    from playwright.sync_api import sync_playwright

    lc_2011 = np.full((40, 40), 41, dtype=np.uint8)
    lc_2011[:, 20:] = 82  # east half cropland
    lc_2019 = lc_2011.copy()
    lc_2019[:5, :5] = 21  # a little forest became settlement
    cat = make_region(
        {2011: lc_2011, 2019: lc_2019},
        boundaries=[("W", "Westwood", pixel_box(0, 0, 40, 20)), ("E", "Eastfield", pixel_box(0, 20, 40, 40))],
    )
    with serving(cat, tmp_path / "serve.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, base_url=base)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield base, page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_land_cover_only.png"))
        browser.close()
        assert not errors, errors


def test_land_cover_only_region_says_not_estimated_never_zero(land_cover_only):
    base, page = land_cover_only
    summary = get(base, "/api/regions/t/summary", start=2011, end=2019)["boundaries"]
    assert all(b["net_t_co2e_per_yr"] == 0 and not b["totals_complete"] for b in summary)  # the API's zeros
    page.goto("/?region=t&start=2011&end=2019")
    page.wait_for_selector("body[data-ready=true]")
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text("not estimated")
    # every jurisdiction grey, the legend one class: no "−1 to −0", "−0 to 0" or "0 to 1"
    paths = page.locator(".leaflet-boundaries-pane path[data-boundary-id]")
    expect(paths).to_have_count(2)
    assert set(paths.evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")) == {GREY}
    assert legend.locator(".legend-list li").all_text_contents() == ["not estimated"]
    assert "−0" not in legend.text_content() and "0 to" not in legend.text_content()
    # no "partial total" dash legend for a total with nothing in it
    assert page.locator(".legend-partial").count() == 0
    assert paths.evaluate_all("ps => ps.every(p => !p.getAttribute('stroke-dasharray'))")

    paths.first.hover()
    expect(page.locator(".boundary-tip")).to_contain_text("not estimated")
    page.locator("summary", has_text="All jurisdictions").click()
    cells = page.locator("#summary-table td.not-estimated")
    expect(cells).to_have_count(4)  # net and net per hectare of both

    page.locator('.leaflet-boundaries-pane path[data-boundary-id="W"]').click()
    page.wait_for_selector('#report[data-state=ready][data-boundary="W"]')
    for metric in ("emissions", "removals", "net"):
        card = page.locator(f".card-{metric} .card-value")
        expect(card).to_have_text("not estimated")
        assert card.get_attribute("data-value") == ""
    assert page.locator("#report .card-interval").count() == 0
    sentence = page.locator("#report .plain-sentence").text_content()
    assert "not estimated" in sentence and "net 0" not in sentence and "took up 0" not in sentence
    total = page.locator("table.inventory tr.total td")
    assert total.all_text_contents()[1:] == ["not estimated"] * 3
    expect(page.locator("table.ipcc tr.total td")).to_have_text("not estimated")
    shares = page.locator("#report .shares").text_content()
    assert "Gross emissions: not estimated" in shares and "Gross removals: not estimated" in shares
    expect(page.locator("#report .partial-note")).to_contain_text("Forest Change — To Settlement")
    # a comparison and a trend of such reports: gaps ("—"), not zeros
    report = get(base, "/api/regions/t/inventory", boundary="W", start=2011, end=2019)
    trend = get(base, "/api/regions/t/trend", boundary="W")
    shown = page.evaluate(
        """async ([report, trend]) => {
          const { compareTable } = await import('/compare.js');
          const { trendSeries } = await import('/trend.js');
          const div = document.createElement('div');
          div.innerHTML = compareTable(report, report);
          const cells = [...div.querySelectorAll('tbody tr')].slice(1, 5)
            .map(tr => [...tr.querySelectorAll('td')].slice(0, 2).map(td => td.textContent));
          return { cells, net: trendSeries(trend, false).net };
        }""",
        [report, trend],
    )
    assert shown["cells"] == [["—", "—"]] * 4, shown
    assert shown["net"] == [None] * len(trend["periods"])
    # the PDF and HTML reports say the same words (learn/report/labels.py)
    from learn.report.labels import plain_sentence
    from learn.report.models import Report

    assert plain_sentence(Report.model_validate(report)) == " ".join(sentence.split())


def test_legend_classes_of_degenerate_ranges(land_cover_only):
    """The legend lists only the classes painted, with enough decimals that no break reads "−0"."""
    _, page = land_cover_only
    page.goto("/?region=t")
    page.wait_for_selector("body[data-ready=true]")
    rows = page.evaluate(
        """async () => {
          const { legendRows, breaksFor } = await import('/choropleth.js');
          const labels = (values, perHa = false) =>
            legendRows(breaksFor(values), values, perHa).map(([, label]) => label);
          return {
            zeros: labels([0, 0, 0]),
            none: labels([null, null]),
            sinks: labels([-5, -50, -500]),
            zeroAndSources: labels([0, 3, 30, 300, null]),
            tinyPerHa: labels([-0.004, 0.004, 0.0004], true),
          };
        }"""
    )
    assert rows["zeros"] == ["0"]
    assert rows["none"] == ["not estimated"]
    assert rows["sinks"] == ["≤ −500", "−500 to −50", "−50 to 0"]
    assert rows["zeroAndSources"] == ["0", "0 to 30", "30 to 300", "≥ 300", "not estimated"]
    for label in rows["tinyPerHa"]:
        assert "−0 " not in label and not label.endswith("−0") and "0.00 to" not in label, rows["tinyPerHa"]
