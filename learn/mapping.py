"""Layers of a region on folium / leafmap maps, offline: PNG image overlays rendered from the rasters.

For notebooks (``notebooks/01_quickstart.ipynb``; reuse it in other notebooks rather than re-rendering):
each layer is read with :meth:`learn.pipeline.region.Region.layer`, warped to Web Mercator (nearest neighbour,
so classes stay classes), coloured with the palettes of :mod:`learn.report.palettes` (the NLCD colours of
:mod:`learn.landuse`, the same as the web map's tiles) and embedded in the map as a PNG data URL: the map
HTML holds the pixels and fetches nothing for them. (Leaflet stretches an image overlay linearly in Web
Mercator between its EPSG:4326 corner coordinates, so the image is warped to Web Mercator, not to plain
latitude/longitude, to sit exactly on the boundaries.) Building a map needs no network; only *showing* it
in a browser loads Leaflet's JavaScript (and basemap tiles, if any) from a CDN. Example::

    import leafmap.foliumap as leafmap
    from learn.mapping import add_boundaries, add_layer, legend

    m = leafmap.Map()                                         # no basemap is fetched while building
    add_layer(m, region, "land_cover", year=2019, boundary="99001")
    add_layer(m, region, "forest_change", start=2011, end=2019, boundary="99001")
    add_boundaries(m, region.boundaries_frame().query("id == '99001'"))
    m.add_legend(title="Forest change", legend_dict=legend("forest_change"))
    m.fit_bounds(bounds_latlon(region, "99001"))
    m.to_html("map.html")

Layers: ``land_cover``, ``tree_canopy`` (take ``year``), ``forest_change``, ``disturbance`` (take
``start``/``end``), and any other numeric layer (e.g. ``carbon_live``, t C/ha) on a continuous ramp.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from learn.report.palettes import (
    CANOPY,
    CANOPY_PALETTE,
    DISTURBANCE,
    DISTURBANCE_PALETTE,
    FOREST_CHANGE,
    FOREST_CHANGE_PALETTE,
    LAND_COVER,
    LAND_COVER_PALETTE,
    LegendEntry,
    Palette,
    palette_png,
)

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import xarray as xr

    from learn.pipeline.region import Region
    from learn.sources.boundaries import Boundary

WEB_MERCATOR = "EPSG:3857"

#: Categorical layers: (palette, legend, title).
CATEGORICAL: dict[str, tuple[Palette, tuple[LegendEntry, ...], str]] = {
    "land_cover": (LAND_COVER_PALETTE, LAND_COVER, "Land cover (NLCD)"),
    "forest_change": (FOREST_CHANGE_PALETTE, FOREST_CHANGE, "Forest change"),
    "disturbance": (DISTURBANCE_PALETTE, DISTURBANCE, "Disturbance"),
}


@dataclass(frozen=True)
class LayerImage:
    """A rendered layer: PNG bytes and where it goes (``bounds``: [[south, west], [north, east]], degrees)."""

    png: bytes
    bounds: list[list[float]]
    title: str

    @property
    def data_url(self) -> str:
        """``data:image/png;base64,…``: the image embedded in the map HTML (no file, no server)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def legend(name: str) -> dict[str, str]:
    """``{label: "#rrggbb"}`` of a layer, for ``leafmap.foliumap.Map.add_legend(legend_dict=...)``."""
    if name in CATEGORICAL:
        entries = CATEGORICAL[name][1]
    elif name == "tree_canopy":
        entries = CANOPY
    else:
        raise KeyError(f"no legend for layer {name!r}; legends: {[*CATEGORICAL, 'tree_canopy']}")
    return {label: color for _, color, label in entries}


def _ramp(cmap: str = "viridis") -> Palette:
    """A 256-row palette from a matplotlib colour map; index 0 transparent (no data)."""
    from matplotlib import colormaps

    rgba = (colormaps[cmap](np.linspace(0, 1, 255)) * 255).round().astype(np.uint8)
    out = np.zeros((256, 4), np.uint8)
    out[1:] = rgba
    return out


