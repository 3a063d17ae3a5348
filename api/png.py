"""8-bit palette PNGs for map tiles: the encoder lives in :mod:`learn.palettes` (shared with notebooks)."""

from __future__ import annotations

from learn.palettes import palette_png

__all__ = ["palette_png"]
