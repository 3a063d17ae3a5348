"""The ``learn`` application: the typer app, its consoles and shared options, and the entry point.

Commands live in the sibling modules; heavy libraries are imported inside the command that needs them,
so ``learn --help`` starts in well under a second.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from learn.errors import LearnError

app = typer.Typer(
    name="learn",
    help="LEARN-style forest and tree-canopy GHG inventories (t CO2e/yr) per jurisdiction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's help layout: it wraps each option's help under long option names and rewraps the docstrings'
    # paragraphs, so help reads whole at 80 columns (typer's rich tables cut long names with "…").
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True)

CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", help="catalog file (default: $LEARN_CATALOG or ./data_catalog.yaml)"),
]
RegionOpt = Annotated[str, typer.Option("--region", "-r", help="region name in the catalog")]
YearsOpt = Annotated[
    tuple[int, int],
    typer.Option("--years", metavar="Y1 Y2", help="start and end inventory years, e.g. 2011 2019"),
]


BoundaryOpt = Annotated[
    str | None, typer.Option("--boundary", "-b", help="boundary id (e.g. a GEOID) or exact name")
]
BoundaryFileOpt = Annotated[
    Path | None,
    typer.Option("--boundary-file", help="polygon file (GeoPackage, GeoJSON, zipped shapefile)"),
]
PaperOpt = Annotated[str | None, typer.Option("--paper", help="paper of --format pdf: letter (default) | a4")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="output file (JSON goes to stdout when omitted)")
]


def one_boundary(boundary: str | None, boundary_file: Path | None) -> Any:
    """The boundary a command computes: ``--boundary`` or ``--boundary-file``, exactly one."""
    if (boundary is None) == (boundary_file is None):
        raise LearnError(
            "give exactly one of --boundary ID or --boundary-file FILE",
            hint="`learn catalog` lists the boundary ids of each region",
        )
    return boundary_file if boundary_file is not None else boundary


def output_checked(fmt: str, paper: str | None, out_path: Path | None) -> str | None:
    """``--paper`` only with PDF (checked, default letter), and a file for every format but JSON."""
    if paper is not None and fmt != "pdf":
        raise LearnError(
            "--paper applies to --format pdf only", hint="add --format pdf, or leave --paper out"
        )
    if fmt != "json" and out_path is None:
        raise LearnError(f"--format {fmt} needs --out FILE")
    if fmt != "pdf":
        return None
    from learn.report.pdf import DEFAULT_PAPER, check_paper

    return check_paper(paper or DEFAULT_PAPER)


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
    from learn.pipeline.region import InventoryOptions

    return InventoryOptions(
        pixel_rule="exact" if exact else "centre", recategorize_burned_grassland=recategorize
    )


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