def layer_png(
    da: xr.DataArray, *, max_size: int = 2048, vmin: float | None = None, vmax: float | None = None
) -> LayerImage:
    """Render a layer of :meth:`Region.layer` as a PNG in Web Mercator.

    Categorical layers (``land_cover``, ``forest_change``, ``disturbance``) use their palettes (class
    code = palette index; code 0 and NaN transparent); ``tree_canopy`` the canopy ramp (percent, or
    fraction × 100); anything else the viridis ramp from ``vmin`` to ``vmax`` (default: the data's
    2nd and 98th percentiles). ``max_size``: the longest side in pixels (coarser by striding, nearest).
    """
    from rasterio.enums import Resampling

    name = str(da.attrs.get("layer", da.name))
    step = max(1, math.ceil(max(da.shape) / max_size))
    src = da.isel(x=slice(None, None, step), y=slice(None, None, step)) if step > 1 else da
    warped = src.rio.write_nodata(np.nan, encoded=False).rio.reproject(
        WEB_MERCATOR, resampling=Resampling.nearest
    )
    values = warped.to_numpy()
    valid = np.isfinite(values)
    index: npt.NDArray[np.uint8]
    if name in CATEGORICAL:
        colors, _, title = CATEGORICAL[name]
        index = np.where(valid, values, 0).astype(np.uint8)
    elif name == "tree_canopy":
        colors, title = CANOPY_PALETTE, "Tree canopy (%)"
        pct = values * (1.0 if da.attrs.get("units") == "percent" else 100.0)
        index = np.where(valid, np.clip(np.rint(pct), 0, 100), 0).astype(np.uint8)
    else:
        colors, title = _ramp(), f"{name} ({da.attrs.get('units', '')})"
        data = values[valid]
        lo = float(np.percentile(data, 2)) if vmin is None and data.size else (vmin or 0.0)
        hi = float(np.percentile(data, 98)) if vmax is None and data.size else (vmax or 1.0)
        scaled = 1 + np.clip((values - lo) / max(hi - lo, 1e-12), 0, 1) * 254
        index = np.where(valid, np.rint(scaled), 0).astype(np.uint8)
    if "year" in da.attrs:
        title = f"{title} {da.attrs['year']}"
    elif "start" in da.attrs:
        title = f"{title} {da.attrs['start']}–{da.attrs['end']}"
    w, s, e, n = warped.rio.transform_bounds("EPSG:4326")
    return LayerImage(png=palette_png(index, colors), bounds=[[s, w], [n, e]], title=title)


def add_layer(
    m: folium.Map,
    region: Region,
    name: str,
    *,
    year: int | None = None,
    start: int | None = None,
    end: int | None = None,
    boundary: str | Boundary | os.PathLike[str] | None = None,
    opacity: float = 0.8,
    max_size: int = 2048,
) -> folium.raster_layers.ImageOverlay:
    """Add a layer of ``region`` to a folium or ``leafmap.foliumap`` map as an image overlay.

    Arguments as :meth:`Region.layer` (``boundary`` clips to its bounding box) and :func:`layer_png`;
    the overlay is named after the layer and its year/period, so a ``LayerControl`` can toggle it.
    """
    import folium

    image = layer_png(
        region.layer(name, year=year, start=start, end=end, boundary=boundary), max_size=max_size
    )
    overlay = folium.raster_layers.ImageOverlay(
        image=image.data_url, bounds=image.bounds, opacity=opacity, name=image.title, interactive=False
    )
    overlay.add_to(m)
    return overlay


def add_boundaries(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    *,
    name: str = "Boundaries",
    color: str = "#222222",
    tooltip: list[str] | None = None,
) -> folium.GeoJson:
    """Outline boundaries (any CRS; drawn in EPSG:4326) with a tooltip of ``tooltip`` columns."""
    import folium

    geo = frame.to_crs(4326)
    fields = tooltip or [c for c in ("id", "name") if c in geo.columns]
    layer = folium.GeoJson(
        geo.__geo_interface__,
        name=name,
        style_function=lambda _: {"color": color, "weight": 2, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
    )
    layer.add_to(m)
    return layer


def bounds_latlon(region: Region, boundary: str | Boundary | None = None) -> list[list[float]]:
    """[[south, west], [north, east]] (degrees) of a boundary, or of the whole region, for ``fit_bounds``."""
    import geopandas as gpd
    import shapely

    geom = region.boundary(boundary).geometry if boundary is not None else shapely.box(*region.grid.bounds)
    w, s, e, n = gpd.GeoSeries([geom], crs=region.grid.crs).to_crs(4326).total_bounds
    return [[float(s), float(w)], [float(n), float(e)]]


def choropleth(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    column: str,
    *,
    name: str | None = None,
    cmap: str = "RdYlGn_r",
    fields: list[str] | None = None,
) -> folium.GeoJson:
    """Shade polygons by ``column`` with a diverging colour map centred on 0 (net flux: removals green,
    emissions red). A colour bar legend (branca, drawn in the page, no download) is added too."""
    import branca.colormap as cm
    import folium
    from matplotlib import colormaps

    geo = frame.to_crs(4326)
    values = geo[column].astype(float)
    bound = float(np.nanmax(np.abs(values))) if len(values) else 1.0
    ramp = colormaps[cmap]
    colors = [
        "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in ramp(t)[:3])) for t in np.linspace(0, 1, 11)
    ]
    scale = cm.LinearColormap(colors, vmin=-bound, vmax=bound, caption=name or column)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        v = feature["properties"].get(column)
        fill = scale(v) if v is not None and np.isfinite(v) else "#cccccc"
        return {"fillColor": fill, "color": "#333333", "weight": 1, "fillOpacity": 0.75}

    keep = fields or [c for c in geo.columns if c != "geometry"]
    layer = folium.GeoJson(
        geo[[*keep, "geometry"]].__geo_interface__,
        name=name or column,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=keep),
    )
    layer.add_to(m)
    scale.add_to(m)
    return layer
