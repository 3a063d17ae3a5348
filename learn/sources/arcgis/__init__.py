"""ArcGIS REST services: ``image`` (ImageServer ``exportImage`` onto a grid, with ``image_request``, a dataset's
parameters from the catalog, and ``carbon_pools``, LEARN's carbon layers as sums of a service's pools) and
``feature`` (MapServer/FeatureServer ``query``: the features in a box)."""
