"""Palette PNGs (map tiles, notebook overlays): indices and colours survive the round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from learn.report.palettes import FOREST_CHANGE_PALETTE, LAND_COVER_PALETTE, palette_png


@pytest.mark.parametrize("palette", [LAND_COVER_PALETTE, FOREST_CHANGE_PALETTE])
def test_palette_png_round_trips_indices_and_rgba(palette: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    index = rng.integers(0, len(palette), (37, 53), dtype=np.uint8)  # not square: width/height order
    image = Image.open(io.BytesIO(palette_png(index, palette)))
    assert image.mode == "P" and image.size == (53, 37)
    assert np.array_equal(np.asarray(image), index)
    assert np.array_equal(np.asarray(image.convert("RGBA")), palette[index])


def test_palette_png_refuses_other_arrays() -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        palette_png(np.zeros((4, 4), np.int16), LAND_COVER_PALETTE)
