"""A report as pandas and xarray objects (the ``Report.*_frame()`` / ``Report.change_matrix_da()`` methods).

The tables are those of the exports (CSV, XLSX, HTML), so a notebook shows what the CSV/XLSX hold;
the change matrix also comes as a labelled :class:`xarray.DataArray`. Units are in the column names:
areas ``*_ha`` (hectares), fluxes ``*_t_co2e_per_yr`` (t CO2e/yr; emissions positive, removals negative).
Example::

    report = learn.open_region("demo").inventory("99001", (2011, 2019))
    report.inventory_frame()                     # one row per inventory row
    m = report.change_matrix_da()                # ha, dims (class_start, class_end)
    m.sel(class_start=41, class_end=22).item()   # deciduous forest → developed, low intensity (ha)
    m.sum("class_end")                           # area of each start-year class (ha)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from learn.landuse import NLCD_NAMES
from learn.report.labels import with_unit_headers

if TYPE_CHECKING:
    import xarray as xr

    from learn.report.model import Report

__all__ = [
    "change_matrix_dataarray",
    "change_matrix_frame",
    "harvest_severity_frame",
    "inventory_frame",
    "summary_frame",
    "tree_canopy_frame",
]


def change_matrix_dataarray(report: Report) -> xr.DataArray:
    """The land-use change matrix in hectares as a labelled 2-D ``DataArray``.

    Dims ``class_start`` (NLCD class in the start year, rows) and ``class_end`` (end year, columns),
    each with the NLCD codes as coordinate and the class names as ``name_start`` / ``name_end``
    (``learn.landuse.NLCD_NAMES``), in LEARN's class order. ``attrs``: ``units`` "ha", ``start``,
    ``end``, ``period`` ("2011–2019"), ``boundary_id``, ``boundary_name``. Sums over both dims equal
    ``report.change_matrix.total_ha``.
    """
    import xarray as xr

    m = report.change_matrix
    classes = [int(c) for c in m.classes]
    names = [NLCD_NAMES.get(c, str(c)) for c in classes]
    return xr.DataArray(
        np.asarray(m.hectares, dtype=float).reshape(len(classes), len(classes)),
        dims=("class_start", "class_end"),
        coords={
            "class_start": classes,
            "class_end": classes,
            "name_start": ("class_start", names),
            "name_end": ("class_end", names),
        },
        name="area_ha",
        attrs={
            "units": "ha",
            "long_name": "land-use change area",
            "start": report.period.start,
            "end": report.period.end,
            "period": f"{report.period.start}–{report.period.end}",
            "boundary_id": report.boundary.id,
            "boundary_name": report.boundary.name,
        },
    )


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


#: Columns of the harvest-by-severity table (a breakdown of Forest Remaining Forest — Harvest/Other).
HARVEST_SEVERITY_COLUMNS = ("severity", "canopy_loss_points", "area_ha", "emissions_t_co2e_per_yr", "column")


def harvest_severity_frame(report: Report) -> pd.DataFrame:
    """Forest Remaining Forest — Harvest/Other by severity class (code 1–4), with the factor column each
    used; empty for reports written before the breakdown was recorded. Its rows add up to the Harvest/Other
    row, so a sum over the inventory must never include them."""
    rows = [
        {**r.model_dump(exclude={"factors"}), "column": r.factors.get("column")}
        for r in report.harvest_by_severity
    ]
    return pd.DataFrame(rows, columns=list(HARVEST_SEVERITY_COLUMNS))


def harvest_severity_table(report: Report) -> pd.DataFrame:
    """:func:`harvest_severity_frame` for people: unit headers (area (ha), emissions (t CO2e/yr)) and the
    factor column named as such; the CSV's Table 5 and the workbook's "Harvest by severity" sheet."""
    return with_unit_headers(harvest_severity_frame(report)).rename(
        columns={"canopy_loss_points": "canopy loss (percentage points)", "column": "emission factor column"}
    )


def tidy_frame(reports: Iterable[Report]) -> pd.DataFrame:
    """Every report's :func:`inventory_frame`, one after the other, built as one table (not one per report)."""
    columns: dict[str, list[Any]] = {c: [] for c in TIDY_COLUMNS}
    for report in reports:
        b, p = report.boundary, report.period
        for r in report.inventory:
            values = (
                b.id,
                b.name,
                p.start,
                p.end,
                r.category,
                r.type,
                r.area_ha,
                r.emissions_t_co2e_per_yr,
                r.removals_t_co2e_per_yr,
                r.net_t_co2e_per_yr,
            )
            for column, value in zip(TIDY_COLUMNS, values, strict=True):
                columns[column].append(value)
    return pd.DataFrame(columns, columns=list(TIDY_COLUMNS))


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
        {
            "category": "Gross removals",
            "net_t_co2e_per_yr": t.gross_removals_t_co2e_per_yr,
            "net_p05_t_co2e_per_yr": t.gross_removals_p05_t_co2e_per_yr,
            "net_p95_t_co2e_per_yr": t.gross_removals_p95_t_co2e_per_yr,
        },
        {
            "category": "Net",
            "net_t_co2e_per_yr": t.net_t_co2e_per_yr,
            "net_p05_t_co2e_per_yr": t.net_p05_t_co2e_per_yr,
            "net_p95_t_co2e_per_yr": t.net_p95_t_co2e_per_yr,
        },
    ]
    frame = pd.DataFrame(rows)
    # The interval columns only when there is an interval (a table with standard errors).
    empty = [c for c in ("net_p05_t_co2e_per_yr", "net_p95_t_co2e_per_yr") if frame[c].isna().all()]
    return frame.drop(columns=empty)


def provenance_frame(report: Report) -> pd.DataFrame:
    def flat(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from flat(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            yield prefix, json.dumps(value) if isinstance(value, list) else str(value)

    return pd.DataFrame(list(flat("", report.provenance)), columns=["key", "value"])


#: The tree-canopy summary table (category, area_ha, canopy_ha, canopy_loss_ha, percent_tree_cover).
tree_canopy_frame = canopy_frame
