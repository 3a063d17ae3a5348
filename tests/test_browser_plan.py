"""The Plan tab (issue 24) in the real headless browser of ``test_browser`` (same server, browser and page fixtures:
a page fails its test on any console or page error): business as usual and the scenario of the measures on the
form, drawn with their 90 % bands, the sentence, the numbers equal to ``POST /api/regions/{region}/pathways``, the
scenario in the address, the server's CSV, XLSX and PDF, the keyboard and the API's errors (more in
test_browser_plan_views.py)."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import csv
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from test_browser import (  # noqa: F401  (fixtures)
    REGION,
    browser,
    open_map,
    page,
    server,
    wait_report,
)

COUNTY = "99001"  # Alder County
# The first request of a jurisdiction computes its baseline and every period's report: a generous wait.
PLAN_TIMEOUT_MS = 120_000
BAU = "Business as usual"
DEFAULT_MEASURES = [
    {"avoid_forest_conversion": {"share": 0.5, "from": 2025}},
    {"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}},
]

CHART = """el => {
  const chart = Chart.getChart(el.querySelector('canvas'));
  return { labels: chart.data.labels,
           datasets: chart.data.datasets.map(d => ({ role: d.role, scenario: d.scenario, label: d.label, data: d.data,
                                                     fill: d.fill, band: d.backgroundColor })),
           legend: chart.legend.legendItems.map(i => i.text) };
}"""


def post(base: str, path: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        f"{base}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def about(v: float) -> str:
    """The sentence's rounding: 3 significant digits, thousands separators."""
    return f"{float(f'{v:.3g}'):,.0f}"


def open_plan(page: Any, query: str) -> Any:
    open_map(page, query)
    return wait_plan(page)


def wait_plan(page: Any, renders: str | None = None) -> Any:
    """Wait for the Plan tab's pathway (a newer one than render number ``renders``), or fail with its message."""
    page.wait_for_function(
        """r => { const el = document.querySelector('#plan');
                  return el.dataset.state === 'error' || (el.dataset.state === 'ready' && el.dataset.renders !== r); }""",
        arg=renders,
        timeout=PLAN_TIMEOUT_MS,
    )
    plan = page.locator("#plan")
    if plan.get_attribute("data-state") == "error":
        pytest.fail(f"the Plan tab shows an error: {plan.locator('.plan-result').text_content()}")
    return plan


def change(page: Any, action: Any) -> Any:
    """Do ``action`` on the form and wait for the pathway it asks for."""
    renders = page.locator("#plan").get_attribute("data-renders")
    action()
    return wait_plan(page, renders)


def shown_request(plan: Any, boundary: str = COUNTY) -> dict[str, Any]:
    """The request body of the pathway the tab shows (its target year and measures)."""
    return {
        "boundary": boundary,
        "baseline": [int(y) for y in plan.get_attribute("data-baseline").split("_")],
        "to": int(plan.get_attribute("data-to")),
        "scenarios": [
            {"name": "With these measures", "measures": json.loads(plan.get_attribute("data-measures"))}
        ],
    }


