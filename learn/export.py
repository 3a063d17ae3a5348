"""Write reports: JSON, CSV in LEARN's 4-table layout, a tidy CSV, and XLSX (one sheet per table).

Machine outputs keep full precision. Every writer goes through a temporary file and a rename, so a
failed or interrupted export never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from learn.landuse import NLCD_NAMES
from learn.results import Report
from learn.util import atomic_path, write_text_atomic

FORMATS = ("json", "csv", "tidy-csv", "xlsx")
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


def write_xlsx(report: Report, path: Path) -> None:
    inv = inventory_frame(report).rename(
        columns={
            "area_ha": "area (ha)",
            "emissions_t_co2e_per_yr": "emissions (t CO2e/yr)",
            "removals_t_co2e_per_yr": "removals (t CO2e/yr)",
            "net_t_co2e_per_yr": "net (t CO2e/yr)",
        }
    )
    sheets = {
        "GHG inventory": inv,
        "IPCC summary": summary_frame(report).rename(columns={"net_t_co2e_per_yr": "net (t CO2e/yr)"}),
        "Change matrix (ha)": change_matrix_frame(report),
        "Tree canopy": canopy_frame(report).rename(
            columns={
                "area_ha": "area (ha)",
                "canopy_ha": "canopy (ha)",
                "canopy_loss_ha": "canopy loss (ha)",
                "percent_tree_cover": "tree cover (%)",
            }
        ),
        "Warnings": pd.DataFrame({"warning": report.warnings}),
        "Provenance": provenance_frame(report),
    }
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=name == "Change matrix (ha)")
            ws = xl.sheets[name]
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
            ws.freeze_panes = "B2" if name == "Change matrix (ha)" else "A2"


def write_report(report: Report, path: str | Path, fmt: str) -> Path:
    """Write one report in ``fmt`` (json | csv | tidy-csv | xlsx) to ``path``, atomically."""
    path = Path(path)
    if fmt == "json":
        write_text_atomic(path, report.to_json())
    elif fmt == "csv":
        write_text_atomic(path, learn_csv(report))
    elif fmt == "tidy-csv":
        write_text_atomic(path, inventory_frame(report).to_csv(index=False, lineterminator="\n"))
    elif fmt == "xlsx":
        write_xlsx(report, path)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    return path
