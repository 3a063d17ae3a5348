"""What every display of a report says the same way: citations, units, partial-total notes, unit headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from learn.report.model import Report, Totals


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


#: Title of the harvest-by-severity table wherever it is shown apart from the GHG inventory (CSV, XLSX).
HARVEST_SEVERITY_TITLE = (
    "Forest Remaining Forest — Harvest/Other by severity (a breakdown of the Harvest/Other row, already in it: "
    "do not add these rows to the inventory)"
)


def harvest_severity_type(severity: int, canopy_loss_points: str) -> str:
    """How a severity class is named under the Harvest/Other row: "of which severity 1 (1–25 points canopy
    loss)" — "of which" says it is part of that row, not a row to add."""
    return f"of which severity {severity} ({canopy_loss_points} points canopy loss)"


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


def interval_text(totals: Totals) -> str | None:
    """ "90 %: −240,000 to −175,000" — the net's interval, as every display shows it; None without one."""
    lo, hi = totals.net_p05_t_co2e_per_yr, totals.net_p95_t_co2e_per_yr
    if lo is None or hi is None:
        return None
    return f"90 %: {lo:,.0f} to {hi:,.0f}".replace("-", "−")


def net_text(totals: Totals) -> str:
    """ "−206,429 t CO2e/yr (90 %: −240,000 to −175,000)": the net and, when known, its interval."""
    net = f"{totals.net_t_co2e_per_yr:,.0f}".replace("-", "−") + " t CO2e/yr"
    iv = interval_text(totals)
    return f"{net} ({iv})" if iv else net


def not_estimated_text(report: Report) -> str:
    """ "not estimated (left out of the totals): rows" — how every display names what a partial total lacks."""
    return "not estimated (left out of the totals): " + NOT_ESTIMATED_SEPARATOR.join(
        report.totals.not_estimated
    )


def partial_total_text(report: Report) -> str | None:
    """The line "Partial total — not estimated …: rows" shown with the totals; None when they are complete."""
    return None if report.totals.complete else f"Partial total — {not_estimated_text(report)}"


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


def generated_by(provenance: dict[str, Any]) -> str:
    """``learn-navigator VERSION`` plus the date when the provenance records one."""
    text = f"learn-navigator {provenance.get('software_version', 'unknown')}"
    date = provenance.get("date")
    return f"{text}, {date}" if date else text


SIGN_CONVENTION = (
    "Emissions are positive and removals negative; net = emissions + removals, so a negative net means the land "
    "took up more CO₂ than it released (a carbon sink)."
)


def _tonnes(value: float) -> str:
    return f"{round(value) + 0:,.0f}"


#: Inventory rows on the removals side (webmap/estimated.js: the same list); every other row is an emission row.
REMOVAL_ROWS = frozenset(
    {
        "Forest Change — Reforestation (Non-Forest to Forest)",
        "Forest Remaining Forest — Undisturbed",
        "Trees Outside Forest — Canopy maintained/gained",
    }
)
NOT_ESTIMATED = "not estimated"


def missing_totals(report: Report) -> dict[str, bool]:
    """Which totals nothing was estimated of (webmap/estimated.js ``missingOf``, same rule): a side whose rows
    left out include one of its own and whose estimated rows add up to nothing; the net when neither side has
    anything estimated. All false when the totals are complete."""
    t = report.totals
    if t.complete:
        return {"emissions": False, "removals": False, "net": False}
    names = [n.split(" (in part:")[0] for n in t.not_estimated]
    nothing = not t.gross_emissions_t_co2e_per_yr and not t.gross_removals_t_co2e_per_yr and bool(names)
    emissions = not t.gross_emissions_t_co2e_per_yr and any(n not in REMOVAL_ROWS for n in names)
    removals = not t.gross_removals_t_co2e_per_yr and any(n in REMOVAL_ROWS for n in names)
    return {"emissions": emissions or nothing, "removals": removals or nothing, "net": nothing}


def plain_sentence(report: Report, title: str | None = None) -> str | None:
    """ "From 2011 to 2019, the forests and trees of Alder County removed a net 206,429 t CO₂e per year …": the
    web map's sentence under the headline (webmap/explain.js, same words); None when the net is unknown. Totals
    nothing of which was estimated read "not estimated", never 0 (issue 26 item 8)."""
    t, p = report.totals, report.period
    net = t.net_t_co2e_per_yr
    if net is None:
        return None
    who = title or report.boundary.name or "this area"
    missing = missing_totals(report)
    if missing["net"]:
        return (
            f"From {p.start} to {p.end}, the net flux of the forests and trees of {who} is {NOT_ESTIMATED}: "
            "no inventory row could be computed (a layer or factor table is missing; see warnings)."
        )
    area = report.boundary.area_ha
    per_ha = f" ({abs(net / area):,.2f} t per hectare)" if area else ""
    removals = (
        f"an amount {NOT_ESTIMATED}"
        if missing["removals"]
        else f"{_tonnes(abs(t.gross_removals_t_co2e_per_yr or 0.0))} t"
    )
    emissions = (
        f"an amount {NOT_ESTIMATED}"
        if missing["emissions"]
        else f"{_tonnes(t.gross_emissions_t_co2e_per_yr or 0.0)} t"
    )
    what = (
        f"removed a net {_tonnes(-net)} t CO₂e per year{per_ha} from the air: they took up {removals} and "
        f"released {emissions} a year"
        if net < 0
        else f"released a net {_tonnes(net)} t CO₂e per year{per_ha} to the air: they released {emissions} "
        f"and took up {removals} a year"
    )
    partial = "" if t.complete else " Some rows could not be estimated, so this total is partial."
    return f"From {p.start} to {p.end}, the forests and trees of {who} {what}.{partial}"
