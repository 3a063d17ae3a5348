"""A planner prepares her own county from the map (issue 14 item 1), in headless Chromium against ``learn serve``.

The server's catalog holds the SYNTHETIC demo region and the shipped public-source datasets with their hosts
pointing at the local range-request server of :mod:`test_fetch` (the real Northampton NLCD tiled around its true
place, so Hampshire County, MA, lies inside it). The planner searches with a typo, picks the county from the list,
presses Prepare, watches the steps, and the county opens like any other region.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, demo_region_absolute, get, serving, wait_report
from test_fetch import NOHO, _catalog_copy, server  # noqa: F401


@contextmanager
def serving_demo_and_sources(sources_url: str, demo_catalog: Path, tmp_path: Path) -> Iterator[str]:
    """``learn serve`` of the demo region and the shipped public-source datasets, their hosts at ``sources_url``."""
    sources = yaml.safe_load(_catalog_copy(tmp_path / "sources", sources_url).read_text())
    cat = tmp_path / "serve" / "catalog.yaml"
    cat.parent.mkdir()
    doc = {"datasets": sources["datasets"], "regions": {"demo": demo_region_absolute(demo_catalog)}}
    cat.write_text(yaml.safe_dump(doc, sort_keys=False))
    with serving(cat, tmp_path / "serve.log") as base:
        yield base


@contextmanager
def any_county_box(base_url: str) -> Iterator[Any]:
    """Headless Chromium on the map at ``base_url`` with the "Any US county or city" box open; yields the page.
    The page raised no JavaScript error by the end (asserted on leaving)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, base_url=base_url).new_page()
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("#any-county[data-ready=true]")
        page.click("#any-county > summary")
        yield page
        browser.close()
    assert not errors, errors


@pytest.fixture
def county_server(server: Any, demo_catalog: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    with serving_demo_and_sources(f"{server[0].url}/prepare", demo_catalog, tmp_path) as base:
        yield base


def test_a_planner_prepares_her_county_from_the_map(county_server: str) -> None:
    from playwright.sync_api import expect

    with any_county_box(county_server) as page:
        expect(page.locator("#county-start")).to_have_value("2011")
        expect(page.locator("#county-end")).to_have_value("2019")
        page.type("#county-input", "Hampshre County, MA")  # a typo: the matches are listed as it is typed
        highlighted = page.locator("#county-results [role=option][aria-selected=true]")
        expect(highlighted).to_contain_text("Hampshire County, MA")
        active = page.locator("#county-input").get_attribute("aria-activedescendant")
        assert active == highlighted.get_attribute("id")
        steps: list[str] = []
        page.click("#county-go")  # the first press prepares the highlighted match (issue 26 item 3)
        expect(page.locator("#county-input")).to_have_value("Hampshire County, MA (25015)")
        # the whole name shows in the box (nothing cut), and in its tooltip
        assert page.eval_on_selector("#county-input", "e => e.scrollWidth <= e.clientWidth")
        assert page.locator("#county-input").get_attribute("title") == "Hampshire County, MA (25015)"
        deadline = time.monotonic() + 300
        while page.locator("#region-select").input_value() != "county_25015":
            text = page.locator("#county-status").text_content() or ""
            if text and (not steps or steps[-1] != text):
                steps.append(text)
            assert time.monotonic() < deadline, steps[-5:]
            page.wait_for_timeout(100)
        # Step-by-step progress: a layer being read, with its share done (which steps a 100 ms poll sees varies).
        assert any(s.startswith("Preparing Hampshire County, MA: ") for s in steps), steps[:10]
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#county-status")).to_contain_text("is ready")
        # each step the server finished is listed, however often the page polled (every Retry-After)
        expect(page.locator("#county-status")).to_contain_text(
            re.compile(r"Done: .*land_cover 2011.*tree_canopy 2011")
        )
        expect(page.locator("#region-select option:checked")).to_have_text("Hampshire County, MA")
        expect(page.locator(".leaflet-interactive").first).to_be_visible()
        # one name everywhere (issue 26 item 3): the search, the report's heading, the printable report
        options = page.eval_on_selector_all("#search-list option", "os => os.map(o => o.value)")
        assert options == ["Hampshire County, MA (25015)"]
        page.fill("#search-input", "25015")
        page.press("#search-input", "Enter")
        wait_report(page, "25015")
        expect(page.locator("#report .report-title")).to_have_text("Hampshire County, MA")
        printable = page.locator("#report a[data-format=print]").get_attribute("href")
        page.goto(f"/{printable}")
        expect(page.locator(".report-title")).to_have_text("Hampshire County, MA")
    regions = {r["name"] for r in get(county_server, "/api/regions")}
    assert "county_25015" in regions
