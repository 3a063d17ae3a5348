"""The web map in a real headless browser (Debian's chromium driven by Playwright) against `learn serve`.

The server runs the SYNTHETIC demo region (session fixture ``demo_catalog``) in a subprocess on a free port.
Screenshots land in ``tests/artifacts/``; with ``LEARN_DOCS_SCREENSHOT=1`` (``make docs-screenshot``) the map
with a jurisdiction selected is also written to ``docs/screenshot.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 720}
REGION = "demo"
TIMEOUT_MS = 30_000


def serve_command(catalog: Path, port: int) -> list[str]:
    """The command line of the server under test."""
    return [
        str(Path(sys.executable).with_name("learn")),
        "serve",
        "--catalog",
        str(catalog),
        "--port",
        str(port),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(base: str, path: str, **params: Any) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=60) as r:
        return json.load(r)


def flux(value: float) -> str:
    """The map's formatting of t CO2e/yr (en-US, thousands separators, no decimals)."""
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


# ---- fixtures ----------------------------------------------------------------------------------------------
# The demo without its carbon pools, as a region made by `learn fetch` lacks them.
PARTIAL_REGION = "demo_no_carbon"


def demo_region_absolute(demo_catalog: Path) -> dict[str, Any]:
    """The demo region's catalog entry with its paths made absolute (usable from any catalog)."""
    import yaml

    demo = yaml.safe_load(demo_catalog.read_text())["regions"]["demo"]
    absolute = lambda p: str((demo_catalog.parent / p).resolve())  # noqa: E731
    demo["layers"] = {k: {**v, "path": absolute(v["path"])} for k, v in demo["layers"].items()}
    demo["boundaries"]["path"] = absolute(demo["boundaries"]["path"])
    demo["factors"] = {k: absolute(v) for k, v in demo["factors"].items()}
    return demo


def catalog_with_partial_region(demo_catalog: Path, dest: Path) -> Path:
    """The demo catalog (paths made absolute) plus :data:`PARTIAL_REGION`: the same files, carbon layers
    left out."""
    import yaml

    doc = yaml.safe_load(demo_catalog.read_text())
    demo = doc["regions"]["demo"] = demo_region_absolute(demo_catalog)
    doc["regions"][PARTIAL_REGION] = {
        **demo,
        "description": demo["description"] + " Without carbon pools (test of partial totals).",
        "layers": {k: v for k, v in demo["layers"].items() if not k.startswith("carbon_")},
    }
    out = dest / "catalog.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


