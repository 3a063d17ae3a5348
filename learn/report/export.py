"""Write reports: JSON, CSV in LEARN's 4-table layout, a tidy CSV, XLSX (one sheet per table) and a
printable HTML report (``learn.report.html``).

Machine outputs keep full precision; the XLSX only sets display formats (its cells hold the numbers).
Every writer goes through a temporary file and a rename, so a failed or interrupted export never
leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from learn.errors import LearnError
from learn.landuse import NLCD_NAMES
from learn.report.models import Report
from learn.util import atomic_path, write_text_atomic

FORMATS = ("json", "csv", "tidy-csv", "xlsx", "html")
METHOD_CITATION = (
    "ICLEI USA / WRI LEARN method (IPCC gain-loss approach): Glen, Harris & Birdsey 2024, "
    "LEARN Tool: Data Sources and Calculation Methods, WRI Technical Note v1.1, doi:10.46830/writn.20.00011; "
    'ICLEI U.S. Community Protocol Appendix J "Forest Land and Trees" (2019); '
    "analysis code erin-glen/learn_analysis (MIT)"
)
UNITS_CONVENTION = (
    "Fluxes in t CO2e/yr: emissions positive, removals negative, net = emissions + removals. "
    "Areas in hectares (ha). Empty or n/a = could not be computed (see warnings), never zero."
)
SYNTHETIC_WARNING = (
    "SYNTHETIC DATA: an invented demo landscape, not a real place and not real data; "
    "do not use these numbers for reporting."
)
# Excel's sheet limit (rows, including the header row).
EXCEL_MAX_ROWS = 1_048_576
TIDY_COLUMNS = (
    "boundary_id",
    "boundary_name",
    "start",
    "end",
    "category",
    "type",
    "area_ha",
    "emissions_t_co2e_per_yr",
    "removals_t_co2e_per_yr",
    "net_t_co2e_per_yr",
)


#: Joins the rows of ``Totals.not_estimated`` in one text cell (tables, GeoPackage, GeoJSON properties).
NOT_ESTIMATED_SEPARATOR = "; "


def totals_flags(report: Report) -> dict[str, Any]:
    """Whether the report's totals are complete, as flat columns for tables of totals:
    ``totals_complete`` (bool) and ``not_estimated`` (the rows left out of the totals, "; "-joined text,
    empty when complete)."""
    return {
        "totals_complete": report.totals.complete,
        "not_estimated": NOT_ESTIMATED_SEPARATOR.join(report.totals.not_estimated),
    }


def not_estimated_text(report: Report) -> str:
    """ "not estimated (left out of the totals): rows" — how every display names what a partial total lacks."""
    return "not estimated (left out of the totals): " + NOT_ESTIMATED_SEPARATOR.join(
        report.totals.not_estimated
    )


def partial_total_text(report: Report) -> str | None:
    """The line "Partial total — not estimated …: rows" shown with the totals; None when they are complete."""
    return None if report.totals.complete else f"Partial total — {not_estimated_text(report)}"


def inventory_frame(report: Report) -> pd.DataFrame:
    """The GHG inventory rows as a tidy table (one row per report row)."""
    rows = [
        {
            "boundary_id": report.boundary.id,
            "boundary_name": report.boundary.name,
            "start": report.period.start,
            "end": report.period.end,
            **r.model_dump(exclude={"factors"}),
        }
        for r in report.inventory
    ]
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def tidy_frame(reports: Iterable[Report]) -> pd.DataFrame:
    frames = [inventory_frame(r) for r in reports]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(TIDY_COLUMNS))


def change_matrix_frame(report: Report) -> pd.DataFrame:
    """Change matrix (ha) with NLCD labels; rows = start year, columns = end year, plus totals."""
    m = report.change_matrix
    labels = [f"{c} {NLCD_NAMES.get(c, '')}".strip() for c in m.classes]
    df = pd.DataFrame(m.hectares, index=labels, columns=labels)
    df["Total"] = m.row_totals_ha
    df.loc["Total"] = [*m.column_totals_ha, m.total_ha]
    df.index.name = f"{report.period.start} \\ {report.period.end} (ha)"
    return df


def canopy_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame([r.model_dump() for r in report.tree_canopy])[
        ["category", "area_ha", "canopy_ha", "canopy_loss_ha", "percent_tree_cover"]
    ]


def summary_frame(report: Report) -> pd.DataFrame:
    rows = [r.model_dump() for r in report.ipcc_summary]
    t = report.totals
    rows += [
        {"category": "Gross emissions", "net_t_co2e_per_yr": t.gross_emissions_t_co2e_per_yr},
        {"category": "Gross removals", "net_t_co2e_per_yr": t.gross_removals_t_co2e_per_yr},
        {"category": "Net", "net_t_co2e_per_yr": t.net_t_co2e_per_yr},
    ]
    return pd.DataFrame(rows)


def _csv_block(title: str, frame: pd.DataFrame, index: bool = False) -> str:
    buf = io.StringIO()
    buf.write(f"{title}\n")
    frame.to_csv(buf, index=index, lineterminator="\n")
    return buf.getvalue()


def learn_csv(report: Report) -> str:
    """LEARN's 4-table report layout: change matrix, canopy summary, GHG inventory, IPCC summary."""
    head = io.StringIO()
    w = csv.writer(head, lineterminator="\n")
    w.writerow(["Boundary", report.boundary.id, report.boundary.name])
    w.writerow(["Inventory period", report.period.start, report.period.end])
    for warning in report.warnings:
        w.writerow(["Warning", warning])
    inv = inventory_frame(report)[list(TIDY_COLUMNS[4:])]
    inv.columns = [
        "Category",
        "Type",
        "Area (ha)",
        "Emissions (t CO2e/yr)",
        "Removals (t CO2e/yr)",
        "Net (t CO2e/yr)",
    ]
    blocks = [
        head.getvalue(),
        _csv_block("Table 1. Land use change matrix (ha)", change_matrix_frame(report), index=True),
        _csv_block(
            "Table 2. Tree canopy summary",
            canopy_frame(report).rename(
                columns={
                    "category": "Category",
                    "area_ha": "Area (ha)",
                    "canopy_ha": "Tree canopy (ha)",
                    "canopy_loss_ha": "Tree canopy loss (ha)",
                    "percent_tree_cover": "Tree cover (%)",
                }
            ),
        ),
        _csv_block("Table 3. GHG inventory (t CO2e/yr; emissions positive, removals negative)", inv),
        _csv_block(
            "Table 4. IPCC summary (t CO2e/yr)",
            summary_frame(report).rename(
                columns={"category": "Category", "net_t_co2e_per_yr": "Net (t CO2e/yr)"}
            ),
        ),
    ]
    return "\n".join(blocks)