def check_numbers_are_the_apis(plan: Any, p: dict[str, Any]) -> None:
    """Chart, sentence, milestones and yearly table of the tab = the API's pathway."""
    bau, scenario = p["scenarios"]
    assert bau["name"] == BAU
    chart = plan.evaluate(CHART)
    assert chart["labels"] == [str(r["year"]) for r in bau["series"]]
    assert chart["legend"] == ["Business as usual", "With these measures"]
    for s, name in ((bau, BAU), (scenario, "With these measures")):
        drawn = {d["role"]: d for d in chart["datasets"] if d["scenario"] == name}
        assert set(drawn) == {"net", "band-high", "band-low"}
        assert drawn["net"]["data"] == [r["net_t_co2e_per_yr"] for r in s["series"]]
        assert drawn["band-high"]["data"] == [r["net_p95_t_co2e_per_yr"] for r in s["series"]]
        assert drawn["band-low"]["data"] == [r["net_p05_t_co2e_per_yr"] for r in s["series"]]
        assert drawn["band-high"]["fill"] == "+1"  # shaded down to the 5th percentile line drawn next
        assert (
            drawn["band-high"]["band"].startswith("rgba(")
            and drawn["band-high"]["band"] != "rgba(0, 0, 0, 0)"
        )
    year = str(p["end_year"])
    sent = plan.locator(".plan-sentence")
    assert float(sent.get_attribute("data-value")) == scenario["reduction_vs_bau_t_co2e"][year]
    assert float(sent.get_attribute("data-p05")) == scenario["reduction_vs_bau_p05_t_co2e"][year]
    assert float(sent.get_attribute("data-p95")) == scenario["reduction_vs_bau_p95_t_co2e"][year]
    lo, hi = scenario["reduction_vs_bau_p05_t_co2e"][year], scenario["reduction_vs_bau_p95_t_co2e"][year]
    assert " ".join(sent.text_content().split()) == (
        f"By {year} these measures avoid about {about(scenario['reduction_vs_bau_t_co2e'][year])} t CO₂e "
        f"(90 %: {about(lo)} to {about(hi)}) compared with business as usual."
    )
    rows = plan.locator("table.plan-milestones tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.year)") == sorted(bau["cumulative_net_t_co2e"])
    cells = rows.evaluate_all(
        "rs => rs.map(r => [...r.querySelectorAll('td[data-value]')].map(c => Number(c.dataset.value)))"
    )
    assert cells == [
        [
            bau["cumulative_net_t_co2e"][y],
            scenario["cumulative_net_t_co2e"][y],
            scenario["reduction_vs_bau_t_co2e"][y],
        ]
        for y in sorted(bau["cumulative_net_t_co2e"])
    ]
    table = plan.locator("table.plan-years tbody tr")
    assert table.count() == len(bau["series"])
    nets = table.evaluate_all(
        "rs => rs.map(r => [...r.querySelectorAll('td[data-value]')].map(c => Number(c.dataset.value)))"
    )
    assert nets == [
        [b["net_t_co2e_per_yr"], s["net_t_co2e_per_yr"], s["forest_ha"], s["nonforest_tree_canopy_ha"]]
        for b, s in zip(bau["series"], scenario["series"], strict=True)
    ]


def band_is_painted(plan: Any, scenario: str) -> list[int]:
    """The canvas pixel halfway between the scenario's line and its 5th percentile, in a late year: the band's."""
    return list(
        plan.evaluate(
            """(el, name) => {
              const chart = Chart.getChart(el.querySelector('canvas'));
              const i = chart.data.labels.length - 3;
              const ds = chart.data.datasets;
              const net = ds.find(d => d.scenario === name && d.role === 'net').data[i];
              const low = ds.find(d => d.scenario === name && d.role === 'band-low').data[i];
              const x = chart.scales.x.getPixelForValue(i), y = chart.scales.y.getPixelForValue((net + low) / 2);
              const r = window.devicePixelRatio || 1;
              return [...chart.ctx.getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data];
            }""",
            scenario,
        )
    )


def test_plan_tab_draws_both_pathways_with_bands_and_the_apis_numbers(page, server):
    page.set_viewport_size({"width": 1400, "height": 900})
    open_map(page, f"?region={REGION}&boundary={COUNTY}")
    wait_report(page, COUNTY)
    assert page.locator("#plan").is_hidden()
    page.get_by_role("tab", name="Plan").click()
    assert page.locator("#report").is_hidden()
    plan = wait_plan(page)
    assert page.get_by_role("tab", name="Plan").get_attribute("aria-selected") == "true"
    assert json.loads(plan.get_attribute("data-measures")) == DEFAULT_MEASURES
    assert plan.get_attribute("data-to") == "2050"
    p = post(server, f"/api/regions/{REGION}/pathways", shown_request(plan))
    check_numbers_are_the_apis(plan, p)
    r, g, b, alpha = band_is_painted(plan, "With these measures")
    assert alpha > 0 and g > r and g > b, (r, g, b, alpha)  # the green band, not an empty canvas
    assert "Alder County: 2022–2050" in plan.locator(".plan-title").text_content()
    assert "SYNTHETIC" in plan.locator(".plan-warnings").text_content()
    assert plan.locator(".plan-trees").count() == 0  # no canopy goal: no trees to plant
    assert (
        "tab=plan" in page.url
        and "plan_avoid=50_2025" in page.url
        and "plan_reforest=10_2025_2034" in page.url
    )


