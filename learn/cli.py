"""The ``learn`` command line: a thin shell over the library (typer + rich)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from learn.errors import LearnError

app = typer.Typer(
    name="learn",
    help="LEARN-style forest and tree-canopy GHG inventories (t CO2e/yr) per jurisdiction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", help="catalog file (default: $LEARN_CATALOG or ./data_catalog.yaml)"),
]
RegionOpt = Annotated[str, typer.Option("--region", "-r", help="region name in the catalog")]
YearsOpt = Annotated[
    tuple[int, int], typer.Option("--years", help="start and end inventory years, e.g. --years 2011 2019")
]


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _options(exact: bool, recategorize: bool) -> Any:
    from learn.region import InventoryOptions

    return InventoryOptions(
        pixel_rule="exact" if exact else "centre", recategorize_burned_grassland=recategorize
    )


def _fmt(v: float | None, digits: int = 0) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}"


PARTIAL_MARK = " (partial)"


def _total_cell(report: Any, value: float | None) -> str:
    """A total for display, marked "(partial)" when the report's totals leave out rows not estimated."""
    return _fmt(value) + ("" if report.totals.complete else PARTIAL_MARK)


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
            _fmt(r.area_ha, 1),
            _total_cell(report, r.emissions_t_co2e_per_yr) if total else _fmt(r.emissions_t_co2e_per_yr),
            _total_cell(report, r.removals_t_co2e_per_yr) if total else _fmt(r.removals_t_co2e_per_yr),
            _total_cell(report, r.net_t_co2e_per_yr) if total else _fmt(r.net_t_co2e_per_yr),
        )
    console.print(t)
    note = partial_note(report)
    if note:
        console.print(f"[bold yellow]{note}[/bold yellow]")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


