"""Benchmark: writing the batch workbook's Inventory sheet with openpyxl (as before, and write-only) and XlsxWriter.

    python -m benchmarks.xlsx_writers [--boundaries 1000] [--repeat 5]

The sheet of a batch of ``--boundaries`` boundaries (13 rows each, the tidy columns: ids and names, years,
category and type, four numbers with gaps), every numeric cell with its number format and a bold header:

* ``openpyxl_pandas`` — ``DataFrame.to_excel`` through openpyxl, then a format set on every numeric cell (what
  ``learn.report.xlsx`` did before XlsxWriter);
* ``openpyxl_write_only`` — openpyxl's streaming mode (``Workbook(write_only=True)``, ``WriteOnlyCell`` with a
  number format);
* ``xlsxwriter_constant_memory`` — ``learn.report.xlsx.write_tables_xlsx`` (XlsxWriter, ``constant_memory``);
* ``xlsxwriter_gc_paused`` — the same with the cyclic garbage collector paused (``learn.util.gc_paused``, as
  ``learn batch`` writes its tables);
* ``pyexcelerate`` — PyExcelerate (``Workbook.new_sheet(data=rows)``, a number format per column, bold header);
* ``rustpy_xlsxwriter`` — rustpy-xlsxwriter (Rust's rust_xlsxwriter behind ``FastExcel``: per-column number
  formats, the filled header, frozen header row, autofilter).

The last two are not dependencies of this project: they run when installed (``pip install pyexcelerate
rustpy-xlsxwriter``) and are listed as skipped otherwise. ``exact_cells`` counts the number cells that read
back (openpyxl) as the very float written: XlsxWriter writes 16 significant digits (``%.16G``), PyExcelerate
15, rustpy-xlsxwriter the shortest exact repr.

Runs alternate between writers; the best of ``--repeat`` is kept.
"""

from __future__ import annotations

import argparse
import importlib.util
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


def xlsxwriter_gc_paused(frame: pd.DataFrame, path: Path) -> None:
    from learn.util import gc_paused

    with gc_paused():
        xlsxwriter_constant_memory(frame, path)


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    columns = [frame[c].tolist() for c in frame.columns]
    return [[None if v != v else v for v in row] for row in zip(*columns, strict=True)]


def pyexcelerate(frame: pd.DataFrame, path: Path) -> None:
    from pyexcelerate import Font, Format, Style, Workbook

    from learn.report.labels import number_format

    book = Workbook()
    ws = book.new_sheet("Inventory", data=[[str(c) for c in frame.columns], *_rows(frame)])
    for j, header in enumerate(frame.columns, start=1):
        fmt = number_format(str(header))
        if fmt:
            ws.set_col_style(j, Style(format=Format(fmt)))
    ws.set_row_style(1, Style(font=Font(bold=True)))
    book.save(str(path))


def rustpy_xlsxwriter(frame: pd.DataFrame, path: Path) -> None:
    from rustpy_xlsxwriter import FastExcel, Format

    from learn.report.labels import number_format
    from learn.report.xlsx import HEADER_FILL

    formats = {str(h): Format().set_num_format(f) for h in frame.columns if (f := number_format(str(h)))}
    header = Format().set_bold().set_background_color(HEADER_FILL).set_text_wrap()
    book = FastExcel(str(path)).freeze(row=1, col=0)
    book.sheet("Inventory", frame, column_formats=formats, header_format=header, autofilter=True).save()


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "openpyxl_pandas": openpyxl_pandas,
    "openpyxl_write_only": openpyxl_write_only,
    "xlsxwriter_constant_memory": xlsxwriter_constant_memory,
    "xlsxwriter_gc_paused": xlsxwriter_gc_paused,
    "pyexcelerate": pyexcelerate,
    "rustpy_xlsxwriter": rustpy_xlsxwriter,
}
OPTIONAL = {"pyexcelerate": "pyexcelerate", "rustpy_xlsxwriter": "rustpy_xlsxwriter"}


def exact_cells(frame: pd.DataFrame, path: Path) -> int:
    """Number cells of ``path``'s Inventory sheet equal to the float written."""
    import openpyxl

    ws = openpyxl.load_workbook(path, read_only=True)["Inventory"]
    numeric = [j for j, c in enumerate(frame.columns) if frame[c].dtype.kind == "f"]
    got = list(ws.iter_rows(min_row=2, values_only=True))
    return sum(
        row[j] == want
        for j in numeric
        for row, want in zip(got, frame.iloc[:, j].tolist(), strict=True)
        if want == want
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.xlsx_writers", description=__doc__.splitlines()[0])
    p.add_argument("--boundaries", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    frame = tidy_table(args.boundaries)
    skipped = [name for name, module in OPTIONAL.items() if importlib.util.find_spec(module) is None]
    writers = {name: w for name, w in WRITERS.items() if name not in skipped}
    runs: dict[str, list[float]] = {name: [] for name in writers}
    with tempfile.TemporaryDirectory(prefix="learn-bench-xlsx-") as tmp:
        for i in range(args.repeat):
            for name, write in writers.items():
                t0 = time.perf_counter()
                write(frame, Path(tmp) / f"{name}_{i}.xlsx")
                runs[name].append(time.perf_counter() - t0)
        exact = {name: exact_cells(frame, Path(tmp) / f"{name}_0.xlsx") for name in writers}
    best = {name: round(min(r), 3) for name, r in runs.items()}
    numbers = int(frame.select_dtypes("float").notna().to_numpy().sum())
    report = {"cells": frame.size, "number_cells": numbers, "best_s": best, "exact_cells": exact}
    print(json.dumps({**report, "skipped": skipped, "runs_s": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
