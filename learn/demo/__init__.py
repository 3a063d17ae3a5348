"""Deterministic generator of the SYNTHETIC demo region (``learn demo``).

Everything this package writes is INVENTED: an imaginary 60 km × 60 km landscape in the north-east style
(a meandering river with wetlands, lakes, forest, farmland, roads and four small towns that grow over
time). It is not a real place and not real data; it exists so the tool can be tried and tested offline.
Every raster carries the GDAL metadata tag ``SYNTHETIC`` and the boundaries a ``SYNTHETIC`` column.

Layers (grid :data:`DEMO_GRID`, EPSG:5070, 30 m, 2000 × 2000 px), as named by ``data_catalog.yaml``:

* ``land_cover_{year}.tif``: NLCD classes (uint8, 0 = nodata) for the NLCD epochs 2001–2021;
* ``tree_canopy_{year}.tif``: percent canopy (uint8, 255 = nodata) for 2011–2021;
* ``forest_age_type_region.tif``: LEARN forest age-type-region code (uint16, 0 = none);
* ``carbon_{live,dead_litter,soil}.tif``: carbon pools in t C/ha (float32, -9999 = nodata);
* ``disturbance_{start}_{end}.tif``: 0 none, 1–4 harvest by severity, 5 insect/disease, 10 fire (uint8);
* ``boundaries.gpkg``: 3 counties and 10 places with fictional names (state "ZZ", FIPS 99).

Output is byte-identical run to run: one ``numpy.random.default_rng(DEMO_SEED)`` drives everything.

Modules, each importing only those before it: ``grid`` (grid, seed, version, epochs, class lookup
tables); ``noise`` (random fields and pixel-geometry helpers); ``layout`` (river, towns, roads, county
line); ``landscape`` (terrain, water, farmland, forest types, urban potential); ``land_cover`` (the
per-pixel history and each epoch's land cover); ``disturbance`` (fire, harvest, insects); ``canopy``
(tree canopy); ``forest`` (forest age-type-region codes, carbon pools); ``boundaries`` (counties and
places); ``build`` (the run in seed order and the files: COGs, GeoPackage, manifest).
"""

from __future__ import annotations

from learn.demo.build import build_demo_region, demo_file_names
from learn.demo.grid import DEMO_GRID, DEMO_SEED, GENERATOR_VERSION, SYNTHETIC_TAG, DemoGrid

# isort: split
from learn.demo.grid import CANOPY_YEARS, LC_YEARS, PERIODS  # the epochs

__all__ = [
    "CANOPY_YEARS",
    "DEMO_GRID",
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "LC_YEARS",
    "PERIODS",
    "SYNTHETIC_TAG",
    "DemoGrid",
    "build_demo_region",
    "demo_file_names",
]
