"""What the compiled kernel (:mod:`learn.raster.kernel`) sums per stratum and how a continuous layer is stored.

Kept apart from the kernel so that the modules naming them (:mod:`learn.raster.strata`,
:mod:`learn.raster.engine`) load without numba: a process that only accounts and writes (the ``learn batch``
parent whose raster pass runs in :mod:`learn.raster.worker`) never compiles or loads the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SUMS: Final = (
    "pixels",
    "carbon_live_sum",
    "carbon_dead_litter_sum",
    "carbon_soil_sum",
    "carbon_missing_pixels",
    "canopy1_sum",
    "canopy2_sum",
    "canopy_loss_sum",
    "canopy_pixels",
)
NSUM: Final = len(SUMS)


@dataclass(frozen=True)
class Stored:
    """How a continuous layer is stored: value = stored × ``scale``; ``nodata`` = the stored no-data value."""

    scale: float = 1.0
    nodata: float | None = None
