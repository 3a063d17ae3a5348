"""A planner prepares her city from the map (issue 14, "any US place"), in headless Chromium against ``learn serve``.

The server's catalog holds the SYNTHETIC demo region and the shipped public-source datasets with their hosts
pointing at the local range-request server of :mod:`test_fetch` (the real Northampton NLCD tiled around its true
place, and a TIGER-like place zip of Massachusetts built from the real Northampton outline, :mod:`tiger_fixture`).
With the keyboard she switches the box to "City or town", picks the state, searches with a typo, picks the place,
presses Prepare, watches the steps, and the city opens like any other region. A state whose place file the source
does not have says so, and that counties still work offline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import get
from test_browser_county import any_county_box, serving_demo_and_sources
from test_fetch import NOHO, server  # noqa: F401
from tiger_fixture import NORTHAMPTON


@pytest.fixture
def place_server(server: Any, demo_catalog: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    with serving_demo_and_sources(f"{server[0].url}/places_browser", demo_catalog, tmp_path) as base:
        yield base


def test_a_planner_prepares_her_city_from_the_map(place_server: str) -> None:
    from playwright.sync_api import expect

    with any_county_box(place_server) as page:
        county = page.get_by_role("radio", name="County")
        expect(county).to_be_checked()
        county.focus()
        page.keyboard.press("ArrowRight")  # radio group: the arrow keys move the choice
        expect(page.get_by_role("radio", name="City or town")).to_be_checked()
        expect(page.get_by_label("City, town or CDP (name or 7-digit GEOID)")).to_be_visible()
        expect(page.get_by_role("form", name="Prepare a city or town")).to_be_visible()

        state = page.get_by_label("State")
        expect(state.locator("option[value=MA]")).to_have_text(
            "Massachusetts (MA)"
        )  # the states of the county list
        state.select_option("CT")  # the source has no Connecticut file: the message says so
        failure = page.locator("#county-failure-message")  # in plain words, the detail behind "Details"
        expect(failure).to_contain_text("The list of cities and towns of CT could not be read.")
        expect(failure).to_contain_text("The county list still works offline")
        expect(page.locator("#county-failure-detail")).to_contain_text("HTTP 404")

        state.select_option("MA")
        expect(page.locator("#county-status")).to_have_text("3 places in MA: type a name.")
        expect(page.locator("#county-failure")).to_be_hidden()
        page.type("#county-input", "Northamton")  # a typo: the matches are listed as it is typed
        highlighted = page.locator("#county-results [role=option][aria-selected=true]")
        expect(highlighted).to_contain_text("Northampton city")
        expect(page.locator("#county-input")).to_be_focused()  # the focus stays in the box
        steps: list[str] = []
        page.keyboard.press("Enter")  # the first Enter prepares the highlighted match (issue 26 item 3)
        expect(page.locator("#county-input")).to_have_value(f"Northampton city, MA ({NORTHAMPTON})")
        deadline = time.monotonic() + 300
        while page.locator("#region-select").input_value() != f"place_{NORTHAMPTON}":
            text = page.locator("#county-status").text_content() or ""
            if text and (not steps or steps[-1] != text):
                steps.append(text)
            assert time.monotonic() < deadline, steps[-5:]
            page.wait_for_timeout(100)
        # Step-by-step progress: a layer being read, with its share done (which steps a 100 ms poll sees varies).
        assert any(s.startswith("Preparing Northampton city, MA: ") for s in steps), steps[:10]
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#county-status")).to_contain_text("Northampton city, MA is ready.")
        # each step the server finished is listed, however often the page polled (every Retry-After)
        expect(page.locator("#county-status")).to_contain_text(
            re.compile(r"Done: .*land_cover 2011.*tree_canopy 2011")
        )
        expect(page.locator("#region-select option:checked")).to_have_text("Northampton city, MA")
        expect(page.locator(".leaflet-interactive").first).to_be_visible()
    regions = {r["name"] for r in get(place_server, "/api/regions")}
    assert f"place_{NORTHAMPTON}" in regions
    listed = {p["geoid"]: p for p in get(place_server, "/api/places", state="MA")}
    assert listed[NORTHAMPTON]["region"] == f"place_{NORTHAMPTON}"
