"""A planner prepares her own county from the map (issue 14 item 1), in headless Chromium against ``learn serve``.

The server's catalog holds the SYNTHETIC demo region and the shipped public-source datasets with their hosts
pointing at the local range-request server of :mod:`test_fetch` (the real Northampton NLCD tiled around its true
place, so Hampshire County, MA, lies inside it). The planner searches with a typo, picks the county from the list,
presses Prepare, watches the steps, and the county opens like any other region.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_browser import CHROMIUM, CHROMIUM_ARGS, REPO, VIEWPORT, free_port, get, serve_command
from test_fetch import NOHO, _catalog_copy, server  # noqa: F401

pytestmark = pytest.mark.skipif(not NOHO.exists(), reason=f"real-data fixtures not found at {NOHO}")


@pytest.fixture
def county_server(server: Any, demo_catalog: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    sources = yaml.safe_load(_catalog_copy(tmp_path / "sources", f"{server[0].url}/prepare").read_text())
    doc = yaml.safe_load(demo_catalog.read_text())
    absolute = lambda p: str((demo_catalog.parent / p).resolve())  # noqa: E731
    demo = doc["regions"]["demo"]
    demo["layers"] = {k: {**v, "path": absolute(v["path"])} for k, v in demo["layers"].items()}
    demo["boundaries"]["path"] = absolute(demo["boundaries"]["path"])
    demo["factors"] = {k: absolute(v) for k, v in demo["factors"].items()}
    cat = tmp_path / "serve" / "catalog.yaml"
    cat.parent.mkdir()
    cat.write_text(
        yaml.safe_dump({"datasets": sources["datasets"], "regions": {"demo": demo}}, sort_keys=False)
    )
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(serve_command(cat, port), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get(base, "/api/health")
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"`learn serve` did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_planner_prepares_her_county_from_the_map(county_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, base_url=county_server).new_page()
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("#any-county[data-ready=true]")
        page.click("#any-county > summary")
        expect(page.locator("#county-start")).to_have_value("2011")
        expect(page.locator("#county-end")).to_have_value("2019")
        page.fill("#county-input", "Hampshre County, MA")  # a typo: the matches are listed
        page.click("#county-go")
        page.click("#county-results button:has-text('Hampshire County, MA')")
        expect(page.locator("#county-status")).to_contain_text("Not prepared yet")
        steps: list[str] = []
        page.click("#county-go")
        deadline = time.monotonic() + 300
        while page.locator("#region-select").input_value() != "county_25015":
            text = page.locator("#county-status").text_content() or ""
            if text and (not steps or steps[-1] != text):
                steps.append(text)
            assert time.monotonic() < deadline, steps[-5:]
            page.wait_for_timeout(250)
        assert any(s.startswith("Preparing Hampshire County, MA: land_cover ") for s in steps), steps[
            :10
        ]  # a step shown
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#county-status")).to_contain_text("is ready")
        expect(page.locator(".leaflet-interactive").first).to_be_visible()
        browser.close()
    assert not errors, errors
    regions = {r["name"] for r in get(county_server, "/api/regions")}
    assert "county_25015" in regions
