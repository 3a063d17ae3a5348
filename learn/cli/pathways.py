"""`learn pathways`: a boundary's forest and tree carbon projected to 2030/2050, BAU and scenarios."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from learn.cli.app import (
    BoundaryFileOpt,
    BoundaryOpt,
    CatalogOpt,
    OutOpt,
    PaperOpt,
    RegionOpt,
    _options,
    _progress,
    app,
    err,
    one_boundary,
    output_checked,
)
from learn.errors import LearnError


@app.command("pathways", short_help="Project a boundary's carbon to 2030/2050: BAU and scenarios.")
def pathways_cmd(
    region: RegionOpt,
    boundary: BoundaryOpt = None,
    boundary_file: BoundaryFileOpt = None,
    baseline: Annotated[
        tuple[int, int] | None,
        typer.Option(
            "--baseline", metavar="START END", help="baseline inventory period (default: the latest)"
        ),
    ] = None,
    to: Annotated[int, typer.Option("--to", help="last projected year")] = 2050,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", help="scenario YAML file (name and measures); repeat for more"),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json | csv | xlsx | html | pdf (the baseline's printable report with the pathway)",
        ),
    ] = "json",
    paper: PaperOpt = None,
    out_path: OutOpt = None,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws of the 90 % interval")] = 1000,
    exact: Annotated[
        bool, typer.Option("--exact-coverage", help="weight edge pixels by the share of them inside")
    ] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Project the forest and tree carbon of one boundary from a baseline inventory period to --to, business as
    usual (the baseline's observed area rates carried forward) and with each --scenario's measures, with the 90 %
    interval (docs/pathways.md)."""
    from learn.analyses.pathways import boundary_pathways, default_baseline, load_scenario
    from learn.analyses.pathways.baseline import baseline_of
    from learn.analyses.pathways.export import FORMATS, write_pathways
    from learn.pipeline.region import open_region

    printable = ("html", "pdf")
    if fmt not in (*FORMATS, *printable):
        raise LearnError(f"unknown format '{fmt}'", hint=f"use one of {', '.join((*FORMATS, *printable))}")
    target = one_boundary(boundary, boundary_file)
    paper = output_checked(fmt, paper, out_path)
    if not 1 <= draws <= 100_000:
        raise LearnError(f"--draws must be 1…100000 (got {draws})")
    scenarios = [load_scenario(p) for p in scenario or []]
    reg = open_region(region, catalog)
    options = _options(exact, False)
    period = (int(baseline[0]), int(baseline[1])) if baseline else default_baseline(reg)
    with _progress() as prog:
        task = prog.add_task("baseline inventory", total=None)

        def tell(text: str, done: int, total: int) -> None:
            prog.update(task, description=text, completed=done, total=total)

        # The baseline's report too when it is printed with the pathway (one raster pass either way).
        basis = baseline_of(reg, target, period, options) if fmt in printable else None
        result = boundary_pathways(
            reg, target, period, to, scenarios, options, basis=basis, draws=draws, progress=tell
        )
    if out_path is None:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif basis is not None:
        _write_printable(reg, target, basis[0], result, out_path, fmt, paper or "letter")
        err.print(f"wrote {out_path}")
    else:
        write_pathways(result, out_path, fmt)
        err.print(f"wrote {out_path}")
    for s in result.scenarios[1:]:
        last = max(s.reduction_vs_bau_t_co2e, key=int, default=None)
        if last is not None:
            err.print(
                f"{s.name}: by {last} avoids {s.reduction_vs_bau_t_co2e[last]:,.0f} t CO2e vs business as usual "
                f"(90 %: {s.reduction_vs_bau_p05_t_co2e[last]:,.0f} to {s.reduction_vs_bau_p95_t_co2e[last]:,.0f})",
                soft_wrap=True,
            )
    if not result.complete:
        err.print(
            "[bold yellow]note:[/bold yellow] partial: the baseline leaves out "
            + "; ".join(result.not_estimated),
            soft_wrap=True,
        )


def _write_printable(
    reg: Any, target: Any, report: Any, result: Any, path: Path, fmt: str, paper: str
) -> None:
    """The baseline period's printable report with the pathway's section (as the API's ``pathways.html|pdf``)."""
    from learn.report.html import render_html
    from learn.util import atomic_path, write_text_atomic

    doc = result.model_dump(mode="json")
    try:
        if fmt == "html":
            write_text_atomic(path, render_html(report, pathway=doc))
            return
        from learn.pipeline.region_map import locator_map
        from learn.report.pdf import render_pdf

        start, end = result.baseline_period
        data = render_pdf(
            report, paper=paper, locator=locator_map(reg, reg.boundary(target), start, end), pathway=doc
        )
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as e:
        raise LearnError(
            f"cannot write {path}: {e.strerror or e}", hint="choose a path in a folder you can write to"
        ) from e
