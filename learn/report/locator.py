"""The locator map of a printed report: the jurisdiction outlined over its region, and the period's forest change.

Drawn server-side from arrays the region's own rasters gave (:mod:`learn.pipeline.region_map` reads them; no web
tiles, no internet): the two land-cover years, rolled up to forest-change codes as the web map's
"Forest change" layer does (:func:`learn.report.palettes.forest_change_codes`), and drawn over the end year's
land cover, faded. The region's other boundaries are faint grey lines. A scale bar, a north arrow (grid north
differs from true north in Albers: the arrow points to true north) and, for a synthetic region, a SYNTHETIC
label go on the map itself, so a cut-out page still says what it shows.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from pyproj import CRS, Transformer

from learn.report.palettes import FOREST_CHANGE, LAND_COVER_PALETTE, forest_change_codes

#: The map's axes box (inches) inside a figure that fits the text width of Letter and A4 (≈ 7.3 in).
MAP_WIDTH_IN, MAP_HEIGHT_IN, LEGEND_WIDTH_IN = 4.9, 4.1, 2.3
#: How much of the land cover's colour shows under the change (the rest is white): context, not content.
LAND_COVER_STRENGTH = 0.38
DPI = 200


@dataclass(frozen=True)
class LocatorMap:
    """A drawn locator map: PNG bytes (no metadata), its caption and alternative text, the pixel size shown."""

    png: bytes
    caption: str
    alt: str
    pixel_m: float


def literal(text: str) -> str:
    """``text`` shown literally by matplotlib: a name with two "$" would otherwise be mathtext (formatted as
    maths, by a parser every thread shares: reports are drawn concurrently)."""
    return text.replace("$", r"\$")


def _rings(geometry: shapely.Geometry) -> list[npt.NDArray[np.float64]]:
    """Every ring of a (multi)polygon as an N×2 array of coordinates."""
    rings = shapely.get_rings(shapely.get_parts(geometry))
    return [np.asarray(shapely.get_coordinates(r)) for r in rings]


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k) near a quarter of ``span``."""
    target = span / 4
    k = 10 ** math.floor(math.log10(target))
    return max(m * k for m in (1, 2, 5) if m * k <= target)


def _north_angle(crs: CRS, x: float, y: float) -> float:
    """Angle (radians, counter-clockwise from the map's up) of true north at (x, y)."""
    to_geo = Transformer.from_crs(crs, 4326, always_xy=True)
    to_map = Transformer.from_crs(4326, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, lat + 0.05)
    return math.atan2(-(x2 - x), y2 - y)


@dataclass(frozen=True)
class LocatorInputs:
    """What the map shows, read from a region (:func:`learn.pipeline.region_map.locator_map` reads it).

    Land cover of both years on the same pixels (``step`` native pixels apart) over ``bounds``; ``box`` is the
    view; geometries in ``crs``, which is projected."""

    name: str
    start: int
    end: int
    lc_start: npt.NDArray[np.uint8]
    valid_start: npt.NDArray[np.bool_]
    lc_end: npt.NDArray[np.uint8]
    valid_end: npt.NDArray[np.bool_]
    bounds: tuple[float, float, float, float]
    box: tuple[float, float, float, float]
    step: int
    native_pixel: float
    crs: CRS
    outline: shapely.Geometry
    others: list[shapely.Geometry]
    synthetic: bool
    region: str


