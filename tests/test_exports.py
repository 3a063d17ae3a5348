"""Every export format of one SYNTHETIC demo report, read back and compared with the report; the batch
outputs (GeoPackage, GeoJSON, GeoParquet, CSV, Parquet, XLSX); and writes that fail."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import run_cli
from PIL import Image

import learn
import learn.report.labels as labels_mod
import learn.report.xlsx as xlsx_mod
from learn.errors import LearnError
from learn.report.export import write_report
from learn.report.frames import TIDY_COLUMNS
from learn.report.html import render_html
from learn.report.labels import interval_text
from learn.report.models import Report

BOUNDARY = "99001"  # Alder County: forest change, disturbance and trees outside forests
PERIOD = (2011, 2019)
TABLE_SHEETS = [
    "GHG inventory",
    "IPCC summary",
    "Change matrix (ha)",
    "Tree canopy",
    "Warnings",
    "Provenance",
]
# Added after the sheets above (the 2026 LEARN update), which keep their places.
HARVEST_SHEET = "Harvest by severity"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# openpyxl stores floats with 16 significant digits (Excel itself keeps 15): relative error ≤ 5e-16.
XLSX_REL = 1e-15
# CSV numbers have 15 significant digits (no binary noise such as 14.309999999999999): relative error ≤ 5e-15.
CSV_REL = 5e-15


@pytest.fixture(scope="module")
def report(demo_catalog: Path) -> Report:
    return learn.open_region("demo", demo_catalog).inventory(BOUNDARY, PERIOD)


def nan_to_none(values: Any) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]


def inventory_columns(report: Report) -> dict[str, list[float | None]]:
    fields = ("area_ha", "emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr")
    return {f: [getattr(r, f) for r in report.inventory] for f in fields}


# ---- JSON and CSV ----------------------------------------------------------------------------------------
def test_json_round_trips(report: Report, tmp_path: Path) -> None:
    path = write_report(report, tmp_path / "r.json", "json")
    assert Report.model_validate_json(path.read_text(encoding="utf-8")) == report


def learn_csv_blocks(text: str) -> dict[str, pd.DataFrame]:
    """LEARN's 4-table CSV: blocks separated by a blank line, each a title line then a CSV table."""
    blocks = {}
    for block in text.split("\n\n")[1:]:
        title_line, _, body = block.partition("\n")
        (title,) = next(csv.reader([title_line]))  # one cell, quoted when it holds a comma
        blocks[title.split(".")[0]] = pd.read_csv(io.StringIO(body))
    return blocks


