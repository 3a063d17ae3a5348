"""One report as a self-contained, printable HTML page: no external resources, no JavaScript.

Charts are PNGs drawn with matplotlib's Agg renderer and embedded as base64 data URIs. PNG metadata is
left out and the page carries no clock time (only a date the provenance records), so the same report
always gives the same bytes. All text goes through jinja2's autoescaping.

Reports are rendered concurrently (the API's thread pool), so every chart is its own ``Figure`` (matplotlib's
object API, never pyplot's global figures) and no chart text goes through mathtext, whose parser is one
object shared by every thread and breaks when two use it at once (``ParseException``): tick labels are plain
text (:class:`PlainLogFormatter`), never matplotlib's default ``$10^{3}$`` on a log scale.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

from learn.report import frames, labels
from learn.report.models import Report
from learn.util import write_text_atomic

if TYPE_CHECKING:
    from learn.report.locator import LocatorMap

# Found next to this module, so it works from a source tree and an editable install alike.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "report.html.j2"
EMISSION_COLOUR = "#c0504d"
REMOVAL_COLOUR = "#4f8a3c"
CITATIONS = (
    "Glen, E., Harris, N. & Birdsey, R. (2024). LEARN Tool: Data Sources and Calculation Methods. "
    "WRI Technical Note v1.1. World Resources Institute. doi:10.46830/writn.20.00011",
    "ICLEI USA (2019). U.S. Community Protocol for Accounting and Reporting of Greenhouse Gas Emissions, "
    'Appendix J "Forest Land and Trees"',
    "erin-glen/learn_analysis: LEARN analysis code (MIT licence), GitHub",
)
#: The inventory row the harvest severity classes break down.
HARVEST_ROW = ("Forest Remaining Forest", "Harvest/Other")
# Provenance keys shown in their own tables; the rest go to the "Run" table.
_OWN_TABLES = ("layers", "factor_tables", "tof_factor_rows", "method")


@dataclass(frozen=True)
class HtmlTable:
    """A table ready for the template: display strings, and which columns are numbers (right-aligned)."""

    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total_last: bool = False
    #: CSS class of each row ("" for none); shorter than ``rows`` when the last rows have none.
    row_classes: list[str] = field(default_factory=list)


def fmt_number(value: Any, digits: int) -> str:
    """Display rounding: thousands separators and ``digits`` decimals; ``n/a`` when missing; never "-0"."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return f"{round(float(value), digits) + 0.0:,.{digits}f}"


def decimals(header: str) -> int | None:
    """Display decimals for a header carrying its unit (the same rule as the XLSX number formats)."""
    fmt = labels.number_format(header)
    return None if fmt is None else len(fmt.partition(".")[2])


def _cell(value: Any, digits: int | None) -> str:
    if digits is not None:
        return fmt_number(value, digits)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def frame_table(frame: pd.DataFrame, caption: str, *, total_last: bool = False) -> HtmlTable:
    """An HtmlTable from a frame whose numeric headers carry units (formats follow the units)."""
    headers = [str(c) for c in frame.columns]
    digits = [decimals(h) for h in headers]
    rows = [[_cell(v, d) for v, d in zip(row, digits, strict=True)] for row in frame.itertuples(index=False)]
    return HtmlTable(
        caption=caption,
        headers=[h[:1].upper() + h[1:] for h in headers],
        rows=rows,
        numeric=[d is not None for d in digits],
        total_last=total_last,
    )


def inventory_table(report: Report) -> HtmlTable:
    """The GHG inventory; Harvest/Other is followed by its severity classes, shown as "of which" rows
    (class ``breakdown``) that the Total row does not add again."""
    frame = labels.with_unit_headers(
        frames.inventory_frame(report).drop(columns=["boundary_id", "boundary_name", "start", "end"])
    )
    table = frame_table(
        frame, "GHG inventory (t CO2e/yr; emissions positive, removals negative)", total_last=True
    )
    names = [(r.category, r.type) for r in report.inventory]
    if HARVEST_ROW not in names or not report.harvest_by_severity:
        return table
    at = names.index(HARVEST_ROW) + 1
    area_digits, flux_digits = decimals("area (ha)"), decimals("emissions (t CO2e/yr)")
    breakdown = [  # area and emissions only: the classes have no removals, and their net is the row's
        [
            HARVEST_ROW[0],
            labels.harvest_severity_type(s.severity, s.canopy_loss_points),
            _cell(s.area_ha, area_digits),
            _cell(s.emissions_t_co2e_per_yr, flux_digits),
            "",
            "",
        ]
        for s in report.harvest_by_severity
    ]
    rows = [*table.rows[:at], *breakdown, *table.rows[at:]]
    return HtmlTable(
        caption=f"{table.caption}; the “of which” rows break Harvest/Other down by severity and are not added again",
        headers=table.headers,
        rows=rows,
        numeric=table.numeric,
        total_last=True,
        row_classes=[""] * at + ["breakdown"] * len(breakdown),
    )


