"""The Plan tab (issue 24), continued (see test_browser_plan.py): a partial baseline, your own area, a phone, the
printable report, the selection followed and Back, warnings and a longer baseline, the progress state, and what was
not estimated never shown as 0."""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

import json
from typing import Any

from test_browser import (  # noqa: F401  (fixtures)
    PARTIAL_REGION,
    REGION,
    TIMEOUT_MS,
    boundaries,
    browser,
    open_map,
    page,
    place,
    server,
)
from test_browser_plan import (
    BAU,
    COUNTY,
    PLAN_TIMEOUT_MS,
    change,
    check_numbers_are_the_apis,
    open_plan,
    post,
    shown_request,
    wait_plan,
)


def test_a_partial_baseline_is_said_to_be_partial(page):
    plan = open_plan(page, f"?region={PARTIAL_REGION}&boundary={COUNTY}&tab=plan")
    sentence = " ".join(plan.locator(".plan-sentence").text_content().split())
    assert sentence.startswith("By 2050 these measures avoid about ")
    assert (
        "This is a partial figure: the baseline inventory could not estimate Forest Change: To Grassland and "
        in sentence
    )
    assert "so every year of both pathways leaves them out" in sentence
    assert "leaves out rows it could not estimate" in plan.locator(".plan-warnings").text_content()


def test_plan_of_your_own_area(page, server, boundaries, place, tmp_path):
    feature = next(f for f in boundaries if f["properties"]["id"] == place)
    path = tmp_path / "my_area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    open_map(page)
    page.get_by_role("tab", name="Plan").click()
    assert "Click a jurisdiction on the map" in page.locator("#plan").text_content()
    page.set_input_files("#upload-input", str(path))
    plan = wait_plan(page)
    assert plan.get_attribute("data-boundary") == "custom"
    area = page.locator("#report").get_attribute("data-area")
    assert area and f"area={area}" in page.url
    p = post(
        server, f"/api/regions/{REGION}/pathways", {**shown_request(plan), "boundary": None, "area": area}
    )
    check_numbers_are_the_apis(plan, p)


