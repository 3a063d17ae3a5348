"""Write one report in a format: JSON, CSV in LEARN's 4-table layout, a tidy CSV, XLSX, printable HTML or PDF.

Machine outputs keep full precision; the XLSX only sets display formats (its cells hold the numbers to 16 significant digits).
Every writer goes through a temporary file and a rename, so a failed or interrupted export never
leaves a half-written file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from learn.errors import LearnError
from learn.report.csv_tables import CSV_FLOAT_FORMAT, learn_csv
from learn.report.frames import inventory_frame
from learn.report.models import Report
from learn.report.xlsx import write_xlsx
from learn.util import write_text_atomic

if TYPE_CHECKING:
    from learn.report.locator import LocatorMap

FORMATS = ("json", "csv", "tidy-csv", "xlsx", "html", "pdf")


def _write_html(report: Report, path: Path) -> None:
    from learn.report.html import write_html  # lazy: matplotlib and jinja2 only when asked for

    write_html(report, path)


_WRITERS: dict[str, Callable[[Report, Path], None]] = {
    "json": lambda r, p: write_text_atomic(p, r.to_json()),
    "csv": lambda r, p: write_text_atomic(p, learn_csv(r)),
    "tidy-csv": lambda r, p: write_text_atomic(
        p, inventory_frame(r).to_csv(index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT)
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


def write_report(
    report: Report, path: str | Path, fmt: str, *, paper: str = "letter", locator: LocatorMap | None = None
) -> Path:
    """Write one report in ``fmt`` (json | csv | tidy-csv | xlsx | html | pdf) to ``path``, atomically.

    ``paper`` (letter | a4) and ``locator`` (its page-1 map, :func:`learn.report.locator.locator_map`) are
    the PDF's. Missing folders are created; any failure leaves no file behind (and an existing file unchanged).
    """
    path = Path(path)
    writer = _WRITERS.get(fmt)
    if writer is None and fmt != "pdf":
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    _check_folder(path)
    try:
        if writer is None:
            from learn.report.pdf import write_pdf  # lazy: WeasyPrint only when asked for

            write_pdf(report, path, paper=paper, locator=locator)
        else:
            writer(report, path)
    except OSError as e:
        raise LearnError(
            f"cannot write {path}: {e.strerror or e}", hint="choose a path in a folder you can write to"
        ) from e
    return path
