"""Reports drawn concurrently (R1 of the 2026-12-05 reliability audit): the API renders downloads on Starlette's
thread pool, and 8 HTML reports at once used to answer 500 (matplotlib's mathtext parser, shared by every
thread, raised ParseException on the change heat map's log-scale tick labels)."""

from __future__ import annotations

import dataclasses
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib.mathtext
import pytest
from range_server import serve_app

import learn
from api.app import create_app
from learn.pipeline.region_map import locator_map
from learn.report import html
from learn.report.locator import literal
from learn.report.models import Report

#: Boundaries of the demo region (counties and places) and periods: 8 different reports.
BOUNDARIES = ["99001", "99003", "99005", "9900100", "9900200", "9900300", "9900500", "9900600"]
STARTS = [2011, 2013, 2016, 2011, 2013, 2016, 2011, 2013]
THREADS = 8


@pytest.fixture(scope="module")
def demo(demo_catalog: Path) -> learn.Region:
    return learn.open_region("demo", demo_catalog)


@pytest.fixture(scope="module")
def reports(demo: learn.Region) -> list[Report]:
    return [demo.inventory(b, (s, 2019)) for b, s in zip(BOUNDARIES, STARTS, strict=True)]


def at_once(fn: Any, items: list[Any]) -> list[Any]:
    """``fn`` of every item, each on its own thread, all released together; results or the exceptions."""
    barrier = threading.Barrier(len(items))

    def run(item: Any) -> Any:
        barrier.wait()
        try:
            return fn(item)
        except Exception as e:  # the failure is the result
            return e

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(run, items))


def test_the_heat_map_renders_from_8_threads_at_once(reports: list[Report]) -> None:
    alone = [html.change_heatmap(r) for r in reports]
    for _ in range(2):  # before the fix, 35 of 40 such renders raised
        together = at_once(html.change_heatmap, reports)
        errors = [repr(e) for e in together if isinstance(e, Exception)]
        assert not errors, errors
        assert together == alone  # and the same bytes as one at a time


def test_no_chart_text_goes_through_mathtext(
    reports: list[Report], demo: learn.Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root cause, checked directly: mathtext's parser is one object for every thread; no chart uses it."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"mathtext used for {args[1]!r}")

    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse", refuse)
    for report in reports[:4]:
        assert html.change_heatmap(report) and html.flux_chart(report)
    assert "$" not in html.plain_number(12345.0) and html.plain_number(12345.0) == "12,345"
    named = dataclasses.replace(demo.boundaries.get("99001"), name="Fund $1 and $2 Town")
    assert locator_map(demo, named, 2011, 2019).png.startswith(b"\x89PNG")
    assert literal("a $b$ c") == r"a \$b\$ c"


@pytest.fixture(scope="module")
def served(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API served by uvicorn on 127.0.0.1 (a real server: sync routes run on its thread pool)."""
    tmp = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp / "learn_cache"))
        app = create_app(demo_catalog, cache_dir=tmp / "api_cache", webmap_dir=None)
        with serve_app(app, tmp) as srv:
            yield srv.url


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_8_concurrent_html_downloads_all_succeed(served: str) -> None:
    """The audit's case: 8 concurrent GET …/inventory.html, different boundaries and periods (was 30–33 of 48
    answering 500)."""
    urls = [
        f"{served}/api/regions/demo/inventory.html?boundary={b}&start={s}&end=2019"
        for b, s in zip(BOUNDARIES, STARTS, strict=True)
    ]
    assert Counter(at_once(status, urls)) == {200: THREADS}