def test_plan_on_a_phone_has_no_sideways_scroll(browser, server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        base_url=server,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        plan = open_plan(pg, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_canopy=30_2040")
        assert plan.locator(".plan-trees").is_visible()
        plan.locator(".plan-numbers summary").click()
        widths = pg.evaluate(
            """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                      document.querySelector('#panel').scrollWidth, document.querySelector('#panel').clientWidth,
                      document.querySelector('#plan canvas').getBoundingClientRect().right,
                      document.querySelector('#plan-form').getBoundingClientRect().right]"""
        )
        page_w, page_client, panel_w, panel_client, canvas_right, form_right = widths
        assert page_w <= page_client and panel_w <= panel_client, widths
        assert canvas_right <= 390 and form_right <= 390, widths
        with pg.expect_download() as dl:
            plan.locator(".plan-downloads button[data-format=csv]").click()
        assert dl.value.suggested_filename.endswith("_to2050.csv")
        assert not errors, errors
    finally:
        context.close()


def test_the_printable_report_includes_the_pathway(page, server):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_to=2040&plan_canopy=30_2040")
    link = plan.locator(".plan-downloads a[data-format=print]")
    href = link.get_attribute("href")
    assert href.startswith("report.html?") and "boundary=99001" in href and "plan_canopy=30_2040" in href
    body = shown_request(plan)
    page.goto(f"/{href}")
    page.wait_for_selector("body[data-ready=true]")
    box = page.locator(".plan-box[data-state=ready], .plan-box[data-state=failed]")
    box.wait_for(timeout=PLAN_TIMEOUT_MS)
    assert box.get_attribute("data-state") == "ready", box.text_content()
    assert page.locator("#report .report-title").count() == 1  # after the inventory
    text = " ".join(box.text_content().split())
    assert "Measures: tree canopy goal 30 % of non-forest land by 2040." in text
    check_numbers_are_the_apis(box, post(server, f"/api/regions/{REGION}/pathways", body))


def test_the_plan_follows_the_selection_and_back(page, server):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_reforest=50_2025_2030")
    first = plan.locator(".plan-sentence").text_content()
    other = "99003"
    page.fill("#search-input", other)
    page.press("#search-input", "Enter")
    page.wait_for_selector(f'#plan[data-state=ready][data-boundary="{other}"]', timeout=PLAN_TIMEOUT_MS)
    assert page.locator("#plan").is_visible() and page.locator("#report").is_hidden()  # still on the Plan tab
    check_numbers_are_the_apis(
        plan, post(server, f"/api/regions/{REGION}/pathways", shown_request(plan, other))
    )
    assert f"boundary={other}" in page.url and "plan_reforest=50_2025_2030" in page.url
    page.go_back()
    page.wait_for_selector(f'#plan[data-state=ready][data-boundary="{COUNTY}"]', timeout=PLAN_TIMEOUT_MS)
    assert plan.locator(".plan-sentence").text_content() == first
    assert json.loads(plan.get_attribute("data-measures")) == [
        {"reforest": {"ha_per_yr": 50, "from": 2025, "to": 2030}}
    ]


def test_warnings_in_plain_words_and_a_longer_baseline(page, server):
    plan = open_plan(page, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_canopy=100_2040")
    warnings = plan.locator(".plan-warnings li").all_text_contents()
    # a goal beyond the plantable land (the county's water cannot grow trees) is said to be out of reach
    assert any(
        w.startswith("Canopy goal 100 % by 2040 is out of reach: it needs ")
        and "plantable non-forest land" in w
        for w in warnings
    ), warnings
    short = [w for w in warnings if w.startswith("A 2-year baseline")]
    assert short and "a longer baseline (e.g. 2011–2021" in short[0], warnings
    assert not any("docs/" in w for w in warnings), (
        warnings
    )  # the method's documents are not the page's words
    options = page.locator("#plan-base option").evaluate_all("os => os.map(o => o.value)")
    assert options[:3] == ["2019_2021", "2016_2021", "2013_2021"] and "2016_2019" in options
    assert page.locator("#plan-base option").first.text_content() == "2019–2021 (2 years, the latest period)"
    plan = change(page, lambda: page.select_option("#plan-base", "2011_2021"))
    assert plan.get_attribute("data-baseline") == "2011_2021" and "plan_base=2011_2021" in page.url
    assert not any(
        w.startswith("A ") and "-year baseline" in w
        for w in plan.locator(".plan-warnings li").all_text_contents()
    )
    check_numbers_are_the_apis(plan, post(server, f"/api/regions/{REGION}/pathways", shown_request(plan)))
    # back to the latest period: the API's default, left out of the address
    plan = change(page, lambda: page.select_option("#plan-base", "2019_2021"))
    assert plan.get_attribute("data-baseline") == "2019_2021" and "plan_base" not in page.url


def test_a_progress_state_while_the_pathway_computes(page):
    """The request held back (a Playwright route) shows the progress state, then the pathway; no timing involved."""
    held: list[Any] = []
    page.route("**/api/regions/*/pathways", lambda route: held.append(route))
    open_map(page, f"?region={REGION}&boundary={COUNTY}&tab=plan&plan_to=2045")
    page.wait_for_selector("#plan[data-state=loading]")
    note = page.locator("#plan .plan-computing")
    assert note.is_visible() and note.locator(".spinner").count() == 1
    text = " ".join(note.text_content().split())
    assert text.startswith("Computing the pathway of Alder County: business as usual and with these measures")
    assert "a few seconds the first time" in text
    assert page.locator("#plan .plan-status").text_content() == "Computing the plan for Alder County…"
    for _ in range(100):  # the held request reaches the route handler while Playwright processes events
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/api/regions/*/pathways")
    plan = wait_plan(page)
    assert plan.get_attribute("data-to") == "2045" and plan.locator(".plan-computing").count() == 0


def hand_pathway(reduction: float, lo: float, hi: float, complete: bool = True) -> dict[str, Any]:
    """A hand-made pathway document (two years) for the map's own renderers."""
    row = {
        "year": 2022,
        "forest_ha": 10.0,
        "nonforest_ha": 5.0,
        "nonforest_tree_canopy_ha": None,
        "net_t_co2e_per_yr": -1.0,
        "net_p05_t_co2e_per_yr": -2.0,
        "net_p95_t_co2e_per_yr": 0.0,
    }
    bau = {
        "name": BAU,
        "measures": [],
        "series": [row],
        "cumulative_net_t_co2e": {"2022": -1.0},
        "warnings": [],
    }
    scenario = {
        "name": "With these measures",
        "measures": [{"canopy_goal": {"percent": 40, "by": 2030, "crown_area_m2": 55.74}}],
        "series": [row],
        "cumulative_net_t_co2e": {"2022": -1.0 - reduction},
        "reduction_vs_bau_t_co2e": {"2022": reduction},
        "reduction_vs_bau_p05_t_co2e": {"2022": lo},
        "reduction_vs_bau_p95_t_co2e": {"2022": hi},
        "trees_to_plant": None,
        "warnings": [],
    }
    return {
        "boundary": {"id": "A", "name": "Alpha", "area_ha": 15.0},
        "baseline_period": [2019, 2021],
        "end_year": 2022,
        "scenarios": [bau, scenario],
        "complete": complete,
        "not_estimated": [] if complete else ["Forest Change — To Grassland"],
        "warnings": [],
    }


RENDER = """async (p) => {
  const t = await import('./plan-text.js');
  const box = document.createElement('div');
  box.innerHTML = t.sentence(p) + t.treesNote(p) + t.milestones(p);
  const cells = [...box.querySelectorAll('table.plan-milestones tbody td')].map(c => c.textContent.trim());
  return { sentence: box.querySelector('.plan-sentence').textContent.replace(/\\s+/g, ' ').trim(),
           kind: box.querySelector('.plan-sentence').dataset.kind, cells,
           trees: box.querySelector('.plan-trees').textContent.replace(/\\s+/g, ' ').trim() };
}"""


def test_what_was_not_estimated_is_never_a_zero(page):
    open_map(page)
    nothing = page.evaluate(RENDER, hand_pathway(0.0, 0.0, 0.0, complete=False))
    assert nothing["kind"] == "not-estimated"
    assert nothing["sentence"] == (
        "By 2022 the effect of these measures is not estimated: the baseline inventory could not estimate "
        "Forest Change: To Grassland."
    )
    assert nothing["cells"] == ["-1", "-1", "not estimated"]
    assert nothing["trees"].startswith("Trees to plant: not estimated")
    partial = page.evaluate(RENDER, hand_pathway(-1234.0, -1500.0, -1000.0, complete=False))
    assert partial["kind"] == "add"
    assert partial["sentence"].startswith(
        "By 2022 these measures add about 1,230 t CO₂e (90 %: 1,000 to 1,500) compared with business as usual. "
        "This is a partial figure: the baseline inventory could not estimate Forest Change: To Grassland, so every "
        "year of both pathways leaves it out."
    )
    assert partial["cells"] == ["-1", "1,233", "-1,234", "-1,500 to -1,000"]
    same = page.evaluate(RENDER, hand_pathway(0.0, 0.0, 0.0))
    assert same["kind"] == "nothing" and "the pathways are the same" in same["sentence"]