def summary_table(report: Report) -> HtmlTable:
    return frame_table(labels.with_unit_headers(frames.summary_frame(report)), "IPCC summary (t CO2e/yr)")


def canopy_table(report: Report) -> HtmlTable:
    return frame_table(
        labels.with_unit_headers(frames.canopy_frame(report)), "Tree canopy summary (non-forest land)"
    )


def change_matrix_table(report: Report) -> HtmlTable:
    """The change matrix (ha): rows are start-year classes with NLCD labels, columns end-year class codes."""
    frame = frames.change_matrix_frame(report)
    codes = [str(c).split(" ")[0] for c in frame.columns]
    rows = [
        [str(label), *(fmt_number(v, 1) for v in values)]
        for label, values in zip(frame.index, frame.to_numpy(), strict=True)
    ]
    p = report.period
    return HtmlTable(
        caption=f"Land use change matrix (ha): rows = NLCD class in {p.start}, columns = NLCD class in {p.end}",
        headers=[f"{p.start} \\ {p.end}", *codes],
        rows=rows,
        numeric=[False, *([True] * len(codes))],
        total_last=True,
    )


def layer_table(provenance: dict[str, Any]) -> HtmlTable:
    """Data layers used: name, year or period, source, version, path."""
    rows = []
    for name, entry in (provenance.get("layers") or {}).items():
        when = entry.get("year", "–".join(str(y) for y in entry.get("period") or []))
        rows.append(
            [
                name,
                str(when),
                str(entry.get("source") or ""),
                str(entry.get("version") or ""),
                str(entry.get("path", "")),
            ]
        )
    return HtmlTable("Data layers", ["Layer", "Year", "Source", "Version", "Path"], rows, [False] * 5)


def factor_table_table(provenance: dict[str, Any]) -> HtmlTable:
    rows = [[path, sha] for path, sha in (provenance.get("factor_tables") or {}).items()]
    return HtmlTable("Factor tables", ["Path", "sha256"], rows, [False, False])


def tof_rows_table(provenance: dict[str, Any]) -> HtmlTable:
    """The trees-outside-forest factor rows used (EF for emissions, RF for removals)."""
    rows = []
    for role, row in (provenance.get("tof_factor_rows") or {}).items():
        rows.append(
            [
                {"ef": "emissions (EF)", "rf": "removals (RF)"}.get(role, role),
                str(row.get("level", "")),
                str(row.get("name", "")),
                fmt_number(row.get("ef_t_c_per_ha"), 2),
                fmt_number(row.get("rf_t_c_per_ha_yr"), 2),
                str(row.get("source", "")),
            ]
        )
    headers = ["Used for", "Level", "Name", "EF (t C/ha)", "RF (t C/ha/yr)", "Source"]
    return HtmlTable(
        "Trees-outside-forest factor rows used", headers, rows, [False, False, False, True, True, False]
    )


def run_table(report: Report) -> HtmlTable:
    """Every other provenance entry (software, catalog, region, grid, options), flattened."""
    frame = frames.provenance_frame(report)
    keep = ~frame["key"].str.split(".").str[0].isin(_OWN_TABLES)
    return frame_table(frame[keep], "Run")


def plain_number(value: float) -> str:
    """A tick label as plain text: "0.09", "1", "25", "1,000", "1,000,000" (no mathtext)."""
    return f"{value:,.0f}" if abs(value) >= 1 else f"{value:.6g}"


