"""A report as CSV in LEARN's 4-table layout (change matrix, canopy summary, GHG inventory, IPCC summary),
then Table 5, Harvest/Other by severity (the 2026 LEARN update), kept out of Table 3 so that a sum over
Table 3's rows never counts harvest twice."""

from __future__ import annotations

import csv
import io

import pandas as pd

from learn.report.frames import (
    TIDY_COLUMNS,
    canopy_frame,
    change_matrix_frame,
    harvest_severity_table,
    inventory_frame,
    summary_frame,
)
from learn.report.labels import HARVEST_SEVERITY_TITLE
from learn.report.models import Report

#: Floats in CSV: 15 significant digits (what a double holds exactly in decimal), so sums show no noise.
CSV_FLOAT_FORMAT = "%.15g"


def _csv_block(title: str, frame: pd.DataFrame, index: bool = False) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([title])  # quoted where it holds a comma: one cell
    # 15 significant digits: the full precision of the sums without binary noise (14.309999999999999 → 14.31)
    frame.to_csv(buf, index=index, lineterminator="\n", float_format=CSV_FLOAT_FORMAT)
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
                columns={
                    "category": "Category",
                    "net_t_co2e_per_yr": "Net (t CO2e/yr)",
                    "net_p05_t_co2e_per_yr": "Net 5th percentile (t CO2e/yr)",
                    "net_p95_t_co2e_per_yr": "Net 95th percentile (t CO2e/yr)",
                }
            ),
        ),
    ]
    if report.harvest_by_severity:  # absent from reports written before it was recorded
        severity = harvest_severity_table(report)
        severity.columns = [c[:1].upper() + c[1:] for c in severity.columns]
        blocks.append(_csv_block(f"Table 5. {HARVEST_SEVERITY_TITLE}", severity))
    return "\n".join(blocks)
