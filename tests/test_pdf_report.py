"""The PDF report (WeasyPrint) and its locator map: read back with pypdf, on the demo region and a tiny one."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import RegionFactory, pixel_box, run_cli
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PageObject, PdfReader

import learn
from api.app import create_app
from learn.pipeline.region_map import locator_map
from learn.report.labels import plain_sentence
from learn.report.models import Report
from learn.report.palettes import FOREST_CHANGE

PERIOD = "start=2011&end=2019"
PDF_URL = "/api/regions/demo/inventory.pdf"
#: Pages of a demo report: headline + map, inventory (2), change matrix (landscape), provenance, method.
MAX_PAGES = 8


def colour(label: str) -> tuple[int, int, int]:
    hex_colour = next(c for _, c, lab in FOREST_CHANGE if lab == label)
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def count(rgb: np.ndarray, want: tuple[int, int, int]) -> int:
    return int((rgb == np.array(want, np.uint8)).all(axis=-1).sum())


def page_sizes(pdf: PdfReader) -> list[tuple[int, int]]:
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pdf.pages]


def drawn_images(page: PageObject) -> list[tuple[int, int]]:
    """(width, height) in pixels of the images a page draws (its content's ``Do`` operators; WeasyPrint
    gives every page the same resource dictionary, so ``page.images`` lists them all)."""
    names = re.findall(rb"/([^\s/]+)\s+Do\b", page.get_contents().get_data())
    xobjects = page["/Resources"]["/XObject"]
    out = []
    for name in names:
        xobject = xobjects["/" + name.decode()].get_object()
        if xobject["/Subtype"] == "/Image":
            out.append((int(xobject["/Width"]), int(xobject["/Height"])))
    return out


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces as single spaces (a PDF wraps lines anywhere)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def client(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        with TestClient(create_app(demo_catalog, cache_dir=tmp_path_factory.mktemp("api_cache"))) as c:
            yield c


# ---- the locator map, on a region whose change is known pixel by pixel -------------------------------------
def test_locator_map_draws_the_change_of_the_period(make_region: RegionFactory) -> None:
    start = np.full((60, 60), 41, np.uint8)  # deciduous forest everywhere …
    start[40:50, 40:50] = 71  # … but a 10 × 10 grassland block
    end = start.copy()
    end[10:20, 10:30] = 22  # 200 forest pixels → settlement
    end[40:50, 40:50] = 41  # 100 grassland pixels → forest (gain)
    catalog = make_region(
        {2011: start, 2019: end},
        boundaries=[("A", "North", pixel_box(0, 0, 30, 60)), ("B", "South", pixel_box(30, 0, 60, 60))],
    )
    region = learn.open_region("t", catalog)
    m = locator_map(region, region.boundary("A"), 2011, 2019)
    assert m.pixel_m == 30.0 and "North" in m.caption and "2011–2019" in m.caption
    with Image.open(io.BytesIO(m.png)) as im:
        assert im.format == "PNG" and "Software" not in im.info
        rgb = np.asarray(im.convert("RGB"))
    loss, gain = count(rgb, colour("Forest → Settlement")), count(rgb, colour("Non-forest → Forest (gain)"))
    # Each 30 m pixel is drawn ≈ 13 px wide; the legend's swatch of each colour adds a few hundred px.
    assert loss > 10_000 and gain > 5_000
    # Nearest-pixel drawing keeps the blocks' sizes: 200 px of loss against 100 px of gain.
    assert 1.7 < loss / gain < 2.3
    assert count(rgb, colour("Forest → Grassland")) == 0  # no such change in the data
    assert count(rgb, (0, 0, 0)) > 2_000  # the jurisdiction's outline

    later = locator_map(region, region.boundary("A"), 2011, 2011 + 8)
    assert later.png == m.png  # deterministic bytes
    with pytest.raises(learn.errors.PeriodError):
        locator_map(region, region.boundary("A"), 2019, 2011)


def test_pdf_of_a_real_region_has_no_synthetic_label(make_region: RegionFactory, tmp_path: Path) -> None:
    from learn.report.export import write_report

    lc = np.full((40, 40), 41, np.uint8)
    end = lc.copy()
    end[5:15, 5:15] = 82
    catalog = make_region({2011: lc, 2019: end})
    region = learn.open_region("t", catalog)
    report = region.inventory("A", (2011, 2019))
    out = write_report(
        report,
        tmp_path / "out" / "t.pdf",
        "pdf",
        paper="a4",
        locator=locator_map(region, region.boundary("A"), 2011, 2019),
    )
    pdf = PdfReader(out)
    text = flat(" ".join(p.extract_text() for p in pdf.pages))
    assert page_sizes(pdf)[0] == (595, 842)
    assert "Everything (A)" in text and "SYNTHETIC" not in text
    assert "Forest Change" in text and len(drawn_images(pdf.pages[0])) == 1


# ---- the API route ---------------------------------------------------------------------------------------
def test_pdf_download_is_a_letter_report_with_the_map_on_page_1(client: TestClient) -> None:
    r = client.get(f"{PDF_URL}?boundary=9900200&{PERIOD}")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    assert (
        r.headers["content-disposition"]
        == 'attachment; filename="learn_9900200_Millbrook_2011_2019_letter.pdf"'
    )
    report = Report.model_validate(
        client.get(f"/api/regions/demo/inventory?boundary=9900200&{PERIOD}").json()
    )
    pdf = PdfReader(io.BytesIO(r.content))
    sizes = page_sizes(pdf)
    assert 4 <= len(sizes) <= MAX_PAGES
    assert sizes[0] == (612, 792) and (792, 612) in sizes  # Letter; the change matrix on a landscape page
    assert all(s in ((612, 792), (792, 612)) for s in sizes)
    first = flat(pdf.pages[0].extract_text())
    assert "Millbrook (9900200)" in first and "SYNTHETIC DATA" in first
    assert f"{report.totals.net_t_co2e_per_yr:,.0f}" in first
    sentence = plain_sentence(report)
    assert sentence is not None and flat(sentence) in first.replace("CO 2e", "CO₂e")
    assert "Headline totals" in first and "(black outline)" in first  # the locator map's caption
    # Page 1 holds one image, the locator map (the bar chart starts page 2), at its drawn size.
    ((width, height),) = drawn_images(pdf.pages[0])
    assert width > 1000 and width / height == pytest.approx(7.3 / 4.2, rel=0.05)
    assert len(drawn_images(pdf.pages[1])) == 1 and "GHG inventory" in pdf.pages[1].extract_text()
    # Every page is labelled SYNTHETIC (the demo region) and numbered.
    for i, page in enumerate(pdf.pages, start=1):
        text = flat(page.extract_text())
        assert "SYNTHETIC DATA" in text and f"page {i} of {len(sizes)}" in text


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])


def test_pdf_download_refuses_bad_paper_years_and_boundaries(client: TestClient) -> None:
    assert "'letter' or 'a4'" in detail(client.get(f"{PDF_URL}?boundary=99001&{PERIOD}&paper=legal"), 422)
    assert "2012" in detail(client.get(f"{PDF_URL}?boundary=99001&start=2012&end=2019"), 422)
    assert "before" in detail(client.get(f"{PDF_URL}?boundary=99001&start=2019&end=2011"), 422)
    assert "unknown boundary" in detail(client.get(f"{PDF_URL}?boundary=nope&{PERIOD}"), 404)
    assert "boundary" in detail(client.get(f"{PDF_URL}?{PERIOD}"), 422)
    assert "unknown region" in detail(client.get(f"/api/regions/nope/inventory.pdf?boundary=1&{PERIOD}"), 404)


# ---- the CLI ---------------------------------------------------------------------------------------------
def test_cli_writes_an_a4_pdf(demo_catalog: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    base = [
        "inventory",
        "--catalog",
        str(demo_catalog),
        "-r",
        "demo",
        "-b",
        "99001",
        "--years",
        "2011",
        "2019",
    ]
    out = tmp_path / "alder.pdf"
    code, _, err = run_cli(
        [*base, "--format", "pdf", "--paper", "A4", "--out", str(out)], monkeypatch, capsys
    )
    assert code == 0, err
    pdf = PdfReader(out)
    assert page_sizes(pdf)[0] == (595, 842) and len(pdf.pages) <= MAX_PAGES
    first = flat(pdf.pages[0].extract_text())
    net = learn.open_region("demo", demo_catalog).inventory("99001", (2011, 2019)).totals.net_t_co2e_per_yr
    assert "Alder County (99001)" in first and f"{net:,.0f}" in first and len(drawn_images(pdf.pages[0])) == 1

    code, _, err = run_cli(
        [*base, "--format", "pdf", "--paper", "legal", "--out", str(out)], monkeypatch, capsys
    )
    assert code == 2 and "unknown paper size 'legal'" in err and "letter, a4" in err
    code, _, err = run_cli(
        [*base, "--format", "csv", "--paper", "a4", "--out", str(out)], monkeypatch, capsys
    )
    assert code == 2 and "--paper applies to --format pdf only" in err
    assert PdfReader(out).pages[0].mediabox.width == pdf.pages[0].mediabox.width  # the refused runs left it
