"""`learn inventory` (one report) and `learn batch` (every boundary, several periods)."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
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
    YearsOpt,
    _options,
    _progress,
    app,
    err,
    one_boundary,
    output_checked,
)
from learn.cli.tables import partial_note
from learn.errors import LearnError
from learn.util import gc_paused


@app.command("inventory")
def inventory_cmd(
    region: RegionOpt,
    years: YearsOpt,
    boundary: BoundaryOpt = None,
    boundary_file: BoundaryFileOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json | csv (LEARN 4 tables) | tidy-csv | xlsx | html (printable report) | pdf (with a map)",
        ),
    ] = "json",
    paper: PaperOpt = None,
    out_path: OutOpt = None,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact-coverage", help="weight edge pixels by covered fraction instead of the pixel-centre rule"
        ),
    ] = False,
    recategorize: Annotated[
        bool,
        typer.Option(
            "--recategorize-burned-grassland",
            help="count burned Forest→Grassland as forest remaining forest with fire emissions (LEARN option)",
        ),
    ] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Compute the inventory of one boundary for one period."""
    from learn.pipeline.region import open_region
    from learn.report.export import FORMATS, write_report

    if fmt not in FORMATS:
        raise LearnError(f"unknown format '{fmt}'", hint=f"use one of {', '.join(FORMATS)}")
    target = one_boundary(boundary, boundary_file)
    paper = output_checked(fmt, paper, out_path)
    reg = open_region(region, catalog)
    with _progress() as prog:
        task = prog.add_task("reading rasters", total=None)
        report = reg.inventory(
            target,
            years,
            _options(exact, recategorize),
            progress=lambda i, n: prog.update(task, completed=i, total=n),
        )
    if out_path is None:
        sys.stdout.write(report.to_json() + "\n")
    else:
        locator = None
        if fmt == "pdf":  # page 1's map of the boundary and the period's forest change
            from learn.pipeline.region_map import locator_map

            locator = locator_map(reg, reg.boundary(target), *years)
        write_report(report, out_path, fmt, paper=paper or "letter", locator=locator)
        err.print(f"wrote {out_path}")
    note = partial_note(report)
    if note:  # on stderr: stdout stays the JSON document
        err.print(f"[bold yellow]note:[/bold yellow] {note}", soft_wrap=True)
    if report.totals.net_p05_t_co2e_per_yr is not None:  # the factor uncertainty (docs/method.md §5.1)
        from learn.report.labels import net_text

        err.print(f"Net: {net_text(report.totals)}", soft_wrap=True)


