"""Benchmark: writing the batch workbook's Inventory sheet with openpyxl (as before, and write-only) and XlsxWriter.

    python -m benchmarks.xlsx_writers [--boundaries 1000] [--repeat 5]

The sheet of a batch of ``--boundaries`` boundaries (13 rows each, the tidy columns: ids and names, years,
category and type, four numbers with gaps), every numeric cell with its number format and a bold header:

* ``openpyxl_pandas`` — ``DataFrame.to_excel`` through openpyxl, then a format set on every numeric cell (what
  ``learn.report.xlsx`` did before XlsxWriter);
* ``openpyxl_write_only`` — openpyxl's streaming mode (``Workbook(write_only=True)``, ``WriteOnlyCell`` with a
  number format);
* ``xlsxwriter_constant_memory`` — ``learn.report.xlsx.write_tables_xlsx`` (XlsxWriter, ``constant_memory``).

Runs alternate between writers; the best of ``--repeat`` is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def tidy_table(boundaries: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 13 * boundaries
    removals = -rng.uniform(0, 1e5, n)
    removals[rng.random(n) < 0.5] = np.nan
    return pd.DataFrame(
        {
            "boundary_id": [f"{i // 13:05d}" for i in range(n)],
            "boundary_name": [f"Zone {i // 13}" for i in range(n)],
            "start": 2001,
            "end": 2011,
            "category": ["Forest Remaining Forest"] * n,
            "type": ["Undisturbed"] * n,
            "area (ha)": rng.uniform(0, 1e5, n),
            "emissions (t CO2e/yr)": rng.uniform(0, 1e5, n),
            "removals (t CO2e/yr)": removals,
            "net (t CO2e/yr)": rng.uniform(-1e5, 1e5, n),
        }
    )


def openpyxl_pandas(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl.styles import Font

    from learn.report.labels import number_format

    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="Inventory", index=False)
        ws = xl.sheets["Inventory"]
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for j, header in enumerate(frame.columns, start=1):
            fmt = number_format(str(header))
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt


def openpyxl_write_only(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from learn.report.labels import number_format

    book = Workbook(write_only=True)
    ws = book.create_sheet("Inventory")
    header = []
    for h in frame.columns:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    formats = [number_format(str(h)) for h in frame.columns]
    for row in zip(*(frame[c].tolist() for c in frame.columns), strict=True):
        out = []
        for value, fmt in zip(row, formats, strict=True):
            value = None if isinstance(value, float) and value != value else value
            if fmt:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    book.save(path)


def xlsxwriter_constant_memory(frame: pd.DataFrame, path: Path) -> None:
    from learn.report.xlsx import write_tables_xlsx

    write_tables_xlsx(path, [], {"Inventory": (frame, False)})


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "openpyxl_pandas": openpyxl_pandas,
    "openpyxl_write_only": openpyxl_write_only,
    "xlsxwriter_constant_memory": xlsxwriter_constant_memory,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.xlsx_writers", description=__doc__.splitlines()[0])
    p.add_argument("--boundaries", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    frame = tidy_table(args.boundaries)
    runs: dict[str, list[float]] = {name: [] for name in WRITERS}
    with tempfile.TemporaryDirectory(prefix="learn-bench-xlsx-") as tmp:
        for i in range(args.repeat):
            for name, write in WRITERS.items():
                t0 = time.perf_counter()
                write(frame, Path(tmp) / f"{name}_{i}.xlsx")
                runs[name].append(time.perf_counter() - t0)
    best = {name: round(min(r), 3) for name, r in runs.items()}
    print(json.dumps({"cells": frame.size, "best_s": best, "runs_s": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
