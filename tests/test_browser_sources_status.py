"""The map's prepare box says whether the server reaches the public data (issue 22 item 9), in headless
Chromium against ``learn serve``: its catalog holds the SYNTHETIC demo region and the shipped public-source
datasets played on 127.0.0.1 (tests/fake_sources.py), all answering, or none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fake_sources import Faults, fake_world
from test_browser import demo_region_absolute, serving
from test_browser_county import any_county_box


@pytest.mark.parametrize(
    ("faults", "said"),
    [
        (None, r"Public data reachable \(checked \d\d:\d\d\)\."),
        (Faults(unreachable=True), r"Public data not reachable \(checked \d\d:\d\d\): "),
    ],
    ids=["reachable", "unreachable"],
)
def test_the_prepare_box_shows_the_servers_last_check(
    demo_catalog: Path, tmp_path: Path, faults: Faults | None, said: str
) -> None:
    import re

    from playwright.sync_api import expect

    (tmp_path / "world").mkdir()
    with fake_world(tmp_path / "world", faults) as world:
        datasets = yaml.safe_load(world.catalog.read_text())["datasets"]
        cat = tmp_path / "serve" / "catalog.yaml"
        cat.parent.mkdir()
        doc = {"datasets": datasets, "regions": {"demo": demo_region_absolute(demo_catalog)}}
        cat.write_text(yaml.safe_dump(doc, sort_keys=False))
        with serving(cat, tmp_path / "serve.log") as base, any_county_box(base) as page:
            line = page.locator("#sources-status")
            expect(line).to_have_text(re.compile(said), timeout=90_000)
            expect(line).to_have_attribute("data-state", "ok" if faults is None else "down")
