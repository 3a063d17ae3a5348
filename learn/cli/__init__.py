"""The ``learn`` command line: a thin shell over the library (typer + rich).

``app`` (the typer app, shared options, ``main``), one module per group of commands — ``catalog``,
``inventory`` (``inventory``, ``batch``), ``fetch``, ``factors`` (``factors fia``), ``serve`` (``demo``,
``serve``), ``sources`` (``sources check``) — and ``tables`` (how a report is printed).
"""

from learn.cli import catalog, factors, fetch, inventory, pathways, serve, sources  # noqa: F401  (each registers its commands)
from learn.cli.app import app, main
from learn.cli.tables import print_report_table

__all__ = ["app", "main", "print_report_table"]
