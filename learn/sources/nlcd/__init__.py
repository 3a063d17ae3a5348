"""NLCD land cover and other rasters read from COGs, zip bundles or OGC WCS: ``clip`` (a remote raster onto one
EPSG:5070 30 m grid, written as a local COG) and ``wcs`` (WCS 1.0.0 ``GetCoverage`` for a grid)."""