def draw_locator_map(m: LocatorInputs) -> LocatorMap:
    """Draw the locator map (PNG without metadata: the same inputs give the same bytes)."""
    start, end, box, step, crs = m.start, m.end, m.box, m.step, m.crs
    change = forest_change_codes(m.lc_start, m.valid_start, m.lc_end, m.valid_end)
    ok1, lc1 = m.valid_end, m.lc_end

    colours = LAND_COVER_PALETTE[np.where(ok1, lc1, 0)].astype(np.float32) / 255.0
    base = 1.0 - LAND_COVER_STRENGTH * colours[..., 3:4] * (1.0 - colours[..., :3])
    rgb = np.where(ok1[..., None], base, 0.93)  # outside the data: light grey
    legend = []
    for code, colour, label in FOREST_CHANGE:
        mask = change == code
        if mask.any():
            rgb[mask] = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
            legend.append(Patch(facecolor=colour, edgecolor="none", label=label))

    fig = Figure(figsize=(MAP_WIDTH_IN + LEGEND_WIDTH_IN + 0.1, MAP_HEIGHT_IN + 0.1))
    FigureCanvasAgg(fig)
    w_in, h_in = fig.get_size_inches()
    ax = fig.add_axes((0.05 / w_in, 0.05 / h_in, MAP_WIDTH_IN / w_in, MAP_HEIGHT_IN / h_in))
    ax.set_facecolor("#eeeeee")
    xmin, ymin, xmax, ymax = m.bounds
    ax.imshow(rgb, extent=(xmin, xmax, ymin, ymax), interpolation="nearest", origin="upper")
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])

    view = shapely.box(*box)
    others = [r for g in m.others if shapely.intersects(g, view) for r in _rings(g)]
    ax.add_collection(LineCollection(others, colors="#6b6b6b", linewidths=0.6, alpha=0.8))
    own = _rings(m.outline)
    ax.add_collection(LineCollection(own, colors="white", linewidths=3.2))
    ax.add_collection(LineCollection(own, colors="black", linewidths=1.5))

    native_m = m.native_pixel * crs.axis_info[0].unit_conversion_factor
    pixel_m = native_m * step
    _scale_bar(ax, box, crs.axis_info[0].unit_conversion_factor)
    _north_arrow(ax, box, _north_angle(crs, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    if m.synthetic:
        ax.text(
            0.02,
            0.98,
            "SYNTHETIC DATA — invented landscape, not a real place",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=7.5,
            fontweight="bold",
            color="#c00000",
            bbox={"facecolor": "white", "edgecolor": "#c00000", "boxstyle": "square,pad=0.3"},
        )
    lax = fig.add_axes(((MAP_WIDTH_IN + 0.2) / w_in, 0.05 / h_in, (LEGEND_WIDTH_IN - 0.15) / w_in, 0.9))
    lax.axis("off")
    style = {"fontsize": 7, "title_fontsize": 8, "frameon": False, "alignment": "left"}
    outlines = [
        Patch(facecolor="white", edgecolor="black", linewidth=1.5, label=literal(m.name)),
        Patch(facecolor="white", edgecolor="#6b6b6b", linewidth=0.6, label="Other boundaries"),
        Patch(facecolor="#d9e3cf", edgecolor="none", label=f"Land cover {end} (faded)"),
    ]
    lax.add_artist(lax.legend(handles=outlines, loc="upper left", title="Map", **style))
    lax.legend(
        handles=legend or [Patch(facecolor="white", edgecolor="none", label="none in this view")],
        loc="upper left",
        bbox_to_anchor=(0.0, 0.68),
        title=f"Forest change {start}–{end}",
        **style,
    )
    note = f"Pixels shown: {pixel_m:,.0f} m" + (
        f"\n(one {native_m:g} m pixel in {step} × {step})" if step > 1 else ""
    )
    lax.text(0.0, 0.02, note, fontsize=6.5, color="#444444", transform=lax.transAxes, va="bottom")

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    shown = "its other boundaries" if m.synthetic else f"the other boundaries of region {m.region}"
    caption = (
        f"{m.name} (black outline) with {shown} (grey): forest change {start}–{end} from "
        f"NLCD land cover (LEARN's roll-up to IPCC categories, as the web map's Forest change layer) over land "
        f"cover {end}, faded. Drawn from the region's rasters at {pixel_m:,.0f} m pixels."
    )
    alt = f"Map of {m.name} and its surroundings showing forest change {start}–{end}"
    return LocatorMap(png=buf.getvalue(), caption=caption, alt=alt, pixel_m=pixel_m)


def _scale_bar(ax: Axes, box: tuple[float, float, float, float], metres_per_unit: float) -> None:
    """A bar of a round length in the lower left, on a white box."""
    length_m = _nice_length((box[2] - box[0]) * metres_per_unit)
    length = length_m / metres_per_unit
    x0 = box[0] + 0.04 * (box[2] - box[0])
    y0 = box[1] + 0.05 * (box[3] - box[1])
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(
        x0 + length / 2,
        y0 + 0.015 * (box[3] - box[1]),
        label,
        ha="center",
        va="bottom",
        fontsize=7,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
    )


def _north_arrow(ax: Axes, box: tuple[float, float, float, float], angle: float) -> None:
    """An arrow to true north with an "N", in the upper right."""
    cx, cy, r = 0.93, 0.86, 0.06
    dx, dy = -math.sin(angle) * r, math.cos(angle) * r
    ax.annotate(
        "",
        xy=(cx + dx, cy + dy),
        xytext=(cx - dx, cy - dy),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.4},
    )
    ax.text(cx + 1.6 * dx, cy + 1.6 * dy, "N", transform=ax.transAxes, ha="center", va="center", fontsize=8)