def provenance_frame(report: Report) -> pd.DataFrame:
    def flat(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from flat(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            yield prefix, json.dumps(value) if isinstance(value, list) else str(value)

    return pd.DataFrame(list(flat("", report.provenance)), columns=["key", "value"])


# Column-name suffix → unit shown in the XLSX header (longest suffix first).
_UNIT_SUFFIXES = (
    ("_t_co2e_per_ha_yr", "t CO2e/ha/yr"),
    ("_t_co2e_per_yr", "t CO2e/yr"),
    ("_ha", "ha"),
)
# Header unit → Excel number format: thousands separators; ha 1 decimal, fluxes 0 decimals.
_NUMBER_FORMATS = (
    ("(t CO2e/ha/yr)", "#,##0.00"),
    ("(t CO2e/yr)", "#,##0"),
    ("(ha)", "#,##0.0"),
    ("(%)", "0.0"),  # values are percent points (0–100), so no Excel "%" scaling
)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WARNING_FONT = Font(bold=True, color="C00000")

# A sheet to write: its frame and whether the frame's index is written as the first column.
Sheet = tuple[pd.DataFrame, bool]


def unit_header(column: str) -> str:
    """Header with its unit: ``net_t_co2e_per_yr`` → ``net (t CO2e/yr)``, ``area_ha`` → ``area (ha)``,
    ``percent_tree_cover`` → ``tree cover (%)``; columns without a unit are returned unchanged."""
    if column.startswith("percent_"):
        return f"{column.removeprefix('percent_').replace('_', ' ')} (%)"
    for suffix, unit in _UNIT_SUFFIXES:
        if column.endswith(suffix):
            return f"{column.removesuffix(suffix).replace('_', ' ')} ({unit})"
    return column


def with_unit_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every numeric column named with its unit (see ``unit_header``)."""
    return frame.rename(columns=unit_header)


def number_format(header: str) -> str | None:
    """Excel number format for a header carrying its unit, or None (text, ids, years)."""
    return next((fmt for unit, fmt in _NUMBER_FORMATS if header.endswith(unit)), None)


def change_matrix_sheet(report: Report) -> pd.DataFrame:
    """The change matrix (ha) with the unit in every column header."""
    frame = change_matrix_frame(report)
    frame.columns = [f"{c} (ha)" for c in frame.columns]
    return frame


def report_sheets(report: Report) -> dict[str, Sheet]:
    """The workbook's table sheets (names are a contract: keep them, add new ones)."""
    return {
        "GHG inventory": (with_unit_headers(inventory_frame(report)), False),
        "IPCC summary": (with_unit_headers(summary_frame(report)), False),
        "Change matrix (ha)": (change_matrix_sheet(report), True),
        "Tree canopy": (with_unit_headers(canopy_frame(report)), False),
        "Warnings": (pd.DataFrame({"warning": report.warnings}), False),
        "Provenance": (provenance_frame(report), False),
    }


def generated_by(provenance: dict[str, Any]) -> str:
    """``learn-navigator VERSION`` plus the date when the provenance records one."""
    text = f"learn-navigator {provenance.get('software_version', 'unknown')}"
    date = provenance.get("date")
    return f"{text}, {date}" if date else text


def about_rows(report: Report) -> list[tuple[str, str]]:
    """(item, text) rows of the workbook's About sheet for one report."""
    b, p, prov = report.boundary, report.period, report.provenance
    rows = [("WARNING", SYNTHETIC_WARNING)] if prov.get("synthetic") else []
    rows += [
        ("Boundary", f"{b.name} ({b.id})"),
        ("Region", str(prov.get("region", ""))),
        ("Period", f"{p.start}–{p.end} ({p.years} years)"),
        ("Area", f"{b.area_ha:,.1f} ha counted"),
        ("Net", f"{report.totals.net_t_co2e_per_yr:,.0f} t CO2e/yr"),
    ]
    partial = partial_total_text(report)
    if partial:
        rows.append(("Totals", partial))
    rows += [
        ("Units", UNITS_CONVENTION),
        ("Method", METHOD_CITATION),
        ("Generated by", generated_by(prov)),
    ]
    return rows


def write_xlsx(report: Report, path: Path) -> None:
    """One report as a formatted workbook: an About sheet, then one sheet per table."""
    write_tables_xlsx(path, about_rows(report), report_sheets(report))


def write_tables_xlsx(path: str | Path, about: list[tuple[str, str]], sheets: dict[str, Sheet]) -> None:
    """A workbook with a first About sheet and formatted table sheets, written atomically.

    Cells hold the full-precision numbers; only the display is formatted (units are in the headers).
    """
    about = [*about, ("Sheets", ", ".join(sheets))]
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        pd.DataFrame(about, columns=["Item", "Value"]).to_excel(xl, sheet_name="About", index=False)
        _style_about(xl.sheets["About"])
        for name, (frame, index) in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=index)
            _style_table(xl.sheets[name], frame, index=index)


def fits_excel(frame: pd.DataFrame) -> bool:
    """Whether the frame (plus its header row) fits on one Excel sheet."""
    return len(frame) + 1 <= EXCEL_MAX_ROWS


def batch_about_rows(reports: Sequence[Report]) -> list[tuple[str, str]]:
    """(item, text) rows of the About sheet of a batch workbook (many boundaries and periods)."""
    prov = reports[0].provenance if reports else {}
    periods = sorted({(r.period.start, r.period.end) for r in reports})
    rows = [("WARNING", SYNTHETIC_WARNING)] if any(r.provenance.get("synthetic") for r in reports) else []
    rows += [
        ("Region", str(prov.get("region", ""))),
        ("Boundaries", f"{len({r.boundary.id for r in reports})}"),
        ("Periods", ", ".join(f"{a}–{b}" for a, b in periods)),
    ]
    partial = sum(not r.totals.complete for r in reports)
    if partial:
        rows.append(
            (
                "Totals",
                f"partial in {partial} of {len(reports)} reports: some rows could not be estimated and are left "
                "out of their totals (Totals sheet: totals_complete, not_estimated)",
            )
        )
    rows += [
        ("Units", UNITS_CONVENTION),
        ("Method", METHOD_CITATION),
        ("Generated by", generated_by(prov)),
    ]
    return rows


def write_batch_xlsx(reports: Sequence[Report], tidy: pd.DataFrame, totals: pd.DataFrame, path: Path) -> None:
    """The batch as a workbook: About, every boundary's inventory rows, and the totals per boundary.

    ``tidy`` is :func:`tidy_frame` of the reports, ``totals`` one row per boundary and period (ha,
    t CO2e/yr, t CO2e/ha/yr). Rows beyond Excel's sheet limit stay in the CSV/Parquet files only.
    """
    about = batch_about_rows(reports)
    sheets: dict[str, Sheet] = {}
    if fits_excel(tidy):
        sheets["Inventory"] = (with_unit_headers(tidy), False)
    else:
        about.append(
            ("Inventory", "too many rows for one Excel sheet: see inventory.csv or inventory.parquet")
        )
    sheets["Totals"] = (with_unit_headers(totals), False)
    write_tables_xlsx(path, about, sheets)


def _style_header(ws: Worksheet) -> None:
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _style_about(ws: Worksheet) -> None:
    _style_header(ws)
    for item, value in ws.iter_rows(min_row=2):
        item.font = _WARNING_FONT if item.value == "WARNING" else _HEADER_FONT
        value.alignment = Alignment(wrap_text=True, vertical="top")
        if item.value == "WARNING":
            value.font = _WARNING_FONT
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    ws.freeze_panes = "A2"


def _style_table(ws: Worksheet, frame: pd.DataFrame, *, index: bool) -> None:
    """Bold filled header, number formats from the headers' units, widths, frozen header, autofilter."""
    _style_header(ws)
    first = 2 if index else 1  # first data column (1-based)
    for j, header in enumerate(frame.columns, start=first):
        fmt = number_format(str(header))
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = fmt
    if index:
        for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
            cell.font = _HEADER_FONT
    _set_widths(ws)
    ws.freeze_panes = "B2" if index else "A2"
    ws.auto_filter.ref = ws.dimensions


def _display_width(value: Any) -> int:
    """Approximate characters a cell needs (numbers with thousands separators)."""
    if value is None:
        return 0
    if isinstance(value, float | int) and not isinstance(value, bool):
        return len(f"{value:,.1f}")
    return len(str(value))


def _set_widths(ws: Worksheet) -> None:
    for col in ws.iter_cols():
        width = max(_display_width(c.value) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 3), 60)