@app.command("batch", short_help="Every boundary for one or more periods; resumable.")
def batch_cmd(
    region: RegionOpt,
    years: Annotated[
        list[str],
        typer.Option(
            "--years", metavar="Y1 Y2", help="start and end year (--years 2011 2019); repeat for more periods"
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    boundaries: Annotated[
        Path | None, typer.Option("--boundaries", help="boundary file instead of the region's")
    ] = None,
    id_field: Annotated[str, typer.Option("--id-field", help="id column of --boundaries")] = "GEOID",
    name_field: Annotated[str, typer.Option("--name-field", help="name column of --boundaries")] = "NAME",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="dask.distributed scheduler, e.g. tcp://host:8786")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="start a local dask cluster with N worker processes")
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option("--threads", help="threads for the raster pass without dask (default: all cores)"),
    ] = None,
    exact: Annotated[
        bool, typer.Option("--exact-coverage", help="weight edge pixels by the share of them inside")
    ] = False,
    recategorize: Annotated[
        bool,
        typer.Option(
            "--recategorize-burned-grassland", help="burned Forest→Grassland stays forest (LEARN option)"
        ),
    ] = False,
    formats: Annotated[
        str | None,
        typer.Option(
            "--formats",
            help="tables to write, comma-separated, from csv, parquet, xlsx, gpkg, geojson, geoparquet "
            "(default: all six)",
        ),
    ] = None,
    per_boundary: Annotated[
        str | None,
        typer.Option(
            "--per-boundary",
            help="also one file per boundary and period in DIR/per_boundary/, comma-separated, from "
            "csv, xlsx, pdf, html, tidy-csv, json (e.g. csv,xlsx,pdf)",
        ),
    ] = None,
    paper: Annotated[
        str, typer.Option("--paper", help="paper of the per-boundary PDFs: letter or a4")
    ] = "letter",
    catalog: CatalogOpt = None,
) -> None:
    """Every boundary for one or more periods, in one raster pass per period; resumable.

    The JSON report of each boundary and manifest.json are always written; --formats chooses the tables
    of all boundaries, --per-boundary adds each boundary's own files (LEARN's 4-table CSV, the workbook,
    the printable PDF, ...) named <id>_<name>_<start>_<end>."""
    from learn.raster import worker

    # First, before the imports below: a child process loads the raster stage on another core meanwhile.
    raster = worker.start() if scheduler is None and workers is None else None
    with raster if raster is not None else contextlib.nullcontext():
        # The imports make ~10⁶ long-lived objects: collecting meanwhile finds nothing (it cost ~0.3 s of a
        # 3-s batch), and frozen, later collections skip them.
        with gc_paused():
            from learn.pipeline.batch import load_boundaries_file, run_batch
            from learn.pipeline.batch_files import check_per_boundary
            from learn.pipeline.batch_tables import TABLE_FILES, check_formats
            from learn.pipeline.region import InventoryOptions, open_region
        gc.freeze()

        tables = check_formats(formats)  # before opening the region: a typo fails at once
        deliverables = check_per_boundary(per_boundary)
        if "pdf" in deliverables:
            from learn.report.pdf import check_paper

            paper = check_paper(paper)
        if formats is not None and not tables:
            raise LearnError(
                "--formats names no table", hint="e.g. --formats csv, or leave --formats out for all six"
            )
        reg = open_region(region, catalog)
        bset = (
            load_boundaries_file(boundaries, reg, id_field=id_field, name_field=name_field)
            if boundaries
            else None
        )
        options = InventoryOptions(
            pixel_rule="exact" if exact else "centre",
            recategorize_burned_grassland=recategorize,
            workers=threads,
        )
        with _dask_client(scheduler, workers) as client, _progress() as prog:
            task = prog.add_task("batch", total=None)
            result = run_batch(
                reg,
                [_period(y) for y in years],
                out_dir,
                options,
                boundaries=bset,
                client=client,
                progress=lambda label, i, n: prog.update(task, description=label, completed=i, total=n),
                formats=tables,
                per_boundary=deliverables,
                paper=paper,
                raster=raster,
            )
        changed = (
            f" ({result.inputs_changed} of them because their inputs changed since the last run)"
            if result.inputs_changed
            else ""
        )
        err.print(
            f"{result.computed} reports computed{changed}, {result.reused} reused → {out_dir}", soft_wrap=True
        )
        if deliverables:
            kept = len(result.reports) * len(deliverables) - result.per_boundary_written
            err.print(
                f"per-boundary files ({', '.join(deliverables)}): {result.per_boundary_written} written, "
                f"{kept} already current → {out_dir / 'per_boundary'}",
                soft_wrap=True,
            )
        partial = sum(not r.totals.complete for r in result.reports)
        if partial:
            with_totals = [TABLE_FILES[f] for f in tables if f in ("xlsx", "gpkg", "geojson", "geoparquet")]
            with_totals = [name.replace("{start}_{end}", "START_END") for name in with_totals]
            where = (
                f"the totals_complete and not_estimated columns of {', '.join(with_totals)}"
                if with_totals
                else "totals.not_estimated in the JSON reports"
            )
            err.print(
                f"[bold yellow]note:[/bold yellow] {partial} of {len(result.reports)} reports have partial totals "
                f"(rows not estimated): see {where}",
                soft_wrap=True,
            )


def _period(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise LearnError(f"--years needs two years, got '{text}'", hint="e.g. --years 2011 2019") from None
    return a, b


@contextlib.contextmanager
def _dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A dask.distributed client for --scheduler / --workers, else None (local threads)."""
    if scheduler is None and workers is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise LearnError("dask.distributed is not installed", hint="pip install 'distributed'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            raise LearnError(
                f"cannot reach the dask scheduler at {scheduler}: {e}",
                hint="start one with `dask scheduler` and `dask worker ADDRESS`",
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
