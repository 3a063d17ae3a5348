"""Every boundary of a region for one period: per-boundary JSON reports and one tidy table.

Resumable: each report is written atomically as it finishes; a restart reuses reports whose period
and options match and computes only the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from learn.export import tidy_frame
from learn.region import InventoryOptions, Region
from learn.results import Report
from learn.util import write_text_atomic


@dataclass
class BatchResult:
    reports: list[Report] = field(default_factory=list)
    computed: int = 0
    reused: int = 0


def _safe_name(boundary_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in boundary_id)


def _reusable(path: Path, start: int, end: int, options: InventoryOptions) -> Report | None:
    if not path.exists():
        return None
    try:
        report = Report.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError):
        return None  # unreadable leftovers are recomputed
    same = (report.period.start, report.period.end) == (start, end) and report.provenance.get(
        "options"
    ) == options.as_dict()
    return report if same else None


def run_batch(
    region: Region,
    years: tuple[int, int],
    out_dir: str | Path,
    options: InventoryOptions = InventoryOptions(),
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Compute (or reuse) the report of every boundary; write ``DIR/START_END/ID.json`` and ``DIR/inventory.csv``."""
    start, end = years
    layers = region.period_layers(start, end)
    out = Path(out_dir)
    period_dir = out / f"{start}_{end}"
    result = BatchResult()
    ids = region.boundaries.ids()
    for i, boundary_id in enumerate(ids):
        path = period_dir / f"{_safe_name(boundary_id)}.json"
        report = _reusable(path, start, end, options)
        if report is None:
            b = region.boundary(boundary_id)
            report = region.report_from_strata(b, layers, region.strata(b, layers, options), options)
            write_text_atomic(path, report.to_json())
            result.computed += 1
        else:
            result.reused += 1
        result.reports.append(report)
        if progress:
            progress(i + 1, len(ids))
    write_text_atomic(
        out / "inventory.csv", tidy_frame(result.reports).to_csv(index=False, lineterminator="\n")
    )
    return result
