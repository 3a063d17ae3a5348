"""The orchestrator: open a region, compute one boundary's inventory or every boundary's, read layers for maps.

It calls the stages in order — :mod:`learn.sources` (boundaries, the catalog) → :mod:`learn.raster` (one pass,
per-zone strata) → :mod:`learn.accounting` (rows from strata and factors) → :mod:`learn.report` (the model) — and
nothing in those stages imports it (``docs/architecture.md``). ``region`` (the Python API's ``Region``),
``region_report`` (one boundary's report from its accounting), ``region_layers`` / ``region_map`` (layers and
locator maps), ``batch`` with ``batch_reuse``, ``batch_tables`` and ``batch_files`` (every boundary, resumable).
"""
