"""The raster stage: one pass over a region's stacked layers → a per-zone stratum table.

``grid`` (the one grid type every layer of a region shares; opening and checking rasters; windows);
``cog`` (writing Cloud-Optimised GeoTIFFs); ``zones`` (boundaries rasterized onto the grid);
``kernel`` (the numba hash-table accumulator); ``strata`` (the stratum table's columns, one window's
reduction); ``engine`` (windows over threads or ``dask.distributed``). Never imports accounting or report code.
"""