def test_changing_a_measure_updates_the_sentence_trees_and_link(page, server):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan")
    before = plan.locator(".plan-sentence").text_content()
    plan = change(page, lambda: page.get_by_role("checkbox", name="Tree canopy goal").check())
    after = plan.locator(".plan-sentence").text_content()
    assert after != before
    p = post(server, f"/api/regions/{REGION}/pathways", shown_request(plan))
    scenario = p["scenarios"][1]
    assert {"canopy_goal": {"percent": 40.0, "by": 2040, "crown_area_m2": 55.74}} in scenario["measures"]
    check_numbers_are_the_apis(plan, p)
    trees = plan.locator(".plan-trees")
    assert float(trees.get_attribute("data-value")) == scenario["trees_to_plant"]
    assert f"about {about(scenario['trees_to_plant'])} trees" in " ".join(trees.text_content().split())
    assert "plan_canopy=40_2040" in page.url
    # a field typed in: the pathway follows on Enter
    page.fill("#plan-reforest-ha", "200")
    plan = change(page, lambda: page.press("#plan-reforest-ha", "Enter"))
    assert {"reforest": {"ha_per_yr": 200, "from": 2025, "to": 2034}} in json.loads(
        plan.get_attribute("data-measures")
    )
    assert plan.locator(".plan-sentence").text_content() != after
    check_numbers_are_the_apis(plan, post(server, f"/api/regions/{REGION}/pathways", shown_request(plan)))
    assert "plan_reforest=200_2025_2034" in page.url


def test_the_share_link_restores_the_scenario(page, browser, server):
    query = (
        f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_to=2040&plan_base=2016_2019"
        "&plan_reforest=25_2026_2030&plan_protect=30_2026"
    )
    plan = open_plan(page, query)
    assert plan.get_attribute("data-baseline") == "2016_2019"
    assert page.input_value("#plan-base") == "2016_2019"
    assert "2016–2019" in plan.locator(".plan-note").text_content()
    assert page.get_by_role("tab", name="Plan").get_attribute("aria-selected") == "true"
    assert (
        not page.locator("#plan-avoid-on").is_checked() and not page.locator("#plan-canopy-on").is_checked()
    )
    assert page.locator("#plan-avoid-share").is_disabled()
    assert [
        page.input_value(f"#plan-{f}")
        for f in ("reforest-ha", "reforest-from", "reforest-to", "protect-share")
    ] == [
        "25",
        "2026",
        "2030",
        "30",
    ]
    assert page.input_value("#plan-to") == "2040"
    assert json.loads(plan.get_attribute("data-measures")) == [
        {"reforest": {"ha_per_yr": 25, "from": 2026, "to": 2030}},
        {"protect_canopy": {"share": 0.3, "from": 2026}},
    ]
    p = post(server, f"/api/regions/{REGION}/pathways", shown_request(plan))
    assert p["end_year"] == 2040 and p["baseline_period"] == [2016, 2019]
    check_numbers_are_the_apis(plan, p)
    # round trip: the address after an edit opens the same pathway in another browser
    plan = change(page, lambda: page.check("#plan-avoid-on"))
    link, sentence = page.url, plan.locator(".plan-sentence").text_content()
    other = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        pg = other.new_page()
        pg.goto(link)
        pg.wait_for_selector("#plan[data-state=ready]", timeout=PLAN_TIMEOUT_MS)
        assert pg.locator(".plan-sentence").text_content() == sentence
        assert pg.locator("#plan").get_attribute("data-measures") == plan.get_attribute("data-measures")
    finally:
        other.close()


def test_downloads_are_the_pathway_csv_and_xlsx(page, tmp_path):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_to=2035&plan_avoid=50_2025")
    years = plan.locator("table.plan-years tbody tr").count()
    assert years == 2035 - 2021
    with page.expect_download() as dl:
        plan.locator(".plan-downloads button[data-format=csv]").click()
    assert dl.value.suggested_filename == "learn_99001_Alder_County_pathways_2019_2021_to2035.csv"
    with Path(dl.value.path()).open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["boundary_id", "boundary_name", "scenario", "year"]
    assert "net_p05_t_co2e_per_yr" in rows[0] and "trees_planted" in rows[0]
    assert len(rows) - 1 == 2 * years  # scenarios × years
    assert [r[2] for r in rows[1:]] == [BAU] * years + ["With these measures"] * years
    net = rows[0].index("net_t_co2e_per_yr")
    shown = plan.locator("table.plan-years tbody tr").evaluate_all(
        "rs => rs.map(r => Number(r.querySelectorAll('td[data-value]')[1].dataset.value))"
    )
    assert [float(r[net]) for r in rows[1 + years :]] == pytest.approx(shown, rel=1e-9)
    with page.expect_download() as dl:
        plan.locator(".plan-downloads button[data-format=xlsx]").click()
    assert dl.value.suggested_filename.endswith("_to2035.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()), read_only=True)
    assert len(list(book["Pathways"].iter_rows(values_only=True))) - 1 == 2 * years
    assert "downloaded" in plan.locator(".plan-download-status").text_content()
    # the printable report of the baseline period with this pathway, as the server's PDF
    with page.expect_download(timeout=PLAN_TIMEOUT_MS) as dl:
        plan.locator('.plan-downloads button[data-format=pdf][data-paper="a4"]').click()
    assert dl.value.suggested_filename == "learn_99001_Alder_County_pathways_2019_2021_to2035_a4.pdf"
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")


# The focused element and whether it shows a focus ring (an outline of 2 px or more: the page's :focus-visible).
FOCUSED = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  return { id: e.id, ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 }; }"""


def tab_to(page: Any, element_id: str, key: str = "Tab", limit: int = 120) -> None:
    """Press ``key`` until the element ``element_id`` has the focus; every stop on the way shows a focus ring."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        f = page.evaluate(FOCUSED)
        stops.append(f["id"])
        if f["id"] == element_id:
            assert f["ring"], f"no focus ring on #{element_id}"
            return
    raise AssertionError(f"#{element_id} not reached by {key} in {limit} stops: {stops}")