def test_learn_csv_tables_equal_the_report(report: Report, tmp_path: Path) -> None:
    text = write_report(report, tmp_path / "r.csv", "csv").read_text(encoding="utf-8")
    assert text.startswith(f"Boundary,{BOUNDARY},{report.boundary.name}\nInventory period,2011,2019\n")
    blocks = learn_csv_blocks(text)
    assert list(blocks) == ["Table 1", "Table 2", "Table 3", "Table 4", "Table 5"]
    m = report.change_matrix
    matrix = blocks["Table 1"].set_index(blocks["Table 1"].columns[0])
    for got, want in zip(matrix.to_numpy()[:-1, :-1].tolist(), m.hectares, strict=True):
        assert_close(got, want, rel=CSV_REL)  # 15 significant digits
    assert_close(matrix["Total"].tolist(), [*m.row_totals_ha, m.total_ha], rel=CSV_REL)
    assert (
        "14.309999999999999" not in text and "14.31," in text
    )  # 159 pixels × 0.09 ha, written as people write it
    canopy = blocks["Table 2"]
    assert list(canopy["Category"]) == [r.category for r in report.tree_canopy]
    assert_close(
        nan_to_none(canopy["Tree cover (%)"]), [r.percent_tree_cover for r in report.tree_canopy], rel=CSV_REL
    )
    assert_close(
        nan_to_none(canopy["Tree canopy loss (ha)"]),
        [r.canopy_loss_ha for r in report.tree_canopy],
        rel=CSV_REL,
    )
    inv = blocks["Table 3"]
    assert list(zip(inv["Category"], inv["Type"], strict=True)) == [
        (r.category, r.type) for r in report.inventory
    ]
    want = inventory_columns(report)
    for header, field in (
        ("Area (ha)", "area_ha"),
        ("Emissions (t CO2e/yr)", "emissions_t_co2e_per_yr"),
        ("Removals (t CO2e/yr)", "removals_t_co2e_per_yr"),
        ("Net (t CO2e/yr)", "net_t_co2e_per_yr"),
    ):
        assert_close(nan_to_none(inv[header]), want[field], rel=CSV_REL)
    body = inv[inv["Category"] != "Total"]  # Table 3 holds no severity row: its rows add up to the Total row
    assert body["Net (t CO2e/yr)"].sum() == pytest.approx(report.totals.net_t_co2e_per_yr, rel=1e-12)
    summary = blocks["Table 4"].set_index("Category")["Net (t CO2e/yr)"]
    assert summary["Net"] == pytest.approx(report.totals.net_t_co2e_per_yr, rel=CSV_REL)
    assert summary["Gross removals"] == pytest.approx(report.totals.gross_removals_t_co2e_per_yr, rel=CSV_REL)
    assert_close(
        [summary[r.category] for r in report.ipcc_summary],
        [r.net_t_co2e_per_yr for r in report.ipcc_summary],
        rel=CSV_REL,
    )
    severity = blocks["Table 5"]
    assert list(severity.columns) == [
        "Severity",
        "Canopy loss (percentage points)",
        "Area (ha)",
        "Emissions (t CO2e/yr)",
        "Emission factor column",
    ]
    want_severity = report.harvest_by_severity
    assert len(want_severity) == 4
    assert list(severity["Severity"]) == [s.severity for s in want_severity]
    assert list(severity["Canopy loss (percentage points)"]) == [s.canopy_loss_points for s in want_severity]
    assert_close(list(severity["Area (ha)"]), [s.area_ha for s in want_severity], rel=CSV_REL)
    assert_close(
        list(severity["Emissions (t CO2e/yr)"]),
        [s.emissions_t_co2e_per_yr for s in want_severity],
        rel=CSV_REL,
    )
    assert list(severity["Emission factor column"]) == [s.factors["column"] for s in want_severity]
    harvest = inv[inv["Type"] == "Harvest/Other"].iloc[0]
    assert severity["Emissions (t CO2e/yr)"].sum() == pytest.approx(
        harvest["Emissions (t CO2e/yr)"], rel=1e-12
    )


def test_learn_csv_of_a_report_without_the_breakdown_has_the_four_tables(report: Report) -> None:
    """Reports written before the severity classes were recorded keep LEARN's four tables."""
    from learn.report.csv_tables import learn_csv

    old = report.model_copy(update={"harvest_by_severity": []})
    assert list(learn_csv_blocks(learn_csv(old))) == ["Table 1", "Table 2", "Table 3", "Table 4"]


def test_tidy_csv_equals_the_report(report: Report, tmp_path: Path) -> None:
    tidy = pd.read_csv(write_report(report, tmp_path / "t.csv", "tidy-csv"), dtype={"boundary_id": str})
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert (
        set(tidy["boundary_id"]) == {BOUNDARY} and set(tidy["start"]) == {2011} and set(tidy["end"]) == {2019}
    )
    for field, values in inventory_columns(report).items():
        if pd.api.types.is_float_dtype(tidy[field]):
            assert_close(nan_to_none(tidy[field]), values, rel=CSV_REL)
        else:
            assert nan_to_none(tidy[field]) == values, field


# ---- XLSX ------------------------------------------------------------------------------------------------
def sheet_columns(ws: Any) -> dict[str, list[Any]]:
    header = [c.value for c in ws[1]]
    return {h: [row[j] for row in ws.iter_rows(min_row=2, values_only=True)] for j, h in enumerate(header)}


def assert_close(got: list[Any], want: list[float | None], rel: float = XLSX_REL) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == (None if w is None else pytest.approx(w, rel=rel, abs=0))


def assert_formatted_table(ws: Any, *, index: bool) -> None:
    """Bold filled header, frozen header row (and index column), an autofilter over the table."""
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("DDEBF7") for c in ws[1])
    assert ws.freeze_panes == ("B2" if index else "A2")
    assert ws.auto_filter.ref == ws.dimensions


def numeric_headers(ws: Any) -> set[str]:
    """Headers of columns holding numbers (years excepted)."""
    cols = sheet_columns(ws)
    return {
        str(h)
        for h, values in cols.items()
        if h not in ("start", "end")
        and any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    }


