"""The layers a region can hold, by name, and which years of them an inventory period uses.

The vocabulary shared by the catalog, the raster stage, the accounting and the map (design.md, "User-facing
contract").
"""

from __future__ import annotations

from collections.abc import Sequence

#: Layer names a region may define (design.md "User-facing contract").
LAYER_NAMES = (
    "land_cover",
    "tree_canopy",
    "forest_age_type_region",
    "carbon_live",
    "carbon_dead_litter",
    "carbon_soil",
    "disturbance",
    "plantable_area",
)
CARBON_LAYERS = ("carbon_live", "carbon_dead_litter", "carbon_soil")
#: Forest layers: what a real place needs besides land cover and canopy for the forest rows.
FOREST_LAYERS = ("forest_age_type_region", *CARBON_LAYERS, "disturbance")
#: Disturbance code of forest where fire is not estimated (MTBS non-mapping area, or a year without a
#: mosaic) and nothing else is known (docs/fetch.md "MTBS"): counted as undisturbed, reported as such.
FIRE_NOT_MAPPED = 9
#: A layer computed from two land-cover years by :meth:`Region.layer` (codes of learn.report.palettes.FOREST_CHANGE).
FOREST_CHANGE_LAYER = "forest_change"


def choose_canopy_years(available: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """Canopy years for an inventory: the latest ≤ start (else the earliest) and the earliest ≥ end
    (else the latest); None when fewer than two years exist. Loss is then scaled to the inventory years."""
    years = sorted(available)
    if len(years) < 2:
        return None
    c1 = max([y for y in years if y <= start], default=years[0])
    c2 = min([y for y in years if y >= end], default=years[-1])
    if c2 <= c1:
        later = [y for y in years if y > c1]
        c1, c2 = (c1, later[0]) if later else (years[-2], years[-1])
    return c1, c2
