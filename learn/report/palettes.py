"""Colours, legends and class codes of the map layers, and an 8-bit palette PNG encoder.

One home for how layers look, shared by the web map's tiles (``api/render.py``) and the notebook maps
(:mod:`learn.mapping`): NLCD land cover in the official MRLC colours (:data:`learn.landuse.NLCD_COLORS`),
forest change (loss to each end use, gain), disturbance, tree canopy and canopy change.

A palette is a 256 × 4 ``uint8`` array of RGBA rows indexed by the pixel value; indices without a colour
(and 0) are transparent. Example::

    from learn.report.palettes import FOREST_CHANGE_PALETTE, forest_change_codes, palette_png
    codes = forest_change_codes(lc_2011, lc_2011 > 0, lc_2019, lc_2019 > 0)   # 0–6 per pixel
    png = palette_png(codes, FOREST_CHANGE_PALETTE)                            # PNG bytes
"""

from __future__ import annotations

import io
from typing import Final

import numpy as np
import numpy.typing as npt
from PIL import Image

import learn.landuse as lu

Palette = npt.NDArray[np.uint8]
#: A legend entry: (pixel value, colour "#rrggbb", label).
LegendEntry = tuple[int, str, str]


def rgba(hex_color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    """``"#rrggbb"`` → (r, g, b, alpha)."""
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha


def palette(colors: dict[int, tuple[int, int, int, int]]) -> Palette:
    """256 RGBA rows; indices without a colour (and 0) are transparent."""
    out = np.zeros((256, 4), np.uint8)
    for value, color in colors.items():
        out[value] = color
    return out


def hex_color(color: tuple[int, ...] | npt.NDArray[np.uint8]) -> str:
    """(r, g, b[, a]) → ``"#rrggbb"``."""
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in color[:3]))


# ---- legends and palettes ---------------------------------------------------------------------------------
#: Land cover: NLCD classes in the MRLC colours, in class order.
LAND_COVER: Final[tuple[LegendEntry, ...]] = tuple(
    (c, lu.NLCD_COLORS[c], lu.NLCD_NAMES[c]) for c in sorted(lu.LEARN_MATRIX_ORDER)
)
#: Forest change codes: loss to each end use (1–5), gain (6); 0 = no forest change (transparent).
FOREST_CHANGE: Final[tuple[LegendEntry, ...]] = (
    (1, "#e31a1c", "Forest → Settlement"),
    (2, "#a6611a", "Forest → Cropland"),
    (3, "#fdbf6f", "Forest → Grassland"),
    (4, "#1f78b4", "Forest → Wetland"),
    (5, "#6a6a6a", "Forest → Other Land"),
    (6, "#33a02c", "Non-forest → Forest (gain)"),
)
#: Disturbance codes of the disturbance layers (0 = none).
DISTURBANCE: Final[tuple[LegendEntry, ...]] = (
    (1, "#ffe08a", "Harvest, 1–25 % canopy loss"),
    (2, "#ffc04d", "Harvest, 26–50 %"),
    (3, "#ff9a1f", "Harvest, 51–75 %"),
    (4, "#e66a00", "Harvest, 76–100 %"),
    (5, "#8e44ad", "Insect / disease"),
    (9, "#bdbdbd", "Fire not estimated (MTBS did not map)"),
    (10, "#d7191c", "Fire"),
)
LAND_COVER_PALETTE: Final = palette({c: rgba(h) for c, h in lu.NLCD_COLORS.items()})
FOREST_CHANGE_PALETTE: Final = palette({v: rgba(c) for v, c, _ in FOREST_CHANGE})
DISTURBANCE_PALETTE: Final = palette({v: rgba(c) for v, c, _ in DISTURBANCE})
#: Tree canopy, index = percent (1–100): pale to dark green; 0 % transparent.
CANOPY_PALETTE: Final = palette(
    {
        v: (round(237 - 237 * v / 100), round(248 - 140 * v / 100), round(233 - 200 * v / 100), 255)
        for v in range(1, 101)
    }
)
#: Canopy change in percentage points is drawn at index change + CANOPY_CHANGE_OFFSET (1–201): index 0 stays
#: "no data" (transparent), as in every other palette, and 101 is "no change" (transparent too). Loss is red,
#: gain green; small changes are faint (alpha 24 at ±1 point) and opaque from ±30 points, so the ±1–3 point
#: noise of canopy products does not paint a whole region "gain".
CANOPY_CHANGE_OFFSET: Final = 101
CANOPY_CHANGE_PALETTE: Final = palette(
    {
        CANOPY_CHANGE_OFFSET + sign * d: ((215, 25, 28) if sign < 0 else (26, 150, 65))
        + (min(255, 16 + 8 * d),)
        for d in range(1, 101)
        for sign in (-1, 1)
    }
)


