"""`learn sources check`: do the public sources answer as the code expects? (learn/sources/check)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from learn.cli.app import CatalogOpt, app, err, out

sources_app = typer.Typer(help="The public data sources the catalog points at.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

STYLE = {"ok": "green", "differs": "bold red", "unreachable": "yellow", "not checked": "dim"}


@sources_app.command("check")
def check_cmd(
    catalog: CatalogOpt = None,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", help="check only this catalog dataset (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="deadline of each request, seconds (default 8)")
    ] = None,
) -> None:
    """Tiny live requests to every public source of the catalog, compared with what the code expects.

    Service JSON (raster functions, units text, pixel type, NoData), a 64 x 64 exportImage (format,
    spatial reference), the insect/disease layer's fields and damage types, COG headers, zip members,
    the FIA DataMart tables and the TIGER files. Exit 0 when every check is ok, 1 when a source differs
    from what the code expects or cannot be reached (2: a usage or catalog error).
    """
    from learn.sources.catalog import load_catalog
    from learn.sources.check import check_sources
    from learn.sources.check.probe import TIMEOUT_S

    result = check_sources(load_catalog(catalog), dataset, timeout_s=timeout or TIMEOUT_S)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        table = Table(title=f"public sources ({result.checked_at}, {result.seconds:g} s)", show_lines=False)
        for col in ("source", "check", "status", "expected", "got"):
            table.add_column(col, overflow="fold")
        for r in result.results:
            status = f"[{STYLE[r.status]}]{r.status}[/]"
            got = r.got if r.got is not None else (r.detail or "")
            expected = r.expected or ""
            table.add_row(escape(r.dataset), escape(r.check), status, escape(expected), escape(got))
        # A pipe or a file gets a wide table (rich would assume 80 columns and wrap every URL-like text).
        (out if out.is_terminal else Console(width=160, file=sys.stdout)).print(table)
        counts = ", ".join(f"{n} {s}" for s, n in result.counts.items() if n)
        (out if result.ok else err).print(
            f"{'all public sources answer as expected' if result.ok else 'some sources differ or are unreachable'}"
            f" ({counts})" + ("" if result.ok else " (URLs: --json)")
        )
    raise typer.Exit(0 if result.ok else 1)