@contextlib.contextmanager
def serving(catalog: Path, log_path: Path) -> Iterator[str]:
    """``learn serve`` on ``catalog`` on a free port, until the block ends; yields its base URL."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (installs Debian's chromium)")
    if not (REPO / "webmap" / "node_modules" / "leaflet" / "dist" / "leaflet.js").exists():
        pytest.fail("webmap/node_modules is missing: run `make webmap-deps` (npm ci in webmap/)")
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(serve_command(catalog, port), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
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
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("serve")
    with serving(catalog_with_partial_region(demo_catalog, folder), folder / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page on the map (ready), failing the test on any console error or page error."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, base_url=server)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.errors = errors
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"browser_{request.node.name}.png"))
    context.close()
    assert not errors, "\n".join(errors)


def open_map(page: Any, query: str = "") -> None:
    page.goto(f"/{query}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector(".leaflet-boundaries-pane path")
    assert page.locator("#alert").is_hidden(), page.locator("#alert-text").text_content()


def wait_report(page: Any, boundary: str, timeout: float = TIMEOUT_MS, **attrs: Any) -> None:
    """Wait until the panel shows the report of ``boundary`` (or fail at once with the page's alert)."""
    ready = f'#report[data-state=ready][data-boundary="{boundary}"]' + "".join(
        f'[data-{k}="{v}"]' for k, v in attrs.items()
    )
    page.wait_for_selector(f"{ready}, #alert:not([hidden])", timeout=timeout)
    if page.locator(ready).count() == 0:
        pytest.fail(f"the map shows an error: {page.locator('#alert-text').text_content()}")


def select(page: Any, boundary_id: str) -> None:
    """Click a jurisdiction on the map and wait for its report."""
    page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{boundary_id}"]').click()
    wait_report(page, boundary_id)


def net_card(page: Any) -> tuple[str, float]:
    value = page.locator(".card-net .card-value")
    return value.text_content().strip(), float(value.get_attribute("data-value"))


@pytest.fixture(scope="module")
def boundaries(server: str) -> list[dict[str, Any]]:
    return get(server, f"/api/regions/{REGION}/boundaries")["features"]


@pytest.fixture(scope="module")
def place(boundaries: list[dict[str, Any]]) -> str:
    """A town: drawn on top of the counties, so a click on it reaches it."""
    return next(f["properties"]["id"] for f in boundaries if f["properties"].get("kind") == "place")


# ---- tests -------------------------------------------------------------------------------------------------------
def test_map_loads_boundaries_banner_and_legend(page, server, boundaries):
    open_map(page)
    assert page.locator(".leaflet-boundaries-pane path").count() == len(boundaries) > 0
    info = get(server, f"/api/regions/{REGION}")
    assert info["synthetic"] is True
    assert page.locator("#synthetic-banner").is_visible()
    assert "SYNTHETIC" in page.locator("#synthetic-banner").text_content()
    start, end = info["default_period"]
    assert page.locator("#start-select").input_value() == str(start)
    assert page.locator("#end-select").input_value() == str(end)
    expect(page.locator(".map-legend")).to_contain_text(f"Net flux {start}–{end}")
    # every jurisdiction is shaded (a colour from the scale, not the "not computed" grey)
    fills = page.eval_on_selector_all(
        ".leaflet-boundaries-pane path", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert "#bdbdbd" not in fills


def test_click_shows_the_api_numbers_and_period_change_updates_them(page, server, place):
    open_map(page)
    select(page, place)
    start, end = get(server, f"/api/regions/{REGION}")["default_period"]
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=start, end=end)
    text, value = net_card(page)
    assert text == flux(report["totals"]["net_t_co2e_per_yr"])
    assert value == pytest.approx(report["totals"]["net_t_co2e_per_yr"], rel=1e-12)
    assert page.locator(".card-emissions .card-value").text_content().strip() == flux(
        report["totals"]["gross_emissions_t_co2e_per_yr"]
    )
    # the method's row names are in the table, the chart is drawn, warnings shown
    table = page.locator("table.inventory").text_content()
    for row in report["inventory"]:
        if row["category"] != "Total":
            assert row["type"] in table
    # Harvest/Other is followed by its four severity classes, with the JSON's numbers and no net of their own
    classes = page.locator("table.inventory tr.breakdown")
    assert classes.count() == len(report["harvest_by_severity"]) == 4
    harvest_index = page.eval_on_selector_all(
        "table.inventory tbody tr",
        "trs => trs.findIndex(t => t.querySelector('th')?.textContent === 'Harvest/Other')",
    )
    for k, s in enumerate(report["harvest_by_severity"]):
        tr = classes.nth(k)
        assert tr.get_attribute("data-severity") == str(s["severity"])
        assert (
            f"of which severity {s['severity']} ({s['canopy_loss_points']} points canopy loss)"
            in tr.text_content()
        )
        cells = tr.locator("td")
        assert float(cells.nth(1).get_attribute("data-value")) == s["emissions_t_co2e_per_yr"]
        assert cells.nth(3).text_content() == ""
        assert tr.evaluate("(t, i) => t.sectionRowIndex === i", harvest_index + 1 + k)
    assert page.locator("#report canvas").evaluate("c => c.width > 0 && c.height > 0")
    for warning in report["warnings"]:
        assert warning[:40] in page.locator("#report .warnings").text_content()

    years = get(server, f"/api/regions/{REGION}")["years"]
    new_start = years[0]
    page.select_option("#start-select", str(new_start))
    wait_report(page, place, start=new_start)
    other = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=new_start, end=end)
    text2, _ = net_card(page)
    assert text2 == flux(other["totals"]["net_t_co2e_per_yr"])
    assert other["totals"]["net_t_co2e_per_yr"] != report["totals"]["net_t_co2e_per_yr"]
    # The legend follows the choropleth, whose new period is one batch over every boundary: seconds on a busy
    # 2-core machine, so wait for it longer than expect()'s 5 s default.
    expect(page.locator(".map-legend")).to_contain_text(f"Net flux {new_start}–{end}", timeout=60_000)
    assert f"start={new_start}" in page.url