def canopy_change_index(
    change_points: npt.NDArray[np.integer], valid: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint8]:
    """Palette indices of a canopy change (percentage points, −100…100): 0 where invalid or unchanged."""
    index = np.asarray(change_points, np.int16) + CANOPY_CHANGE_OFFSET
    return np.where(valid & (change_points != 0), index, 0).astype(np.uint8)


def _over_white(color: npt.NDArray[np.uint8]) -> str:
    """The colour a palette entry shows over white (legend swatches are opaque)."""
    a = int(color[3]) / 255
    return hex_color(tuple(round(a * int(c) + (1 - a) * 255) for c in color[:3]))


CANOPY: Final[tuple[LegendEntry, ...]] = tuple(
    (v, hex_color(CANOPY_PALETTE[v]), f"{v} %") for v in (10, 40, 70, 100)
)
#: Canopy change legend: an intensity scale (as drawn over white), with "no change" transparent.
CANOPY_CHANGE: Final[tuple[LegendEntry, ...]] = (
    *(
        (
            -d,
            _over_white(CANOPY_CHANGE_PALETTE[CANOPY_CHANGE_OFFSET - d]),
            f"loss {'≥ ' if d == 30 else ''}{d} points",
        )
        for d in (30, 10, 3)
    ),
    (0, "#ffffff", "no change (not drawn)"),
    *(
        (
            d,
            _over_white(CANOPY_CHANGE_PALETTE[CANOPY_CHANGE_OFFSET + d]),
            f"gain {'≥ ' if d == 30 else ''}{d} points",
        )
        for d in (3, 10, 30)
    ),
)

# NLCD code → forest-change code of a (start, end) pixel pair, via the IPCC category (LEARN's roll-up).
_CATEGORIES = [lu.FORESTLAND, lu.SETTLEMENT, lu.CROPLAND, lu.GRASSLAND, lu.WETLAND, lu.OTHER_LAND]
_CATEGORY_OF = np.zeros(256, np.uint8)  # 0 = no category (no data, Alaska-only classes)
for _code, _cat in lu.NLCD_TO_CATEGORY.items():
    _CATEGORY_OF[_code] = _CATEGORIES.index(_cat) + 1
_FOREST = 1
_LOSS_CODE = np.array([0, 0, 1, 2, 3, 4, 5], np.uint8)  # category index → 1–5 (Forest → that category)
_GAIN = 6


def forest_change_codes(
    lc_start: npt.NDArray[np.integer],
    valid_start: npt.NDArray[np.bool_],
    lc_end: npt.NDArray[np.integer],
    valid_end: npt.NDArray[np.bool_],
) -> npt.NDArray[np.uint8]:
    """Per pixel, :func:`learn.landuse.transition_of` vectorised as :data:`FOREST_CHANGE` codes.

    Forest → X gives X's code (1–5), non-forest → forest 6, anything else (and invalid pixels) 0.
    """
    c1 = _CATEGORY_OF[np.where(valid_start, lc_start, 0).astype(np.uint8)]
    c2 = _CATEGORY_OF[np.where(valid_end, lc_end, 0).astype(np.uint8)]
    code = np.where(c1 == _FOREST, _LOSS_CODE[c2], 0).astype(np.uint8)
    code[(c1 != _FOREST) & (c2 == _FOREST) & valid_start] = _GAIN
    return np.where(valid_start & valid_end, code, 0).astype(np.uint8)


# ---- PNG --------------------------------------------------------------------------------------------------
def palette_png(index: npt.NDArray[np.uint8], colors: Palette, level: int = 1) -> bytes:
    """PNG (colour type 3 with a tRNS alpha table) of ``index`` (H×W palette indices), ``colors`` N×4 RGBA.

    Class or ramp indices make a palette PNG both the smallest and the fastest to write (Pillow, about
    1 ms for 256×256 at zlib level 1, against 5–15 ms for an RGBA PNG through GDAL).
    """
    if index.dtype != np.uint8 or index.ndim != 2:
        raise ValueError("index must be a 2-D uint8 array")
    used = int(index.max()) + 1 if index.size else 1
    pal = np.ascontiguousarray(colors[:used], dtype=np.uint8)
    height, width = index.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(index).tobytes())
    image.putpalette(pal[:, :3].tobytes())
    out = io.BytesIO()
    image.save(out, "PNG", transparency=pal[:, 3].tobytes(), compress_level=level)
    return out.getvalue()
