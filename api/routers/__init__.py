"""The API's routers: regions (and summaries), inventories (and downloads, custom polygons), jobs, tiles."""
