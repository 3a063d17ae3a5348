"""How the CLI shows a report: the summary table and the notes on partial totals."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from learn.cli.app import out


def fmt_number(v: float | None, digits: int = 0) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}"


PARTIAL_MARK = " (partial)"


def total_cell(report: Any, value: float | None) -> str:
    """A total for display, marked "(partial)" when the report's totals leave out rows not estimated."""
    return fmt_number(value) + ("" if report.totals.complete else PARTIAL_MARK)


def partial_note(report: Any) -> str | None:
    """One line saying the totals are partial and which rows they leave out; None when complete."""
    from learn.report.labels import not_estimated_text

    return None if report.totals.complete else f"partial total — {not_estimated_text(report)}"


def partial_footnotes(reports: Any) -> list[str]:
    """Footnotes for a table of totals: which boundaries' totals are partial, grouped by the rows they
    leave out (one line per distinct list)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for r in reports:
        if not r.totals.complete:
            groups.setdefault(tuple(r.totals.not_estimated), []).append(r.boundary.id)
    return [
        f"(partial) {', '.join(ids)}: not estimated (left out of the totals): {'; '.join(rows)}"
        for rows, ids in groups.items()
    ]


def print_report_table(report: Any, console: Console = out) -> None:
    """Short human summary of a report (display rounding only)."""
    t = Table(
        title=f"{report.boundary.name} ({report.boundary.id}) — {report.period.start}–{report.period.end}",
        caption="t CO2e/yr; emissions positive, removals negative",
    )
    for col in ("Category", "Type", "Area (ha)", "Emissions", "Removals", "Net"):
        t.add_column(col, justify="right" if col not in ("Category", "Type") else "left")
    for r in report.inventory:
        total = r.category == "Total"
        t.add_row(
            r.category,
            r.type,
            fmt_number(r.area_ha, 1),
            total_cell(report, r.emissions_t_co2e_per_yr) if total else fmt_number(r.emissions_t_co2e_per_yr),
            total_cell(report, r.removals_t_co2e_per_yr) if total else fmt_number(r.removals_t_co2e_per_yr),
            total_cell(report, r.net_t_co2e_per_yr) if total else fmt_number(r.net_t_co2e_per_yr),
        )
    console.print(t)
    from learn.report.labels import net_text

    if report.totals.net_p05_t_co2e_per_yr is not None:
        console.print(f"Net: {net_text(report.totals)} — the factor uncertainty (totals.uncertainty)")
    note = partial_note(report)
    if note:
        console.print(f"[bold yellow]{note}[/bold yellow]")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
