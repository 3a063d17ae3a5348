"""`learn demo` (build, compute, serve the SYNTHETIC demo) and `learn serve` (the web map)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from learn.cli.app import CatalogOpt, _options, _progress, app, out
from learn.cli.tables import fmt_number, partial_footnotes, total_cell
from learn.errors import LearnError

if TYPE_CHECKING:
    from api.slow_clients import ReadDeadlines


@app.command("demo", short_help="Build, compute and serve the SYNTHETIC demo region.")
def demo_cmd(
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="serve the web map afterwards on http://HOST:PORT/"),
    ] = True,
    host: Annotated[str, typer.Option("--host", help="address the web map listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port of the web map")] = 8000,
    force: Annotated[bool, typer.Option("--force", help="regenerate the demo data")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="where the demo reports go")] = Path("outputs/demo"),
    catalog: CatalogOpt = None,
) -> None:
    """Build the SYNTHETIC demo region (idempotent), compute every boundary, summarise each with its 90 %
    interval, and serve the web map (`make demo PORT=8123` or `--port 8123` for another port)."""
    from learn.demo import build_demo_region
    from learn.pipeline.batch import run_batch
    from learn.pipeline.region import open_region

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
    out.print(demo_table(result.reports, start, end))
    for note in partial_footnotes(result.reports):
        out.print(f"[yellow]{note}[/yellow]", soft_wrap=True)
    out.print(f"reports: {out_dir}/ (JSON per boundary, inventory.csv)")
    if serve:
        _serve(reg.catalog.path, host, port)


#: The net's 90 % interval column of the demo table (the factors' standard errors: totals.net_p05/p95).
INTERVAL_COLUMN = "Net 90 % interval (p05 to p95)"


def demo_table(reports: list[Any], start: int, end: int) -> Table:
    """The demo's summary: one row per boundary with its totals and the net's 90 % interval."""
    t = Table(title=f"Demo inventory {start}–{end} (SYNTHETIC), t CO2e/yr")
    for col in ("GEOID", "Name", "Area (ha)", "Gross emissions", "Gross removals", "Net", INTERVAL_COLUMN):
        t.add_column(col, justify="left" if col in ("GEOID", "Name") else "right")
    for r in reports:
        lo, hi = r.totals.net_p05_t_co2e_per_yr, r.totals.net_p95_t_co2e_per_yr
        t.add_row(
            r.boundary.id,
            r.boundary.name,
            fmt_number(r.boundary.area_ha),
            total_cell(r, r.totals.gross_emissions_t_co2e_per_yr),
            total_cell(r, r.totals.gross_removals_t_co2e_per_yr),
            total_cell(r, r.totals.net_t_co2e_per_yr),
            "n/a" if lo is None or hi is None else f"{fmt_number(lo)} to {fmt_number(hi)}",
        )
    return t


@app.command("serve")
def serve_cmd(
    catalog: CatalogOpt = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port")] = 8000,
    tile_workers: Annotated[
        int | None,
        typer.Option("--tile-workers", help="processes rendering map tiles (default: one per core; 0: none)"),
    ] = None,
    prepare_queue: Annotated[
        int,
        typer.Option(
            "--prepare-queue",
            min=0,
            help="counties the map may ask the server to fetch, queued at most (0: none, the 'Any US county' box hidden)",
        ),
    ] = 4,
    header_timeout: Annotated[
        float | None,
        typer.Option(
            "--header-timeout",
            min=0,
            help="seconds a client has to send a request's headers, +1 s per --min-rate bytes sent "
            "(default 20; 0: no limit); a client too slow gets 408 and is disconnected",
        ),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option(
            "--body-timeout",
            min=0,
            help="seconds a client has to send a request's body after its headers, +1 s per --min-rate bytes "
            "sent (default 20; 0: no limit)",
        ),
    ] = None,
    min_rate: Annotated[
        float | None,
        typer.Option(
            "--min-rate",
            min=0,
            help="bytes/s: every this many bytes received extend the header and body deadlines by 1 s, so a "
            "steady slow upload is never cut off (default 500; 0: no extension)",
        ),
    ] = None,
) -> None:
    """Serve the web map and the HTTP API for a catalog."""
    from api.slow_clients import ReadDeadlines
    from learn.sources.catalog import default_catalog_path, load_catalog

    path = Path(catalog) if catalog else default_catalog_path()
    load_catalog(path)  # a broken catalog fails here with a clear message
    given = {"header_timeout": header_timeout, "body_timeout": body_timeout, "min_rate": min_rate}
    deadlines = ReadDeadlines(**{k: v for k, v in given.items() if v is not None})
    _serve(path, host, port, tile_workers, prepare_queue, deadlines)


def _serve(
    catalog: Path | None,
    host: str,
    port: int,
    tile_workers: int | None = None,
    prepare_queue: int = 4,
    deadlines: ReadDeadlines | None = None,
) -> None:
    try:
        import uvicorn

        from api.app import create_app
        from api.slow_clients import ReadDeadlines
    except ImportError as e:
        raise LearnError(f"the web service needs its dependencies: {e}", hint="run `make install`") from None
    out.print(f"[bold green]LEARN Navigator[/bold green] serving on http://{host}:{port}/  (Ctrl+C to stop)")
    workers = (os.cpu_count() or 1) if tile_workers is None else tile_workers
    app = create_app(catalog, tile_workers=workers, max_pending_prepare=prepare_queue)
    # uvicorn's h11 protocol with read deadlines for slow clients (uvicorn has none): see api/slow_clients.py
    http = (deadlines or ReadDeadlines()).protocol()
    uvicorn.run(app, host=host, port=port, log_level="warning", http=http)