def test_search_by_geoid_and_name(page, boundaries):
    open_map(page)
    county = next(f["properties"] for f in boundaries if f["properties"].get("kind") == "county")
    page.fill("#search-input", county["id"])
    page.press("#search-input", "Enter")
    wait_report(page, county["id"])
    assert page.locator(".report-title").text_content() == county["name"]
    options = page.eval_on_selector_all("#search-list option", "os => os.map(o => o.value)")
    assert len(options) == len(boundaries)
    page.fill("#search-input", "no such town anywhere")
    page.click("#search-go")
    page.wait_for_selector("#alert:not([hidden])")
    assert "no such town" in page.locator("#alert-text").text_content()


def test_tile_layer_loads(page):
    open_map(page)
    tile_ok = """kind => [...document.querySelectorAll('img.leaflet-tile')].some(
        i => i.src.includes('/tiles/') && i.src.includes('/' + kind + '/') && i.complete && i.naturalWidth === 256)"""
    page.wait_for_function(tile_ok, arg="land_cover")  # the base layer is on from the start
    page.locator(".layer-control summary").click()  # the list starts closed below 1600 px (audit D18)
    page.get_by_role("checkbox", name="Forest change").check()
    page.wait_for_function(tile_ok, arg="forest_change")
    entry = page.locator('.layer-entry[data-layer="forest_change:period"]')
    assert entry.locator(".legend").is_visible()
    entry.get_by_role("slider").fill("0.3")
    assert page.locator(".tiles-forest_change").evaluate("e => getComputedStyle(e).opacity") == "0.3"


def test_canopy_change_layer_says_which_canopy_years_it_draws(page):
    """Before 2011 the demo has no canopy years: the layer is labelled with the years it draws (audit D5)."""
    open_map(page)
    label = page.locator('.layer-entry[data-layer="canopy_change:period"] .layer-title')
    expect(label).to_have_text("Canopy change 2011–2019")
    page.select_option("#start-select", "2001")
    page.select_option("#end-select", "2004")
    expect(label).to_have_text("Canopy change 2011–2013 (nearest to 2001–2004)")
    slider = page.locator('.layer-entry[data-layer="canopy_change:period"] input[type="range"]')
    assert slider.get_attribute("aria-label") == "Opacity of Canopy change 2011–2013 (nearest to 2001–2004)"


def test_uploaded_polygon_gets_a_report(page, server, boundaries, place, tmp_path):
    feature = next(f for f in boundaries if f["properties"]["id"] == place)
    path = tmp_path / "my_area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    open_map(page)
    page.set_input_files("#upload-input", str(path))
    wait_report(page, "custom", timeout=60_000)
    # titled with the feature's name, not the file's (audit D17)
    assert page.locator(".report-title").text_content() == feature["properties"]["name"]
    _, value = net_card(page)
    start, end = get(server, f"/api/regions/{REGION}")["default_period"]
    expected = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=start, end=end)
    # the same polygon, round-tripped through EPSG:4326: the same pixels up to a few on the edge
    assert value == pytest.approx(expected["totals"]["net_t_co2e_per_yr"], rel=0.02)


def test_drawn_polygon_gets_a_report_and_downloads(page):
    open_map(page)
    page.locator(".leaflet-pm-icon-polygon").click()
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6
    corners = [(cx - 50, cy - 40), (cx + 50, cy - 40), (cx + 50, cy + 40), (cx - 50, cy + 40)]
    for x, y in [*corners, corners[0]]:
        page.mouse.click(x, y)
    wait_report(page, "custom", timeout=60_000)
    _, value = net_card(page)
    assert value == value  # a number, not NaN
    assert float(page.locator(".card-emissions .card-value").get_attribute("data-value")) >= 0
    with page.expect_download() as dl:
        page.locator('#report .downloads a[data-format="json"]').click()
    report = json.loads(Path(dl.value.path()).read_text())
    assert report["totals"]["net_t_co2e_per_yr"] == value


