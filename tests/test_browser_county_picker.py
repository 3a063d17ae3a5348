"""The county picker acts on the highlighted match (issue 26 item 3), in headless Chromium against ``learn serve``
at desktop (1400×900) and phone (390×844) size: the matches are listed as a name is typed, the first highlighted,
↓ / ↑ move the highlight, and the first Enter posts the highlighted county — never a second search; Escape closes
the list; the chosen county's whole name shows in the box. The public sources point at a closed port (nothing is
fetched: the request posted is what is checked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser_county import any_county_box, serving_demo_and_sources

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def offline_server(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_demo_and_sources(
        "http://127.0.0.1:9", demo_catalog, tmp_path_factory.mktemp("picker")
    ) as base:
        yield base


@pytest.mark.parametrize("size", SIZES)
def test_enter_prepares_the_highlighted_match(offline_server: str, size: str) -> None:
    from playwright.sync_api import expect

    with any_county_box(offline_server) as page:
        page.set_viewport_size(SIZES[size])
        box = page.locator("#county-input")
        box.focus()
        page.keyboard.type("Hampshire")  # Hampshire County, MA and Hampshire County, WV
        options = page.locator("#county-results [role=option]")
        expect(options.first).to_have_attribute("aria-selected", "true")
        names = [t.strip() for t in options.locator(".match-name").all_text_contents()]
        assert {"Hampshire County, MA", "Hampshire County, WV"} <= set(names), names
        page.keyboard.press("Escape")  # closes the list, the text stays
        expect(page.locator("#county-results")).to_be_hidden()
        page.keyboard.type(" ")  # typing again lists the matches again
        expect(options.first).to_have_attribute("aria-selected", "true")
        page.keyboard.press("ArrowDown")
        second = options.nth(1)
        expect(second).to_have_attribute("aria-selected", "true")
        assert box.get_attribute("aria-activedescendant") == second.get_attribute("id")
        geoid = second.get_attribute("data-id")
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/prepare")) as posted:
            page.keyboard.press("Enter")  # the first Enter: the highlighted county is prepared
        assert posted.value.post_data_json == {"county": geoid, "start": 2011, "end": 2019}
        name = names[1]
        expect(box).to_have_value(f"{name} ({geoid})")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth")  # the whole name shows
        assert box.get_attribute("title") == f"{name} ({geoid})"
        expect(page.locator("#county-failure")).to_be_visible(timeout=120_000)  # offline: it fails, in words
