"""`learn catalog`: what the catalog holds."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from learn.cli.app import CatalogOpt, app, out
from learn.errors import LearnError


@app.command("catalog")
def catalog_cmd(
    catalog: CatalogOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List regions, layers, years and boundaries of the catalog."""
    from learn.sources.catalog import load_catalog
    from learn.sources.census.legacy_names import legacy_county_names
    from learn.sources.listing import gpkg_labels

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
        b = spec.boundaries
        path = cat.resolve(b.path)
        labels = gpkg_labels(path, b.id_field, b.name_field, b.layer)
        if not path.exists():
            entry["boundaries_error"] = f"boundary file not found: {path}"
        elif labels is None:  # not a GeoPackage, or a fault the full read names
            from learn.pipeline.region import Region

            try:
                frame = Region(cat, name).boundaries.frame
                labels = list(zip(frame["id"], frame["name"], strict=True))
            except LearnError as e:
                entry["boundaries_error"] = e.message
        if labels is not None:
            legacy = legacy_county_names(path, b.name_field)  # a county fetched before: its display name
            if legacy:
                labels = [(i, legacy.get(str(i), n)) for i, n in labels]
            entry["boundaries"] = [{"id": i, "name": n} for i, n in labels]
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
