"""Issue 26 item 5: the main flow by keyboard only, in the real headless browser of ``test_browser`` (same server
and browser), at desktop (1400×900) and phone (390×844) size. Only Tab, Shift+Tab, arrows, Enter, Space and
Escape are pressed — no click, no ``fill``, no ``focus()``; every element the Tab key stops at shows a focus ring.

The flow: the period, a jurisdiction on the map (the shapes are one Tab stop, the arrow keys go through them),
its report (focus on its title), a download, the map layers, a comparison with another jurisdiction, and Escape
out of a drawing tool.
"""

# ruff: noqa: F811  (the fixtures imported from test_browser are test parameters of the same name)

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    REGION,
    boundaries,
    browser,
    get,
    open_map,
    server,
    wait_report,
)

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}

# The focused element, and whether a focus ring shows on it: an outline of 2 px or more (the page's
# :focus-visible), or — an SVG shape of the map — its stroke widened to 4 px in the focus colour.
FOCUSED = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
    || (e.tagName === 'path' && parseFloat(s.strokeWidth) >= 4 && s.stroke === 'rgb(240, 165, 0)');
  return { id: e.id, tag: e.tagName.toLowerCase(), cls: e.getAttribute('class') || '', ring,
           text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
           boundary: e.dataset ? (e.dataset.boundaryId || null) : null, format: e.dataset?.format || null }; }"""


def tab_to(page: Any, matches: Any, what: str, back: bool = False, limit: int = 80) -> dict[str, Any]:
    """Press Tab (Shift+Tab when ``back``) until the focused element ``matches``; each stop shows a focus ring.
    Returns the element reached; fails after ``limit`` stops."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        f = page.evaluate(FOCUSED)
        if f["tag"] != "body":
            assert f["ring"], f"no focus ring on {f}"
        stops.append(f"{f['tag']}#{f['id']} {f['text'][:30]}")
        if matches(f):
            return f
    raise AssertionError(f"{what} not reached by the Tab key in {limit} stops: {stops}")


@pytest.mark.parametrize("size", SIZES)
def test_the_main_flow_by_keyboard_only(browser, server, boundaries, size, tmp_path):
    context = browser.new_context(viewport=SIZES[size], base_url=server, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, f"?region={REGION}")
    info = get(server, f"/api/regions/{REGION}")
    years = info["years"]
    start, end = info["default_period"]

    # the period: "From" one year earlier with the arrow key
    tab_to(page, lambda f: f["id"] == "start-select", "the From select")
    page.keyboard.press("ArrowUp")
    earlier = years[years.index(start) - 1]
    expect(page.locator("#start-select")).to_have_value(str(earlier))
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('start') === '{earlier}'")

    # the map's shapes: one Tab stop (the first by name), the arrow keys go through them by name
    names = sorted((f["properties"]["name"], f["properties"]["id"]) for f in boundaries)
    first = tab_to(page, lambda f: f["tag"] == "path", "the map's shapes")
    assert first["boundary"] == names[0][1]
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED)["boundary"] == names[1][1]
    page.keyboard.press("End")
    assert page.evaluate(FOCUSED)["boundary"] == names[-1][1]
    page.keyboard.press("Home")
    page.keyboard.press("ArrowDown")
    chosen = names[1][1]
    page.keyboard.press("Enter")
    wait_report(page, chosen, start=earlier)
    expect(page.locator("#report .report-title")).to_be_focused()  # the report's title takes the focus
    # one Tab stop for all the shapes: from the title back to the map, a single shape is passed
    shapes = page.eval_on_selector_all(".leaflet-boundaries-pane path[tabindex='0']", "ps => ps.length")
    assert shapes == 1

    # a download of the report, by Enter on its link
    tab_to(page, lambda f: f["format"] == "csv", "the CSV download")
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    assert dl.value.suggested_filename.endswith(f"_{earlier}_{end}.csv")

    # the map layers: opened with Enter, a layer switched off with Space (the address says so)
    tab_to(page, lambda f: f["text"] == "Map layers", "the map layers", back=True)
    page.keyboard.press("Enter")
    layer = tab_to(page, lambda f: f["id"].startswith("layer-"), "a layer's checkbox")
    page.keyboard.press("Space")
    expect(page.locator(f"#{layer['id']}")).not_to_be_checked()
    page.wait_for_function("() => new URLSearchParams(location.search).has('layers')")
    page.keyboard.press("Shift+Tab")  # back on "Map layers": Enter closes the list
    page.keyboard.press("Enter")
    expect(page.locator(".layer-control details")).not_to_have_attribute("open", "")

    # a comparison with another jurisdiction: the box opened with Enter, B picked with the arrow keys
    tab_to(page, lambda f: f["text"] == "Compare side by side", "the compare box")
    page.keyboard.press("Enter")
    tab_to(page, lambda f: f["id"] == "compare-boundary", "B's jurisdiction")
    page.keyboard.press("ArrowDown")
    b = page.locator("#compare-boundary").input_value()
    assert b and b != chosen
    tab_to(page, lambda f: f["id"] == "compare-go", "the Compare button")
    page.keyboard.press("Enter")
    expect(page.locator(f'#compare-result[data-state=ready][data-compare="{b}"]')).to_be_visible()
    assert parse_qs(urlparse(page.url).query)["compare"] == [b]
    tab_to(page, lambda f: "compare-clear" in f["cls"], "Clear comparison")
    page.keyboard.press("Enter")
    expect(page.locator(".compare-key")).to_have_count(0)
    expect(page.locator("#compare-boundary")).to_be_focused()

    # a drawing tool is reached by Tab and Escape ends it
    tab_to(page, lambda f: f["text"] == "Draw a polygon", "the polygon tool", back=True)
    page.keyboard.press("Enter")
    assert page.evaluate("() => learnMap.pm.globalDrawModeEnabled()")
    page.keyboard.press("Escape")
    assert not page.evaluate("() => learnMap.pm.globalDrawModeEnabled()")
    context.close()
    assert not errors, errors
