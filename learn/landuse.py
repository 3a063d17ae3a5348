"""NLCD land cover → IPCC land-use categories and transition categories (LEARN's roll-up).

Method: ``docs/method.md`` §2 (after erin-glen/learn_analysis ``lookups.py``).
All functions are vectorised over NumPy arrays of NLCD codes.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

#: NLCD classes that carry a land-cover meaning (0 / 250 / 255 are background or nodata).
NLCD_CLASSES: Final = (11, 12, 21, 22, 23, 24, 31, 41, 42, 43, 51, 52, 71, 72, 73, 74, 81, 82, 90, 95)

#: LEARN's row/column order of the land-use change matrix.
LEARN_MATRIX_ORDER: Final = (41, 42, 43, 90, 82, 81, 71, 52, 11, 95, 21, 22, 23, 24, 31, 12)

NLCD_NAMES: Final = {
    11: "Open Water",
    12: "Perennial Ice/Snow",
    21: "Developed, Open Space",
    22: "Developed, Low Intensity",
    23: "Developed, Medium Intensity",
    24: "Developed, High Intensity",
    31: "Barren Land",
    41: "Deciduous Forest",
    42: "Evergreen Forest",
    43: "Mixed Forest",
    51: "Dwarf Scrub",
    52: "Shrub/Scrub",
    71: "Grassland/Herbaceous",
    72: "Sedge/Herbaceous",
    73: "Lichens",
    74: "Moss",
    81: "Pasture/Hay",
    82: "Cultivated Crops",
    90: "Woody Wetlands",
    95: "Emergent Herbaceous Wetlands",
}

#: Official NLCD legend colours (MRLC), used for raster colour maps and map tiles.
NLCD_COLORS: Final = {
    11: "#466b9f",
    12: "#d1def8",
    21: "#dec5c5",
    22: "#d99282",
    23: "#eb0000",
    24: "#ab0000",
    31: "#b3ac9f",
    41: "#68ab5f",
    42: "#1c5f2c",
    43: "#b5c58f",
    51: "#af963c",
    52: "#ccb879",
    71: "#dfdfc2",
    72: "#d1d182",
    73: "#a3cc51",
    74: "#82ba9e",
    81: "#dcd939",
    82: "#ab6c28",
    90: "#b8d9eb",
    95: "#6c9fb8",
}

FORESTLAND: Final = "Forestland"
GRASSLAND: Final = "Grassland"
CROPLAND: Final = "Cropland"
SETTLEMENT: Final = "Settlement"
WETLAND: Final = "Wetland"
OTHER_LAND: Final = "Other Land"

#: IPCC category of each NLCD class; classes absent here (51, 72–74) roll up to no category.
NLCD_TO_CATEGORY: Final = {
    41: FORESTLAND,
    42: FORESTLAND,
    43: FORESTLAND,
    90: FORESTLAND,
    52: GRASSLAND,
    71: GRASSLAND,
    81: GRASSLAND,
    82: CROPLAND,
    21: SETTLEMENT,
    22: SETTLEMENT,
    23: SETTLEMENT,
    24: SETTLEMENT,
    11: WETLAND,
    95: WETLAND,
    12: OTHER_LAND,
    31: OTHER_LAND,
}

FOREST_REMAINING_FOREST: Final = "Forest Remaining Forest"
NONFOREST_TO_FOREST: Final = "Nonforest to Forest"
NONFOREST_TO_NONFOREST: Final = "Nonforest to Nonforest"
#: Forest → X transition names, keyed by the end category.
FOREST_TO: Final = {
    SETTLEMENT: "Forest to Settlement",
    OTHER_LAND: "Forest to Other Land",
    CROPLAND: "Forest to Cropland",
    GRASSLAND: "Forest to Grassland",
    WETLAND: "Forest to Wetland",
}
TRANSITIONS: Final = (
    FOREST_REMAINING_FOREST,
    *FOREST_TO.values(),
    NONFOREST_TO_FOREST,
    NONFOREST_TO_NONFOREST,
)


def valid_class_lut() -> npt.NDArray[np.bool_]:
    """A 256-entry lookup: True for NLCD codes that are real classes."""
    lut = np.zeros(256, dtype=bool)
    lut[list(NLCD_CLASSES)] = True
    return lut


def is_forest_class(nlcd: int) -> bool:
    return NLCD_TO_CATEGORY.get(int(nlcd)) == FORESTLAND


def category_of(nlcd: int) -> str | None:
    """IPCC land-use category of one NLCD class (None for 51/72/73/74 and non-classes)."""
    return NLCD_TO_CATEGORY.get(int(nlcd))


def transition_of(nlcd_year1: int, nlcd_year2: int) -> str:
    """Transition category of a (year1, year2) NLCD pair, as LEARN names it."""
    c1, c2 = category_of(nlcd_year1), category_of(nlcd_year2)
    if c1 == FORESTLAND and c2 == FORESTLAND:
        return FOREST_REMAINING_FOREST
    if c1 == FORESTLAND and c2 is not None:
        return FOREST_TO[c2]
    if c1 != FORESTLAND and c2 == FORESTLAND:
        return NONFOREST_TO_FOREST
    # Forest → a class without a category (Alaska-only 51/72–74) also falls here, as in LEARN.
    return NONFOREST_TO_NONFOREST