def test_downloads_and_printable_report(page, server, place, tmp_path):
    open_map(page)
    select(page, place)
    for fmt in ("csv", "xlsx"):
        with page.expect_download() as dl:
            page.locator(f'#report .downloads a[data-format="{fmt}"]').click()
        saved = tmp_path / dl.value.suggested_filename
        dl.value.save_as(saved)
        assert saved.stat().st_size > 0, fmt
        if fmt == "xlsx":
            assert saved.read_bytes()[:2] == b"PK"
    with page.context.expect_page() as popup:
        page.locator('#report .downloads a[data-format="print"]').click()
    report_page = popup.value
    report_page.on("pageerror", lambda e: page.errors.append(f"report page error: {e}"))
    report_page.wait_for_selector("body[data-ready=true]")
    report_page.wait_for_selector("#report[data-state=ready]")
    assert report_page.locator("#synthetic-banner").is_visible()
    assert report_page.locator("table.inventory").count() == 1
    assert report_page.locator("table.matrix").count() == 1
    start, end = get(server, f"/api/regions/{REGION}")["default_period"]
    expected = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=start, end=end)
    assert report_page.locator(".card-net .card-value").text_content().strip() == flux(
        expected["totals"]["net_t_co2e_per_yr"]
    )
    pdf = report_page.pdf(format="A4", print_background=True)
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    (ARTIFACTS / "report.pdf").parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)


def test_pdf_links_download_the_servers_pdf_on_letter_and_a4(page, place, tmp_path):
    from pypdf import PdfReader

    open_map(page)
    select(page, place)
    # what the status line under the links says while the PDF is made (issue 26 item 3: progress shown)
    page.evaluate(
        """() => { window.pdfSaid = []; new MutationObserver(() => {
             const t = document.querySelector('#report .pdf-status')?.textContent;
             if (t && window.pdfSaid.at(-1) !== t) window.pdfSaid.push(t);
           }).observe(document.querySelector('#report'), { subtree: true, childList: true, characterData: true }); }"""
    )
    for paper, size in (("letter", (612, 792)), ("a4", (595, 842))):
        link = page.locator(f'#report .downloads a[data-format="pdf-{paper}"]')
        label = {"letter": "PDF (Letter)", "a4": "PDF (A4)"}[paper]
        assert link.text_content().strip() == label
        with page.expect_download(timeout=4 * TIMEOUT_MS) as dl:  # WeasyPrint takes seconds under load
            link.click()
        assert dl.value.suggested_filename == link.get_attribute("download")
        # the paper in the name: the A4 PDF never overwrites the Letter one (issue 26 item 3)
        assert re.fullmatch(
            rf"learn_{place}_[A-Za-z_.-]+_\d{{4}}_\d{{4}}_{paper}\.pdf", dl.value.suggested_filename
        )
        expect(page.locator("#report .pdf-status")).to_contain_text(f"{label} ready")
        said = page.evaluate("window.pdfSaid")
        assert any(t.strip().startswith(f"Making the {label}…") for t in said), said
        saved = tmp_path / f"{paper}.pdf"
        dl.value.save_as(saved)
        pdf = PdfReader(saved)
        first = pdf.pages[0]
        assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == size
        assert "SYNTHETIC DATA" in first.extract_text()
    # The printable page offers the same two PDFs.
    with page.context.expect_page() as popup:
        page.locator('#report .downloads a[data-format="print"]').click()
    report_page = popup.value
    report_page.wait_for_selector("body[data-ready=true]")
    for paper in ("letter", "a4"):
        href = report_page.locator(f"#pdf-{paper}").get_attribute("href")
        assert f"boundary={place}" in href and href.endswith(f"&paper={paper}") and ".pdf?" in href
        assert report_page.locator(f"#pdf-{paper}").is_visible()


