"""Failures in plain words where the user acted (issue 26 item 2), in headless Chromium against ``learn serve``.

The server's public sources point at a closed port of 127.0.0.1 (nothing listens on port 9): the "no internet"
case. Preparing a county fails in the box with a plain message, a Retry button that posts the same request again
and the technical detail (the URL) behind a "Details" toggle, wrapped inside the panel; the place list of a state
fails the same way; the state picker names the states.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser_county import any_county_box, serving_demo_and_sources

NO_INTERNET = "This server cannot reach the public data sources (no internet connection)."


@pytest.fixture
def offline_server(demo_catalog: Path, tmp_path: Path) -> Iterator[str]:
    with serving_demo_and_sources("http://127.0.0.1:9", demo_catalog, tmp_path) as base:
        yield base


def _inside_panel(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    panel = page.locator("#any-county").bounding_box()
    assert box and panel and box["x"] + box["width"] <= panel["x"] + panel["width"] + 1, (box, panel)
    assert page.eval_on_selector(selector, "e => e.scrollWidth <= e.clientWidth + 1")


def test_a_failed_prepare_says_what_happened_with_retry_and_details(offline_server: str) -> None:
    from playwright.sync_api import expect

    with any_county_box(offline_server) as page:
        page.fill("#county-input", "Hampshire County, MA")
        expect(page.locator("#county-results [aria-selected=true]")).to_contain_text("Hampshire County, MA")
        page.click("#county-go")  # the exact name, highlighted, is prepared at the first press
        expect(page.locator("#county-input")).to_have_value("Hampshire County, MA (25015)")
        failure = page.locator("#county-failure")
        expect(failure).to_be_visible(timeout=120_000)
        expect(page.locator("#county-failure-message")).to_contain_text(NO_INTERNET)
        expect(page.locator("#county-failure-message")).to_contain_text("Hampshire County, MA, 2011–2019")
        expect(page.locator("#alert")).to_be_hidden()  # no red alert over the header
        detail = page.locator("#county-failure-detail")
        expect(detail).to_be_hidden()  # the technical text behind the toggle
        expect(detail).to_contain_text("127.0.0.1:9")
        page.get_by_text("Details", exact=True).click()
        expect(detail).to_be_visible()
        _inside_panel(page, "#county-failure-detail")  # the URL wraps inside the panel

        retry = page.get_by_role("button", name="Retry")
        expect(retry).to_be_visible()
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/prepare")) as posted:
            retry.click()
        assert posted.value.post_data_json == {"county": "25015", "start": 2011, "end": 2019}
        expect(page.locator("#county-failure-message")).to_contain_text(NO_INTERNET, timeout=120_000)


def test_the_place_list_fails_in_plain_words_and_the_states_have_names(offline_server: str) -> None:
    from playwright.sync_api import expect

    with any_county_box(offline_server) as page:
        page.get_by_role("radio", name="City or town").check()
        state = page.get_by_label("State")
        expect(state.locator("option[value=MA]")).to_have_text("Massachusetts (MA)")
        expect(state.locator("option[value=DC]")).to_have_text("District of Columbia (DC)")
        state.select_option("MA")
        message = page.locator("#county-failure-message")
        expect(message).to_contain_text(NO_INTERNET)
        expect(message).to_contain_text("The county list still works offline")
        expect(message).not_to_contain_text("Errno")
        expect(message).not_to_contain_text("/api/")
        expect(page.locator("#county-failure-detail")).to_contain_text("127.0.0.1:9")
        with page.expect_request(lambda r: "/api/places?state=MA" in r.url):
            page.get_by_role("button", name="Retry").click()
        expect(message).to_contain_text(NO_INTERNET)