def test_xlsx_sheets_units_values_and_formats(report: Report, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    assert book.sheetnames == ["About", *TABLE_SHEETS, HARVEST_SHEET]
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert "SYNTHETIC DATA" in about["WARNING"] and book["About"]["A2"].value == "WARNING"
    assert about["Boundary"] == f"{report.boundary.name} ({BOUNDARY})"
    assert about["Period"] == "2011–2019 (8 years)"
    assert "doi:10.46830/writn.20.00011" in about["Method"] and "Appendix J" in about["Method"]
    assert "emissions positive, removals negative, net = emissions + removals" in about["Units"]
    assert about["Generated by"] == f"learn-navigator {report.provenance['software_version']}"
    assert about["Sheets"] == ", ".join([*TABLE_SHEETS, HARVEST_SHEET])

    inv = book["GHG inventory"]
    cols = sheet_columns(inv)
    assert list(cols)[6:] == ["area (ha)", "emissions (t CO2e/yr)", "removals (t CO2e/yr)", "net (t CO2e/yr)"]
    want = inventory_columns(report)
    for header, field in zip(list(cols)[6:], want, strict=True):
        assert_close(cols[header], want[field])
    assert {inv.cell(row=i, column=7).number_format for i in range(2, inv.max_row + 1)} == {"#,##0.0"}
    assert {inv.cell(row=i, column=10).number_format for i in range(2, inv.max_row + 1)} == {"#,##0"}
    assert_formatted_table(inv, index=False)

    summary = sheet_columns(book["IPCC summary"])
    assert summary["category"][-1] == "Net"
    assert_close(summary["net (t CO2e/yr)"][-1:], [report.totals.net_t_co2e_per_yr])

    canopy = book["Tree canopy"]
    assert_close(sheet_columns(canopy)["tree cover (%)"], [r.percent_tree_cover for r in report.tree_canopy])
    assert canopy.cell(row=2, column=5).number_format == "0.0"

    matrix = book["Change matrix (ha)"]
    header = [c.value for c in matrix[1]]
    assert header[0] == "2011 \\ 2019 (ha)" and header[1] == "41 Deciduous Forest (ha)"
    assert header[-1] == "Total (ha)"
    cells = [
        list(r[1:-1])
        for r in matrix.iter_rows(min_row=2, max_row=len(report.change_matrix.classes) + 1, values_only=True)
    ]
    for got, want_row in zip(cells, report.change_matrix.hectares, strict=True):
        assert_close(got, want_row)
    assert matrix.cell(row=3, column=3).number_format == "#,##0.0"
    assert_formatted_table(matrix, index=True)

    for name in TABLE_SHEETS:  # every column of numbers says its unit, and so its display format
        assert all(labels_mod.number_format(h) for h in numeric_headers(book[name])), name
    assert sheet_columns(book["Warnings"])["warning"] == report.warnings

    severity = book[HARVEST_SHEET]
    cols = sheet_columns(severity)
    assert list(cols) == [
        "severity",
        "canopy loss (percentage points)",
        "area (ha)",
        "emissions (t CO2e/yr)",
        "emission factor column",
    ]
    assert cols["severity"] == [1, 2, 3, 4]
    assert cols["canopy loss (percentage points)"] == ["1–25", "26–50", "51–75", "76–100"]
    assert_close(cols["area (ha)"], [s.area_ha for s in report.harvest_by_severity])
    assert_close(
        cols["emissions (t CO2e/yr)"], [s.emissions_t_co2e_per_yr for s in report.harvest_by_severity]
    )
    assert {severity.cell(row=i, column=4).number_format for i in range(2, 6)} == {"#,##0"}
    assert_formatted_table(severity, index=False)
    # The GHG inventory sheet holds no severity row, so a sum over it counts harvest once.
    assert sheet_columns(inv)["type"] == [r.type for r in report.inventory]


def test_xlsx_of_a_real_region_has_no_synthetic_warning(report: Report, tmp_path: Path) -> None:
    real = non_synthetic(report)
    about = dict(
        openpyxl.load_workbook(write_report(real, tmp_path / "r.xlsx", "xlsx"))["About"].iter_rows(
            values_only=True
        )
    )
    assert "WARNING" not in about and "SYNTHETIC" not in " ".join(map(str, about.values()))


def non_synthetic(report: Report) -> Report:
    """The same numbers as if they came from a real region (no synthetic flag, no synthetic warning)."""
    return report.model_copy(
        update={
            "provenance": {**report.provenance, "synthetic": False},
            "warnings": [w for w in report.warnings if not w.startswith("SYNTHETIC")],
        }
    )


# ---- HTML ------------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """Tags, attributes, visible text and tables (caption → rows of cell texts) of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._current = ""
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._current = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self.tables[self._current] = self._rows

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for sink in (self._caption, self._cell):
            if sink is not None:
                sink.append(data)

    def table(self, caption_start: str) -> list[list[str]]:
        return next(rows for caption, rows in self.tables.items() if caption.startswith(caption_start))


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def number(text: str) -> float | None:
    return None if text == "n/a" else float(text.replace(",", ""))


def test_html_report_shows_the_report(report: Report, tmp_path: Path) -> None:
    text = write_report(report, tmp_path / "r.html", "html").read_text(encoding="utf-8")
    page = Page(text)
    assert "Alder County (99001) 2011–2019" in between(text, "<title>", "</title>")
    assert "SYNTHETIC DATA" in between(text, '<div class="banner" role="alert">', "</div>")
    visible = " ".join(page.text)
    t = report.totals
    for value in (t.net_t_co2e_per_yr, t.gross_emissions_t_co2e_per_yr, t.gross_removals_t_co2e_per_yr):
        assert f"{value:,.0f}" in visible
    inv = page.table("GHG inventory")
    assert inv[0] == [
        "Category",
        "Type",
        "Area (ha)",
        "Emissions (t CO2e/yr)",
        "Removals (t CO2e/yr)",
        "Net (t CO2e/yr)",
    ]
    # Harvest/Other is followed by its four severity classes, named "of which" and without a net of their own.
    at = 1 + [r.type for r in report.inventory].index("Harvest/Other") + 1
    classes, inv = inv[at : at + 4], inv[:at] + inv[at + 4 :]
    assert [r[1] for r in classes] == [
        f"of which severity {s.severity} ({s.canopy_loss_points} points canopy loss)"
        for s in report.harvest_by_severity
    ]
    for row, s in zip(classes, report.harvest_by_severity, strict=True):
        assert row[0] == "Forest Remaining Forest" and row[4:] == ["", ""]
        assert (
            abs(number(row[2]) - s.area_ha) <= 0.05 and abs(number(row[3]) - s.emissions_t_co2e_per_yr) <= 0.5
        )
    assert text.count('<tr class="breakdown">') == 4
    assert [tuple(r[:2]) for r in inv[1:]] == [(r.category, r.type) for r in report.inventory]
    for row, want in zip(inv[1:], report.inventory, strict=True):
        got = number(row[5])
        assert (got is None) == (want.net_t_co2e_per_yr is None)
        if got is not None and want.net_t_co2e_per_yr is not None:
            assert abs(got - want.net_t_co2e_per_yr) <= 0.5  # displayed to the tonne
    matrix = page.table("Land use change matrix (ha)")
    assert [r[0] for r in matrix[1:-1]][:2] == ["41 Deciduous Forest", "42 Evergreen Forest"]
    got = np.array([[number(v) for v in r[1:-1]] for r in matrix[1:-1]], dtype=float)
    assert np.abs(got - np.array(report.change_matrix.hectares)).max() <= 0.05  # displayed to 0.1 ha
    assert {"IPCC summary (t CO2e/yr)", "Tree canopy summary (non-forest land)"} <= set(page.tables)
    for sha in report.provenance["factor_tables"].values():
        assert sha in visible
    assert report.provenance["tof_factor_rows"]["rf"]["source"] in visible
    for cited in (
        "doi:10.46830/writn.20.00011",
        "Appendix J",
        "erin-glen/learn_analysis",
        "emissions positive",
    ):
        assert cited in visible
    for warning in report.warnings:
        assert warning in visible
    # The demo is complete (every forest code has a factor row) and its factors have standard errors: the
    # page shows no partial notice but the net's 90 % interval (a partial page: test_single_report_exports_…).
    assert report.totals.complete and 'id="partial-total"' not in text
    assert f"({interval_text(report.totals)})" in visible and interval_text(report.totals).startswith(
        "90 %: "
    )
    assert "@media print" in text and "break-before: page" in text


def test_html_is_self_contained_and_deterministic(report: Report, tmp_path: Path) -> None:
    first = write_report(report, tmp_path / "a.html", "html").read_bytes()
    assert write_report(report, tmp_path / "b.html", "html").read_bytes() == first
    page = Page(first.decode("utf-8"))
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object", "embed")]
    assert "http://" not in first.decode() and "https://" not in first.decode() and b"url(" not in first
    for tag, attrs in page.tags:
        for key in ("src", "href", "srcset", "data"):
            assert attrs.get(key) is None or (tag == "img" and key == "src"), (tag, attrs)
    images = [a["src"] for t, a in page.tags if t == "img"]
    assert len(images) == 2  # bar chart and change-matrix heat map
    for src in images:
        assert src is not None and src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png.startswith(PNG_SIGNATURE) and b"Software" not in png
        with Image.open(io.BytesIO(png)) as im:
            assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200


def test_html_escapes_text_and_drops_the_banner_for_real_regions(report: Report) -> None:
    real = non_synthetic(report)
    hostile = real.model_copy(
        update={"boundary": real.boundary.model_copy(update={"name": "<b>Oak & Elm</b>"})}
    )
    text = render_html(hostile)
    assert "<b>Oak" not in text and "&lt;b&gt;Oak &amp; Elm&lt;/b&gt;" in text
    assert "SYNTHETIC DATA" not in text and 'class="banner"' not in text


def test_cli_writes_the_html_report(
    demo_catalog: Path, report: Report, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "report.html"
    args = [
        "inventory",
        "--catalog",
        str(demo_catalog),
        "-r",
        "demo",
        "-b",
        BOUNDARY,
        "--years",
        "2011",
        "2019",
    ]
    code, _, err = run_cli([*args, "--format", "html", "--out", str(out)], monkeypatch, capsys)
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == render_html(report)


# ---- batch -----------------------------------------------------------------------------------------------
def test_batch_outputs_read_back(demo_catalog: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "batch"
    args = [
        "batch",
        "--catalog",
        str(demo_catalog),
        "-r",
        "demo",
        "--years",
        "2011",
        "2019",
        "--out",
        str(out),
    ]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    stored = [Report.model_validate_json(p.read_text()) for p in (out / "2011_2019").glob("*.json")]
    reports = {r.boundary.id: r for r in stored}
    ids = learn.open_region("demo", demo_catalog).boundaries.ids()
    assert sorted(reports) == sorted(ids)
    totals = ("gross_emissions_t_co2e_per_yr", "gross_removals_t_co2e_per_yr", "net_t_co2e_per_yr")
    totals += ("net_p05_t_co2e_per_yr", "net_p95_t_co2e_per_yr")
    for name in ("boundaries.gpkg", "boundaries.geojson", "boundaries_2011_2019.parquet"):
        geo = gpd.read_parquet(out / name) if name.endswith(".parquet") else gpd.read_file(out / name)
        assert geo.crs.to_epsg() == 4326 and len(geo) == len(ids), name
        assert sorted(geo["boundary_id"]) == sorted(ids) and geo.geometry.is_valid.all()
        for row in geo.itertuples():
            rep = reports[row.boundary_id]
            assert [getattr(row, f) for f in totals] == [getattr(rep.totals, f) for f in totals], name
            assert row.net_t_co2e_per_ha_yr == rep.totals.net_t_co2e_per_yr / rep.boundary.area_ha
            if name != "boundaries.geojson":  # the per-period layers: the net of each IPCC category too
                ipcc = {
                    "_".join(s.category.lower().replace("-", " ").split()) + "_net_t_co2e_per_yr": s
                    for s in rep.ipcc_summary
                    if s.category != "Total"
                }
                assert len(ipcc) == 4 and "forest_remaining_forest_net_t_co2e_per_yr" in ipcc
                for col, s in ipcc.items():
                    assert getattr(row, col) == s.net_t_co2e_per_yr, (name, col)
    tidy_csv = pd.read_csv(out / "inventory.csv", dtype={"boundary_id": str})
    tidy_parquet = pd.read_parquet(out / "inventory.parquet")
    pd.testing.assert_frame_equal(tidy_csv, tidy_parquet, check_dtype=False)

    book = openpyxl.load_workbook(out / "inventory.xlsx")
    assert book.sheetnames == ["About", "Inventory", "Totals"]
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert "SYNTHETIC DATA" in about["WARNING"] and about["Periods"] == "2011–2019"
    assert about["Boundaries"] == str(len(ids))
    inventory = sheet_columns(book["Inventory"])
    assert len(inventory["boundary_id"]) == len(tidy_parquet)
    assert_close(inventory["net (t CO2e/yr)"], nan_to_none(tidy_parquet["net_t_co2e_per_yr"]))
    sheet = sheet_columns(book["Totals"])
    assert list(sheet)[4:] == [
        "area (ha)",
        "gross emissions (t CO2e/yr)",
        "gross removals (t CO2e/yr)",
        "net (t CO2e/yr)",
        "net p05 (t CO2e/yr)",  # the 90 % interval: the demo's factor table has standard errors
        "net p95 (t CO2e/yr)",
        "net (t CO2e/ha/yr)",
        "totals_complete",
        "not_estimated",
    ]
    # Every layer, factor table and factor row: every total is complete (a partial batch:
    # test_batch_outputs_say_which_totals_are_partial).
    assert sheet["totals_complete"] == [True] * len(ids)
    assert "Totals" not in about or not about["Totals"].startswith("partial")
    for bid, lo, hi in zip(
        sheet["boundary_id"], sheet["net p05 (t CO2e/yr)"], sheet["net p95 (t CO2e/yr)"], strict=True
    ):
        t = reports[bid].totals
        assert (lo, hi) == pytest.approx(
            (t.net_p05_t_co2e_per_yr, t.net_p95_t_co2e_per_yr), rel=XLSX_REL, abs=0
        )
        assert lo < t.net_t_co2e_per_yr < hi
    for bid, net in zip(sheet["boundary_id"], sheet["net (t CO2e/yr)"], strict=True):
        assert net == pytest.approx(reports[bid].totals.net_t_co2e_per_yr, rel=XLSX_REL, abs=0)
    assert book["Totals"].cell(row=2, column=11).number_format == "#,##0.00"  # net per ha
    assert_formatted_table(book["Totals"], index=False)


@pytest.fixture
def partial_region(partial_region_catalog: Path) -> learn.Region:
    """Every layer but the carbon pools (conftest.partial_region_catalog): A partial, B complete."""
    return learn.open_region("t", partial_region_catalog)


def test_batch_outputs_say_which_totals_are_partial(
    partial_region: learn.Region, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "batch"
    catalog = str(partial_region.catalog.path)
    args = ["batch", "--catalog", catalog, "-r", "t", "--years", "2011", "2019", "--out", str(out)]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    assert "1 of 2 reports have partial totals" in err
    from learn.pipeline.batch import report_file_name

    a, b = (Report.model_validate_json((out / "2011_2019" / report_file_name(i)).read_text()) for i in "AB")
    assert (a.totals.complete, a.totals.not_estimated) == (False, ["Forest Change — To Settlement"])
    assert (b.totals.complete, b.totals.not_estimated) == (True, [])
    want = {"A": (False, "Forest Change — To Settlement"), "B": (True, "")}
    for name in ("boundaries.gpkg", "boundaries.geojson", "boundaries_2011_2019.parquet"):
        geo = gpd.read_parquet(out / name) if name.endswith(".parquet") else gpd.read_file(out / name)
        got = {
            row.boundary_id: (bool(row.totals_complete), row.not_estimated or "") for row in geo.itertuples()
        }
        assert got == want, name
        assert geo["totals_complete"].dtype == bool, name
    book = openpyxl.load_workbook(out / "inventory.xlsx")
    sheet = sheet_columns(book["Totals"])
    got = dict(
        zip(
            sheet["boundary_id"],
            zip(sheet["totals_complete"], sheet["not_estimated"], strict=True),
            strict=True,
        )
    )
    assert {k: (c, n or "") for k, (c, n) in got.items()} == want
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["Totals"].startswith("partial in 1 of 2 reports")
    frame = partial_region.batch([(2011, 2019)], out).geoframe  # the Python API's frame: the same columns
    assert dict(zip(frame["boundary_id"], frame["not_estimated"], strict=True)) == {
        k: v[1] for k, v in want.items()
    }


def test_single_report_exports_show_a_partial_total(partial_region: learn.Region, tmp_path: Path) -> None:
    rep = partial_region.inventory("A", PERIOD)
    page = Page(render_html(rep))
    notice = [a for t, a in page.tags if a.get("id") == "partial-total"]
    assert notice and notice[0]["role"] == "note"
    text = " ".join(" ".join(page.text).split())
    assert "Partial total — not estimated:" in text and "Forest Change — To Settlement" in text
    book = openpyxl.load_workbook(write_report(rep, tmp_path / "r.xlsx", "xlsx"))
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert (
        about["Totals"]
        == "Partial total — not estimated (left out of the totals): Forest Change — To Settlement"
    )
    complete = partial_region.inventory("B", PERIOD)
    assert 'id="partial-total"' not in render_html(complete)
    assert "Totals" not in dict(
        openpyxl.load_workbook(write_report(complete, tmp_path / "b.xlsx", "xlsx"))["About"].iter_rows(
            values_only=True
        )
    )


# ---- failed writes ---------------------------------------------------------------------------------------
def test_missing_folders_are_created(report: Report, tmp_path: Path) -> None:
    path = write_report(report, tmp_path / "new" / "deeper" / "r.json", "json")
    assert json.loads(path.read_text())["boundary"]["id"] == BOUNDARY


@pytest.mark.parametrize("fmt", ["json", "xlsx", "html"])
def test_unwritable_target_is_a_clear_error(report: Report, tmp_path: Path, fmt: str) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(LearnError, match=r"notes.txt is a file, not a folder"):
        write_report(report, a_file / f"r.{fmt}", fmt)
    a_folder = tmp_path / f"taken.{fmt}"
    a_folder.mkdir()
    with pytest.raises(LearnError, match=rf"cannot write .*taken.{fmt}: Is a directory"):
        write_report(report, a_folder, fmt)
    assert a_file.read_text() == "keep me" and list(a_folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", f"taken.{fmt}"]  # no temporary left


def test_cli_reports_an_unwritable_target(demo_catalog: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "notes.txt").write_text("")
    args = [
        "inventory",
        "--catalog",
        str(demo_catalog),
        "-r",
        "demo",
        "-b",
        BOUNDARY,
        "--years",
        "2011",
        "2019",
    ]
    code, out, err = run_cli(
        [*args, "-f", "xlsx", "--out", str(tmp_path / "notes.txt" / "r.xlsx")], monkeypatch, capsys
    )
    assert code == 2 and "is a file, not a folder" in " ".join(err.split())  # rich wraps long lines
    assert "Traceback" not in out + err


def test_a_failure_mid_write_leaves_the_old_file(report: Report, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"previous")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")  # after the workbook has started being written

    monkeypatch.setattr(xlsx_mod, "_write_table", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(report, target, "xlsx")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_outputs_get_the_usual_file_permissions(tmp_path: Path) -> None:
    """Atomic writes go through mkstemp (mode 0600); the finished file gets 0666 minus the umask, as any output."""
    import learn.util

    target = tmp_path / "shared" / "report.csv"
    learn.util.write_text_atomic(target, "a,b\n1,2\n")
    assert target.stat().st_mode & 0o777 == 0o666 & ~learn.util._UMASK
    assert target.read_text() == "a,b\n1,2\n"


# ---- no server paths in shared outputs (D16) ----------------------------------------------------------------
def test_outputs_name_files_relative_to_the_catalog_folder(
    report: Report, demo_catalog: Path, tmp_path: Path
) -> None:
    prov = report.provenance
    assert prov["catalog"] == "data_catalog.yaml"
    assert prov["layers"]["land_cover_start"]["path"] == "data/demo/land_cover_2011.tif"
    assert prov["layers"]["land_cover_start"]["source"] == "synthetic (learn demo)"
    assert set(prov["factor_tables"]) == {
        "learn/factors/demo_forest_factors_SYNTHETIC.csv",
        "learn/factors/tof_factors_learn_defaults.csv",
    }
    reforestation = next(r for r in report.inventory if r.type.startswith("Reforestation"))
    assert reforestation.factors["table"] == "learn/factors/demo_forest_factors_SYNTHETIC.csv"
    server = str(demo_catalog.parent.resolve())
    assert server not in report.to_json()
    assert server not in render_html(report)
    book = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not any(server in c for c in cells)
    assert "data/demo/land_cover_2011.tif" in cells


def test_files_outside_the_catalog_folder_are_named_relative_to_it(tmp_path: Path) -> None:
    from learn.pipeline.region_report import path_for_reports

    base = tmp_path / "catalogs"
    assert path_for_reports(base / "data" / "x.tif", base) == "data/x.tif"
    assert path_for_reports(base / ".." / "other" / "y.tif", base) == "../other/y.tif"
    assert path_for_reports("https://example.org/lc.tif", base) == "https://example.org/lc.tif"