@app.command("catalog")
def catalog_cmd(
    catalog: CatalogOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List regions, layers, years and boundaries of the catalog."""
    from learn.region import Region
    from learn.sources.catalog import load_catalog

    cat = load_catalog(catalog)
    doc: dict[str, Any] = {"catalog": str(cat.path), "datasets": sorted(cat.datasets), "regions": {}}
    for name, spec in cat.regions.items():
        entry: dict[str, Any] = {
            "description": spec.description,
            "synthetic": spec.synthetic,
            "default_period": list(spec.default_period) if spec.default_period else None,
            "layers": {
                k: {
                    "path": v.path,
                    "years": v.years,
                    "periods": [list(p) for p in v.periods or []] or None,
                    "units": v.units,
                }
                for k, v in spec.layers.items()
            },
            "boundaries": None,
        }
        try:
            frame = Region(cat, name).boundaries.frame
            entry["boundaries"] = [
                {"id": i, "name": n} for i, n in zip(frame["id"], frame["name"], strict=True)
            ]
        except LearnError as e:
            entry["boundaries_error"] = e.message
        doc["regions"][name] = entry
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    out.print(f"catalog: {doc['catalog']}")
    out.print(f"datasets: {', '.join(doc['datasets'])}")
    for name, entry in doc["regions"].items():
        out.print(
            f"\n[bold]{name}[/bold]{' [red](SYNTHETIC)[/red]' if entry['synthetic'] else ''}: {entry['description']}"
        )
        for layer, info in entry["layers"].items():
            when = info["years"] or info["periods"] or ""
            out.print(f"  {layer:24s} {when}")
        if entry["boundaries"] is None:
            out.print(f"  boundaries: [yellow]{entry.get('boundaries_error')}[/yellow]")
        else:
            out.print(
                f"  boundaries ({len(entry['boundaries'])}): "
                + ", ".join(f"{b['id']} {b['name']}" for b in entry["boundaries"][:15])
            )


@app.command("inventory")
def inventory_cmd(
    region: RegionOpt,
    years: YearsOpt,
    boundary: Annotated[
        str | None, typer.Option("--boundary", "-b", help="boundary id (e.g. a GEOID) or exact name")
    ] = None,
    boundary_file: Annotated[
        Path | None,
        typer.Option("--boundary-file", help="polygon file (GeoPackage, GeoJSON, zipped shapefile)"),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="json | csv (LEARN 4 tables) | tidy-csv | xlsx | html (printable report)"
        ),
    ] = "json",
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="output file (JSON goes to stdout when omitted)")
    ] = None,
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
    from learn.region import open_region
    from learn.report.export import FORMATS, write_report

    if fmt not in FORMATS:
        raise LearnError(f"unknown format '{fmt}'", hint=f"use one of {', '.join(FORMATS)}")
    if (boundary is None) == (boundary_file is None):
        raise LearnError(
            "give exactly one of --boundary ID or --boundary-file FILE",
            hint="`learn catalog` lists the boundary ids of each region",
        )
    if fmt != "json" and out_path is None:
        raise LearnError(f"--format {fmt} needs --out FILE")
    reg = open_region(region, catalog)
    target: Any = boundary_file if boundary_file is not None else boundary
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
        write_report(report, out_path, fmt)
        err.print(f"wrote {out_path}")
    note = partial_note(report)
    if note:  # on stderr: stdout stays the JSON document
        err.print(f"[bold yellow]note:[/bold yellow] {note}", soft_wrap=True)


@app.command("batch")
def batch_cmd(
    region: RegionOpt,
    years: Annotated[
        list[str],
        typer.Option("--years", help="start and end year (--years 2011 2019); repeat for several periods"),
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
    exact: Annotated[bool, typer.Option("--exact-coverage")] = False,
    recategorize: Annotated[bool, typer.Option("--recategorize-burned-grassland")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Every boundary for one or more periods, in one raster pass per period; resumable."""
    from learn.batch import load_boundaries_file, run_batch
    from learn.region import InventoryOptions, open_region

    reg = open_region(region, catalog)
    bset = (
        load_boundaries_file(boundaries, reg, id_field=id_field, name_field=name_field)
        if boundaries
        else None
    )
    options = InventoryOptions(
        pixel_rule="exact" if exact else "centre", recategorize_burned_grassland=recategorize, workers=threads
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
        )
    err.print(f"{result.computed} reports computed, {result.reused} reused → {out_dir}")
    partial = sum(not r.totals.complete for r in result.reports)
    if partial:
        err.print(
            f"[bold yellow]note:[/bold yellow] {partial} of {len(result.reports)} reports have partial totals "
            "(rows not estimated): see the totals_complete and not_estimated columns of boundaries.* and "
            "inventory.xlsx",
            soft_wrap=True,
        )


def _period(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise LearnError(f"--years needs two years, got '{text}'", hint="e.g. --years 2011 2019") from None
    return a, b


def _join_repeated_years(argv: list[str]) -> list[str]:
    """``batch --years A B --years C D`` → ``--years A:B --years C:D`` (click options take one arity)."""
    if "batch" not in argv:
        return argv
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--years":
            rest = argv[i + 1 : i + 3]
            if len(rest) == 2 and all(r.isdigit() for r in rest):
                out += ["--years", f"{rest[0]}:{rest[1]}"]
                i += 3
                continue
        out.append(argv[i])
        i += 1
    return out


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


@app.command("fetch")
def fetch_cmd(
    years: YearsOpt,
    region_name: Annotated[str, typer.Option("--region-name", help="name of the new region in the catalog")],
    boundary_file: Annotated[
        Path | None,
        typer.Option("--boundary-file", help="polygon file (GeoPackage, GeoJSON, zipped shapefile)"),
    ] = None,
    county: Annotated[
        str | None, typer.Option("--county", help="Census county GEOID, 5 digits (offline), e.g. 25015")
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", help="Census place GEOID, 7 digits (TIGER, needs the Internet)")
    ] = None,
    place_year: Annotated[int | None, typer.Option("--place-year", help="TIGER vintage for --place")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="where the files go (default: data/<region-name>/ by the catalog)"),
    ] = None,
    margin_m: Annotated[
        float, typer.Option("--margin-m", help="margin around the boundary's box, metres")
    ] = 1000.0,
    id_field: Annotated[str | None, typer.Option("--id-field", help="id column of the boundary")] = None,
    name_field: Annotated[
        str | None, typer.Option("--name-field", help="name column of the boundary")
    ] = None,
    forest_factors: Annotated[
        Path | None,
        typer.Option("--forest-factors", help="forest factor table (LEARN layout) for the region"),
    ] = None,
    land_cover_dataset: Annotated[
        str | None, typer.Option("--land-cover-dataset", help="catalog dataset for land cover")
    ] = None,
    canopy_dataset: Annotated[
        str | None, typer.Option("--canopy-dataset", help="catalog dataset for tree canopy")
    ] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            help="LAYER=KEY: catalog dataset for a forest layer (forest_age_type_region, carbon_live, "
            "carbon_dead_litter, carbon_soil, disturbance); repeatable",
        ),
    ] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Clip real public layers for a boundary into a new region of the catalog.

    Land cover and tree canopy always; forest age-type-region codes, carbon pools and disturbance when
    the catalog has a dataset marked `fetch_layer: <layer>` for them (docs/fetch.md)."""
    from learn.sources.catalog import default_catalog_path
    from learn.sources.fetch import FetchRequest, fetch

    req = FetchRequest(
        catalog_path=Path(catalog) if catalog else default_catalog_path(),
        region=region_name,
        years=years,
        boundary_file=boundary_file,
        county=county,
        place=place,
        place_year=place_year,
        data_dir=data_dir,
        margin_m=margin_m,
        id_field=id_field,
        name_field=name_field,
        forest_factors=forest_factors,
        land_cover_dataset=land_cover_dataset,
        canopy_dataset=canopy_dataset,
        datasets=_layer_datasets(dataset or []),
    )
    with _progress() as prog:
        tasks: dict[str, Any] = {}

        def on_rows(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = prog.add_task(f"reading {label}", total=total)
            prog.update(tasks[label], completed=done, total=total)

        result = fetch(req, progress=on_rows)
    for f in result.files:
        what = f"{f.layer} {f.when}".strip()
        if f.status == "skipped":
            err.print(f"skipped {f.name} ({what}): already there, sha256 matches the manifest")
        else:
            err.print(f"wrote {f.name} ({what}, {f.bytes:,} bytes{', ' + f.how if f.how else ''})")
    err.print(f"manifest: {result.manifest_path}")
    err.print(
        f"region '{result.region}' {'added to / updated in' if result.catalog_changed else 'unchanged in'} "
        f"{result.catalog_path}"
    )
    out.print(f"next: {result.next_command}", soft_wrap=True)  # one line: copyable


def _layer_datasets(pairs: list[str]) -> dict[str, str]:
    """``["carbon_live=my_cog", ...]`` → ``{"carbon_live": "my_cog"}``."""
    chosen: dict[str, str] = {}
    for pair in pairs:
        layer, sep, key = pair.partition("=")
        if not sep or not layer or not key:
            raise typer.BadParameter(f"'{pair}' is not LAYER=KEY", param_hint="--dataset")
        chosen[layer.strip()] = key.strip()
    return chosen


@app.command("demo")
def demo_cmd(
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="serve the web map afterwards on http://127.0.0.1:8000/"),
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="regenerate the demo data")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="where the demo reports go")] = Path("outputs/demo"),
    catalog: CatalogOpt = None,
) -> None:
    """Build the SYNTHETIC demo region (idempotent), compute every boundary and summarise."""
    from learn.batch import run_batch
    from learn.demo import build_demo_region
    from learn.region import open_region

    reg = open_region("demo", catalog)
    data_dir = reg.catalog.resolve(reg.spec.layers["land_cover"].path).parent
    with _progress() as prog:
        task = prog.add_task("generating synthetic demo data", total=None)
        build_demo_region(
            data_dir,
            force=force,
            progress=lambda step, i, n: prog.update(task, description=step, completed=i, total=n),
        )
    out.print(
        "[bold red]SYNTHETIC DEMO DATA[/bold red] — an invented landscape for trying the tool, not a real place."
    )
    start, end = reg.default_period
    with _progress() as prog:
        task = prog.add_task(f"inventory {start}–{end}", total=None)
        result = run_batch(
            reg,
            [(start, end)],
            out_dir,
            _options(False, False),
            progress=lambda label, i, n: prog.update(task, description=label, completed=i, total=n),
        )
    t = Table(title=f"Demo inventory {start}–{end} (SYNTHETIC), t CO2e/yr")
    for col in ("GEOID", "Name", "Area (ha)", "Gross emissions", "Gross removals", "Net"):
        t.add_column(col, justify="left" if col in ("GEOID", "Name") else "right")
    for r in result.reports:
        t.add_row(
            r.boundary.id,
            r.boundary.name,
            _fmt(r.boundary.area_ha),
            _total_cell(r, r.totals.gross_emissions_t_co2e_per_yr),
            _total_cell(r, r.totals.gross_removals_t_co2e_per_yr),
            _total_cell(r, r.totals.net_t_co2e_per_yr),
        )
    out.print(t)
    for note in partial_footnotes(result.reports):
        out.print(f"[yellow]{note}[/yellow]", soft_wrap=True)
    out.print(f"reports: {out_dir}/ (JSON per boundary, inventory.csv)")
    if serve:
        _serve(reg.catalog.path, "127.0.0.1", 8000)


@app.command("serve")
def serve_cmd(
    catalog: CatalogOpt = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port")] = 8000,
    tile_workers: Annotated[
        int | None,
        typer.Option("--tile-workers", help="processes rendering map tiles (default: one per core; 0: none)"),
    ] = None,
) -> None:
    """Serve the web map and the HTTP API for a catalog."""
    from learn.sources.catalog import default_catalog_path, load_catalog

    path = Path(catalog) if catalog else default_catalog_path()
    load_catalog(path)  # a broken catalog fails here with a clear message
    _serve(path, host, port, tile_workers)


def _serve(catalog: Path | None, host: str, port: int, tile_workers: int | None = None) -> None:
    try:
        import uvicorn

        from api.app import create_app
    except ImportError as e:
        raise LearnError(f"the web service needs its dependencies: {e}", hint="run `make install`") from None
    out.print(f"[bold green]LEARN Navigator[/bold green] serving on http://{host}:{port}/  (Ctrl+C to stop)")
    workers = (os.cpu_count() or 1) if tile_workers is None else tile_workers
    uvicorn.run(create_app(catalog, tile_workers=workers), host=host, port=port, log_level="warning")


def main() -> None:
    """Console entry point: user errors print a message and exit 2, never a traceback.

    Usage errors are click's own (exit 2 with the usage line).
    """
    try:
        app(args=_join_repeated_years(sys.argv[1:]), prog_name="learn")
    except LearnError as e:
        # soft_wrap: long URLs and paths stay on one line (copyable); escape: messages hold brackets.
        err.print(f"[bold red]error:[/bold red] {escape(e.message)}", soft_wrap=True)
        if e.hint:
            err.print(f"  [cyan]hint:[/cyan] {escape(e.hint)}", soft_wrap=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
