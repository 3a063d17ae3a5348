"""Options that change an inventory's numbers (recorded in every report's provenance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

PixelRule = Literal["centre", "exact"]


@dataclass(frozen=True)
class InventoryOptions:
    """Options that change results; all of them are recorded in the report's provenance."""

    pixel_rule: PixelRule = "centre"
    recategorize_burned_grassland: bool = False
    block_size: int = 2048
    workers: int | None = None  # threads for the raster stage (default: all cores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pixel_rule": self.pixel_rule,
            "recategorize_burned_grassland": self.recategorize_burned_grassland,
        }
