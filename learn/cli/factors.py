"""`learn factors fia`: a forest factor table derived from the FIA DataMart with pyfia."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from learn.cli.app import CatalogOpt, app, err, out

factors_app = typer.Typer(
    help="Derive factor tables from public data.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(factors_app, name="factors")


@factors_app.command("fia")
def fia_cmd(
    state: Annotated[str, typer.Option("--state", help="state postal code, e.g. MA")],
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write, e.g. factors/ma_forest.csv")],
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", help="download cache folder (default: $LEARN_CACHE_DIR or ~/.cache/learn-navigator)"
        ),
    ] = None,
    region_state: Annotated[
        list[str] | None,
        typer.Option(
            "--region-state",
            help="a state pooled at the region levels instead of the state's FIA region; repeatable",
        ),
    ] = None,
    no_region: Annotated[
        bool, typer.Option("--no-region", help="no region levels (the state's own plots only)")
    ] = False,
    min_plots: Annotated[
        int,
        typer.Option("--min-plots", min=1, help="fewer plots with forest land than this: fall back a level"),
    ] = 10,
    datamart_url: Annotated[
        str | None,
        typer.Option(
            "--datamart-url",
            help="FIA DataMart CSV folder (default: the catalog's fia_datamart href, "
            "https://apps.fs.usda.gov/fia/datamart/CSV/)",
        ),
    ] = None,
    deadline_s: Annotated[
        float | None,
        typer.Option(
            "--deadline-s",
            min=0.001,
            help="most seconds one table's download may take, retries included (default: the catalog's "
            "fia_datamart deadline_s, else 1800); a slower one stops, and resumes on the next run",
        ),
    ] = None,
    max_member_mb: Annotated[
        float | None,
        typer.Option(
            "--max-member-mb",
            min=1e-6,
            help="largest table a zip may extract to, MB (default: $LEARN_FIA_MAX_MEMBER_MB, else 16384); "
            "bigger ones, or ones over 200 times their compressed size, are refused",
        ),
    ] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Download a state's FIA tables (cached, resumable) and write its forest factor table.

    Removal factors (t C/ha/yr, negative) by forest type group × stand-age class from pyfia's net
    growth and forest area estimates of the state's current growth evaluation, keyed by the forest
    code of fetched regions (docs/factors.md)."""
    from learn.sources.fia.download import datamart_policy_of, datamart_url_of
    from learn.sources.fia.factors import derive_fia_factors
    from learn.sources.zip_check import ZipLimits

    policy = datamart_policy_of(catalog, deadline_s)
    limits = ZipLimits.from_env(max_member_mb)

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        tasks: dict[str, Any] = {}

        def on_bytes(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(f"downloading {name}", total=total)
            progress.update(tasks[name], completed=done, total=total)

        result = derive_fia_factors(
            state,
            out_path,
            cache_dir=cache,
            base_url=datamart_url or datamart_url_of(catalog),
            region_states=() if no_region else (tuple(region_state) if region_state else None),
            min_plots=min_plots,
            on_progress=on_bytes,
            policy=policy,
            limits=limits,
        )
    for name in result.downloaded:
        err.print(f"downloaded {name}")
    for code, why in result.left_out.items():
        err.print(f"left out code {code}: {why}")
    for note in result.notes:
        err.print(note)
    region = (
        f", region levels pool {', '.join(result.region_states)} ({result.region_name})"
        if result.region_states
        else ""
    )
    err.print(f"{result.state}: EVALID {result.evalid}{region}")
    out.print(f"wrote {result.out} ({result.rows} rows)", soft_wrap=True)