def test_the_plan_is_keyboard_operable(page):
    """Only the keyboard, from the top of the page: Tab to the tabs, an arrow key to the Plan, Tab through the
    form, Space to turn a measure on, digits and Enter to change it, Shift+Tab back and Home to the Inventory."""
    open_map(page, f"?region={REGION}&boundary={COUNTY}")
    wait_report(page, COUNTY)
    tab_to(page, "tab-report")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED) == {"id": "tab-plan", "ring": True}
    assert page.locator("#tab-plan").get_attribute("aria-selected") == "true"
    plan = wait_plan(page)
    before = plan.locator(".plan-sentence").text_content()
    tab_to(page, "plan-protect-on", limit=30)  # through the baseline, the year and the measures' fields
    plan = change(page, lambda: page.keyboard.press("Space"))
    assert page.locator("#plan-protect-on").is_checked()
    assert {"protect_canopy": {"share": 0.5, "from": 2025}} in json.loads(plan.get_attribute("data-measures"))
    assert plan.locator(".plan-sentence").text_content() != before
    tab_to(page, "plan-protect-share", limit=1)
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    plan = change(page, lambda: page.keyboard.press("Enter"))
    assert {"protect_canopy": {"share": 0.8, "from": 2025}} in json.loads(plan.get_attribute("data-measures"))
    tab_to(page, "plan-to", key="Shift+Tab", limit=30)
    page.keyboard.press("ArrowDown")  # a number field's arrow keys step the year
    plan = change(page, lambda: page.keyboard.press("Enter"))
    assert plan.get_attribute("data-to") == "2049"
    tab_to(page, "tab-plan", key="Shift+Tab", limit=10)
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED) == {"id": "tab-report", "ring": True}
    assert page.locator("#tab-report").get_attribute("aria-selected") == "true"
    assert page.locator("#report").is_visible() and page.locator("#plan").is_hidden()
    assert "tab=plan" not in page.url


def test_api_errors_are_plain_messages(page):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan")
    page.fill("#plan-to", "2200")
    page.press("#plan-to", "Enter")
    page.wait_for_selector("#plan[data-state=error]", timeout=PLAN_TIMEOUT_MS)
    text = " ".join(plan.locator(".plan-result").text_content().split())
    assert text == (
        "The pathway could not be computed: The pathway must end after the baseline's end year 2021 and by 2100 "
        "(got 2200)"
    )
    assert (
        plan.locator("canvas").count() == 0 and plan.locator(".plan-sentence").count() == 0
    )  # no stale numbers
    page.fill("#plan-to", "2050")
    plan = change(page, lambda: page.press("#plan-to", "Enter"))
    page.fill("#plan-reforest-from", "2030")
    page.fill("#plan-reforest-to", "2026")
    page.press("#plan-reforest-to", "Enter")
    page.wait_for_selector("#plan[data-state=error]", timeout=PLAN_TIMEOUT_MS)
    text = " ".join(plan.locator(".plan-result").text_content().split())
    assert "'to' (2026) is before 'from' (2030)" in text
    for developer in ("Traceback", "--", "{", "docs/", "api/"):
        assert developer not in text
    page.fill("#plan-reforest-ha", "")
    page.press("#plan-reforest-ha", "Enter")
    assert "Enter a number in “Hectares reforested per year”" in plan.locator(".plan-result").text_content()
    page.fill("#plan-reforest-ha", "10")
    page.fill("#plan-avoid-share", "150")
    page.press("#plan-avoid-share", "Enter")
    assert (
        "“Share of forest loss avoided, percent” must be between 0 and 100."
        in plan.locator(".plan-result").text_content()
    )
    # the browser logs the failed requests itself; those are expected
    page.errors[:] = [e for e in page.errors if "Failed to load resource" not in e]