def test_compare_two_jurisdictions_and_per_hectare(page, boundaries, place):
    open_map(page, f"?region={REGION}&boundary={place}")
    wait_report(page, place)
    other = next(f["properties"] for f in boundaries if f["properties"]["id"] != place)
    page.locator("#compare summary").click()
    page.select_option("#compare-boundary", other["id"])
    page.click("#compare-go")
    table = page.locator("#compare-result table.compare")
    table.wait_for()
    assert other["name"] in table.text_content()
    assert table.locator("tbody tr").count() >= 5
    page.get_by_label("per hectare").check()
    expect(page.locator(".map-legend")).to_contain_text("t CO₂e/ha/yr")


def test_keyboard_selects_a_jurisdiction(page, boundaries):
    """Jurisdictions are focusable map shapes: Enter opens the report. Also the README's screenshot."""
    open_map(page)
    county = next(f["properties"] for f in boundaries if f["properties"].get("kind") == "county")
    shape = page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{county["id"]}"]')
    # focusable (all the shapes are one Tab stop: test_browser_keyboard)
    assert shape.get_attribute("tabindex") in ("0", "-1")
    assert county["name"] in shape.get_attribute("aria-label")
    shape.focus()
    page.keyboard.press("Enter")
    wait_report(page, county["id"])
    if os.environ.get("LEARN_DOCS_SCREENSHOT"):
        page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.leaflet-tile')].every(i => i.complete)"
        )
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "screenshot.png"))


def test_partial_total_is_noted_under_the_cards(page, partial_region_catalog):
    """A report of a region without carbon pool layers (as `learn fetch` makes), shown through the printable
    page's stored-report hook (how your own polygons reach it): the note names the rows not estimated."""
    import learn

    cat = partial_region_catalog
    report = json.loads(learn.open_region("t", cat).inventory("A", (2011, 2019)).to_json())
    assert report["totals"]["not_estimated"] == ["Forest Change — To Settlement"]
    complete = {**report, "totals": {**report["totals"], "complete": True, "not_estimated": []}}
    page.goto("/report.html?stored=none")
    page.evaluate(
        "([a, b]) => { localStorage.setItem('learn-report-partial', a); localStorage.setItem('learn-report-full', b); }",
        [json.dumps(report), json.dumps(complete)],
    )
    page.goto("/report.html?stored=partial")
    page.wait_for_selector("#report[data-state=ready]")
    note = page.locator("#report .cards + .partial-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Partial total — not estimated: Forest Change — To Settlement.")
    page.goto("/report.html?stored=full")
    page.wait_for_selector("#report[data-state=ready]")
    assert page.locator("#report .partial-note").count() == 0


