"""The report panel's headline shares and trend chart (issue 14) in the real headless browser of ``test_browser``
(same server, browser and page fixtures: a page fails its test on any console or page error)."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

from typing import Any

import pytest
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

# The trend computes every period of a jurisdiction (8 reports) on its first request: a generous wait.
TREND_TIMEOUT_MS = 120_000

CHART = """box => {
  const chart = Chart.getChart(box.querySelector('canvas'));
  return { labels: chart.data.labels.map(l => l.join('')),
           datasets: chart.data.datasets.map(d => ({ label: d.label, type: d.type, data: d.data })) };
}"""


def wait_trend(page: Any, boundary: str) -> Any:
    box = page.locator(f'#report .trend-box[data-state=ready][data-boundary="{boundary}"]')
    box.wait_for(timeout=TREND_TIMEOUT_MS)
    return box


def check_chart_is_the_api_trend(
    page: Any, server: str, boundary: str, per_ha: bool = False
) -> dict[str, Any]:
    trend = get(server, f"/api/regions/{REGION}/trend", boundary=boundary)
    box = wait_trend(page, boundary)
    chart = box.evaluate(CHART)
    periods = trend["periods"]
    assert len(periods) >= 2
    assert chart["labels"] == [f"{p['start']}–{p['end']}" for p in periods]  # one group per period
    scale = [p["area_ha"] if per_ha else 1.0 for p in periods]
    bars = [d for d in chart["datasets"] if d["type"] == "bar"]
    assert [d["label"] for d in bars] == trend["categories"]
    for d in bars:
        want = [r["net_t_co2e_per_yr"] for r in trend["rows"] if r["category"] == d["label"]]
        assert d["data"] == pytest.approx([w / s for w, s in zip(want, scale, strict=True)], rel=1e-12)
    (line,) = [d for d in chart["datasets"] if d["type"] == "line"]
    assert line["data"] == pytest.approx(
        [p["net_t_co2e_per_yr"] / s for p, s in zip(periods, scale, strict=True)], rel=1e-12
    )
    # The table in <details> holds the same numbers: one row per period, the net in the last numeric column.
    rows = box.locator("table.trend-table tbody tr")
    assert rows.count() == len(periods)
    nets = rows.evaluate_all("rs => rs.map(r => Number(r.querySelectorAll('td.num')[4].dataset.value))")
    assert nets == pytest.approx(line["data"], rel=1e-12)
    assert "Negative = net removal" in box.text_content()
    assert "adjacent land-cover years" in box.text_content()
    return trend


def test_shares_next_to_the_cards_are_the_reports(page, server, place):
    open_map(page)
    select(page, place)
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=2011, end=2019)
    for side, key in (("emissions", "gross_emissions"), ("removals", "gross_removals")):
        items = page.locator(f'#report .shares .share-side[data-side="{side}"] li')
        shown = items.evaluate_all(
            "ls => ls.map(l => [l.dataset.category, l.dataset.type, Number(l.dataset.percent)])"
        )
        want = {
            (r["category"], r["type"]): r["percent"]
            for r in report["shares"][key]["rows"]
            if r["t_co2e_per_yr"]
        }
        assert {(c, t): p for c, t, p in shown} == pytest.approx(want)
        assert sum(p for _, _, p in shown) == pytest.approx(100.0)
        assert items.first.locator(".share-pct").text_content().endswith("%")


def test_trend_chart_has_the_api_numbers_and_follows_the_jurisdiction(page, server, place, boundaries):
    open_map(page)
    select(page, place)
    check_chart_is_the_api_trend(page, server, place)
    county = next(f["properties"]["id"] for f in boundaries if f["properties"].get("kind") == "county")
    page.fill("#search-input", county)
    page.press("#search-input", "Enter")
    wait_report(page, county)
    check_chart_is_the_api_trend(page, server, county)
    page.get_by_label("per hectare").check()
    wait_report(page, county, **{"per-ha": "true"})
    check_chart_is_the_api_trend(page, server, county, per_ha=True)
    assert "t CO₂e/ha/yr" in page.locator("#report .trend-box caption").text_content()


def test_trend_on_a_phone_has_no_sideways_scroll(browser, server, place):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=server
    )
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_map(pg, f"?region={REGION}&boundary={place}")
        wait_report(pg, place)
        box = wait_trend(pg, place)
        box.scroll_into_view_if_needed()
        pg.locator("#report .trend-numbers summary").click()
        widths = pg.evaluate(
            """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                      document.querySelector('#panel').scrollWidth, document.querySelector('#panel').clientWidth,
                      document.querySelector('#report .trend-box canvas').getBoundingClientRect().right,
                      document.querySelector('#report .shares').getBoundingClientRect().right]"""
        )
        page_w, page_client, panel_w, panel_client, canvas_right, shares_right = widths
        assert page_w <= page_client and panel_w <= panel_client, widths
        assert canvas_right <= 390 and shares_right <= 390, widths
        assert not errors, errors
    finally:
        context.close()


# Two periods of a hand-made trend with a 90 % interval, rendered by the map's own module.
HAND_TREND = {
    "region": "t",
    "boundary_id": "A",
    "boundary_name": "Alpha",
    "synthetic": False,
    "periods_rule": "adjacent",
    "units": "t CO2e/yr",
    "categories": ["Forest remaining forest", "Trees outside forests"],
    "periods": [
        {
            "start": 2011,
            "end": 2016,
            "years": 5,
            "area_ha": 10.0,
            "gross_emissions_t_co2e_per_yr": 5.0,
            "gross_removals_t_co2e_per_yr": -45.0,
            "net_t_co2e_per_yr": -40.0,
            "net_p05_t_co2e_per_yr": -50.0,
            "net_p95_t_co2e_per_yr": -30.0,
            "complete": True,
            "not_estimated": [],
        },
        {
            "start": 2016,
            "end": 2019,
            "years": 3,
            "area_ha": 10.0,
            "gross_emissions_t_co2e_per_yr": 20.0,
            "gross_removals_t_co2e_per_yr": -10.0,
            "net_t_co2e_per_yr": 10.0,
            "net_p05_t_co2e_per_yr": None,
            "net_p95_t_co2e_per_yr": None,
            "complete": False,
            "not_estimated": ["x"],
        },
    ],
    "rows": [
        {"start": 2011, "end": 2016, "category": "Forest remaining forest", "net_t_co2e_per_yr": -30.0},
        {"start": 2011, "end": 2016, "category": "Trees outside forests", "net_t_co2e_per_yr": -10.0},
        {"start": 2016, "end": 2019, "category": "Forest remaining forest", "net_t_co2e_per_yr": 15.0},
        {"start": 2016, "end": 2019, "category": "Trees outside forests", "net_t_co2e_per_yr": -5.0},
    ],
    "periods_left_out": [[2001, 2011]],
}


def test_trend_draws_the_interval_and_says_what_is_left_out(page):
    open_map(page)
    got = page.evaluate(
        """async (trend) => {
          const { renderTrend } = await import('./trend.js');
          const box = document.createElement('section');
          document.body.append(box);
          renderTrend(box, trend, { perHa: true, period: { start: 2011, end: 2019 } });
          const line = Chart.getChart(box.querySelector('canvas')).data.datasets.find(d => d.type === 'line');
          const cells = [...box.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()));
          return { intervals: line.intervals, net: line.data, cells, text: box.textContent };
        }""",
        HAND_TREND,
    )
    assert got["net"] == [-4.0, 1.0]  # per hectare: ÷ 10 ha
    assert got["intervals"] == [[-5.0, -3.0], None]
    assert got["cells"] == [["-3.00", "-1.00", "-4.00", "-5.00 to -3.00"], ["1.50", "-0.50", "1.00", "—"]]
    assert "Whiskers: the net's 90 % interval" in got["text"]
    assert "spans 2011–2016, 2016–2019" in got["text"]
    assert "Older periods not shown: 2001–2011" in got["text"]
    assert "2016–2019 (partial)" in got["text"]
