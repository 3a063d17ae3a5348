"""The optional "Pathway" section of the HTML/PDF report (issue 24): business as usual and one scenario from the
report's period to a target year, as the web map's Plan tab shows them.

The pathway comes in as its JSON document (``Pathways.model_dump()`` of :mod:`learn.analyses.pathways`): the report
stage presents results and never imports the analyses built on it (tests/test_layout.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

BAU_COLOUR = "#5b6b70"
SCENARIO_COLOUR = "#1b7837"


def about(value: float) -> str:
    """A number for a sentence: 3 significant digits with thousands separators ("about 2,170,000")."""
    return f"{float(f'{value:.3g}') + 0.0:,.0f}"


def _rows(not_estimated: list[str]) -> str:
    items = [r.replace(" — ", ": ") for r in not_estimated]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def sentence(doc: dict[str, Any]) -> str:
    """ "By 2050 these measures avoid about X t CO2e (90 %: A to B) compared with business as usual." (partial,
    and why, when the baseline left rows out; "not estimated", never 0, when only those rows would change)."""
    year = str(doc["end_year"])
    if len(doc["scenarios"]) < 2 or not doc["scenarios"][1]["measures"]:
        return f"No measures: the pathway to {year} is business as usual."
    s = doc["scenarios"][1]
    v = s["reduction_vs_bau_t_co2e"][year]
    lo, hi = (
        s.get("reduction_vs_bau_p05_t_co2e", {}).get(year),
        s.get("reduction_vs_bau_p95_t_co2e", {}).get(year),
    )
    left_out = _rows(doc["not_estimated"]) if not doc["complete"] else ""
    if v == 0 and not lo and not hi:
        if left_out:
            return f"By {year} the effect of these measures is not estimated: the baseline inventory could not estimate {left_out}."
        return f"By {year} these measures change nothing compared with business as usual: the baseline period has none of what they act on."
    verb, (a, b) = (
        ("avoid", (lo, hi))
        if v >= 0
        else ("add", (-hi, -lo) if hi is not None and lo is not None else (None, None))
    )
    interval = f" (90 %: {about(a)} to {about(b)})" if a is not None and b is not None else ""
    text = f"By {year} these measures {verb} about {about(abs(v))} t CO2e{interval} compared with business as usual."
    if left_out:
        text += f" This is a partial figure: the baseline inventory could not estimate {left_out}, so every year of both pathways leaves them out."
    return text


def measures_text(measures: list[dict[str, dict[str, Any]]]) -> str:
    """The measures in words ("Measures: avoid 50 % of forest loss from 2025; …")."""
    words = []
    for m in measures:
        ((kind, f),) = m.items()
        start = f.get("from", "the start")
        if kind == "avoid_forest_conversion":
            words.append(f"avoid {f['share'] * 100:.0f} % of forest loss from {start}")
        elif kind == "reforest":
            words.append(
                f"reforest {f['ha_per_yr']:,.1f} ha per year from {start} to {f.get('to', 'the end')}"
            )
        elif kind == "canopy_goal":
            words.append(f"tree canopy goal {f['percent']:.0f} % of non-forest land by {f['by']}")
        elif kind == "protect_canopy":
            words.append(f"protect {f['share'] * 100:.0f} % of tree canopy loss from {start}")
        else:
            words.append(kind)
    return f"Measures: {'; '.join(words)}." if words else "No measures: business as usual only."


def trees_text(doc: dict[str, Any]) -> str | None:
    """The trees to plant of a canopy goal, or None without one."""
    if len(doc["scenarios"]) < 2:
        return None
    s = doc["scenarios"][1]
    goal = next((m["canopy_goal"] for m in s["measures"] if "canopy_goal" in m), None)
    if goal is None:
        return None
    if s.get("trees_to_plant") is None:
        return "Trees to plant: not estimated (no tree canopy layer)."
    return (
        f"Trees to plant for the canopy goal of {goal['percent']:.0f} % by {goal['by']}: about "
        f"{about(s['trees_to_plant'])} trees (the canopy to add ÷ {goal.get('crown_area_m2', 0):.1f} m² of crown "
        "per grown tree, an assumption of this tool)."
    )


def pathway_chart(doc: dict[str, Any], png: Any) -> bytes:
    """Net flux per year of both pathways, each with its 90 % interval shaded (``png``: the report's PNG writer)."""
    fig = Figure(figsize=(8.0, 3.6))
    ax = fig.add_subplot()
    for s, colour, style in zip(
        doc["scenarios"][:2], (BAU_COLOUR, SCENARIO_COLOUR), ("--", "-"), strict=False
    ):
        years = np.array([r["year"] for r in s["series"]])
        lo = [r["net_p05_t_co2e_per_yr"] for r in s["series"]]
        hi = [r["net_p95_t_co2e_per_yr"] for r in s["series"]]
        ax.fill_between(years, lo, hi, color=colour, alpha=0.2, linewidth=0)
        ax.plot(years, [r["net_t_co2e_per_yr"] for r in s["series"]], style, color=colour, label=s["name"])
    ax.set_ylabel("t CO2e/yr (− = net removal)", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}")
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Net flux per year, with each pathway's 90 % interval shaded", fontsize=10)
    fig.tight_layout()
    return bytes(png(fig))


def milestone_rows(doc: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the milestones table (cumulative net of both pathways and what the measures avoid)."""
    bau = doc["scenarios"][0]
    s = doc["scenarios"][1] if len(doc["scenarios"]) > 1 else None
    first = doc["baseline_period"][1] + 1
    headers = ["Years", "Business as usual (t CO2e)"]
    if s:
        headers += [f"{s['name']} (t CO2e)", "Avoided (t CO2e)", "Avoided, 90 %"]
    rows = []
    for y in sorted(bau["cumulative_net_t_co2e"]):
        row = [f"{first}–{y}", f"{bau['cumulative_net_t_co2e'][y]:,.0f}"]
        if s:
            lo, hi = (
                s.get("reduction_vs_bau_p05_t_co2e", {}).get(y),
                s.get("reduction_vs_bau_p95_t_co2e", {}).get(y),
            )
            v = s["reduction_vs_bau_t_co2e"][y]
            if not doc["complete"] and s["measures"] and v == 0 and not lo and not hi:
                # what the measures act on was not estimated: never a 0
                row += [f"{s['cumulative_net_t_co2e'][y]:,.0f}", "not estimated", "not estimated"]
            else:
                row += [
                    f"{s['cumulative_net_t_co2e'][y]:,.0f}",
                    f"{v:,.0f}",
                    "n/a" if lo is None or hi is None else f"{lo:,.0f} to {hi:,.0f}",
                ]
        rows.append(row)
    return headers, rows


def pathway_context(doc: dict[str, Any], png: Any, data_uri: Any) -> dict[str, Any]:
    """What the template's "Pathway" section shows, as display strings."""
    headers, rows = milestone_rows(doc)
    start, end = doc["baseline_period"]
    warnings = list(dict.fromkeys([*doc["warnings"], *(w for s in doc["scenarios"] for w in s["warnings"])]))
    return {
        "title": f"Pathway to {doc['end_year']}: business as usual and with measures",
        "basis": (
            f"Business as usual carries the yearly changes observed in {start}–{end} forward, with the inventory's "
            f"factors; the scenario changes them by its measures. Years {end + 1}–{doc['end_year']}."
        ),
        "measures": measures_text(doc["scenarios"][1]["measures"] if len(doc["scenarios"]) > 1 else []),
        "sentence": sentence(doc),
        "trees": trees_text(doc),
        "chart": data_uri(pathway_chart(doc, png)),
        "headers": headers,
        "rows": rows,
        "warnings": [w for w in warnings if not w.startswith("SYNTHETIC")],
    }