def test_partial_totals_are_marked_on_the_map(page, server, place):
    """A region whose reports leave out rows (no carbon pools): dashed outlines with a legend line, a tooltip,
    a flag in the all-jurisdictions table, the note under the cards and in a comparison with the full demo."""
    summary = get(server, f"/api/regions/{PARTIAL_REGION}/summary", start=2011, end=2019)["boundaries"]
    partial = {b["id"] for b in summary if not b["totals_complete"]}
    assert place in partial  # forest loss without carbon pools: Forest Change rows not estimated
    open_map(page, f"?region={PARTIAL_REGION}&start=2011&end=2019")
    page.wait_for_selector(".legend-partial")
    path = page.locator(f'.leaflet-boundaries-pane path[data-boundary-id="{place}"]')
    assert path.get_attribute("stroke-dasharray") == "5 4"
    complete = [b["id"] for b in summary if b["totals_complete"]]
    assert complete
    for b in complete:  # a jurisdiction without forest loss is complete: solid outline
        assert not page.locator(f'path[data-boundary-id="{b}"]').get_attribute("stroke-dasharray")
    path.hover()
    expect(page.locator(".boundary-tip")).to_contain_text("Partial total")
    page.locator("summary", has_text="All jurisdictions").click()
    expect(page.locator("#summary-table .partial-footnote")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_partial_region_map.png"))
    assert page.locator("#summary-table .partial-flag").count() == len(partial)
    select(page, place)
    expect(page.locator("#report .partial-note")).to_contain_text("Forest Change — To Settlement")
    # The demo region in the same page: every layer and every forest code with a factor row (issue 26), so
    # no boundary is marked, and its factors' standard errors give each report card its 90 % interval.
    open_map(page, "?region=demo&start=2011&end=2019")
    expect(page.locator(".map-legend")).to_be_visible()
    expect(page.locator(".leaflet-boundaries-pane path[data-boundary-id]")).to_have_count(13)
    expect(page.locator(".leaflet-boundaries-pane path[stroke-dasharray]")).to_have_count(0)
    assert page.locator(".legend-partial").count() == 0
    select(page, "9900100")  # Oxbow Falls: a place (a county's centre is under its places)
    expect(page.locator("#report .card-interval")).to_contain_text("90 %")
    assert page.locator("#report .partial-note").count() == 0


def test_bad_period_is_reported(page):
    """The years that would make an empty period are disabled; one chosen anyway (script) is refused."""
    open_map(page)
    first = page.locator("#end-select option").first
    assert first.get_attribute("disabled") is not None
    page.eval_on_selector(
        "#end-select",
        "(s, y) => { s.value = y; s.dispatchEvent(new Event('change')); }",
        first.get_attribute("value"),
    )
    alert = page.locator("#alert")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "must come before the second" in page.locator("#alert-text").text_content()


def test_server_errors_are_shown(page, tmp_path):
    """A polygon outside the region: the server's message reaches the alert region."""
    far_away = {
        "type": "Polygon",
        "coordinates": [[[-150, -40], [-149, -40], [-149, -39], [-150, -39], [-150, -40]]],
    }
    path = tmp_path / "pacific.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": far_away}))
    open_map(page)
    page.set_input_files("#upload-input", str(path))
    page.wait_for_selector("#alert:not([hidden])", timeout=60_000)
    assert "outside" in page.locator("#alert-text").text_content().lower()
    # the browser logs the failed request itself; that one is expected
    page.errors[:] = [e for e in page.errors if "Failed to load resource" not in e]


def test_all_jurisdictions_table_sorts_by_every_column_and_downloads(page, server, tmp_path):
    open_map(page)
    page.wait_for_selector(".leaflet-boundaries-pane path")
    summary = get(server, f"/api/regions/{REGION}/summary", start=2011, end=2019)["boundaries"]
    page.locator("summary", has_text="All jurisdictions").click()
    first = lambda: page.locator("#summary-table tbody tr th").first.text_content()  # noqa: E731
    by_net = sorted(summary, key=lambda b: b["net_t_co2e_per_yr"])
    assert first() == by_net[0]["name"]  # largest sink first
    page.click("#summary-table button[data-sort=net_t_co2e_per_yr]")  # again: reversed
    assert first() == by_net[-1]["name"]
    expect(page.locator("#summary-table th[aria-sort=descending]")).to_have_count(1)
    page.click("#summary-table button[data-sort=area_ha]")
    assert first() == min(summary, key=lambda b: b["area_ha"])["name"]
    page.click("#summary-table button[data-sort=name]")
    assert first() == sorted(b["name"] for b in summary)[0]
    with page.expect_download() as dl:
        page.click("#summary-csv")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "learn_demo_all_jurisdictions_2011_2019.csv"
    assert len(path.read_text().splitlines()) == len(summary) + 1


def test_whole_jurisdiction_canopy_cover_is_shown(page, server, place):
    open_map(page)
    select(page, place)
    report = get(server, f"/api/regions/{REGION}/inventory", boundary=place, start=2011, end=2019)
    cover = report["tree_canopy_cover"]
    line = page.locator("#report .canopy-cover")
    expect(line).to_contain_text(f"{cover['percent_start']:.1f} % in {cover['start_year']}")
    expect(line).to_contain_text(f"{cover['percent_end']:.1f} % in {cover['end_year']}")