class PlainLogFormatter(LogFormatter):
    """A log axis's tick labels as plain numbers: matplotlib's choice of which ticks to label (decades, and some
    minor ticks when the axis spans little), without the mathtext of its default ``LogFormatterSciNotation``."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return plain_number(x) if super().__call__(x, pos) else ""


def _png(fig: Figure) -> bytes:
    """PNG bytes without metadata (no software/version text), so identical figures give identical bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def flux_chart(report: Report) -> bytes:
    """Horizontal bars per inventory row (t CO2e/yr): emissions to the right, removals to the left."""
    rows = [r for r in report.inventory if r.category != "Total"]
    labels = [f"{r.category}: {r.type}" for r in rows]
    emissions = [r.emissions_t_co2e_per_yr or 0.0 for r in rows]
    removals = [r.removals_t_co2e_per_yr or 0.0 for r in rows]
    fig = Figure(figsize=(8.0, 0.32 * len(rows) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    ax.barh(y, emissions, color=EMISSION_COLOUR, label="Emissions")
    ax.barh(y, removals, color=REMOVAL_COLOUR, label="Removals")
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("t CO2e/yr (emissions positive, removals negative)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Emissions and removals by category", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def change_heatmap(report: Report) -> bytes | None:
    """Heat map of the change matrix (ha, log colour scale); None when the boundary has no area."""
    m = report.change_matrix
    hectares = np.asarray(m.hectares, dtype=float)
    if hectares.size == 0 or not (hectares > 0).any():
        return None
    masked = np.ma.masked_less_equal(hectares, 0)
    fig = Figure(figsize=(6.4, 5.6))
    ax = fig.add_subplot()
    image = ax.imshow(masked, cmap="viridis", norm=LogNorm(vmin=masked.min(), vmax=masked.max()))
    ticks = np.arange(len(m.classes))
    codes = [str(c) for c in m.classes]
    ax.set_xticks(ticks, codes, fontsize=7, rotation=90)
    ax.set_yticks(ticks, codes, fontsize=7)
    ax.set_xlabel(f"NLCD class in {report.period.end}", fontsize=8)
    ax.set_ylabel(f"NLCD class in {report.period.start}", fontsize=8)
    ax.set_title("Land use change (ha, log scale; blank = none)", fontsize=10)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.formatter = PlainLogFormatter()  # the log scale's defaults would go through mathtext
    bar.minorformatter = PlainLogFormatter()
    bar.set_label("ha", fontsize=8)
    bar.ax.tick_params(which="both", labelsize=7)
    fig.tight_layout()
    return _png(fig)


def headline(report: Report) -> list[tuple[str, str]]:
    """(label, display value) cards: net, gross emissions and removals (t CO2e/yr), area (ha), net per ha."""
    t, area = report.totals, report.boundary.area_ha
    per_ha = t.net_t_co2e_per_yr / area if area else None
    return [
        (
            "Net (t CO2e/yr)",
            fmt_number(t.net_t_co2e_per_yr, 0) + (f" ({iv})" if (iv := labels.interval_text(t)) else ""),
        ),
        ("Gross emissions (t CO2e/yr)", fmt_number(t.gross_emissions_t_co2e_per_yr, 0)),
        ("Gross removals (t CO2e/yr)", fmt_number(t.gross_removals_t_co2e_per_yr, 0)),
        ("Area counted (ha)", fmt_number(area, 1)),
        ("Net per ha (t CO2e/ha/yr)", fmt_number(per_ha, 2)),
    ]


def partial_total(report: Report) -> list[str] | None:
    """The rows left out of the totals (shown as a notice under the headline), or None when complete."""
    return None if report.totals.complete else list(report.totals.not_estimated)


def pathway_section(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The optional "Pathway" section (a pathway document, :mod:`learn.report.pathway_section`)."""
    if doc is None:
        return None
    from learn.report.pathway_section import pathway_context

    out = pathway_context(doc, _png, data_uri)
    out["table"] = HtmlTable(
        "Total over the years", out["headers"], out["rows"], [False] + [True] * (len(out["headers"]) - 1)
    )
    return out


def context(
    report: Report,
    *,
    locator: LocatorMap | None = None,
    page_size: str | None = None,
    pathway: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as display strings (the template does no arithmetic).

    ``locator`` (a PDF's page-1 map) and ``page_size`` (a CSS ``@page`` size, e.g. ``letter``) are for the
    PDF; the HTML page leaves the paper to the browser's print dialogue.
    """
    prov = report.provenance
    heatmap = change_heatmap(report)
    return {
        "page_size": page_size,
        "locator": {"src": data_uri(locator.png), "caption": locator.caption, "alt": locator.alt}
        if locator
        else None,
        "plain_sentence": labels.plain_sentence(report),
        "sign_convention": labels.SIGN_CONVENTION,
        "report": report,
        "synthetic": bool(prov.get("synthetic")),
        "synthetic_warning": labels.SYNTHETIC_WARNING,
        "region": prov.get("region", ""),
        "headline": headline(report),
        "not_estimated": partial_total(report),
        "units": labels.UNITS_CONVENTION,
        "tables": [inventory_table(report), summary_table(report), canopy_table(report)],
        "matrix": change_matrix_table(report),
        "flux_chart": data_uri(flux_chart(report)),
        "heatmap": data_uri(heatmap) if heatmap else None,
        "provenance_tables": [
            layer_table(prov),
            factor_table_table(prov),
            tof_rows_table(prov),
            run_table(report),
        ],
        "generated_by": labels.generated_by(prov),
        "method": labels.METHOD_CITATION,
        "method_in_provenance": prov.get("method"),
        "citations": CITATIONS,
        "pathway": pathway_section(pathway),
    }


@functools.cache
def environment() -> jinja2.Environment:
    """The jinja2 environment (autoescaping on for every template)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    report: Report,
    *,
    locator: LocatorMap | None = None,
    page_size: str | None = None,
    pathway: dict[str, Any] | None = None,
) -> str:
    """The report as one self-contained HTML document (with a locator map and a paper size: a PDF's source;
    ``pathway``: a pathway document (``Pathways.model_dump()``) shown in its own section)."""
    ctx = context(report, locator=locator, page_size=page_size, pathway=pathway)
    return environment().get_template(TEMPLATE).render(ctx)


def write_html(report: Report, path: str | Path) -> None:
    """Write the HTML report atomically (a failure leaves no partial file)."""
    write_text_atomic(path, render_html(report))
