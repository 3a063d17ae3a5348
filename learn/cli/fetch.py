"""`learn fetch`: public layers clipped for a boundary, written as a ready region."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from learn.cli.app import CatalogOpt, YearsOpt, _progress, app, err, out


@app.command("fetch", short_help="Clip public layers for a boundary into a new region.")
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
