"""The boundaries: 3 counties tiling the grid and 10 place polygons, with fictional names."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from learn.demo.grid import DemoGrid
from learn.demo.layout import PLACES, _Layout

COUNTIES = (("99001", "Alder County"), ("99003", "Tamarack County"), ("99005", "Fenwater County"))


def _boundaries(rng: np.random.Generator, lay: _Layout, grid: DemoGrid) -> gpd.GeoDataFrame:
    """3 counties tiling the grid (split along the river and a wiggly line) and 10 places (EPSG:5070)."""
    left, bottom, right, top = grid.bounds
    big = 5000.0

    def xy(rows: npt.NDArray[np.float64], cols: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
        return list(
            zip((grid.left + cols * grid.res).tolist(), (grid.top - rows * grid.res).tolist(), strict=True)
        )

    river_r, river_c = lay.river
    north_poly = shapely.Polygon(
        [*xy(river_r[::20], river_c[::20]), (right + big, top + big), (left - big, top + big)]
    )
    west_poly = shapely.Polygon([*xy(*lay.county_line), (left - big, bottom - big), (left - big, top + big)])
    box = shapely.box(*grid.bounds)
    north = box.intersection(north_poly)
    counties = [north.intersection(west_poly), north.difference(west_poly), box.difference(north_poly)]
    rows: list[dict[str, Any]] = [
        {"GEOID": g, "NAME": n, "KIND": "county", "geometry": geom}
        for (g, n), geom in zip(COUNTIES, counties, strict=True)
    ]
    theta = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    for i, p in enumerate(PLACES):
        r0, c0 = lay.centres[p.name]
        ph = rng.uniform(0, 2 * np.pi, 2)
        rad = p.radius_px * (1 + 0.15 * np.sin(3 * theta + ph[0]) + 0.08 * np.sin(5 * theta + ph[1]))
        geom = shapely.Polygon(xy(r0 + rad * np.sin(theta), c0 + rad * np.cos(theta)))
        rows.append({"GEOID": f"99{(i + 1) * 100:05d}", "NAME": p.name, "KIND": "place", "geometry": geom})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs)
    frame.insert(3, "STATE", "ZZ")
    frame.insert(4, "SYNTHETIC", True)
    return frame
