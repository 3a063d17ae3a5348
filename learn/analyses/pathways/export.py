"""Write a pathway document: JSON (the contract), a CSV (one row per scenario and year) or a workbook
(the yearly table, the measures and the baseline's rates), atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from learn.analyses.pathways.model import Pathways
from learn.errors import LearnError, OutputError
from learn.report.csv_tables import CSV_FLOAT_FORMAT
from learn.util import atomic_path, write_text_atomic

FORMATS: Final = ("json", "csv", "xlsx")


def pathways_csv(p: Pathways) -> str:
    frame = p.frame()
    frame.insert(0, "boundary_id", p.boundary.id)
    frame.insert(1, "boundary_name", p.boundary.name)
    return str(frame.to_csv(index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT))


def _write_xlsx(p: Pathways, path: Path) -> None:
    import pandas as pd

    measures = pd.DataFrame(
        [
            {"scenario": s.name, "measure": kind, **fields}
            for s in p.scenarios
            for m in s.measures
            for kind, fields in m.items()
        ]
    )
    milestones = pd.DataFrame(
        [
            {
                "scenario": s.name,
                "year": int(y),
                "cumulative_net_t_co2e": s.cumulative_net_t_co2e[y],
                "cumulative_net_p05_t_co2e": s.cumulative_net_p05_t_co2e.get(y),
                "cumulative_net_p95_t_co2e": s.cumulative_net_p95_t_co2e.get(y),
                "reduction_vs_bau_t_co2e": s.reduction_vs_bau_t_co2e[y],
                "reduction_vs_bau_p05_t_co2e": s.reduction_vs_bau_p05_t_co2e.get(y),
                "reduction_vs_bau_p95_t_co2e": s.reduction_vs_bau_p95_t_co2e.get(y),
                "trees_to_plant": s.trees_to_plant,
            }
            for s in p.scenarios
            for y in s.cumulative_net_t_co2e
        ]
    )
    rates = pd.DataFrame(p.baseline.get("rates", []))
    notes = pd.DataFrame({"note": [*p.warnings, f"method: {p.provenance.get('method')}"]})
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        p.frame().to_excel(xw, sheet_name="Pathways", index=False)
        milestones.to_excel(xw, sheet_name="Milestones", index=False)
        (measures if len(measures) else pd.DataFrame({"measure": []})).to_excel(
            xw, sheet_name="Measures", index=False
        )
        rates.to_excel(xw, sheet_name="Baseline rates", index=False)
        notes.to_excel(xw, sheet_name="Notes", index=False)


def write_pathways(p: Pathways, path: str | Path, fmt: str) -> Path:
    """Write ``p`` in ``fmt`` (json | csv | xlsx) to ``path``; a failure leaves no file behind."""
    path = Path(path)
    if fmt not in FORMATS:
        raise LearnError(f"unknown format '{fmt}'", hint=f"use one of {', '.join(FORMATS)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "json":
            write_text_atomic(path, p.model_dump_json(indent=2))
        elif fmt == "csv":
            write_text_atomic(path, pathways_csv(p))
        else:
            _write_xlsx(p, path)
    except OSError as e:
        raise OutputError(
            f"cannot write {path}: {e.strerror or e}", hint="choose a path in a folder you can write to"
        ) from e
    return path
