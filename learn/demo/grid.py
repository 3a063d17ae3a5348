"""What every part of the demo shares: its grid, seed, version, epochs and class lookup tables.

One place for these so the generators and the writer cannot disagree about the grid or the years.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from affine import Affine

Bool = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
I8 = npt.NDArray[np.int8]
Progress = Callable[[str, int, int], None]

GENERATOR_VERSION = "1.1.0"  # 1.1.0: forest clumps of code 1999 became group 5 (with factor rows)
DEMO_SEED = 20240601
SYNTHETIC_TAG = "learn demo synthetic data, not a real place"


@dataclass(frozen=True)
class DemoGrid:
    """A north-up raster grid: CRS, pixel size ``res`` (m), size (px), top-left corner (m)."""

    crs: str
    res: float
    width: int
    height: int
    left: float
    top: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) in pixels."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        """Affine pixel → map transform (m)."""
        return Affine(self.res, 0.0, self.left, 0.0, -self.res, self.top)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in map metres."""
        return (self.left, self.top - self.height * self.res, self.left + self.width * self.res, self.top)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        return {
            "crs": self.crs,
            "res": self.res,
            "width": self.width,
            "height": self.height,
            "left": self.left,
            "top": self.top,
            "transform": list(self.transform)[:6],
        }


DEMO_GRID = DemoGrid("EPSG:5070", 30.0, 2000, 2000, 1_650_000.0, 2_400_000.0)

LC_YEARS = (2001, 2004, 2006, 2008, 2011, 2013, 2016, 2019, 2021)
CANOPY_YEARS = (2011, 2013, 2016, 2019, 2021)
PERIODS = tuple(itertools.pairwise(LC_YEARS))
FIRE_PERIOD = PERIODS.index((2016, 2019))
CARBON_YEAR = 2016  # the carbon maps stand for BIGMAP 2014–2018: classify non-forest by this epoch

FOREST_CLASSES = (41, 42, 43, 90)
UPLAND_FOREST = (41, 42, 43)


def _lut(values: Mapping[int, float], default: float = 0.0, dtype: Any = np.float32) -> npt.NDArray[Any]:
    """256-entry lookup table indexed by a uint8 class code."""
    out = np.full(256, default, dtype=dtype)
    for k, v in values.items():
        out[k] = v
    return out


FOREST_LUT = _lut(dict.fromkeys(FOREST_CLASSES, 1), dtype=bool)
UPLAND_LUT = _lut(dict.fromkeys(UPLAND_FOREST, 1), dtype=bool)
