"""Data access: where a region's layers and boundaries come from.

``catalog`` (the ``data_catalog.yaml`` model) and ``catalog_edit`` (writing region entries); ``boundaries``
(jurisdiction polygons: read, validate, reproject); ``census`` (TIGER/Line counties and places); ``remote``
(one source file per dataset and year: HTTP COG, zip bundle, object store, WCS); ``wcs`` (OGC WCS 1.0.0);
``clip`` (a source read onto the region's 30 m grid); ``fetch`` (``learn fetch``: all of the above for one
boundary, written as a ready region).
"""