def _write_html(report: Report, path: Path) -> None:
    from learn.report.html import write_html  # lazy: matplotlib and jinja2 only when asked for

    write_html(report, path)


_WRITERS: dict[str, Callable[[Report, Path], None]] = {
    "json": lambda r, p: write_text_atomic(p, r.to_json()),
    "csv": lambda r, p: write_text_atomic(p, learn_csv(r)),
    "tidy-csv": lambda r, p: write_text_atomic(
        p, inventory_frame(r).to_csv(index=False, lineterminator="\n")
    ),
    "xlsx": write_xlsx,
    "html": _write_html,
}


def _check_folder(path: Path) -> None:
    """Fail with a clear message when a parent of ``path`` is a file (missing folders are created)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise LearnError(
                    f"cannot write {path}: {parent} is a file, not a folder",
                    hint="choose an output path inside a folder",
                )
            return


def write_report(report: Report, path: str | Path, fmt: str) -> Path:
    """Write one report in ``fmt`` (json | csv | tidy-csv | xlsx | html) to ``path``, atomically.

    Missing folders are created; any failure leaves no file behind (and an existing file unchanged).
    """
    path = Path(path)
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    _check_folder(path)
    try:
        writer(report, path)
    except OSError as e:
        raise LearnError(
            f"cannot write {path}: {e.strerror or e}", hint="choose a path in a folder you can write to"
        ) from e
    return path
